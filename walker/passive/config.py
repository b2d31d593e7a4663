"""The passive walker's params blocks (``walker``, ``fsm``, ``bench``) and :class:`Params`, the whole
``params.yaml`` of the main pipeline: the body's blocks with the shared ones of :mod:`walker.blocks`.

The studies that run on this body keep their blocks in their own pipelines' params files
(``capacity/params.yaml``, ``peer/params.yaml``, ``physics/params.yaml``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from walker.blocks import (
    SAC_VARIANTS,
    AdrConfig,
    AdrLimits,
    BcConfig,
    ConditionRanges,
    CriticConfig,
    DemosConfig,
    EvaluateConfig,
    PpoConfig,
    ReportConfig,
    SacConfig,
    SolverSetting,
)
from walker.config import ConfigError, build, field, load


@dataclasses.dataclass(frozen=True)
class RewardWeights:
    """Weights of the named reward terms (see ``walker.passive.env.reward_terms``)."""

    forward: float = field("weight of forward torso speed (m/s)", range=(0.0, 100.0))
    upright: float = field("weight of the torso-height-above-fall-line term in [0, 1]", range=(0.0, 100.0))
    clearance: float = field("weight of the highest foot's clearance in [0, 1]", range=(0.0, 100.0))
    actuator: float = field("weight of the mean squared action cost", range=(0.0, 100.0))
    flight: float = field("weight of the flight cost: 1 in every control step that ends with no foot on the ramp", range=(0.0, 100.0))


@dataclasses.dataclass(frozen=True)
class RewardConfig:
    """Which reward objective the environment optimises."""

    preset: str = field("name of the preset in `presets` to use (e.g. walk, stand)")
    presets: dict[str, RewardWeights] = field("named sets of reward weights")
    clearance_height: float = field("foot height (m) that earns the full clearance term", range=(1e-3, 0.5))
    max_forward_speed: float = field("the forward term rewards speed (m/s) up to this and no further", range=(0.1, 100.0))
    contact_height: float = field("the flight term: a foot whose lowest point is below this height above the ramp (m) is on it", range=(0.0, 0.5))

    def __post_init__(self) -> None:
        if self.preset not in self.presets:
            raise ConfigError(f"walker.reward.preset: '{self.preset}' is not one of the presets {sorted(self.presets)}")

    @property
    def weights(self) -> RewardWeights:
        return self.presets[self.preset]


@dataclasses.dataclass(frozen=True)
class StartConfig:
    """Nominal start state (taken on the FSM's limit cycle) and its light randomisation."""

    pitch: float = field("torso pitch = left leg angle (rad, positive = foot behind)", range=(-0.8, 0.8))
    hip: float = field("hip angle = right leg relative to left (rad)", range=(-1.0, 1.0))
    qvel: tuple[float, float, float, float, float, float] = field("joint velocities (rootx, rootz, pitch, knee_left, hip, knee_right)")
    angle_noise: float = field("half-width of uniform noise on pitch and hip (rad)", range=(0.0, 0.2))
    velocity_noise: float = field("half-width of uniform noise on each joint velocity", range=(0.0, 1.0))


BRAX_PIPELINES = ("generalized", "positional", "spring")
"""Brax's own physics pipelines (``brax.<name>.pipeline``), compared with MJX in stage ``backends``."""


@dataclasses.dataclass(frozen=True)
class WalkerConfig:
    """The model and the task (block `walker`)."""

    model_file: str = field("MJCF file of the walker, relative to the repository root")
    backend: str = field("physics of the JAX env: mjx, or one of Brax's own pipelines (their model: backends.model_file; docs/backends.md)", choices=("mjx", *BRAX_PIPELINES))
    timestep: float = field("physics timestep (s)", range=(1e-4, 0.01))
    control_hz: float = field("control rate (Hz); must divide the physics rate", range=(50.0, 1000.0))
    slope_deg: float = field("nominal ramp slope (deg), made by pitching gravity", range=(0.0, 30.0))
    solver: str = field("constraint solver", choices=("newton", "cg"))
    solver_iterations: int = field("main solver iterations per physics step", range=(1, 100))
    ls_iterations: int = field("line-search iterations per solver iteration", range=(1, 100))
    episode_seconds: float = field("episode length (s)", range=(0.1, 120.0))
    min_height: float = field("torso height (m) below which the walker has fallen", range=(0.1, 1.3))
    max_pitch: float = field("|torso pitch| (rad) above which the walker has fallen", range=(0.1, 3.2))
    start: StartConfig = field("start state")
    reward: RewardConfig = field("reward objective")
    randomization: ConditionRanges = field("domain randomisation for training and demos")

    def __post_init__(self) -> None:
        ratio = 1.0 / (self.timestep * self.control_hz)
        if abs(ratio - round(ratio)) > 1e-6:
            raise ConfigError(
                f"walker.control_hz: {self.control_hz} Hz must divide the physics rate 1/timestep = {1 / self.timestep:g} Hz"
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
        """Control steps per episode."""
        return int(round(self.episode_seconds * self.control_hz))


@dataclasses.dataclass(frozen=True)
class FsmConfig:
    """The finite-state-machine expert (block `fsm`); angles are leg angles from the ramp normal."""

    step_angle: float = field("swing-leg placement angle ahead of the ramp normal at target speed (rad)", range=(0.0, 1.0))
    speed_gain: float = field("extra placement angle per m/s above target speed (rad s/m)", range=(0.0, 2.0))
    target_speed: float = field("speed at which placement equals step_angle (m/s)", range=(0.0, 5.0))
    min_step_angle: float = field("lower clip of the placement angle (rad)", range=(0.0, 1.0))
    max_step_angle: float = field("upper clip of the placement angle (rad)", range=(0.0, 1.0))
    switch_split: float = field("swing leg must lead the stance leg by this much to count a touchdown (rad)", range=(0.0, 1.0))
    extend_split: float = field("swing knee extends once its leg leads by this much (rad)", range=(0.0, 1.0))
    knee_retract: float = field("knee retraction of the swing leg (m)", range=(0.0, 0.3))
    contact_height: float = field("foot height (m) that counts as touching the ground", range=(0.0, 0.1))

    def __post_init__(self) -> None:
        if self.min_step_angle > self.max_step_angle:
            raise ConfigError(f"fsm.min_step_angle ({self.min_step_angle}) must not exceed fsm.max_step_angle ({self.max_step_angle})")


@dataclasses.dataclass(frozen=True)
class BenchConfig:
    """Throughput benchmarks and the solver table (block `bench`; stages `bench` and `solvers`)."""

    batch_sizes: tuple[int, ...] = field("MJX batch sizes (environments stepped at once)", range=(1, 1_000_000))
    physics_steps: int = field("physics steps per timed call", range=(1, 100_000))
    gait_episodes: int = field("recorded FSM episodes (start states and controls) that every batch cycles through", range=(1, 100_000))
    repeats: int = field("timed calls per measurement after the first (compiling) one; the best counts", range=(1, 100))
    native_threads: int = field("threads of the native mujoco.rollout; 0 = every core", range=(0, 4096))
    ppo_env_steps: int = field("env steps of the PPO throughput run (three training epochs; the last is timed)", range=(1, 10**9))
    solvers: dict[str, SolverSetting] = field("named solver settings compared in results/solvers.md")
    reference_solver: SolverSetting = field("the converged native-MuJoCo solver that drift is measured against")
    solver_batch: int = field("MJX batch size of the solver table's throughput column", range=(1, 1_000_000))
    drift_seconds: float = field("simulated seconds of FSM gait over which drift is measured", range=(0.01, 60.0))
    drift_cases: int = field("FSM episodes (nominal starts) the drift is averaged over", range=(1, 10_000))


@dataclasses.dataclass(frozen=True)
class Params:
    """The whole ``params.yaml``."""

    walker: WalkerConfig = field("model and task")
    fsm: FsmConfig = field("FSM expert")
    demos: DemosConfig = field("demonstration stage")
    evaluate: EvaluateConfig = field("evaluation protocol")
    bc: BcConfig = field("behaviour cloning stage")
    critic: CriticConfig = field("offline critic stage")
    ppo: PpoConfig = field("PPO stages")
    adr: AdrConfig = field("wide PPO stages: automatic domain randomisation from the BC-seeded PPO policies")
    sac: SacConfig = field("SAC stages: the off-policy learner of the race, from scratch and with the demonstrations in its replay buffer")
    seeds: tuple[int, ...] = field("training seeds (one run per learner, variant and seed)", range=(0, 2**31 - 1))
    report: ReportConfig = field("report stage: videos and keyframes")
    bench: BenchConfig = field("benchmarks and the solver table")

    def __post_init__(self) -> None:
        if tuple(self.ppo.policy_hidden_sizes) != tuple(self.bc.hidden_sizes) or self.ppo.activation != self.bc.activation:
            raise ConfigError(
                f"ppo.policy_hidden_sizes {list(self.ppo.policy_hidden_sizes)} and ppo.activation '{self.ppo.activation}' "
                f"must equal bc.hidden_sizes {list(self.bc.hidden_sizes)} and bc.activation '{self.bc.activation}', "
                "so the bc variant can start from the cloned policy"
            )
        self._check_adr()
        self._check_sac()
        if len(set(self.seeds)) != len(self.seeds):
            raise ConfigError(f"seeds: {list(self.seeds)} has duplicates")
        for key, rate in (("report.video_fps", self.report.video_fps), ("report.keyframe_hz", self.report.keyframe_hz)):
            ratio = self.walker.control_hz / rate
            if abs(ratio - round(ratio)) > 1e-6:
                raise ConfigError(f"{key}: {rate:g} must divide walker.control_hz = {self.walker.control_hz:g}")

    def _check_sac(self) -> None:
        if tuple(self.sac.policy_hidden_sizes) != tuple(self.bc.hidden_sizes) or self.sac.activation != self.bc.activation:
            raise ConfigError(
                f"sac.policy_hidden_sizes {list(self.sac.policy_hidden_sizes)} and sac.activation '{self.sac.activation}' "
                f"must equal bc.hidden_sizes {list(self.bc.hidden_sizes)} and bc.activation '{self.bc.activation}', "
                "so the demos variant can start from the cloned policy"
            )
        grid = self.ppo.eval_every_steps
        if self.sac.num_timesteps % grid:
            raise ConfigError(f"sac.num_timesteps ({self.sac.num_timesteps}) must be a multiple of ppo.eval_every_steps ({grid}): one step grid for every learner")
        for variant in SAC_VARIANTS:
            envs = self.sac.for_variant(variant).num_envs
            if grid % envs:
                raise ConfigError(f"ppo.eval_every_steps ({grid}) must be a multiple of sac.num_envs ({envs}, variant {variant}), so SAC is scored on the same grid")

    def _check_adr(self) -> None:
        per_iteration = self.ppo.env_steps_per_training_step
        if self.adr.update_every_steps % per_iteration:
            raise ConfigError(
                f"adr.update_every_steps ({self.adr.update_every_steps}) must be a multiple of PPO's env steps per training step, "
                f"ppo.batch_size x ppo.num_minibatches x ppo.unroll_length = {per_iteration}"
            )
        if self.adr.reward_preset not in self.walker.reward.presets:
            raise ConfigError(f"adr.reward_preset: '{self.adr.reward_preset}' is not one of walker.reward.presets {sorted(self.walker.reward.presets)}")
        for name in (f.name for f in dataclasses.fields(AdrLimits)):
            start, limit = getattr(self.ppo.randomization, name), getattr(self.adr.limits, name)
            if not limit.low <= start.low <= start.high <= limit.high:
                raise ConfigError(
                    f"adr.limits.{name} [{limit.low}, {limit.high}] must contain ppo.randomization.{name} [{start.low}, {start.high}], where ADR starts"
                )


def params_from_dict(data: object) -> Params:
    """Validate a parsed params mapping into :class:`Params`."""
    return build(Params, data, "")


def load_params(path: str | Path = "params.yaml") -> Params:
    """Read and validate the main pipeline's params file; every problem raises :class:`ConfigError`."""
    return load(Params, path)
