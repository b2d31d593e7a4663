"""Brax SAC glue: one SAC run on our env, scored on the race's step grid, from scratch or from the clone with the
FSM's demonstrations in its replay buffer (the RLPD recipe, Ball et al. 2023: every gradient batch half
demonstrations, half online data; a LayerNorm critic).

Brax's ``sac.train`` has no hook for the parameters during training, starts from given parameters only through a
checkpoint, and keeps one replay buffer. As :mod:`walker.ppo` does with Brax PPO's loss, :func:`train` swaps three
references of Brax's SAC module for the duration of one call and restores them after:

- ``acting.Evaluator``: Brax's evaluation episodes are replaced by a stand-in that hands the parameters of every
  grid point to our suite scorer (``on_eval``), through Brax's ``progress_fn``;
- ``_init_training_state``: the initial temperature (``sac.init_alpha``), and for a seeded run the clone's actor
  and observation normaliser (:mod:`walker.brax_actor`);
- ``replay_buffers.UniformSamplingQueue``: :class:`DemoMixedQueue` when the run has demonstrations.

No replay prefill (``min_replay_size`` 0): the first update follows the first env step, so Brax's epochs end
exactly on the race's grid (``ppo.eval_every_steps``).
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
from brax.envs.base import Env
from brax.training import distribution, networks
from brax.training import types as brax_types
from brax.training.agents.sac import networks as sac_networks
from brax.training.agents.sac import train as sac_train
from brax.training.replay_buffers import UniformSamplingQueue

from walker.activations import activation_fn
from walker.autoreset import wrap_for_training
from walker.blocks import SacConfig
from walker.brax_actor import brax_policy_params, check_finite, normalizer_from_policy, policy_from_brax
from walker.config import ConfigError
from walker.demos import DemoDataset
from walker.errors import TrainingDiverged
from walker.policy import PolicyFile
from walker.timing import record_env_steps


def network_factory(cfg: SacConfig) -> Callable[..., sac_networks.SACNetworks]:
    """Brax's SAC networks with our sizes and activation: a tanh-normal actor of ``policy_hidden_sizes`` (the
    policy file's layout, so the clone can seed it) and two Q networks of ``q_hidden_sizes``, LayerNorm optional."""

    def make(observation_size: int, action_size: int, preprocess_observations_fn: Any = brax_types.identity_observation_preprocessor
             ) -> sac_networks.SACNetworks:
        activation = activation_fn(cfg.activation, jnp)  # the policy file's formula, so training and inference agree
        action_distribution = distribution.NormalTanhDistribution(event_size=action_size)
        policy = networks.make_policy_network(
            action_distribution.param_size, observation_size, preprocess_observations_fn=preprocess_observations_fn,
            hidden_layer_sizes=tuple(cfg.policy_hidden_sizes), activation=activation,
        )
        q = networks.make_q_network(
            observation_size, action_size, preprocess_observations_fn=preprocess_observations_fn,
            hidden_layer_sizes=tuple(cfg.q_hidden_sizes), activation=activation, layer_norm=cfg.q_layer_norm,
        )
        return sac_networks.SACNetworks(policy_network=policy, q_network=q, parametric_action_distribution=action_distribution)

    return make


def demo_transitions(ds: DemoDataset) -> brax_types.Transition:
    """The demonstrations as Brax transitions ``(s_t, a_t, r_t, s_t+1)``, (M,) each: every step of every episode
    but its last (which has no next observation in the dataset). The demos keep only episodes where the expert
    never fell (:func:`walker.demos.worth_copying`), so no transition ends an episode: every discount is 1 and
    none is a truncation. Raises ValueError if the dataset has no rewards."""
    if ds.reward is None:
        raise ValueError("the demo dataset has no rewards; rerun `dvc repro demos`")
    rows = np.flatnonzero(ds.episode[1:] == ds.episode[:-1])  # t with t + 1 in the same episode
    m = len(rows)
    return brax_types.Transition(
        observation=ds.obs[rows].astype(np.float32),
        action=ds.action[rows].astype(np.float32),
        reward=ds.reward[rows].astype(np.float32),
        discount=np.ones(m, np.float32),
        next_observation=ds.obs[rows + 1].astype(np.float32),
        extras={"state_extras": {"truncation": np.zeros(m, np.float32)}, "policy_extras": {}},
    )


class DemoMixedQueue(UniformSamplingQueue):
    """Brax's uniform replay queue with the demonstrations in front: ``init`` writes them into the first rows, online
    transitions follow and never overwrite them, and every sampled batch draws ``demo_fraction`` of its rows
    uniformly from the demonstrations and the rest uniformly from the online data, the two kinds spread evenly
    over the batch. ``size`` counts online transitions only. Holds every online transition of the run (the caller
    sizes it so)."""

    def __init__(self, max_replay_size: int, dummy_data_sample: Any, sample_batch_size: int, *, demos: brax_types.Transition,
                 demo_fraction: float):
        super().__init__(max_replay_size, dummy_data_sample, sample_batch_size)
        self._demos = np.asarray(self._flatten_fn(jax.tree.map(jnp.asarray, demos)), self._data_dtype)  # (D, data_size)
        self._data_shape = (len(self._demos) + max_replay_size, self._data_shape[1])
        # Brax splits one sample into grad_updates_per_step consecutive batches: spread the demo rows evenly over it,
        # so every batch (every stretch of the sample) holds demo_fraction of demos, not the first batches all of them
        slot = np.arange(sample_batch_size)
        self._is_demo = np.floor((slot + 1) * demo_fraction) > np.floor(slot * demo_fraction)

    @property
    def demo_count(self) -> int:
        return len(self._demos)

    def init(self, key: Any) -> Any:
        state = super().init(key)
        start = jnp.asarray(len(self._demos), jnp.int32)
        return state.replace(data=state.data.at[: len(self._demos)].set(jnp.asarray(self._demos)), insert_position=start, sample_position=start)

    def sample_internal(self, buffer_state: Any) -> tuple[Any, Any]:
        key, demo_key, online_key = jax.random.split(buffer_state.key, 3)
        demo_rows = jax.random.randint(demo_key, (self._sample_batch_size,), 0, len(self._demos))
        online_rows = jax.random.randint(online_key, (self._sample_batch_size,), buffer_state.sample_position, buffer_state.insert_position)
        rows = jnp.where(jnp.asarray(self._is_demo), demo_rows, online_rows)
        batch = jnp.take(buffer_state.data, rows, axis=0, mode="wrap")
        return buffer_state.replace(key=key), self._unflatten_fn(batch)


@dataclasses.dataclass(frozen=True)
class SacRun:
    """What one call of Brax SAC needs besides the env."""

    cfg: SacConfig
    seed: int
    num_timesteps: int
    eval_every_steps: int
    """the race's grid (``ppo.eval_every_steps``): scored at 0 and at every multiple"""
    init: PolicyFile | None = None
    """start the actor and normaliser from this policy (the clone), or None (fresh)"""
    demos: brax_types.Transition | None = None
    """transitions to keep in the replay buffer and sample with ``cfg.demo_fraction`` of every batch, or None"""

    def __post_init__(self) -> None:
        if self.num_timesteps % self.eval_every_steps or self.eval_every_steps % self.cfg.num_envs:
            raise ConfigError(f"SAC's budget ({self.num_timesteps}) must be a multiple of the grid ({self.eval_every_steps}), "
                              f"and the grid of sac.num_envs ({self.cfg.num_envs})")
        if self.demos is not None and 0 < self.cfg.max_replay_size < self.num_timesteps:
            raise ConfigError(f"sac.max_replay_size ({self.cfg.max_replay_size}): with demonstrations in the buffer it must hold the whole "
                              f"run ({self.num_timesteps} env steps; 0 = all), so online data never overwrites them")


def _train_kwargs(env: Env, run: SacRun) -> dict[str, Any]:
    """Every ``brax...sac.train`` argument but the callbacks."""
    cfg = run.cfg
    return dict(
        environment=env,
        wrap_env_fn=wrap_for_training,  # every episode a fresh start, push and condition
        num_timesteps=run.num_timesteps,
        episode_length=env.cfg.episode_steps,
        num_envs=cfg.num_envs,
        learning_rate=cfg.learning_rate,
        discounting=cfg.discounting,
        seed=run.seed,
        batch_size=cfg.batch_size,
        num_evals=run.num_timesteps // run.eval_every_steps + 1,  # one Brax epoch per grid interval
        normalize_observations=True,
        max_devices_per_host=cfg.devices,  # fixed, so a host with more cores computes the same bits
        reward_scaling=cfg.reward_scaling,
        tau=cfg.tau,
        min_replay_size=0,
        max_replay_size=cfg.max_replay_size or run.num_timesteps,
        grad_updates_per_step=cfg.grad_updates_per_step,
        deterministic_eval=True,
        network_factory=network_factory(cfg),
    )


@contextlib.contextmanager
def _swapped(module: Any, **replacements: Any) -> Iterator[None]:
    """While active, ``module.<name>`` is ``replacements[name]``; restored on exit."""
    originals = {name: getattr(module, name) for name in replacements}
    for name, value in replacements.items():
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in originals.items():
            setattr(module, name, value)


def train(
    env: Env,
    run: SacRun,
    on_eval: Callable[[int, PolicyFile], None],
    on_progress: Callable[[int, dict], None] = lambda step, metrics: None,
) -> tuple[PolicyFile, int]:
    """Run Brax SAC; ``on_eval(env_steps, policy)`` sees the deterministic policy at every grid point (step 0
    included), ``on_progress`` Brax's training metrics after every epoch. Returns the final policy and the env steps
    taken. Raises :class:`TrainingDiverged` as soon as a loss or a parameter is not finite."""
    cfg = run.cfg
    label = f"sac seed {run.seed}"
    handed: list[Any] = []  # the (normaliser, actor) parameters of the latest grid point

    class ParamsToScorer:
        """Stands in for Brax's ``acting.Evaluator``: keeps the parameters instead of running Brax's own episodes."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            pass

        def run_evaluation(self, policy_params: Any, training_metrics: dict, aggregate_episodes: bool = True) -> dict:
            handed.append(policy_params)
            return dict(training_metrics)

    def progress_fn(step: int, metrics: dict) -> None:
        for name in ("training/critic_loss", "training/actor_loss"):
            if name in metrics and not np.isfinite(float(metrics[name])):
                raise TrainingDiverged(f"{label}: SAC {name} became {float(metrics[name])} at {step} env steps")
        normalizer, actor = handed.pop()
        check_finite((normalizer, actor), f"{label} at {step} env steps")
        if "training/sps" in metrics:
            on_progress(step, metrics)
        on_eval(step, policy_from_brax(normalizer, actor, cfg.activation))

    original_init = sac_train._init_training_state

    def init_training_state(**kwargs: Any) -> Any:
        state = original_init(**kwargs)
        devices = jax.local_devices()[: kwargs["local_devices_to_use"]]
        changes = {"alpha_params": jax.device_put_replicated(jnp.log(jnp.float32(cfg.init_alpha)), devices)}
        if run.init is not None:
            actor = brax_policy_params(run.init, cfg.init_action_std)
            changes.update(
                policy_params=jax.device_put_replicated(actor, devices),
                policy_optimizer_state=jax.device_put_replicated(kwargs["policy_optimizer"].init(actor), devices),
                normalizer_params=jax.device_put_replicated(normalizer_from_policy(run.init, cfg.normalizer_count), devices),
            )
        return state.replace(**changes)

    acting = types.SimpleNamespace(**{**vars(sac_train.acting), "Evaluator": ParamsToScorer})
    swaps: dict[str, Any] = {"acting": acting, "_init_training_state": init_training_state}
    if run.demos is not None:
        queue = functools.partial(DemoMixedQueue, demos=run.demos, demo_fraction=cfg.demo_fraction)
        swaps["replay_buffers"] = types.SimpleNamespace(**{**vars(sac_train.replay_buffers), "UniformSamplingQueue": queue})
    with _swapped(sac_train, **swaps):
        _, params, _ = sac_train.train(**_train_kwargs(env, run), progress_fn=progress_fn)
    check_finite(params, f"{label} at the end")
    record_env_steps(run.num_timesteps, "training")
    return policy_from_brax(params[0], params[1], cfg.activation), run.num_timesteps
