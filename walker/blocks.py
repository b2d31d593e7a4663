"""The params blocks every body's pipeline shares: the randomisation ranges, the evaluation protocol and
its criteria, the report, behaviour cloning, the offline critic, PPO, ADR and the solver settings.

A body's own blocks live with the body (``walker/passive/config.py``); the loader is :mod:`walker.config`.
"""

from __future__ import annotations

import dataclasses
import typing

from walker.activations import ACTIVATIONS
from walker.config import ConfigError, Interval, convert, field


@dataclasses.dataclass(frozen=True)
class ConditionRanges:
    """Ranges from which episode conditions are drawn uniformly (training randomisation or the robustness suite)."""

    slope_deg: Interval = field("ramp slope (deg)")
    friction_scale: Interval = field("multiplier on floor and foot sliding friction")
    torso_mass_scale: Interval = field("multiplier on torso mass and inertia")
    push_impulse_ns: Interval = field("horizontal push impulse on the torso (N s); [0, 0] disables")
    push_time_s: Interval = field("time at which the push starts (s)")
    push_duration_s: float = field("how long the push lasts (s)", range=(0.01, 1.0))


@dataclasses.dataclass(frozen=True)
class DemosConfig:
    """FSM demonstrations (block `demos`)."""

    episodes: int = field("domain-randomised FSM episodes to record", range=(1, 1_000_000))
    seed: int = field("PRNG seed for starts and conditions", range=(0, 2**31 - 1))


@dataclasses.dataclass(frozen=True)
class SweepConfig:
    """One-factor sweeps: every other condition nominal (block `evaluate.sweeps`)."""

    slope_deg: tuple[float, ...] = field("slopes (deg) of the slope sweep; nominal friction and mass, no push", range=(0.0, 30.0))
    push_impulse_ns: tuple[float, ...] = field(
        "push impulses (N s) of the push sweep on the nominal slope; push times drawn from evaluate.suite.push_time_s", range=(-100.0, 100.0)
    )
    cases_per_point: int = field("episodes per sweep point (different starts)", range=(1, 100_000))


@dataclasses.dataclass(frozen=True)
class EnvelopeMapConfig:
    """The two-factor map: success on a grid of slope x push, every other condition nominal (block `evaluate.envelope_map`)."""

    slope_deg: tuple[float, ...] = field("slopes (deg) of the map's rows", range=(0.0, 30.0))
    push_impulse_ns: tuple[float, ...] = field("push impulses (N s) of the map's columns; push times drawn from evaluate.suite.push_time_s", range=(-100.0, 100.0))
    cases_per_point: int = field("episodes per cell (different starts)", range=(1, 100_000))
    groups: tuple[str, ...] = field("policy groups whose best run (by suite walking) is mapped", choices=("fsm", "bc", "ppo_bc", "ppo_scratch", "ppo_wide"))


SWEEP_QUANTITIES = ("slope_deg", "push_impulse_ns")
"""The fields of :class:`SweepConfig` that are sweeps (the evaluate stage runs each, the report plots each)."""


@dataclasses.dataclass(frozen=True)
class SteadyCriterion:
    """A sustained gait: speed no longer changing at the end of the episode (block `evaluate.steady`)."""

    window_s: float = field("length (s) of each of the last two windows whose mean speeds are compared", range=(0.1, 60.0))
    max_speed_change: float = field("largest allowed change of mean speed from the second-last window to the last, as a fraction of the former", range=(0.0, 10.0))


@dataclasses.dataclass(frozen=True)
class GaitCriterion:
    """What counts as walking, beyond not falling (block `evaluate.gait`; reasons in docs/protocol.md)."""

    contact_height: float = field("a foot whose lowest point is below this height above the ramp (m) is on the ground", range=(0.0, 0.5))
    min_alternations_hz: float = field("fewest stance-leg alternations per second (a touchdown of the other foot than the last one)", range=(0.0, 100.0))
    max_flight_fraction: float = field("largest fraction of the episode with no foot on the ground", range=(0.0, 1.0))
    max_stance_slip_mps: float = field("largest mean speed (m/s) of a foot along the ramp while it stays on the ground", range=(0.0, 100.0))
    min_step_length_m: float = field("shortest mean step (m): from one foot's touchdown to the other's next", range=(0.0, 10.0))


@dataclasses.dataclass(frozen=True)
class EvaluateConfig:
    """Evaluation protocol: success criterion and robustness suite (block `evaluate`)."""

    seed: int = field("PRNG seed of the nominal set and the robustness suite, so every policy meets the same cases", range=(0, 2**31 - 1))
    nominal_cases: int = field("lightly randomised starts in the nominal set", range=(1, 1_000_000))
    suite_cases: int = field("number of robustness-suite cases", range=(1, 1_000_000))
    episode_seconds: float = field("evaluation episode length (s); longer than training's walker.episode_seconds, so a gait must last", range=(0.1, 3600.0))
    min_speed_mps: float = field("average forward speed (m/s) needed for success", range=(0.0, 10.0))
    success_threshold: float = field("suite success (and walking success) a PPO run must reach to count as trained: steps to it are the race", range=(0.0, 1.0))
    steady: SteadyCriterion = field("success also needs a steady speed at the end of the episode")
    gait: GaitCriterion = field("the walking criterion: walking success = success and this")
    suite: ConditionRanges = field("robustness-suite ranges")
    rollout_batch: int = field("episodes simulated at once in batched MJX rollouts", range=(1, 65536))
    rollout_devices: int = field("XLA devices a rollout batch is split over (one per CPU core up to this many); fixed, so a host with more cores computes the same bits", range=(1, 4096))
    sweeps: SweepConfig = field("one-factor robustness sweeps of the evaluate stage (success against slope and push)")
    envelope_map: EnvelopeMapConfig = field("two-factor map (slope x push) of the evaluate stage for the best policies")
    native_workers: int = field("processes for the native-MuJoCo transfer check (the evaluate stage)", range=(1, 256))

    def __post_init__(self) -> None:
        if self.rollout_batch % self.rollout_devices:
            raise ConfigError(f"evaluate.rollout_batch ({self.rollout_batch}) must be a multiple of evaluate.rollout_devices ({self.rollout_devices})")


@dataclasses.dataclass(frozen=True)
class ReportConfig:
    """Videos and keyframe export of the report stage (block `report`)."""

    video_width: int = field("video width (pixels)", range=(16, 4096))
    video_height: int = field("video height (pixels)", range=(16, 4096))
    video_fps: int = field("video frame rate (frames per simulated second); must divide walker.control_hz", range=(1, 1000))
    video_seconds: float = field("simulated seconds per video", range=(0.1, 120.0))
    video_push_ns: float = field("impulse (N s) of the pushed videos' push, forward along the ramp if positive", range=(-100.0, 100.0))
    video_push_time_s: float = field("when the pushed videos' push starts (s)", range=(0.0, 120.0))
    keyframe_hz: float = field("keyframes per simulated second in the MJCF export; must divide walker.control_hz", range=(0.1, 1000.0))


@dataclasses.dataclass(frozen=True)
class FitConfig:
    """How an MLP is fitted by minibatch regression (walker.bc.fit): shared by blocks `bc` and `critic`."""

    loss: str = field("regression loss", choices=("mse", "huber", "l1"))
    huber_delta: float = field("where the huber loss turns from quadratic to linear", range=(1e-4, 100.0))
    learning_rate: float = field("peak Adam learning rate", range=(1e-6, 1.0))
    lr_schedule: str = field("learning-rate schedule over each training phase", choices=("constant", "cosine"))
    weight_decay: float = field("decoupled weight decay (AdamW)", range=(0.0, 1.0))
    batch_size: int = field("minibatch size (samples)", range=(1, 1_000_000))
    early_stopping_patience: int = field("stop after this many epochs without a better validation loss and keep the best; 0 = run every epoch", range=(0, 100_000))
    val_fraction: float = field("fraction of episodes held out for validation (split by episode)", range=(0.01, 0.9))
    seed: int = field("PRNG seed for initialisation, split and shuffling", range=(0, 2**31 - 1))


@dataclasses.dataclass(frozen=True)
class BcConfig(FitConfig):
    """Behaviour cloning of the FSM expert, with optional DAgger rounds (block `bc`); the loss compares the squashed
    output with the expert's action, and the seed also seeds the DAgger starts."""

    hidden_sizes: tuple[int, ...] = field("hidden layer widths of the MLP policy", range=(1, 4096))
    activation: str = field("activation after each hidden layer", choices=ACTIVATIONS)
    action_limit: float = field("expert actions are clipped to +-this before fitting, so tanh targets stay finite", range=(0.5, 0.9999))
    epochs: int = field("epochs of the initial fit on the expert demos", range=(1, 100_000))
    dagger_rounds: int = field("DAgger rounds after the initial fit (0 = plain behaviour cloning)", range=(0, 1000))
    dagger_episodes: int = field("learner episodes labelled by the FSM per DAgger round", range=(1, 1_000_000))
    dagger_epochs: int = field("training epochs on the aggregated data after each DAgger round", range=(1, 100_000))


@dataclasses.dataclass(frozen=True)
class CriticConfig(FitConfig):
    """The offline critic: the clone's value regressed on the demos' and DAgger's returns (block `critic`).

    Its shape, activation, discount and reward scaling are PPO's (``ppo.value_hidden_sizes``,
    ``ppo.activation``, ``ppo.discounting``, ``ppo.reward_scaling``), so PPO can start from it.
    """

    epochs: int = field("passes over the steps", range=(1, 100_000))
    tail_window: int = field("an episode cut off by the time limit continues with the mean reward of its last this many steps", range=(1, 100_000))


PPO_VARIANTS = ("bc", "scratch")
"""The PPO stage's variants: actor and normaliser from the cloned policy, or fresh (the baseline)."""


@dataclasses.dataclass(frozen=True)
class PpoConfig:
    """Brax PPO, shared by the `bc` and `scratch` variants (block `ppo`)."""

    num_timesteps: int = field("env steps per run, the critic warm-up included (a multiple of eval_every_steps)", range=(0, 10**10))
    eval_every_steps: int = field("both variants are scored on the suite at every multiple of this many env steps, 0 included", range=(1, 10**10))
    num_envs: int = field("parallel training environments (every episode draws a fresh start, push and condition)", range=(1, 65536))
    batch_size: int = field("environments per minibatch", range=(1, 65536))
    num_minibatches: int = field("minibatches per training step", range=(1, 1024))
    unroll_length: int = field("control steps collected per environment before each update", range=(1, 10000))
    num_updates_per_batch: int = field("passes over each batch of experience", range=(1, 100))
    learning_rate: float = field("Adam learning rate", range=(1e-9, 1.0))
    entropy_cost: float = field("weight of the entropy bonus", range=(0.0, 10.0))
    discounting: float = field("discount factor per control step", range=(0.0, 1.0))
    gae_lambda: float = field("GAE lambda", range=(0.0, 1.0))
    clipping_epsilon: float = field("PPO ratio clipping", range=(0.0, 10.0))
    reward_scaling: float = field("multiplier on rewards during training", range=(1e-6, 1e6))
    max_grad_norm: float = field("gradient clipping by global norm", range=(1e-6, 1e6))
    policy_hidden_sizes: tuple[int, ...] = field("actor hidden widths; must equal bc.hidden_sizes so `bc` can seed it", range=(1, 4096))
    value_hidden_sizes: tuple[int, ...] = field("critic hidden widths", range=(1, 4096))
    activation: str = field("activation of actor and critic; must equal bc.activation", choices=ACTIVATIONS)
    init_action_std: float = field("initial exploration std (pre-tanh) of the BC-seeded actor", range=(0.002, 5.0))
    randomization: ConditionRanges = field("training-time domain randomisation for PPO (condition, push and start drawn afresh every episode)")
    critic_init: str = field("bc variant: the critic starts from the offline regression (stage `critic`) or fresh", choices=("offline", "fresh"))
    critic_warmup_steps: int = field("bc variant: env steps training only the critic under the frozen cloned actor (counted in num_timesteps); 0 = none", range=(0, 10**10))
    devices: int = field("XLA devices PPO spreads its environments over (one per CPU core up to this many); fixed, so a host with more cores computes the same bits", range=(1, 4096))
    bc_coef: float = field("bc variant: weight of a behaviour-cloning term (squared distance to the clone's action) in the policy loss; 0 = off", range=(0.0, 1e6))
    bc_anneal_steps: int = field("bc variant: env steps over which bc_coef falls linearly to zero", range=(1, 10**10))
    bc_normalizer_count: int = field("observations the BC normaliser counts as; large keeps it nearly fixed under PPO's updates", range=(1, 2**40))
    variant_overrides: dict[str, dict[str, float]] = field(
        "per variant (bc, scratch), settings of this block that differ for it, e.g. {scratch: {learning_rate: 0.0003}}", default=None
    )

    def __post_init__(self) -> None:
        check_variant_overrides("ppo", self.variant_overrides, PPO_VARIANTS, PPO_OVERRIDABLE)
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
        return with_variant_overrides(self, "ppo", PPO_VARIANTS, variant)


def check_variant_overrides(block: str, overrides: dict[str, dict[str, float]] | None, variants: tuple[str, ...], allowed: tuple[str, ...]) -> None:
    """Raise ConfigError, naming ``<block>.variant_overrides.<variant>.<key>``, for an unknown variant or a key that may not differ."""
    for variant, changes in (overrides or {}).items():
        if variant not in variants:
            raise ConfigError(f"{block}.variant_overrides.{variant}: unknown variant; choose from {list(variants)}")
        for key in changes:
            if key not in allowed:
                raise ConfigError(f"{block}.variant_overrides.{variant}.{key}: cannot differ per variant; allowed keys: {list(allowed)}")


Block = typing.TypeVar("Block")


def with_variant_overrides(config: Block, block: str, variants: tuple[str, ...], variant: str) -> Block:
    """``config`` (a learner's block with a ``variant_overrides`` field) with its overrides for ``variant`` applied and checked
    again; raises ConfigError for an unknown variant."""
    if variant not in variants:
        raise ConfigError(f"unknown {block} variant '{variant}'; choose one of {list(variants)}")
    changes = dict((config.variant_overrides or {}).get(variant, {}))
    if not changes:
        return config
    fields = {f.name: f for f in dataclasses.fields(config)}
    hints = typing.get_type_hints(type(config))
    typed = {}
    for key, value in changes.items():
        where = f"{block}.variant_overrides.{variant}.{key}"
        if hints[key] is int:
            if not float(value).is_integer():
                raise ConfigError(f"{where}: expected an integer, got {value}")
            value = int(value)
        typed[key] = convert(value, hints[key], where, fields[key].metadata)
    try:
        return dataclasses.replace(config, **typed)
    except ConfigError as err:
        raise ConfigError(f"{block}.variant_overrides.{variant}: {err}") from err


PPO_OVERRIDABLE = (
    "learning_rate", "entropy_cost", "batch_size", "num_minibatches", "unroll_length", "num_updates_per_batch", "discounting",
    "gae_lambda", "clipping_epsilon", "reward_scaling", "max_grad_norm", "num_envs",
)
"""The ``ppo`` settings a variant may set for itself (``ppo.variant_overrides``): optimisation, not the network or the budget."""


SAC_VARIANTS = ("scratch", "demos")
"""The SAC stage's variants: fresh, or the actor and normaliser from the clone with the FSM's demonstrations in the
replay buffer, sampled alongside the online data (RLPD, Ball et al. 2023)."""


@dataclasses.dataclass(frozen=True)
class SacConfig:
    """Brax SAC, the off-policy learner of the race, shared by its variants (block `sac`).

    Scored on ``ppo.eval_every_steps``'s grid, on the suite, like every PPO run. Each training step every one of
    ``num_envs`` environments takes one step, then ``grad_updates_per_step`` gradient updates of ``batch_size``
    transitions follow: ``grad_updates_per_step / num_envs`` updates per env step.
    """

    num_timesteps: int = field("env steps per run (a multiple of ppo.eval_every_steps)", range=(0, 10**10))
    num_envs: int = field("parallel training environments (every episode a fresh start, push and condition)", range=(1, 65536))
    batch_size: int = field("transitions per gradient update", range=(1, 65536))
    grad_updates_per_step: int = field("gradient updates per training step (one env step of every environment)", range=(1, 100_000))
    learning_rate: float = field("Adam learning rate of actor and critic (Brax's temperature has its own, 3e-4)", range=(1e-9, 1.0))
    discounting: float = field("discount factor per control step", range=(0.0, 1.0))
    reward_scaling: float = field("multiplier on rewards in the critic's target", range=(1e-6, 1e6))
    tau: float = field("Polyak rate of the target critic", range=(0.0, 1.0))
    max_replay_size: int = field("online transitions the replay buffer keeps; 0 = every transition of the run", range=(0, 10**10))
    policy_hidden_sizes: tuple[int, ...] = field("actor hidden widths; must equal bc.hidden_sizes so `demos` can start from the clone", range=(1, 4096))
    q_hidden_sizes: tuple[int, ...] = field("hidden widths of each of the two Q networks", range=(1, 4096))
    q_layer_norm: bool = field("LayerNorm after each hidden layer of the Q networks (MuJoCo Playground's SAC configs, RLPD)")
    activation: str = field("activation of actor and critics; must equal bc.activation", choices=ACTIVATIONS)
    init_alpha: float = field("entropy temperature at the start (then tuned towards Brax's target entropy, -action_size)", range=(1e-9, 1e6))
    init_action_std: float = field("demos variant: initial exploration std (pre-tanh) of the clone-seeded actor", range=(0.002, 5.0))
    normalizer_count: int = field("demos variant: observations the clone's normaliser counts as; large keeps it nearly fixed", range=(1, 2**40))
    demo_fraction: float = field("demos variant: share of every gradient batch drawn from the demonstrations (RLPD: 0.5)", range=(0.0, 1.0))
    devices: int = field("XLA devices SAC spreads its environments and batches over (one per CPU core up to this many); fixed, so a host with more cores computes the same bits", range=(1, 4096))
    variant_overrides: dict[str, dict[str, float]] = field(
        "per variant (scratch, demos), settings of this block that differ for it, e.g. {demos: {init_alpha: 0.01}}", default=None
    )

    def __post_init__(self) -> None:
        check_variant_overrides("sac", self.variant_overrides, SAC_VARIANTS, SAC_OVERRIDABLE)
        for key in ("num_envs", "batch_size"):
            if getattr(self, key) % self.devices:
                raise ConfigError(f"sac.{key} ({getattr(self, key)}) must be a multiple of sac.devices ({self.devices}): each device gets an equal share")
        if 0 < self.max_replay_size < self.num_envs:
            raise ConfigError(f"sac.max_replay_size ({self.max_replay_size}) must hold at least one training step's transitions, sac.num_envs ({self.num_envs})")

    def for_variant(self, variant: str) -> "SacConfig":
        """This block with ``variant_overrides[variant]`` applied (and checked again); raises ConfigError for an unknown variant."""
        return with_variant_overrides(self, "sac", SAC_VARIANTS, variant)


SAC_OVERRIDABLE = ("learning_rate", "batch_size", "grad_updates_per_step", "discounting", "reward_scaling", "tau", "init_alpha", "num_envs", "demo_fraction")
"""The ``sac`` settings a variant may set for itself (``sac.variant_overrides``): optimisation, not the network or the budget."""


@dataclasses.dataclass(frozen=True)
class AdrFactors:
    """One number per factor that ADR moves (block `adr.step`)."""

    slope_deg: float = field("ramp slope (deg)", range=(0.0, 30.0))
    push_impulse_ns: float = field("push impulse (N s)", range=(0.0, 100.0))
    friction_scale: float = field("friction multiplier", range=(0.0, 5.0))
    torso_mass_scale: float = field("torso mass multiplier", range=(0.0, 10.0))


@dataclasses.dataclass(frozen=True)
class AdrLimits:
    """How far ADR may widen each factor's training range (block `adr.limits`)."""

    slope_deg: Interval = field("ramp slope (deg)")
    push_impulse_ns: Interval = field("push impulse (N s)")
    friction_scale: Interval = field("friction multiplier")
    torso_mass_scale: Interval = field("torso mass multiplier")


@dataclasses.dataclass(frozen=True)
class AdrConfig:
    """Stage `ppo_wide@<seed>`: PPO from the BC-seeded PPO policy under automatic domain randomisation (block `adr`).

    The ranges start at ``ppo.randomization`` (the box PPO from BC trained in) and move between
    ``limits`` by ``step``; every other PPO setting is block ``ppo``'s for the bc variant.
    """

    num_timesteps: int = field("env steps of each run (a multiple of update_every_steps)", range=(1, 10**10))
    update_every_steps: int = field("env steps between range updates (a multiple of PPO's env steps per training step)", range=(1, 10**10))
    boundary_cases: int = field("episodes per boundary and update (8 boundaries: 4 factors x low, high), of evaluate.episode_seconds", range=(1, 100_000))
    upper: float = field("a boundary whose walking success is at least this moves outward", range=(0.0, 1.0))
    lower: float = field("a boundary whose walking success is below this moves inward (never inside ppo.randomization)", range=(0.0, 1.0))
    step: AdrFactors = field("how far a boundary moves per update")
    limits: AdrLimits = field("hard limits of the training ranges")
    bc_coef: float = field("weight of the squared distance to the starting policy's action in the policy loss, annealed over ppo.bc_anneal_steps; 0 = off", range=(0.0, 1e6))
    reward_preset: str = field("the reward preset (walker.reward.presets) the wide runs train on")

    def __post_init__(self) -> None:
        if self.lower > self.upper:
            raise ConfigError(f"adr.lower ({self.lower}) must not exceed adr.upper ({self.upper})")
        if self.num_timesteps % self.update_every_steps:
            raise ConfigError(f"adr.num_timesteps ({self.num_timesteps}) must be a multiple of adr.update_every_steps ({self.update_every_steps})")


@dataclasses.dataclass(frozen=True)
class SolverSetting:
    """One constraint-solver setting of MuJoCo and MJX."""

    solver: str = field("constraint solver", choices=("newton", "cg"))
    iterations: int = field("main solver iterations per physics step", range=(1, 1000))
    ls_iterations: int = field("line-search iterations per solver iteration", range=(1, 1000))
