"""The humanoid's typed configuration: the blocks of ``humanoid/params.yaml``.

The humanoid has its own params file, read by its own pipeline (``humanoid/dvc.yaml``),
so editing it never touches the passive walker's stages. It is validated by the shared
loader (:mod:`walker.config`): unknown, missing, mistyped and out-of-range keys fail before
any computation, naming the dotted key and the file. The blocks every body shares come from
:mod:`walker.blocks` (PPO, condition ranges, gait and steadiness criteria, report).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from walker.blocks import ConditionRanges, GaitCriterion, PpoConfig, ReportConfig, SteadyCriterion
from walker.config import ConfigError, build, field, load

HUMANOID_PARAMS_FILE = "humanoid/params.yaml"
"""Where the humanoid's params live, relative to the repository root."""

TASKS = ("stand", "walk")
"""The curriculum's staged tasks; each is a reward preset of ``humanoid.reward.presets`` and a PPO block."""


@dataclasses.dataclass(frozen=True)
class HumanoidRewardWeights:
    """One reward preset: weights of the named terms (``walker.humanoid.task.reward_terms``) and its posture target."""

    forward: float = field("weight of the forward speed of the torso (m/s, capped at reward.max_forward_speed)", range=(0.0, 100.0))
    upright: float = field("weight of the torso's uprightness (cosine of its tilt from vertical, in [-1, 1])", range=(0.0, 100.0))
    height: float = field("weight of the posture term exp(-((torso height - target_height) / reward.height_scale)^2), in [0, 1]", range=(0.0, 100.0))
    alive: float = field("weight of the constant 1 per control step before a fall (balance)", range=(0.0, 100.0))
    energy: float = field("weight of the energy cost: mean squared action", range=(0.0, 100.0))
    still: float = field("weight of the cost of horizontal torso speed squared (stand still)", range=(0.0, 100.0))
    target_height: float = field("torso height (m) the posture term rewards", range=(0.2, 2.0))


@dataclasses.dataclass(frozen=True)
class HumanoidRewardConfig:
    """Which reward objective the humanoid's environment optimises (block `humanoid.reward`)."""

    preset: str = field("name of the preset in `presets` to use (stand, walk, kneel)")
    presets: dict[str, HumanoidRewardWeights] = field("named sets of reward weights")
    max_forward_speed: float = field("the forward term rewards speed (m/s) up to this and no further", range=(0.1, 100.0))
    height_scale: float = field("width (m) of the posture term around each preset's target_height", range=(0.01, 1.0))

    def __post_init__(self) -> None:
        if self.preset not in self.presets:
            raise ConfigError(f"humanoid.reward.preset: '{self.preset}' is not one of the presets {sorted(self.presets)}")

    @property
    def weights(self) -> HumanoidRewardWeights:
        return self.presets[self.preset]


@dataclasses.dataclass(frozen=True)
class HumanoidStart:
    """Start-state noise around the standing pose (block `humanoid.start`)."""

    joint_noise: float = field("half-width of uniform noise on every hinge angle (rad)", range=(0.0, 0.5))
    velocity_noise: float = field("half-width of uniform noise on every joint velocity (rad/s, m/s)", range=(0.0, 2.0))


@dataclasses.dataclass(frozen=True)
class HumanoidConfig:
    """The body and its task (block `humanoid`)."""

    model_file: str = field("MJCF file of the humanoid, relative to the repository root")
    timestep: float = field("physics timestep (s)", range=(1e-4, 0.02))
    control_hz: float = field("control rate (Hz); must divide the physics rate", range=(10.0, 1000.0))
    slope_deg: float = field("nominal slope of the floor (deg), made by pitching gravity", range=(0.0, 30.0))
    solver: str = field("constraint solver", choices=("newton", "cg"))
    solver_iterations: int = field("main solver iterations per physics step", range=(1, 100))
    ls_iterations: int = field("line-search iterations per solver iteration", range=(1, 100))
    episode_seconds: float = field("training episode length (s)", range=(0.1, 120.0))
    min_height: float = field("torso height (m) below which the humanoid has fallen", range=(0.2, 1.5))
    action_scale: float = field("an action of 1 moves a joint's position target this far (rad) from the standing pose", range=(0.01, 3.0))
    start: HumanoidStart = field("start-state noise")
    reward: HumanoidRewardConfig = field("reward objective")
    randomization: ConditionRanges = field("domain randomisation of its episodes (torso_mass_scale scales the torso body)")

    def __post_init__(self) -> None:
        ratio = 1.0 / (self.timestep * self.control_hz)
        if abs(ratio - round(ratio)) > 1e-6:
            raise ConfigError(f"humanoid.control_hz: {self.control_hz} Hz must divide the physics rate 1/timestep = {1 / self.timestep:g} Hz")
        for name, preset in self.reward.presets.items():
            if preset.target_height <= self.min_height:
                raise ConfigError(
                    f"humanoid.reward.presets.{name}.target_height ({preset.target_height}) must be above humanoid.min_height "
                    f"({self.min_height}), where an episode ends as a fall"
                )

    @property
    def n_substeps(self) -> int:
        """Physics steps per control step."""
        return int(round(1.0 / (self.timestep * self.control_hz)))

    @property
    def control_dt(self) -> float:
        return 1.0 / self.control_hz

    @property
    def episode_steps(self) -> int:
        """Control steps per training episode."""
        return int(round(self.episode_seconds * self.control_hz))

    def for_task(self, task: str, randomization: ConditionRanges | None = None) -> "HumanoidConfig":
        """This block with the reward preset ``task`` (and, if given, other randomisation ranges)."""
        if task not in self.reward.presets:
            raise ConfigError(f"humanoid.reward.presets has no preset '{task}' (presets: {sorted(self.reward.presets)})")
        changed = dataclasses.replace(self, reward=dataclasses.replace(self.reward, preset=task))
        return changed if randomization is None else dataclasses.replace(changed, randomization=randomization)


@dataclasses.dataclass(frozen=True)
class HumanoidEvaluateConfig:
    """The humanoid's evaluation protocol (block `evaluate`): a pushed set for each task, the same for every policy."""

    seed: int = field("PRNG seed of the evaluation sets' starts and conditions", range=(0, 2**31 - 1))
    cases: int = field("episodes in each task's pushed evaluation set", range=(1, 1_000_000))
    stand_seconds: float = field("length (s) of a stand evaluation episode; success = no fall in it", range=(0.1, 3600.0))
    walk_seconds: float = field("length (s) of a walk evaluation episode (longer than training's, so a gait must last)", range=(0.1, 3600.0))
    min_speed_mps: float = field("walk success: average forward speed (m/s) over the episode", range=(0.0, 10.0))
    success_threshold: float = field("a run counts as trained when its set's success first reaches this: steps to it are the race", range=(0.0, 1.0))
    steady: SteadyCriterion = field("walk success also needs a steady speed at the end of the episode")
    gait: GaitCriterion = field("the humanoid's walking criterion (walking = walk success and this)")
    stand_set: ConditionRanges = field("conditions and pushes of the stand evaluation set")
    walk_set: ConditionRanges = field("conditions and pushes of the walk evaluation set")
    rollout_batch: int = field("episodes simulated at once", range=(1, 65536))
    rollout_devices: int = field("XLA devices a rollout batch is split over (one per CPU core up to this many)", range=(1, 4096))
    native_cases: int = field("episodes of each task's set replayed in native MuJoCo (the transfer check)", range=(1, 100_000))

    def __post_init__(self) -> None:
        if self.rollout_batch % self.rollout_devices:
            raise ConfigError(f"evaluate.rollout_batch ({self.rollout_batch}) must be a multiple of evaluate.rollout_devices ({self.rollout_devices})")

    def seconds(self, task: str) -> float:
        return {"stand": self.stand_seconds, "walk": self.walk_seconds}[task]

    def ranges(self, task: str) -> ConditionRanges:
        return {"stand": self.stand_set, "walk": self.walk_set}[task]


@dataclasses.dataclass(frozen=True)
class HumanoidPhysicsSetting:
    """One physics setting of the humanoid's tuning table (block `bench.tuning`)."""

    timestep: float = field("physics timestep (s)", range=(1e-4, 0.02))
    solver_iterations: int = field("Newton iterations per physics step", range=(1, 1000))
    ls_iterations: int = field("line-search iterations per solver iteration", range=(1, 1000))
    collisions: str = field("which geoms collide: the feet with the floor (ours) or every body geom (the stock humanoid)", choices=("feet", "all"))


@dataclasses.dataclass(frozen=True)
class HumanoidBenchConfig:
    """The humanoid's throughput in ``walker bench`` (block `bench`)."""

    batch_sizes: tuple[int, ...] = field("MJX batch sizes (humanoids stepped at once)", range=(1, 1_000_000))
    physics_steps: int = field("physics steps per timed call", range=(1, 100_000))
    repeats: int = field("timed calls per measurement after the first (compiling) one; the best counts", range=(1, 100))
    native_threads: int = field("threads of the native mujoco.rollout; 0 = every core", range=(0, 4096))
    ppo_env_steps: int = field("env steps of the humanoid's PPO throughput run (three epochs; the last is timed); 0 = skip", range=(0, 10**9))
    tuning: dict[str, HumanoidPhysicsSetting] = field("named physics settings compared in results/humanoid/tuning.md (stage tuning)")
    tuning_batch: int = field("MJX batch size of the tuning table's throughput column", range=(1, 1_000_000))
    drift_seconds: float = field("simulated seconds of the march over which drift is measured", range=(0.01, 60.0))
    drift_cases: int = field("starts the drift is measured from", range=(1, 10_000))
    reference_iterations: int = field("solver and line-search iterations of the converged native reference", range=(1, 1000))


@dataclasses.dataclass(frozen=True)
class HumanoidParams:
    """The whole ``humanoid/params.yaml``."""

    humanoid: HumanoidConfig = field("body and task")
    evaluate: HumanoidEvaluateConfig = field("evaluation protocol")
    stand: PpoConfig = field("PPO on the stand preset, from scratch (the curriculum's first stage)")
    walk: PpoConfig = field("PPO on the walk preset: seeded from the stand policy (curriculum) or from scratch, same settings")
    stand_seed: int = field("seed of the stand run", range=(0, 2**31 - 1))
    seeds: tuple[int, ...] = field("seeds of the walk runs (one curriculum and one scratch run each)", range=(0, 2**31 - 1))
    report: ReportConfig = field("videos and keyframes")
    bench: HumanoidBenchConfig = field("throughput benchmark")

    def __post_init__(self) -> None:
        for task in TASKS:
            if task not in self.humanoid.reward.presets:
                raise ConfigError(f"humanoid.reward.presets: needs a preset '{task}' for the curriculum's {task} stage")
        if tuple(self.stand.policy_hidden_sizes) != tuple(self.walk.policy_hidden_sizes) or self.stand.activation != self.walk.activation:
            raise ConfigError(
                f"walk.policy_hidden_sizes {list(self.walk.policy_hidden_sizes)} and walk.activation '{self.walk.activation}' must equal "
                f"stand.policy_hidden_sizes {list(self.stand.policy_hidden_sizes)} and stand.activation '{self.stand.activation}', "
                "so the curriculum's walk runs can start from the stand policy"
            )
        for block in ("stand", "walk"):
            cfg: PpoConfig = getattr(self, block)
            if cfg.critic_init != "fresh" or cfg.bc_coef != 0.0 or cfg.variant_overrides:
                raise ConfigError(f"{block}: critic_init must be fresh, bc_coef 0 and variant_overrides empty (the humanoid has no clone or offline critic)")
        if len(set(self.seeds)) != len(self.seeds):
            raise ConfigError(f"seeds: {list(self.seeds)} has duplicates")
        for key, rate in (("report.video_fps", self.report.video_fps), ("report.keyframe_hz", self.report.keyframe_hz)):
            ratio = self.humanoid.control_hz / rate
            if abs(ratio - round(ratio)) > 1e-6:
                raise ConfigError(f"{key}: {rate:g} must divide humanoid.control_hz = {self.humanoid.control_hz:g}")

    def ppo(self, task: str) -> PpoConfig:
        """The PPO block of a curriculum task."""
        if task not in TASKS:
            raise ConfigError(f"unknown humanoid task '{task}'; choose one of {list(TASKS)}")
        return getattr(self, task)


def humanoid_params_from_dict(data: Any) -> HumanoidParams:
    """Validate a parsed humanoid params mapping."""
    return build(HumanoidParams, data, "")


def load_humanoid_params(path: str | Path = HUMANOID_PARAMS_FILE) -> HumanoidParams:
    """Read and validate the humanoid's params file; every problem raises :class:`ConfigError` naming the file and key."""
    return load(HumanoidParams, path)
