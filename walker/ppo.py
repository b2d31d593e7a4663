"""Brax PPO glue: one PPO run with our evaluation as its progress, seeded from a policy file or fresh.

The actor's conversion from and to a policy file is :mod:`walker.brax_actor` (shared with SAC).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import types
from typing import Any, Callable, Iterator

import jax
import jax.numpy as jnp
import numpy as np
from brax.envs.base import Env, State
from brax.training.acme import running_statistics
from brax.training.agents.ppo import networks as ppo_networks
from brax.training.agents.ppo import train as ppo_train

from walker.activations import activation_fn
from walker.autoreset import wrap_for_training
from walker.blocks import PpoConfig
from walker.brax_actor import brax_policy_params, check_finite, normalizer_from_policy, policy_from_brax
from walker.critic import CriticFile, brax_value_params
from walker.errors import TrainingDiverged
from walker.policy import PolicyFile
from walker.policy import apply as policy_apply
from walker.timing import record_env_steps

BraxParams = tuple[running_statistics.RunningStatisticsState, dict, dict]


def network_factory(cfg: PpoConfig) -> Callable[..., Any]:
    """Brax's ``make_ppo_networks`` with our sizes and activation."""
    return functools.partial(
        ppo_networks.make_ppo_networks,
        policy_hidden_layer_sizes=tuple(cfg.policy_hidden_sizes),
        value_hidden_layer_sizes=tuple(cfg.value_hidden_sizes),
        activation=activation_fn(cfg.activation, jnp),  # the policy file's formula, so training and inference agree
    )


def frozen_actor_factory(cfg: PpoConfig) -> Callable[..., Any]:
    """Like :func:`network_factory`, but no gradient reaches the actor: PPO then trains the critic only.

    Used to warm up a fresh critic under the cloned policy, so the first policy
    updates follow real advantages instead of a random critic's noise.
    """
    make = network_factory(cfg)

    def factory(*args: Any, **kwargs: Any) -> Any:
        nets = make(*args, **kwargs)
        actor = nets.policy_network
        frozen = dataclasses.replace(
            actor, apply=lambda processor, params, obs: actor.apply(processor, jax.lax.stop_gradient(params), obs)
        )
        return dataclasses.replace(nets, policy_network=frozen)

    return factory


@dataclasses.dataclass(frozen=True)
class PpoRun:
    """What one call of Brax PPO needs besides the env."""

    cfg: PpoConfig
    seed: int
    init: PolicyFile | None
    """start the actor and normaliser from this policy (the `bc` variant), or None (scratch)"""
    num_timesteps: int
    critic: CriticFile | None = None
    """start the critic from this offline fit (the `bc` variant with ``ppo.critic_init: offline``), or None (fresh)"""

    def __post_init__(self) -> None:
        if self.critic is not None:
            check_critic_fits(self.critic, self.cfg, self.init)


def check_critic_fits(critic: CriticFile, cfg: PpoConfig, init: PolicyFile | None) -> None:
    """Raise ValueError, naming the params key, if an offline critic cannot start this run."""
    if init is None:
        raise ValueError("an offline critic goes with the clone's actor; a run from scratch starts with a fresh critic")
    problems = []
    if not np.isclose(critic.discounting, cfg.discounting, rtol=0, atol=1e-12):
        problems.append(f"ppo.discounting is {cfg.discounting}, the critic was fitted with {critic.discounting}")
    if not np.isclose(critic.reward_scaling, cfg.reward_scaling, rtol=1e-12, atol=0):
        problems.append(f"ppo.reward_scaling is {cfg.reward_scaling}, the critic was fitted with {critic.reward_scaling}")
    widths = [w.shape[1] for w in critic.weights[:-1]]
    if widths != list(cfg.value_hidden_sizes):
        problems.append(f"ppo.value_hidden_sizes is {list(cfg.value_hidden_sizes)}, the critic has {widths}")
    if critic.activation != cfg.activation:
        problems.append(f"ppo.activation is {cfg.activation}, the critic uses {critic.activation}")
    if not (np.array_equal(critic.obs_mean, init.obs_mean) and np.array_equal(critic.obs_std, init.obs_std)):
        problems.append("the critic was fitted under another clone's observation normaliser")
    if problems:
        raise ValueError("the offline critic does not fit this PPO run: " + "; ".join(problems) + " (rerun `dvc repro critic`)")


def env_steps_per_iteration(cfg: PpoConfig) -> int:
    """Env steps Brax PPO collects per training step (see :attr:`PpoConfig.env_steps_per_training_step`)."""
    return cfg.env_steps_per_training_step


def eval_grid(cfg: PpoConfig) -> list[int]:
    """The env-step counts at which every run, of either variant, is scored: 0, ``eval_every_steps``, ..., ``num_timesteps``."""
    return list(range(0, cfg.num_timesteps + 1, cfg.eval_every_steps))


def warmup_steps(cfg: PpoConfig, seeded: bool) -> int:
    """Env steps of the actor-frozen critic warm-up: ``critic_warmup_steps`` for a seeded run, else 0."""
    return cfg.critic_warmup_steps if seeded else 0


def seeded_params(run: PpoRun) -> tuple[Any, dict, dict | None] | None:
    """``restore_params`` for Brax (normaliser, actor, critic or None) from the run's initial policy and critic, if any."""
    if run.init is None:
        return None
    normalizer = normalizer_from_policy(run.init, run.cfg.bc_normalizer_count)
    value = None if run.critic is None else brax_value_params(run.critic)
    return (normalizer, brax_policy_params(run.init, run.cfg.init_action_std), value)


def _train_kwargs(env: Env, run: PpoRun, wrap_env_fn: Callable[..., Env] = wrap_for_training) -> dict[str, Any]:
    """Every ``brax...ppo.train`` argument but the callbacks: settings from params and the run's start (restore_params)."""
    cfg = run.cfg
    return dict(
        environment=env,
        wrap_env_fn=wrap_env_fn,  # by default every episode a fresh start, push and condition
        num_timesteps=run.num_timesteps,
        episode_length=env.cfg.episode_steps,
        num_envs=cfg.num_envs,
        batch_size=cfg.batch_size,
        num_minibatches=cfg.num_minibatches,
        unroll_length=cfg.unroll_length,
        num_updates_per_batch=cfg.num_updates_per_batch,
        learning_rate=cfg.learning_rate,
        entropy_cost=cfg.entropy_cost,
        discounting=cfg.discounting,
        gae_lambda=cfg.gae_lambda,
        clipping_epsilon=cfg.clipping_epsilon,
        reward_scaling=cfg.reward_scaling,
        max_grad_norm=cfg.max_grad_norm,
        normalize_observations=True,
        num_evals=run.num_timesteps // cfg.eval_every_steps + 1,  # one Brax epoch per grid interval
        run_evals=False,  # we evaluate on the protocol's suite in policy_params_fn instead
        network_factory=network_factory(cfg),
        seed=run.seed,
        restore_params=seeded_params(run),
        restore_value_fn=run.critic is not None,  # else a fresh critic
        max_devices_per_host=cfg.devices,  # fixed, so a host with more cores computes the same bits
    )


def env_steps_seen(normalizer: running_statistics.RunningStatisticsState, start_count: int) -> jax.Array:
    """Env steps PPO has trained on, read from the observation normaliser: Brax adds every training step's
    observations (one per env step, summed over devices) to its count, which a seeded run starts at ``start_count``.

    The count is a 64-bit integer in two 32-bit halves; the difference is taken in integers, since a float32
    of a count near ``start_count`` (1e9) would be off by up to 64.
    """
    count = normalizer.count
    start_hi, start_lo = jnp.uint32(start_count >> 32), jnp.uint32(start_count & 0xFFFFFFFF)
    lo = jnp.asarray(count.lo, jnp.uint32) - start_lo  # modulo 2^32
    hi = jnp.asarray(count.hi, jnp.uint32) - start_hi - (jnp.asarray(count.lo, jnp.uint32) < start_lo).astype(jnp.uint32)
    return hi.astype(jnp.float32) * jnp.float32(2.0**32) + lo.astype(jnp.float32)


def bc_coefficient(cfg: PpoConfig, normalizer: running_statistics.RunningStatisticsState) -> jax.Array:
    """``ppo.bc_coef`` annealed linearly to zero over the first ``ppo.bc_anneal_steps`` env steps of the run."""
    seen = env_steps_seen(normalizer, cfg.bc_normalizer_count)
    return cfg.bc_coef * jnp.clip(1.0 - seen / cfg.bc_anneal_steps, 0.0, 1.0)


@contextlib.contextmanager
def bc_regularised_loss(cfg: PpoConfig, clone: PolicyFile, action_size: int) -> Iterator[None]:
    """While active, Brax's PPO loss gains ``bc_coefficient * mean((tanh(actor mean) - clone action)^2)``.

    Brax's ``train`` looks its loss up as ``ppo_losses.compute_ppo_loss`` when it
    builds the training step; this swaps that module reference for a namespace
    whose ``compute_ppo_loss`` wraps the original, and restores it on exit. The
    coefficient anneals with the env steps read from the normaliser
    (:func:`env_steps_seen`), since the loss sees no step counter. The clone's
    weights are constants of the compiled step (one clone for every seed).
    """
    original = ppo_train.ppo_losses

    def compute_ppo_loss(params, normalizer_params, data, rng, ppo_network, **kwargs):
        loss, metrics = original.compute_ppo_loss(params, normalizer_params, data, rng, ppo_network, **kwargs)
        outputs = ppo_network.policy_network.apply(normalizer_params, params.policy, data.observation)
        bc_loss = jnp.mean((jnp.tanh(outputs[..., :action_size]) - policy_apply(clone, data.observation, jnp)) ** 2)
        coef = bc_coefficient(cfg, normalizer_params)
        return loss + coef * bc_loss, {**metrics, "bc_loss": bc_loss, "bc_coef": coef}

    ppo_train.ppo_losses = types.SimpleNamespace(**{**vars(original), "compute_ppo_loss": compute_ppo_loss})
    try:
        yield
    finally:
        ppo_train.ppo_losses = original


@contextlib.contextmanager
def env_state_between_epochs(update: Callable[[State], State] | None) -> Iterator[None]:
    """While active, Brax PPO's training env state passes through ``update`` on the host before every training
    epoch (None: unchanged), so data the env reads (ADR's ranges) can change between epochs without a recompile.

    Brax's ``train`` keeps its env state to itself; the one call it makes on it between epochs is its module's
    ``_strip_weak_type((training_state, env_state))``, which this wraps for the duration (as
    :func:`bc_regularised_loss` wraps the loss), and restores on exit.
    """
    if update is None:
        yield
        return
    original = ppo_train._strip_weak_type

    def strip_weak_type(tree: Any) -> Any:
        if isinstance(tree, tuple) and len(tree) == 2 and isinstance(tree[1], State):
            tree = (tree[0], update(tree[1]))
        return original(tree)

    ppo_train._strip_weak_type = strip_weak_type
    try:
        yield
    finally:
        ppo_train._strip_weak_type = original


def initial_params(env: Env, run: PpoRun) -> BraxParams:
    """Brax's parameters before any update (``num_timesteps=0``), e.g. to check the conversion."""
    _, params, _ = ppo_train.train(**{**_train_kwargs(env, run), "num_timesteps": 0})
    return params


def train(
    env: Env,
    run: PpoRun,
    on_eval: Callable[[int, PolicyFile], None],
    on_progress: Callable[[int, dict], None] = lambda step, metrics: None,
    on_final: Callable[[BraxParams], None] = lambda params: None,
    wrap_env_fn: Callable[..., Env] = wrap_for_training,
    update_env_state: Callable[[State], State] | None = None,
) -> tuple[PolicyFile, int]:
    """Run Brax PPO; ``on_eval(env_steps, policy)`` sees the deterministic policy at every point of
    :func:`eval_grid` (step 0, the start, included; the warm-up's points too), ``on_final`` Brax's final
    (normaliser, actor, critic) parameters. Returns the final policy and the env steps taken (``run.num_timesteps``).
    ``wrap_env_fn`` wraps the env for training (Brax's argument); ``update_env_state`` sees the training env state
    before every epoch (:func:`env_state_between_epochs`).

    Raises :class:`TrainingDiverged` as soon as a loss or a parameter is not finite.
    """
    cfg = run.cfg
    label = f"ppo seed {run.seed}"
    kwargs = _train_kwargs(env, run, wrap_env_fn)
    phases = []
    warmup = warmup_steps(cfg, run.init is not None)
    if warmup > 0:  # critic only, actor frozen; these env steps count towards the run's total
        phases.append(("critic warm-up", {"num_timesteps": warmup, "network_factory": frozen_actor_factory(cfg)}))
    phases.append(("ppo", {"num_timesteps": run.num_timesteps - warmup}))
    offset, params = 0, None
    for phase, changes in phases:
        phase_kwargs = {**kwargs, **changes, "num_evals": changes["num_timesteps"] // cfg.eval_every_steps + 1}
        if params is not None:
            phase_kwargs.update(restore_params=params, restore_value_fn=True)
        first_phase = offset == 0

        def policy_params_fn(step: int, make_policy: Any, params: BraxParams, offset: int = offset, first: bool = first_phase) -> None:
            check_finite(params[:2], f"{label} at {offset + step} env steps")
            if step > 0 or first:  # a later phase's start is the previous phase's end, already scored
                on_eval(offset + step, policy_from_brax(params[0], params[1], cfg.activation))

        def progress_fn(step: int, metrics: dict, offset: int = offset, phase: str = phase) -> None:
            loss = metrics.get("training/total_loss")
            if loss is not None and not np.isfinite(float(loss)):
                raise TrainingDiverged(f"{label}: PPO loss became {float(loss)} at {offset + step} env steps ({phase})")
            on_progress(offset + step, {**metrics, "phase": phase})

        regularised = run.init is not None and cfg.bc_coef > 0 and phase == "ppo"
        with bc_regularised_loss(cfg, run.init, env.action_size) if regularised else contextlib.nullcontext(), \
                env_state_between_epochs(update_env_state):
            _, params, _ = ppo_train.train(**phase_kwargs, progress_fn=progress_fn, policy_params_fn=policy_params_fn)
        check_finite(params[:2], f"{label} after the {phase} phase")
        record_env_steps(changes["num_timesteps"], "training")
        offset += changes["num_timesteps"]
    on_final(params)
    return policy_from_brax(params[0], params[1], cfg.activation), offset


def training_steps_per_s(env: Env, run: PpoRun, epochs: int = 3) -> float:
    """Env steps/s of Brax PPO training as the ppo stage runs it (``ppo.devices`` devices), compilation excluded.

    Trains ``run.num_timesteps`` in ``epochs`` epochs and returns Brax's ``training/sps``
    of the last: the first one includes compiling the training step.
    """
    rates: list[float] = []

    def progress_fn(step: int, metrics: dict) -> None:
        if "training/sps" in metrics:
            rates.append(float(metrics["training/sps"]))

    ppo_train.train(**{**_train_kwargs(env, run), "num_evals": epochs + 1}, progress_fn=progress_fn)
    if len(rates) < 2:
        raise ValueError(f"PPO ran {len(rates)} training epochs; raise the env steps ({run.num_timesteps}) to get two")
    return rates[-1]
