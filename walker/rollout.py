"""The batched rollout engine: run a policy in a body's MJX env over many episodes at once.

A *policy* here is a parameter pytree and two pure functions, so an expert
with memory (the walker's FSM carries a discrete phase) and memoryless learned
policies share one entry point:

  ``init(params, obs (obs_size,)) -> carry`` and ``step(params, carry, obs (obs_size,)) -> (carry, action (action_size,))``.

Parameters are an argument of the compiled rollout, not constants baked into
it, so evaluating new weights (a DAgger round, a PPO checkpoint) reuses the
compiled program. What the episodes run under (:class:`Conditions`) lives here
too; which episodes make up the evaluation protocol, and what counts as a
success, is :mod:`walker.protocol`.

The env must be a Brax env that carries its episode's condition in the state
and also provides ``set_conditions(state, {name: value})`` (the names of
:data:`CONDITION_NAMES`), ``total_mass(state)`` and ``start_state(key) -> (qpos, qvel)``,
and reports the distance coordinate as ``state.metrics["x_position"]`` (so any physics
pipeline's state will do; the passive walker's :class:`walker.passive.env.PassiveWalkerEnv`
and its Brax-pipeline twin do).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np
from brax.envs.base import Env
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from walker.blocks import ConditionRanges
from walker.body import BodyBlock
from walker.config import Interval
from walker.policy import PolicyFile
from walker.policy import apply as policy_apply
from walker.timing import record_env_steps

Carry = Any
PolicyInit = Callable[[Any, jax.Array], Carry]
PolicyStep = Callable[[Any, Carry, jax.Array], tuple[Carry, jax.Array]]


@dataclasses.dataclass(frozen=True)
class Policy:
    """A policy as a parameter pytree and two pure JAX functions (see the module docstring)."""

    name: str
    params: Any
    init: PolicyInit
    step: PolicyStep


def learned_policy(policy_file: PolicyFile, name: str = "learned") -> Policy:
    """A policy file as a memoryless :class:`Policy`; its arrays become the params pytree."""
    static = dataclasses.replace(policy_file, metadata={})

    def step(params, carry, obs):
        return carry, policy_apply(dataclasses.replace(static, **params), obs, jnp)

    return Policy(name=name, params=policy_arrays(policy_file), init=lambda params, obs: (), step=step)


def policy_arrays(policy_file: PolicyFile) -> dict[str, Any]:
    """The arrays of a policy file as a pytree of JAX arrays (the params of :func:`learned_policy`)."""
    return {
        "obs_mean": jnp.asarray(policy_file.obs_mean),
        "obs_std": jnp.asarray(policy_file.obs_std),
        "weights": tuple(jnp.asarray(w) for w in policy_file.weights),
        "biases": tuple(jnp.asarray(b) for b in policy_file.biases),
    }


CONDITION_NAMES = ("slope_deg", "friction_scale", "torso_mass_scale", "push_impulse_ns", "push_time_s", "push_duration_s")


@dataclasses.dataclass(frozen=True)
class Conditions:
    """One row per episode; every field has shape (n,)."""

    slope_deg: np.ndarray
    friction_scale: np.ndarray
    torso_mass_scale: np.ndarray
    push_impulse_ns: np.ndarray
    push_time_s: np.ndarray
    push_duration_s: np.ndarray

    def __len__(self) -> int:
        return len(self.slope_deg)

    def as_array(self) -> np.ndarray:
        """Shape (n, 6), columns in ``CONDITION_NAMES`` order."""
        return np.stack([getattr(self, n) for n in CONDITION_NAMES], axis=1).astype(np.float32)

    def take(self, idx: np.ndarray) -> "Conditions":
        return Conditions(*(getattr(self, n)[idx] for n in CONDITION_NAMES))


def nominal_conditions(n: int, cfg: BodyBlock) -> Conditions:
    """Nominal slope, friction and mass, no push."""
    ones = np.ones(n, np.float32)
    return Conditions(cfg.slope_deg * ones, ones, ones, 0 * ones, 1e9 * ones, cfg.randomization.push_duration_s * ones)


def draw_uniform(rng: np.random.Generator, interval: Interval, n: int) -> np.ndarray:
    return rng.uniform(interval.low, interval.high, n).astype(np.float32)


def random_conditions(n: int, seed: int, ranges: ConditionRanges) -> Conditions:
    """Conditions drawn uniformly from ``ranges`` with a fixed NumPy seed."""
    rng = np.random.default_rng(seed)
    return Conditions(
        draw_uniform(rng, ranges.slope_deg, n),
        draw_uniform(rng, ranges.friction_scale, n),
        draw_uniform(rng, ranges.torso_mass_scale, n),
        draw_uniform(rng, ranges.push_impulse_ns, n),
        draw_uniform(rng, ranges.push_time_s, n),
        np.full(n, ranges.push_duration_s, np.float32),
    )


@dataclasses.dataclass(frozen=True)
class Trajectories:
    """Batched rollouts; T control steps, n episodes."""

    obs: np.ndarray
    """(T, n, obs_size) observation before each action"""
    action: np.ndarray
    """(T, n, action_size) action taken"""
    alive: np.ndarray
    """(T, n) bool: the walker had not fallen before this step (the step in which it falls is alive)"""
    x: np.ndarray
    """(T + 1, n) torso position along the ramp (m), starting with the reset state"""
    work: np.ndarray
    """(T, n) positive actuator work during each control step (J), integrated over its physics substeps"""
    mass: np.ndarray
    """(n,) total mass of each episode's walker (kg)"""
    fell: np.ndarray
    """(T, n) bool: the walker fell during this step (at most one True per episode)"""
    label: np.ndarray | None = None
    """(T, n, action_size) the labeller's action on the same observations (DAgger); the policy's own if no labeller"""
    reward: np.ndarray | None = None
    """(T, n) the environment's reward for each step"""

    def episodes(self, which: slice) -> "Trajectories":
        """The episodes ``which`` (a slice of the episode axis) of every field."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return Trajectories(**{k: None if v is None else (v[which] if k == "mass" else v[:, which]) for k, v in fields.items()})

    def episode_return(self) -> np.ndarray:
        """(n,) undiscounted return up to the end or the fall (the falling step included)."""
        return (self.reward * self.alive).sum(axis=0)


def make_rollout(env: Env, policy: Policy, steps: int, labeller: Policy | None = None) -> Callable[..., Any]:
    """A jitted batched rollout: ``rollout(policy_params, six condition arrays (n,), keys (n, 2))``.

    With a ``labeller`` (DAgger), the labeller runs alongside on the observations
    the policy visits, and its actions are returned as well; the policy's
    actions drive the walker.
    """
    def episode(params, key, condition):
        state = env.set_conditions(env.reset(key), dict(zip(CONDITION_NAMES, condition)))
        carry = policy.init(params, state.obs)
        label_carry = labeller.init(labeller.params, state.obs) if labeller else ()

        def body(c, _):
            state, carry, label_carry, alive = c
            carry, action = policy.step(params, carry, state.obs)
            if labeller:
                label_carry, label = labeller.step(labeller.params, label_carry, state.obs)
            else:
                label = action
            nxt = env.step(state, action)
            fell = alive & (nxt.done != 0)  # a fall in this step, the last step of the episode included
            out = (state.obs, action, label, alive, nxt.metrics["x_position"], nxt.metrics["positive_work"], nxt.reward, fell)
            return (nxt, carry, label_carry, alive & ~fell), out

        init = (state, carry, label_carry, jnp.array(True))
        _, (obs, action, label, alive, x, work, reward, fell) = jax.lax.scan(body, init, None, length=steps)
        x = jnp.concatenate([state.metrics["x_position"][None], x])
        return obs, action, label, alive, x, work, reward, fell, env.total_mass(state)

    @jax.jit
    def rollout(params, slope, friction, mass, impulse, push_time, push_duration, keys):
        condition = (slope, friction, mass, impulse, push_time, push_duration)
        *per_step, total_mass = jax.vmap(episode, in_axes=(None, 0, 0))(params, keys, condition)
        return tuple(jnp.swapaxes(a, 0, 1) for a in per_step) + (total_mass,)  # (n, T, ...) -> (T, n, ...)

    return rollout


def episode_keys(seed: int, n: int) -> jax.Array:
    """(n, 2) PRNG keys, one per episode: they fix each episode's start state."""
    return jax.random.split(jax.random.PRNGKey(seed), n)


def start_states(env: Env, seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The start qpos, qvel (n, nq), (n, nv) of the episodes that :func:`run_rollouts` runs with ``seed``."""
    qpos, qvel = jax.vmap(env.start_state)(episode_keys(seed, n))
    return np.asarray(qpos, np.float64), np.asarray(qvel, np.float64)


def episode_sharding(devices: int, batch: int) -> NamedSharding | None:
    """How a chunk of ``batch`` episodes is split over ``min(devices, local devices)`` XLA devices; None for one.

    On a CPU, :func:`walker.runtime.prepare_process` gives XLA one device per
    core, and one device runs a vmapped step on about one core.
    """
    available = jax.local_devices()
    n = min(devices, len(available))
    if n <= 1:
        return None
    if batch % n:
        raise ValueError(f"a rollout batch of {batch} episodes does not split over {n} devices")
    return NamedSharding(Mesh(np.array(available[:n]), ("episodes",)), PartitionSpec("episodes"))


def concat_conditions(parts: Sequence[Conditions]) -> Conditions:
    """The rows of several condition sets, one after another."""
    return Conditions(*(np.concatenate([getattr(c, n) for c in parts]) for n in CONDITION_NAMES))


def run_rollouts(
    rollout: Callable[..., Any],
    conditions: Conditions,
    seed: int,
    batch: int,
    label: str = "rollout",
    params: Any = (),
    devices: int = 1,
) -> Trajectories:
    """Run ``rollout`` with policy ``params`` over all conditions in chunks of ``batch`` episodes (one compile per chunk
    size; fewer conditions than ``batch`` make one smaller chunk), each chunk split over ``devices`` devices (see
    :func:`episode_sharding`)."""
    return run_sets(rollout, [(conditions, seed)], batch, label, params, devices)[0]


def run_sets(
    rollout: Callable[..., Any],
    sets: Sequence[tuple[Conditions, int]],
    batch: int,
    label: str = "rollout",
    params: Any = (),
    devices: int = 1,
) -> list[Trajectories]:
    """Several episode sets ``(conditions, start seed)`` in one stream of chunks, so only the last chunk is padded;
    each set's episodes are exactly those :func:`run_rollouts` would run for it (an episode's outcome does not
    depend on the other episodes of its chunk). One :class:`Trajectories` per set, in order."""
    conditions = concat_conditions([c for c, _ in sets])
    keys = jnp.concatenate([episode_keys(seed, len(c)) for c, seed in sets])
    traj = _run_chunks(rollout, conditions, keys, batch, label, params, devices)
    bounds = np.cumsum([0] + [len(c) for c, _ in sets])
    return [traj.episodes(slice(lo, hi)) for lo, hi in zip(bounds[:-1], bounds[1:])]


def _run_chunks(
    rollout: Callable[..., Any], conditions: Conditions, keys: jax.Array, batch: int, label: str, params: Any, devices: int,
) -> Trajectories:
    """The work of :func:`run_sets`: ``conditions`` (n rows) with their episode ``keys`` (n, 2)."""
    n = len(conditions)
    batch = min(batch, -(-n // devices) * devices)  # a small set is not padded to a whole batch
    sharding = episode_sharding(devices, batch)
    parts = []
    start = time.time()
    for lo in range(0, n, batch):
        idx = np.arange(lo, lo + batch) % n  # the last chunk is padded by wrapping around
        c = conditions.take(idx)
        per_episode = [getattr(c, name) for name in CONDITION_NAMES] + [keys[idx]]
        if sharding is not None:
            per_episode = jax.device_put(per_episode, sharding)
        out = rollout(params, *per_episode)
        record_env_steps(batch * out[0].shape[0], "rollout")  # what was simulated, padding included
        keep = min(batch, n - lo)
        *per_step, mass = (np.asarray(a) for a in out)
        parts.append([a[:, :keep] for a in per_step] + [mass[:keep]])
        done = lo + keep
        elapsed = time.time() - start
        print(f"[{label}] {done}/{n} episodes, {elapsed:.0f} s elapsed, ETA {elapsed / done * (n - done):.0f} s", flush=True)
    obs, action, labels, alive, x, work, reward, fell = (np.concatenate([p[i] for p in parts], axis=1) for i in range(8))
    mass = np.concatenate([p[8] for p in parts])
    return Trajectories(obs=obs, action=action, alive=alive, x=x, work=work, mass=mass, fell=fell, label=labels, reward=reward)
