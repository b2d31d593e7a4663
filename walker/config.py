"""Typed, validated configuration: one frozen dataclass per ``params.yaml`` block.

Every field carries a one-line ``doc`` and, where it matters, an allowed
``range`` (inclusive) or set of ``choices`` in its metadata. :func:`load_params`
rejects unknown keys, missing keys, wrong types and out-of-range values before
any computation, with a message that names the dotted key and what is allowed.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from pathlib import Path
from typing import Any, Mapping

import yaml

from walker.activations import ACTIVATIONS


class ConfigError(ValueError):
    """A params file or value that cannot be used; the message names the key or file."""


def _field(doc: str, *, range: tuple[float, float] | None = None, choices: tuple[str, ...] | None = None, default: Any = dataclasses.MISSING) -> Any:
    metadata = {"doc": doc, "range": range, "choices": choices}
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclasses.dataclass(frozen=True)
class Interval:
    """A closed interval [low, high] from which a quantity is drawn uniformly."""

    low: float = _field("lower bound")
    high: float = _field("upper bound")

    @property
    def width(self) -> float:
        return self.high - self.low


@dataclasses.dataclass(frozen=True)
class RewardWeights:
    """Weights of the named reward terms (see ``walker.passive.env.reward_terms``)."""

    forward: float = _field("weight of forward torso speed (m/s)", range=(0.0, 100.0))
    upright: float = _field("weight of the torso-height-above-fall-line term in [0, 1]", range=(0.0, 100.0))
    clearance: float = _field("weight of the highest foot's clearance in [0, 1]", range=(0.0, 100.0))
    actuator: float = _field("weight of the mean squared action cost", range=(0.0, 100.0))
    flight: float = _field("weight of the flight cost: 1 in every control step that ends with no foot on the ramp", range=(0.0, 100.0))


@dataclasses.dataclass(frozen=True)
class RewardConfig:
    """Which reward objective the environment optimises."""

    preset: str = _field("name of the preset in `presets` to use (e.g. walk, stand)")
    presets: dict[str, RewardWeights] = _field("named sets of reward weights")
    clearance_height: float = _field("foot height (m) that earns the full clearance term", range=(1e-3, 0.5))
    max_forward_speed: float = _field("the forward term rewards speed (m/s) up to this and no further", range=(0.1, 100.0))
    contact_height: float = _field("the flight term: a foot whose lowest point is below this height above the ramp (m) is on it", range=(0.0, 0.5))

    def __post_init__(self) -> None:
        if self.preset not in self.presets:
            raise ConfigError(f"walker.reward.preset: '{self.preset}' is not one of the presets {sorted(self.presets)}")

    @property
    def weights(self) -> RewardWeights:
        return self.presets[self.preset]


@dataclasses.dataclass(frozen=True)
class StartConfig:
    """Nominal start state (taken on the FSM's limit cycle) and its light randomisation."""

    pitch: float = _field("torso pitch = left leg angle (rad, positive = foot behind)", range=(-0.8, 0.8))
    hip: float = _field("hip angle = right leg relative to left (rad)", range=(-1.0, 1.0))
    qvel: tuple[float, float, float, float, float, float] = _field("joint velocities (rootx, rootz, pitch, knee_left, hip, knee_right)")
    angle_noise: float = _field("half-width of uniform noise on pitch and hip (rad)", range=(0.0, 0.2))
    velocity_noise: float = _field("half-width of uniform noise on each joint velocity", range=(0.0, 1.0))


@dataclasses.dataclass(frozen=True)
class ConditionRanges:
    """Ranges from which episode conditions are drawn uniformly (training randomisation or the robustness suite)."""

    slope_deg: Interval = _field("ramp slope (deg)")
    friction_scale: Interval = _field("multiplier on floor and foot sliding friction")
    torso_mass_scale: Interval = _field("multiplier on torso mass and inertia")
    push_impulse_ns: Interval = _field("horizontal push impulse on the torso (N s); [0, 0] disables")
    push_time_s: Interval = _field("time at which the push starts (s)")
    push_duration_s: float = _field("how long the push lasts (s)", range=(0.01, 1.0))


BRAX_PIPELINES = ("generalized", "positional", "spring")
"""Brax's own physics pipelines (``brax.<name>.pipeline``), compared with MJX in stage ``backends``."""


@dataclasses.dataclass(frozen=True)
class WalkerConfig:
    """The model and the task (block `walker`)."""

    model_file: str = _field("MJCF file of the walker, relative to the repository root")
    backend: str = _field("physics of the JAX env: mjx, or one of Brax's own pipelines (their model: backends.model_file; docs/backends.md)", choices=("mjx", *BRAX_PIPELINES))
    timestep: float = _field("physics timestep (s)", range=(1e-4, 0.01))
    control_hz: float = _field("control rate (Hz); must divide the physics rate", range=(50.0, 1000.0))
    slope_deg: float = _field("nominal ramp slope (deg), made by pitching gravity", range=(0.0, 30.0))
    solver: str = _field("constraint solver", choices=("newton", "cg"))
    solver_iterations: int = _field("main solver iterations per physics step", range=(1, 100))
    ls_iterations: int = _field("line-search iterations per solver iteration", range=(1, 100))
    episode_seconds: float = _field("episode length (s)", range=(0.1, 120.0))
    min_height: float = _field("torso height (m) below which the walker has fallen", range=(0.1, 1.3))
    max_pitch: float = _field("|torso pitch| (rad) above which the walker has fallen", range=(0.1, 3.2))
    start: StartConfig = _field("start state")
    reward: RewardConfig = _field("reward objective")
    randomization: ConditionRanges = _field("domain randomisation for training and demos")

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

    step_angle: float = _field("swing-leg placement angle ahead of the ramp normal at target speed (rad)", range=(0.0, 1.0))
    speed_gain: float = _field("extra placement angle per m/s above target speed (rad s/m)", range=(0.0, 2.0))
    target_speed: float = _field("speed at which placement equals step_angle (m/s)", range=(0.0, 5.0))
    min_step_angle: float = _field("lower clip of the placement angle (rad)", range=(0.0, 1.0))
    max_step_angle: float = _field("upper clip of the placement angle (rad)", range=(0.0, 1.0))
    switch_split: float = _field("swing leg must lead the stance leg by this much to count a touchdown (rad)", range=(0.0, 1.0))
    extend_split: float = _field("swing knee extends once its leg leads by this much (rad)", range=(0.0, 1.0))
    knee_retract: float = _field("knee retraction of the swing leg (m)", range=(0.0, 0.3))
    contact_height: float = _field("foot height (m) that counts as touching the ground", range=(0.0, 0.1))

    def __post_init__(self) -> None:
        if self.min_step_angle > self.max_step_angle:
            raise ConfigError(f"fsm.min_step_angle ({self.min_step_angle}) must not exceed fsm.max_step_angle ({self.max_step_angle})")


@dataclasses.dataclass(frozen=True)
class DemosConfig:
    """FSM demonstrations (block `demos`)."""

    episodes: int = _field("domain-randomised FSM episodes to record", range=(1, 1_000_000))
    seed: int = _field("PRNG seed for starts and conditions", range=(0, 2**31 - 1))


@dataclasses.dataclass(frozen=True)
class SweepConfig:
    """One-factor sweeps: every other condition nominal (block `evaluate.sweeps`)."""

    slope_deg: tuple[float, ...] = _field("slopes (deg) of the slope sweep; nominal friction and mass, no push", range=(0.0, 30.0))
    push_impulse_ns: tuple[float, ...] = _field(
        "push impulses (N s) of the push sweep on the nominal slope; push times drawn from evaluate.suite.push_time_s", range=(-100.0, 100.0)
    )
    cases_per_point: int = _field("episodes per sweep point (different starts)", range=(1, 100_000))


@dataclasses.dataclass(frozen=True)
class EnvelopeMapConfig:
    """The two-factor map: success on a grid of slope x push, every other condition nominal (block `evaluate.envelope_map`)."""

    slope_deg: tuple[float, ...] = _field("slopes (deg) of the map's rows", range=(0.0, 30.0))
    push_impulse_ns: tuple[float, ...] = _field("push impulses (N s) of the map's columns; push times drawn from evaluate.suite.push_time_s", range=(-100.0, 100.0))
    cases_per_point: int = _field("episodes per cell (different starts)", range=(1, 100_000))
    groups: tuple[str, ...] = _field("policy groups whose best run (by suite walking) is mapped", choices=("fsm", "bc", "ppo_bc", "ppo_scratch", "ppo_wide"))


SWEEP_QUANTITIES = ("slope_deg", "push_impulse_ns")
"""The fields of :class:`SweepConfig` that are sweeps (the evaluate stage runs each, the report plots each)."""


@dataclasses.dataclass(frozen=True)
class SteadyCriterion:
    """A sustained gait: speed no longer changing at the end of the episode (block `evaluate.steady`)."""

    window_s: float = _field("length (s) of each of the last two windows whose mean speeds are compared", range=(0.1, 60.0))
    max_speed_change: float = _field("largest allowed change of mean speed from the second-last window to the last, as a fraction of the former", range=(0.0, 10.0))


@dataclasses.dataclass(frozen=True)
class GaitCriterion:
    """What counts as walking, beyond not falling (block `evaluate.gait`; reasons in docs/protocol.md)."""

    contact_height: float = _field("a foot whose lowest point is below this height above the ramp (m) is on the ground", range=(0.0, 0.5))
    min_alternations_hz: float = _field("fewest stance-leg alternations per second (a touchdown of the other foot than the last one)", range=(0.0, 100.0))
    max_flight_fraction: float = _field("largest fraction of the episode with no foot on the ground", range=(0.0, 1.0))
    max_stance_slip_mps: float = _field("largest mean speed (m/s) of a foot along the ramp while it stays on the ground", range=(0.0, 100.0))
    min_step_length_m: float = _field("shortest mean step (m): from one foot's touchdown to the other's next", range=(0.0, 10.0))


@dataclasses.dataclass(frozen=True)
class EvaluateConfig:
    """Evaluation protocol: success criterion and robustness suite (block `evaluate`)."""

    seed: int = _field("PRNG seed of the nominal set and the robustness suite, so every policy meets the same cases", range=(0, 2**31 - 1))
    nominal_cases: int = _field("lightly randomised starts in the nominal set", range=(1, 1_000_000))
    suite_cases: int = _field("number of robustness-suite cases", range=(1, 1_000_000))
    episode_seconds: float = _field("evaluation episode length (s); longer than training's walker.episode_seconds, so a gait must last", range=(0.1, 3600.0))
    min_speed_mps: float = _field("average forward speed (m/s) needed for success", range=(0.0, 10.0))
    success_threshold: float = _field("suite success (and walking success) a PPO run must reach to count as trained: steps to it are the race", range=(0.0, 1.0))
    steady: SteadyCriterion = _field("success also needs a steady speed at the end of the episode")
    gait: GaitCriterion = _field("the walking criterion: walking success = success and this")
    suite: ConditionRanges = _field("robustness-suite ranges")
    rollout_batch: int = _field("episodes simulated at once in batched MJX rollouts", range=(1, 65536))
    rollout_devices: int = _field("XLA devices a rollout batch is split over (one per CPU core up to this many); fixed, so a host with more cores computes the same bits", range=(1, 4096))
    sweeps: SweepConfig = _field("one-factor robustness sweeps of the evaluate stage (success against slope and push)")
    envelope_map: EnvelopeMapConfig = _field("two-factor map (slope x push) of the evaluate stage for the best policies")
    native_workers: int = _field("processes for the native-MuJoCo transfer check (the evaluate stage)", range=(1, 256))

    def __post_init__(self) -> None:
        if self.rollout_batch % self.rollout_devices:
            raise ConfigError(f"evaluate.rollout_batch ({self.rollout_batch}) must be a multiple of evaluate.rollout_devices ({self.rollout_devices})")


@dataclasses.dataclass(frozen=True)
class ReportConfig:
    """Videos and keyframe export of the report stage (block `report`)."""

    video_width: int = _field("video width (pixels)", range=(16, 4096))
    video_height: int = _field("video height (pixels)", range=(16, 4096))
    video_fps: int = _field("video frame rate (frames per simulated second); must divide walker.control_hz", range=(1, 1000))
    video_seconds: float = _field("simulated seconds per video", range=(0.1, 120.0))
    video_push_ns: float = _field("impulse (N s) of the pushed videos' push, forward along the ramp if positive", range=(-100.0, 100.0))
    video_push_time_s: float = _field("when the pushed videos' push starts (s)", range=(0.0, 120.0))
    keyframe_hz: float = _field("keyframes per simulated second in the MJCF export; must divide walker.control_hz", range=(0.1, 1000.0))




@dataclasses.dataclass(frozen=True)
class FitConfig:
    """How an MLP is fitted by minibatch regression (walker.bc.fit): shared by blocks `bc` and `critic`."""

    loss: str = _field("regression loss", choices=("mse", "huber", "l1"))
    huber_delta: float = _field("where the huber loss turns from quadratic to linear", range=(1e-4, 100.0))
    learning_rate: float = _field("peak Adam learning rate", range=(1e-6, 1.0))
    lr_schedule: str = _field("learning-rate schedule over each training phase", choices=("constant", "cosine"))
    weight_decay: float = _field("decoupled weight decay (AdamW)", range=(0.0, 1.0))
    batch_size: int = _field("minibatch size (samples)", range=(1, 1_000_000))
    early_stopping_patience: int = _field("stop after this many epochs without a better validation loss and keep the best; 0 = run every epoch", range=(0, 100_000))
    val_fraction: float = _field("fraction of episodes held out for validation (split by episode)", range=(0.01, 0.9))
    seed: int = _field("PRNG seed for initialisation, split and shuffling", range=(0, 2**31 - 1))


@dataclasses.dataclass(frozen=True)
class BcConfig(FitConfig):
    """Behaviour cloning of the FSM expert, with optional DAgger rounds (block `bc`); the loss compares the squashed
    output with the expert's action, and the seed also seeds the DAgger starts."""

    hidden_sizes: tuple[int, ...] = _field("hidden layer widths of the MLP policy", range=(1, 4096))
    activation: str = _field("activation after each hidden layer", choices=ACTIVATIONS)
    action_limit: float = _field("expert actions are clipped to +-this before fitting, so tanh targets stay finite", range=(0.5, 0.9999))
    epochs: int = _field("epochs of the initial fit on the expert demos", range=(1, 100_000))
    dagger_rounds: int = _field("DAgger rounds after the initial fit (0 = plain behaviour cloning)", range=(0, 1000))
    dagger_episodes: int = _field("learner episodes labelled by the FSM per DAgger round", range=(1, 1_000_000))
    dagger_epochs: int = _field("training epochs on the aggregated data after each DAgger round", range=(1, 100_000))


@dataclasses.dataclass(frozen=True)
class CriticConfig(FitConfig):
    """The offline critic: the clone's value regressed on the demos' and DAgger's returns (block `critic`).

    Its shape, activation, discount and reward scaling are PPO's (``ppo.value_hidden_sizes``,
    ``ppo.activation``, ``ppo.discounting``, ``ppo.reward_scaling``), so PPO can start from it.
    """

    epochs: int = _field("passes over the steps", range=(1, 100_000))
    tail_window: int = _field("an episode cut off by the time limit continues with the mean reward of its last this many steps", range=(1, 100_000))


PPO_VARIANTS = ("bc", "scratch")
"""The PPO stage's variants: actor and normaliser from the cloned policy, or fresh (the baseline)."""


@dataclasses.dataclass(frozen=True)
class PpoConfig:
    """Brax PPO, shared by the `bc` and `scratch` variants (block `ppo`)."""

    num_timesteps: int = _field("env steps per run, the critic warm-up included (a multiple of eval_every_steps)", range=(0, 10**10))
    eval_every_steps: int = _field("both variants are scored on the suite at every multiple of this many env steps, 0 included", range=(1, 10**10))
    num_envs: int = _field("parallel training environments (every episode draws a fresh start, push and condition)", range=(1, 65536))
    batch_size: int = _field("environments per minibatch", range=(1, 65536))
    num_minibatches: int = _field("minibatches per training step", range=(1, 1024))
    unroll_length: int = _field("control steps collected per environment before each update", range=(1, 10000))
    num_updates_per_batch: int = _field("passes over each batch of experience", range=(1, 100))
    learning_rate: float = _field("Adam learning rate", range=(1e-9, 1.0))
    entropy_cost: float = _field("weight of the entropy bonus", range=(0.0, 10.0))
    discounting: float = _field("discount factor per control step", range=(0.0, 1.0))
    gae_lambda: float = _field("GAE lambda", range=(0.0, 1.0))
    clipping_epsilon: float = _field("PPO ratio clipping", range=(0.0, 10.0))
    reward_scaling: float = _field("multiplier on rewards during training", range=(1e-6, 1e6))
    max_grad_norm: float = _field("gradient clipping by global norm", range=(1e-6, 1e6))
    policy_hidden_sizes: tuple[int, ...] = _field("actor hidden widths; must equal bc.hidden_sizes so `bc` can seed it", range=(1, 4096))
    value_hidden_sizes: tuple[int, ...] = _field("critic hidden widths", range=(1, 4096))
    activation: str = _field("activation of actor and critic; must equal bc.activation", choices=ACTIVATIONS)
    init_action_std: float = _field("initial exploration std (pre-tanh) of the BC-seeded actor", range=(0.002, 5.0))
    randomization: ConditionRanges = _field("training-time domain randomisation for PPO (condition, push and start drawn afresh every episode)")
    critic_init: str = _field("bc variant: the critic starts from the offline regression (stage `critic`) or fresh", choices=("offline", "fresh"))
    critic_warmup_steps: int = _field("bc variant: env steps training only the critic under the frozen cloned actor (counted in num_timesteps); 0 = none", range=(0, 10**10))
    devices: int = _field("XLA devices PPO spreads its environments over (one per CPU core up to this many); fixed, so a host with more cores computes the same bits", range=(1, 4096))
    bc_coef: float = _field("bc variant: weight of a behaviour-cloning term (squared distance to the clone's action) in the policy loss; 0 = off", range=(0.0, 1e6))
    bc_anneal_steps: int = _field("bc variant: env steps over which bc_coef falls linearly to zero", range=(1, 10**10))
    bc_normalizer_count: int = _field("observations the BC normaliser counts as; large keeps it nearly fixed under PPO's updates", range=(1, 2**40))
    variant_overrides: dict[str, dict[str, float]] = _field(
        "per variant (bc, scratch), settings of this block that differ for it, e.g. {scratch: {learning_rate: 0.0003}}", default=None
    )

    def __post_init__(self) -> None:
        overrides = self.variant_overrides or {}
        for variant, changes in overrides.items():
            if variant not in PPO_VARIANTS:
                raise ConfigError(f"ppo.variant_overrides.{variant}: unknown variant; choose from {list(PPO_VARIANTS)}")
            for key in changes:
                if key not in PPO_OVERRIDABLE:
                    raise ConfigError(f"ppo.variant_overrides.{variant}.{key}: cannot differ per variant; allowed keys: {list(PPO_OVERRIDABLE)}")
        if self.critic_warmup_steps >= self.num_timesteps > 0:
            raise ConfigError(f"ppo.critic_warmup_steps ({self.critic_warmup_steps}) must be below ppo.num_timesteps ({self.num_timesteps})")
        for key in ("num_envs", "batch_size"):
            if getattr(self, key) % self.devices:
                raise ConfigError(f"ppo.{key} ({getattr(self, key)}) must be a multiple of ppo.devices ({self.devices}): each device gets an equal share")
        if (self.batch_size * self.num_minibatches) % self.num_envs:
            raise ConfigError(
                f"ppo.batch_size x ppo.num_minibatches ({self.batch_size} x {self.num_minibatches}) must be a multiple of ppo.num_envs ({self.num_envs})"
            )
        per_iteration = self.env_steps_per_training_step
        if self.eval_every_steps % per_iteration:
            raise ConfigError(
                f"ppo.eval_every_steps ({self.eval_every_steps}) must be a multiple of the env steps per training step, ppo.batch_size x "
                f"ppo.num_minibatches x ppo.unroll_length = {per_iteration}, so every run is scored on the same step grid"
            )
        for key in ("num_timesteps", "critic_warmup_steps"):
            if getattr(self, key) % self.eval_every_steps:
                raise ConfigError(f"ppo.{key} ({getattr(self, key)}) must be a multiple of ppo.eval_every_steps ({self.eval_every_steps})")

    @property
    def env_steps_per_training_step(self) -> int:
        """Env steps Brax PPO collects per training step (``batch_size * num_minibatches * unroll_length``)."""
        return self.batch_size * self.num_minibatches * self.unroll_length

    def for_variant(self, variant: str) -> "PpoConfig":
        """This block with ``variant_overrides[variant]`` applied (and checked again); raises ConfigError for an unknown variant."""
        if variant not in PPO_VARIANTS:
            raise ConfigError(f"unknown PPO variant '{variant}'; choose one of {list(PPO_VARIANTS)}")
        changes = dict((self.variant_overrides or {}).get(variant, {}))
        if not changes:
            return self
        fields = {f.name: f for f in dataclasses.fields(self)}
        hints = typing.get_type_hints(PpoConfig)
        typed = {}
        for key, value in changes.items():
            where = f"ppo.variant_overrides.{variant}.{key}"
            if hints[key] is int:
                if not float(value).is_integer():
                    raise ConfigError(f"{where}: expected an integer, got {value}")
                value = int(value)
            typed[key] = _convert(value, hints[key], where, fields[key].metadata)
        try:
            return dataclasses.replace(self, **typed)
        except ConfigError as err:
            raise ConfigError(f"ppo.variant_overrides.{variant}: {err}") from err


PPO_OVERRIDABLE = (
    "learning_rate", "entropy_cost", "batch_size", "num_minibatches", "unroll_length", "num_updates_per_batch", "discounting",
    "gae_lambda", "clipping_epsilon", "reward_scaling", "max_grad_norm", "num_envs",
)
"""The ``ppo`` settings a variant may set for itself (``ppo.variant_overrides``): optimisation, not the network or the budget."""


@dataclasses.dataclass(frozen=True)
class AdrFactors:
    """One number per factor that ADR moves (block `adr.step`)."""

    slope_deg: float = _field("ramp slope (deg)", range=(0.0, 30.0))
    push_impulse_ns: float = _field("push impulse (N s)", range=(0.0, 100.0))
    friction_scale: float = _field("friction multiplier", range=(0.0, 5.0))
    torso_mass_scale: float = _field("torso mass multiplier", range=(0.0, 10.0))


@dataclasses.dataclass(frozen=True)
class AdrLimits:
    """How far ADR may widen each factor's training range (block `adr.limits`)."""

    slope_deg: Interval = _field("ramp slope (deg)")
    push_impulse_ns: Interval = _field("push impulse (N s)")
    friction_scale: Interval = _field("friction multiplier")
    torso_mass_scale: Interval = _field("torso mass multiplier")


@dataclasses.dataclass(frozen=True)
class AdrConfig:
    """Stage `ppo_wide@<seed>`: PPO from the BC-seeded PPO policy under automatic domain randomisation (block `adr`).

    The ranges start at ``ppo.randomization`` (the box PPO from BC trained in) and move between
    ``limits`` by ``step``; every other PPO setting is block ``ppo``'s for the bc variant.
    """

    num_timesteps: int = _field("env steps of each run (a multiple of update_every_steps)", range=(1, 10**10))
    update_every_steps: int = _field("env steps between range updates (a multiple of PPO's env steps per training step)", range=(1, 10**10))
    boundary_cases: int = _field("episodes per boundary and update (8 boundaries: 4 factors x low, high), of evaluate.episode_seconds", range=(1, 100_000))
    upper: float = _field("a boundary whose walking success is at least this moves outward", range=(0.0, 1.0))
    lower: float = _field("a boundary whose walking success is below this moves inward (never inside ppo.randomization)", range=(0.0, 1.0))
    step: AdrFactors = _field("how far a boundary moves per update")
    limits: AdrLimits = _field("hard limits of the training ranges")
    bc_coef: float = _field("weight of the squared distance to the starting policy's action in the policy loss, annealed over ppo.bc_anneal_steps; 0 = off", range=(0.0, 1e6))
    reward_preset: str = _field("the reward preset (walker.reward.presets) the wide runs train on")

    def __post_init__(self) -> None:
        if self.lower > self.upper:
            raise ConfigError(f"adr.lower ({self.lower}) must not exceed adr.upper ({self.upper})")
        if self.num_timesteps % self.update_every_steps:
            raise ConfigError(f"adr.num_timesteps ({self.num_timesteps}) must be a multiple of adr.update_every_steps ({self.update_every_steps})")


@dataclasses.dataclass(frozen=True)
class SolverSetting:
    """One constraint-solver setting of MuJoCo and MJX."""

    solver: str = _field("constraint solver", choices=("newton", "cg"))
    iterations: int = _field("main solver iterations per physics step", range=(1, 1000))
    ls_iterations: int = _field("line-search iterations per solver iteration", range=(1, 1000))


@dataclasses.dataclass(frozen=True)
class BenchConfig:
    """Throughput benchmarks and the solver table (block `bench`; stages `bench` and `solvers`)."""

    batch_sizes: tuple[int, ...] = _field("MJX batch sizes (environments stepped at once)", range=(1, 1_000_000))
    physics_steps: int = _field("physics steps per timed call", range=(1, 100_000))
    gait_episodes: int = _field("recorded FSM episodes (start states and controls) that every batch cycles through", range=(1, 100_000))
    repeats: int = _field("timed calls per measurement after the first (compiling) one; the best counts", range=(1, 100))
    native_threads: int = _field("threads of the native mujoco.rollout; 0 = every core", range=(0, 4096))
    ppo_env_steps: int = _field("env steps of the PPO throughput run (three training epochs; the last is timed)", range=(1, 10**9))
    solvers: dict[str, SolverSetting] = _field("named solver settings compared in results/solvers.md")
    reference_solver: SolverSetting = _field("the converged native-MuJoCo solver that drift is measured against")
    solver_batch: int = _field("MJX batch size of the solver table's throughput column", range=(1, 1_000_000))
    drift_seconds: float = _field("simulated seconds of FSM gait over which drift is measured", range=(0.01, 60.0))
    drift_cases: int = _field("FSM episodes (nominal starts) the drift is averaged over", range=(1, 10_000))


@dataclasses.dataclass(frozen=True)
class NetworkSize:
    """Actor and critic widths of one capacity-sweep run."""

    policy_hidden_sizes: tuple[int, ...] = _field("actor hidden widths", range=(1, 8192))
    value_hidden_sizes: tuple[int, ...] = _field("critic hidden widths", range=(1, 8192))


@dataclasses.dataclass(frozen=True)
class CapacityConfig:
    """The capacity sweep: PPO from scratch at several network sizes (block `capacity`, pipeline capacity/dvc.yaml)."""

    networks: dict[str, NetworkSize] = _field("named network sizes, one PPO run each")
    num_timesteps: int = _field("env steps per run (the rest of the PPO settings come from block `ppo`)", range=(1, 10**10))
    seed: int = _field("PPO seed of every run", range=(0, 2**31 - 1))


@dataclasses.dataclass(frozen=True)
class PeerConfig:
    """The peer pipeline, peer/dvc.yaml: Stable-Baselines3 PPO with its defaults (block `peer`); budget, step grid and
    randomisation come from block `ppo`."""

    num_envs: int = _field("SB3's vectorised envs (its examples' 8)", range=(1, 1024))
    seeds: tuple[int, ...] = _field("one SB3 run per seed", range=(0, 2**31 - 1))


GRADIENT_METHODS = ("autodiff", "autodiff_more_iterations", "autodiff_reverse", "finite_difference", "zeroth_order")
"""How stage ``gradients`` differentiates a rollout (walker.gradients); ``zeroth_order`` is the reference the others are scored against."""

APG_METHODS = ("autodiff", "finite_difference")
"""How the APG runs differentiate the physics step (stage ``apg``): reverse mode through MJX's solver at one iteration
(the only setting MJX can reverse-differentiate), or the finite-difference VJP around the step at ``walker``'s solver."""


@dataclasses.dataclass(frozen=True)
class BackendPipeline:
    """One Brax pipeline of the backend table."""

    timestep: float = _field("its physics timestep (s); must divide the control step 1/walker.control_hz", range=(1e-4, 0.01))
    solver_iterations: int = _field("iterations of its constraint solver (generalized's projected gradient; positional and spring have none)", range=(1, 1000))


@dataclasses.dataclass(frozen=True)
class BackendsConfig:
    """The backend table, stage `backends` (block `backends`, pipeline physics/dvc.yaml): the walker on Brax's own
    pipelines next to MJX. Throughput uses ``bench.physics_steps`` and ``bench.repeats``; drift ``bench.drift_seconds``
    and ``bench.drift_cases``."""

    model_file: str = _field("the walker's MJCF rewritten so Brax's pipelines can represent it (docs/backends.md), relative to the repository root")
    pipelines: dict[str, BackendPipeline] = _field(f"the Brax pipelines to run, by name ({', '.join(BRAX_PIPELINES)})")
    batch_sizes: tuple[int, ...] = _field("batch sizes of the throughput columns", range=(1, 1_000_000))
    episodes: int = _field("episodes per evaluation set (nominal, suite) for the FSM and the PPO policy on each backend", range=(1, 100_000))
    train_pipeline: str = _field("the pipeline of the short PPO run (from the BC clone, block ppo's bc settings), or 'none'")
    train_env_steps: int = _field("env steps of that run (a multiple of ppo.eval_every_steps)", range=(1, 10**10))

    def __post_init__(self) -> None:
        for name in self.pipelines:
            if name not in BRAX_PIPELINES:
                raise ConfigError(f"backends.pipelines.{name}: not a Brax pipeline; choose from {list(BRAX_PIPELINES)}")
        if self.train_pipeline != "none" and self.train_pipeline not in self.pipelines:
            raise ConfigError(f"backends.train_pipeline: '{self.train_pipeline}' is not in backends.pipelines {sorted(self.pipelines)} (or 'none')")


@dataclasses.dataclass(frozen=True)
class GradientsConfig:
    """The gradient study, stage `gradients` (block `gradients`, pipeline physics/dvc.yaml): the gradient of the
    distance the BC clone walks in H control steps, with respect to its parameters and to the start state."""

    horizons: tuple[int, ...] = _field("horizons H (control steps) of the objective, short to beyond a stride", range=(1, 10_000))
    start_states: int = _field("start states (the nominal set's first ones) each gradient is taken at", range=(1, 10_000))
    spread_seeds: int = _field("nudged copies of each start state; the spread of a method's gradient over them is its variance", range=(2, 10_000))
    spread_scale: float = _field("std of the nudge added to the start velocities (m/s, rad/s)", range=(0.0, 1.0))
    policy_directions: int = _field("random orthonormal directions in the clone's parameter space the parameter gradient is projected on", range=(1, 10_000))
    fd_step: float = _field("central-difference step of the finite-difference VJP, in each input's units", range=(1e-8, 1.0))
    zo_samples: int = _field("antithetic sample pairs of the zeroth-order (Gaussian-smoothing) reference", range=(1, 10**7))
    zo_sigma: float = _field("smoothing std of the zeroth-order reference, in each input's units", range=(1e-8, 1.0))
    more_iterations: SolverSetting = _field("the solver of the autodiff_more_iterations method (autodiff runs walker's solver, autodiff_reverse one iteration)")
    seed: int = _field("seed of the directions, nudges and zeroth-order samples", range=(0, 2**31 - 1))


@dataclasses.dataclass(frozen=True)
class ApgConfig:
    """Brax's analytic policy gradient on the walker, stage `apg@<method>` (block `apg`, pipeline physics/dvc.yaml),
    compared with PPO from scratch at equal wall clock (see APG_METHODS). Finite differences use ``gradients.fd_step``."""

    methods: tuple[str, ...] = _field("how the physics step is differentiated, one run each", choices=APG_METHODS)
    horizon_length: int = _field("control steps differentiated through per policy update", range=(1, 10_000))
    episode_length: int = _field("control steps per episode (the env resets after)", range=(1, 100_000))
    num_envs: int = _field("parallel environments per update", range=(1, 65536))
    policy_updates: int = _field("policy updates per run", range=(1, 10**7))
    learning_rate: float = _field("Adam learning rate", range=(1e-9, 1.0))
    max_gradient_norm: float = _field("gradient clipping by global norm", range=(1e-6, 1e9))
    hidden_sizes: tuple[int, ...] = _field("policy hidden widths", range=(1, 4096))
    seed: int = _field("training seed", range=(0, 2**31 - 1))


@dataclasses.dataclass(frozen=True)
class Params:
    """The whole ``params.yaml``."""

    walker: WalkerConfig = _field("model and task")
    fsm: FsmConfig = _field("FSM expert")
    demos: DemosConfig = _field("demonstration stage")
    evaluate: EvaluateConfig = _field("evaluation protocol")
    bc: BcConfig = _field("behaviour cloning stage")
    critic: CriticConfig = _field("offline critic stage")
    ppo: PpoConfig = _field("PPO stages")
    adr: AdrConfig = _field("wide PPO stages: automatic domain randomisation from the BC-seeded PPO policies")
    seeds: tuple[int, ...] = _field("training seeds (one PPO run per variant and seed)", range=(0, 2**31 - 1))
    report: ReportConfig = _field("report stage: videos and keyframes")
    bench: BenchConfig = _field("benchmarks and the solver table")
    capacity: CapacityConfig = _field("capacity sweep (a separate pipeline: capacity/dvc.yaml)")
    peer: PeerConfig = _field("peer pipeline: Stable-Baselines3 PPO on our gymnasium env (peer/dvc.yaml)")
    backends: BackendsConfig = _field("backend table: Brax's own physics pipelines (physics/dvc.yaml)")
    gradients: GradientsConfig = _field("gradient study through contact (physics/dvc.yaml)")
    apg: ApgConfig = _field("analytic policy gradient runs (physics/dvc.yaml)")

    def __post_init__(self) -> None:
        if tuple(self.ppo.policy_hidden_sizes) != tuple(self.bc.hidden_sizes) or self.ppo.activation != self.bc.activation:
            raise ConfigError(
                f"ppo.policy_hidden_sizes {list(self.ppo.policy_hidden_sizes)} and ppo.activation '{self.ppo.activation}' "
                f"must equal bc.hidden_sizes {list(self.bc.hidden_sizes)} and bc.activation '{self.bc.activation}', "
                "so the bc variant can start from the cloned policy"
            )
        self._check_adr()
        self._check_physics()
        if len(set(self.seeds)) != len(self.seeds):
            raise ConfigError(f"seeds: {list(self.seeds)} has duplicates")
        for key, rate in (("report.video_fps", self.report.video_fps), ("report.keyframe_hz", self.report.keyframe_hz)):
            ratio = self.walker.control_hz / rate
            if abs(ratio - round(ratio)) > 1e-6:
                raise ConfigError(f"{key}: {rate:g} must divide walker.control_hz = {self.walker.control_hz:g}")

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


    def _check_physics(self) -> None:
        for name, pipeline in self.backends.pipelines.items():
            ratio = self.walker.control_dt / pipeline.timestep
            if abs(ratio - round(ratio)) > 1e-6:
                raise ConfigError(
                    f"backends.pipelines.{name}.timestep: {pipeline.timestep:g} s must divide the control step 1/walker.control_hz = {self.walker.control_dt:g} s"
                )
        if self.backends.train_env_steps % self.ppo.eval_every_steps:
            raise ConfigError(f"backends.train_env_steps ({self.backends.train_env_steps}) must be a multiple of ppo.eval_every_steps ({self.ppo.eval_every_steps})")
        if self.apg.episode_length % self.apg.horizon_length:
            raise ConfigError(f"apg.episode_length ({self.apg.episode_length}) must be a multiple of apg.horizon_length ({self.apg.horizon_length})")
        if len(set(self.apg.methods)) != len(self.apg.methods):
            raise ConfigError(f"apg.methods: {list(self.apg.methods)} has duplicates")


_INTERVAL_LIMITS: dict[str, tuple[float, float]] = {
    "slope_deg": (0.0, 30.0),
    "friction_scale": (0.05, 5.0),
    "torso_mass_scale": (0.1, 10.0),
    "push_impulse_ns": (-100.0, 100.0),
    "push_time_s": (0.0, 120.0),
}


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp))


def _convert(value: Any, tp: Any, key: str, meta: Mapping[str, Any]) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if tp is Interval:
            return _interval(value, key)
        return _build(tp, value, key)
    if origin is dict:
        _, value_tp = typing.get_args(tp)
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping, got {value!r}")
        return {str(k): _convert(v, value_tp, f"{key}.{k}", {}) for k, v in value.items()}
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key}: expected a list, got {type(value).__name__} {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            if not value:
                raise ConfigError(f"{key}: expected a non-empty list")
            return tuple(_convert(v, args[0], f"{key}[{i}]", meta) for i, v in enumerate(value))
        if len(value) != len(args):
            raise ConfigError(f"{key}: expected a list of {len(args)} values, got {len(value)}")
        return tuple(_convert(v, a, f"{key}[{i}]", meta) for i, (v, a) in enumerate(zip(value, args)))
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key}: expected a number, got {type(value).__name__} {value!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ConfigError(f"{key}: must be finite, got {value}")
    elif tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {type(value).__name__} {value!r}")
    elif tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {type(value).__name__} {value!r}")
    else:  # pragma: no cover - a programming error in this module
        raise TypeError(f"unsupported config type {tp} for {key}")
    lo_hi = meta.get("range")
    if lo_hi is not None and not (lo_hi[0] <= value <= lo_hi[1]):
        raise ConfigError(f"{key}: {value} is out of range; allowed [{lo_hi[0]}, {lo_hi[1]}]")
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        raise ConfigError(f"{key}: '{value}' is not allowed; choose one of {list(choices)}")
    return value


def _interval(value: Any, key: str) -> Interval:
    if not (isinstance(value, (list, tuple)) and len(value) == 2):
        raise ConfigError(f"{key}: expected a range [low, high], got {value!r}")
    low, high = (_convert(v, float, f"{key}[{i}]", {}) for i, v in enumerate(value))
    if low > high:
        raise ConfigError(f"{key}: low {low} exceeds high {high}")
    limits = _INTERVAL_LIMITS.get(key.rsplit(".", 1)[-1])
    if limits is not None and (low < limits[0] or high > limits[1]):
        raise ConfigError(f"{key}: [{low}, {high}] is out of range; allowed within [{limits[0]}, {limits[1]}]")
    return Interval(low, high)


def _build(cls: type, data: Any, prefix: str) -> Any:
    where = prefix or "params"
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(data).__name__} {data!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        names = ", ".join(f"{prefix + '.' if prefix else ''}{k}" for k in unknown)
        raise ConfigError(f"unknown key {names}; allowed keys: {sorted(fields)}")
    kwargs = {}
    for name, f in fields.items():
        key = f"{prefix}.{name}" if prefix else name
        if name not in data:
            if f.default is not dataclasses.MISSING:
                continue
            raise ConfigError(f"missing key {key} ({f.metadata.get('doc', '')})")
        kwargs[name] = _convert(data[name], hints[name], key, f.metadata)
    try:
        return cls(**kwargs)
    except ConfigError:
        raise
    except (TypeError, ValueError) as err:  # pragma: no cover
        raise ConfigError(f"{where}: {err}") from err


def params_from_dict(data: Any) -> Params:
    """Validate a parsed params mapping into :class:`Params`."""
    return _build(Params, data, "")


def load_params(path: str | Path = "params.yaml") -> Params:
    """Read and validate a params file; every problem raises :class:`ConfigError`."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"params file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML: {err}") from err
    try:
        return params_from_dict(data)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from err


def describe(cls: type, prefix: str = "") -> list[str]:
    """One line per field: dotted key, type and docstring (for `walker info` and docs)."""
    lines = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}.{f.name}" if prefix else f.name
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp) and tp is not Interval:
            lines += describe(tp, key)
        else:
            lines.append(f"{key}: {f.metadata.get('doc', '')}")
    return lines
