"""Batched rollouts in the MJX env and the evaluation protocol's metrics.

A *policy* here is a pair of pure functions, so the FSM (which carries a
discrete phase) and memoryless learned policies share one entry point:

  ``init(obs (18,)) -> carry`` and ``step(carry, obs (18,)) -> (carry, action (3,))``.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np
from brax import base

from walker.config import ConditionRanges, EvaluateConfig, FsmConfig, Interval, WalkerConfig
from walker.env import PassiveWalkerEnv, condition_system, set_push
from walker.fsm import fsm_init, fsm_step

Carry = Any
PolicyInit = Callable[[jax.Array], Carry]
PolicyStep = Callable[[Carry, jax.Array], tuple[Carry, jax.Array]]


@dataclasses.dataclass(frozen=True)
class Policy:
    """A policy as two pure JAX functions (see the module docstring)."""

    name: str
    init: PolicyInit
    step: PolicyStep


def fsm_policy(cfg: FsmConfig, env: PassiveWalkerEnv) -> Policy:
    return Policy(
        name="fsm",
        init=lambda obs: fsm_init(obs, jnp),
        step=lambda carry, obs: fsm_step(carry, obs, cfg, env.geom, jnp),
    )


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


def nominal_conditions(n: int, cfg: WalkerConfig) -> Conditions:
    """Nominal slope, friction and mass, no push."""
    ones = np.ones(n, np.float32)
    return Conditions(cfg.slope_deg * ones, ones, ones, 0 * ones, 1e9 * ones, cfg.randomization.push_duration_s * ones)


def _draw(rng: np.random.Generator, interval: Interval, n: int) -> np.ndarray:
    return rng.uniform(interval.low, interval.high, n).astype(np.float32)


def random_conditions(n: int, seed: int, ranges: ConditionRanges) -> Conditions:
    """Conditions drawn uniformly from ``ranges`` with a fixed NumPy seed."""
    rng = np.random.default_rng(seed)
    return Conditions(
        _draw(rng, ranges.slope_deg, n),
        _draw(rng, ranges.friction_scale, n),
        _draw(rng, ranges.torso_mass_scale, n),
        _draw(rng, ranges.push_impulse_ns, n),
        _draw(rng, ranges.push_time_s, n),
        np.full(n, ranges.push_duration_s, np.float32),
    )


def suite_conditions(cfg: EvaluateConfig) -> Conditions:
    """The robustness suite: the same cases for every policy (seeded by ``evaluate.seed``)."""
    return random_conditions(cfg.suite_cases, cfg.seed, cfg.suite)


@dataclasses.dataclass(frozen=True)
class Trajectories:
    """Batched rollouts; T control steps, n episodes."""

    obs: np.ndarray
    """(T, n, 18) observation before each action"""
    action: np.ndarray
    """(T, n, 3) action taken"""
    alive: np.ndarray
    """(T, n) bool: the walker had not fallen before this step"""
    x: np.ndarray
    """(T + 1, n) torso position along the ramp (m), starting with the reset state"""
    work: np.ndarray
    """(T, n) positive actuator work during each control step (J): the summed positive
    actuator power at the step's last physics substep times the control period"""
    mass: np.ndarray
    """(n,) total mass of each episode's walker (kg)"""


def make_rollout(env: PassiveWalkerEnv, policy: Policy, steps: int) -> Callable[..., Any]:
    """A jitted batched rollout over conditions: six condition arrays of shape (n,) and keys (n, 2)."""
    sys0: base.System = env.sys

    def episode(sys_i: base.System, key: jax.Array, impulse: jax.Array, push_time: jax.Array, push_duration: jax.Array):
        env_i = copy.copy(env)
        env_i.sys = sys_i
        state = set_push(env_i.reset(key), impulse, push_time, push_duration)
        carry = policy.init(state.obs)

        def body(c, _):
            state, carry, alive = c
            carry, action = policy.step(carry, state.obs)
            nxt = env_i.step(state, action)
            data = nxt.pipeline_state
            power = jnp.sum(jnp.maximum(data.actuator_force * data.actuator_velocity, 0.0))
            out = (state.obs, action, alive, data.qpos[0], power * env.dt)
            alive = alive & (nxt.done == 0)
            return (nxt, carry, alive), out

        init = (state, carry, jnp.array(True))
        _, (obs, action, alive, x, work) = jax.lax.scan(body, init, None, length=steps)
        x = jnp.concatenate([state.pipeline_state.qpos[:1], x])
        return obs, action, alive, x, work, jnp.sum(sys_i.body_mass)

    @jax.jit
    def rollout(slope, friction, mass, impulse, push_time, push_duration, keys):
        sys_v, in_axes = condition_system(sys0, slope, friction, mass)
        out = jax.vmap(episode, in_axes=(in_axes, 0, 0, 0, 0))(sys_v, keys, impulse, push_time, push_duration)
        obs, action, alive, x, work, total_mass = out
        swap = lambda a: jnp.swapaxes(a, 0, 1)  # noqa: E731 - (n, T, ...) -> (T, n, ...)
        return swap(obs), swap(action), swap(alive), swap(x), swap(work), total_mass

    return rollout


def run_rollouts(
    rollout: Callable[..., Any], conditions: Conditions, seed: int, batch: int, label: str = "rollout"
) -> Trajectories:
    """Run ``rollout`` over all conditions in fixed-size chunks (one compile), padding the last chunk."""
    n = len(conditions)
    keys = jax.random.split(jax.random.PRNGKey(seed), n)
    parts = []
    start = time.time()
    for lo in range(0, n, batch):
        idx = np.arange(lo, lo + batch) % n
        c = conditions.take(idx)
        out = rollout(*(getattr(c, name) for name in CONDITION_NAMES), keys[idx])
        keep = min(batch, n - lo)
        *per_step, mass = (np.asarray(a) for a in out)
        parts.append([a[:, :keep] for a in per_step] + [mass[:keep]])
        done = lo + keep
        elapsed = time.time() - start
        print(f"[{label}] {done}/{n} episodes, {elapsed:.0f} s elapsed, ETA {elapsed / done * (n - done):.0f} s", flush=True)
    obs, action, alive, x, work = (np.concatenate([p[i] for p in parts], axis=1) for i in range(5))
    mass = np.concatenate([p[5] for p in parts])
    return Trajectories(obs=obs, action=action, alive=alive, x=x, work=work, mass=mass)


@dataclasses.dataclass(frozen=True)
class EpisodeMetrics:
    """Per-episode metrics; every field has shape (n,)."""

    success: np.ndarray
    distance_m: np.ndarray
    speed_mps: np.ndarray
    cost_of_transport: np.ndarray
    steps_alive: np.ndarray


def episode_metrics(alive: np.ndarray, x: np.ndarray, work: np.ndarray, mass: np.ndarray, dt: float, min_speed: float, g: float = 9.81) -> EpisodeMetrics:
    """Metrics of the evaluation protocol from alive (T, n), x (T+1, n), work (T, n), mass (n,).

    success: alive for every step and average speed >= ``min_speed``;
    distance: progress along the ramp until the end or the fall;
    cost of transport: positive actuator work / (m g distance), NaN if distance <= 0.
    """
    alive = np.asarray(alive, bool)
    steps_alive = alive.sum(axis=0)
    x_end = np.take_along_axis(x, steps_alive[None, :], axis=0)[0]
    distance = x_end - x[0]
    duration = np.maximum(steps_alive, 1) * dt
    speed = distance / duration
    success = alive.all(axis=0) & (distance / (alive.shape[0] * dt) >= min_speed)
    positive_work = (np.asarray(work) * alive).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cot = np.where(distance > 0, positive_work / (mass * g * distance), np.nan)
    return EpisodeMetrics(success, distance, speed, cot, steps_alive)
