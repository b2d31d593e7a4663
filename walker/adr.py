"""Automatic domain randomisation (ADR): training ranges that widen where the policy copes, and narrow where it fails.

Boundary sampling as in OpenAI et al., "Solving Rubik's Cube with a Robot Hand"
(2019): each factor's range has two boundaries; the policy is measured on
episodes with one factor pinned at one boundary (the other factors drawn from
their current ranges, or held nominal: ``adr.boundary_others``), and that boundary moves out by one step when the policy's
success there is at least an upper threshold, in by one step when below a
lower threshold, and stays otherwise. A range never grows past its hard limits
and never shrinks inside the range it started from (the robustness suite's box,
which the policy must keep).

Ranges are an (F, 2) array, one row per factor of :data:`ADR_FACTORS`, columns
(low, high). Training reads them from its env state (:class:`AdrRanges`), where
the stage writes them between PPO epochs (:func:`ranges_updater`): data, not a
host callback, so the compiled training program is the same for every seed and
JAX's persistent cache serves it.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np
from brax.envs.base import Env, State, Wrapper

from walker.autoreset import wrap_for_training
from walker.blocks import AdrConfig, ConditionRanges
from walker.rollout import Conditions, draw_uniform

ADR_FACTORS = ("slope_deg", "push_impulse_ns", "friction_scale", "torso_mass_scale")
"""The condition factors ADR moves, in the row order of every ranges array."""
SIDES = ("low", "high")
OUTWARD = np.array([-1.0, 1.0])
"""The direction (per column of a ranges array) in which a boundary moves when its range widens."""


def ranges_array(ranges: ConditionRanges) -> np.ndarray:
    """The ADR factors' intervals of ``ranges`` as an (F, 2) float64 array."""
    return np.array([[getattr(ranges, f).low, getattr(ranges, f).high] for f in ADR_FACTORS], float)


def limits_array(cfg: AdrConfig) -> np.ndarray:
    """``adr.limits`` as an (F, 2) array."""
    return np.array([[getattr(cfg.limits, f).low, getattr(cfg.limits, f).high] for f in ADR_FACTORS], float)


def steps_array(cfg: AdrConfig) -> np.ndarray:
    """``adr.step`` as an (F,) array."""
    return np.array([getattr(cfg.step, f) for f in ADR_FACTORS], float)


def update_ranges(
    ranges: np.ndarray, success: np.ndarray, start: np.ndarray, limits: np.ndarray, step: np.ndarray, upper: float, lower: float
) -> np.ndarray:
    """One ADR update; every array (F, 2) but ``step`` (F,).

    A boundary whose success (fraction of its episodes walking) is >= ``upper``
    moves outward by its factor's step, one below ``lower`` moves inward, one in
    between (or NaN: not measured) stays. Then each low is kept within
    [limits low, start low] and each high within [start high, limits high].
    """
    success = np.asarray(success, float)
    move = np.where(success >= upper, 1.0, np.where(success < lower, -1.0, 0.0))  # NaN compares False: stays
    moved = np.asarray(ranges, float) + move * OUTWARD * np.asarray(step, float)[:, None]
    low = np.clip(moved[:, 0], limits[:, 0], start[:, 0])
    high = np.clip(moved[:, 1], start[:, 1], limits[:, 1])
    return np.stack([low, high], axis=1)


def boundary_conditions(ranges: np.ndarray, cases: int, rng: np.random.Generator, base: ConditionRanges, others: str = "wide",
                        nominal: np.ndarray | None = None) -> Conditions:
    """The boundary-sampling episodes: for each factor and side (in :data:`ADR_FACTORS` x :data:`SIDES` order),
    ``cases`` episodes with that factor at that boundary and every other factor drawn uniformly from its current
    range (``others="wide"``) or held at ``nominal`` ((F,), in :data:`ADR_FACTORS` order; ``others="nominal"``:
    the boundary alone, so a range is not held back by the combination of every other factor at its widest);
    push times from ``base.push_time_s``, push duration ``base.push_duration_s``; F * 2 * cases rows."""
    n = len(ADR_FACTORS) * len(SIDES) * cases
    if others == "wide":
        columns = {f: rng.uniform(ranges[i, 0], ranges[i, 1], n).astype(np.float32) for i, f in enumerate(ADR_FACTORS)}
    elif others == "nominal":
        if nominal is None or np.shape(nominal) != (len(ADR_FACTORS),):
            raise ValueError(f"others='nominal' needs the nominal value of each of {ADR_FACTORS}")
        columns = {f: np.full(n, nominal[i], np.float32) for i, f in enumerate(ADR_FACTORS)}
    else:
        raise ValueError(f"others must be 'wide' or 'nominal', not {others!r}")
    for i, f in enumerate(ADR_FACTORS):
        for j in range(len(SIDES)):
            first = (i * len(SIDES) + j) * cases
            columns[f][first:first + cases] = ranges[i, j]
    return Conditions(
        slope_deg=columns["slope_deg"], friction_scale=columns["friction_scale"], torso_mass_scale=columns["torso_mass_scale"],
        push_impulse_ns=columns["push_impulse_ns"], push_time_s=draw_uniform(rng, base.push_time_s, n),
        push_duration_s=np.full(n, base.push_duration_s, np.float32),
    )


def nominal_factors(slope_deg: float) -> np.ndarray:
    """The nominal condition in :data:`ADR_FACTORS` order: the params file's slope, no push, unscaled friction and mass."""
    return np.array([slope_deg, 0.0, 1.0, 1.0], np.float32)


def boundary_success(walking: np.ndarray, cases: int) -> np.ndarray:
    """Fraction of walking (or surviving) episodes per boundary, (F, 2), from the (F * 2 * cases,) outcomes of
    :func:`boundary_conditions`."""
    return np.asarray(walking, float).reshape(len(ADR_FACTORS), len(SIDES), cases).mean(axis=2)


def as_record(ranges: np.ndarray, prefix: str = "") -> dict[str, float]:
    """``{'<prefix><factor>_low': ..., '<prefix><factor>_high': ...}`` of an (F, 2) array (for JSON and dvclive)."""
    return {f"{prefix}{f}_{side}": float(ranges[i, j]) for i, f in enumerate(ADR_FACTORS) for j, side in enumerate(SIDES)}


def from_record(record: Mapping[str, float], prefix: str = "") -> np.ndarray:
    """The (F, 2) array of an :func:`as_record` mapping."""
    return np.array([[record[f"{prefix}{f}_{side}"] for side in SIDES] for f in ADR_FACTORS], float)


RANGES_KEY = "adr_ranges"
"""The ``state.info`` entry (one (F, 2) array per env) that :class:`AdrRanges` draws every new episode's factors from."""


class AdrRanges(Wrapper):
    """Training episodes whose ADR factors are drawn from ranges carried in the env state as data.

    Wraps the batched, auto-resetting training env (:func:`walker.autoreset.wrap_for_training`'s); each env
    holds the current ranges in ``state.info["adr_ranges"]`` (F, 2). Whenever an episode starts (the first
    reset, and every auto-reset: a step whose ``done`` is set returns the next episode's first state), its
    slope, push impulse, friction and torso mass are drawn uniformly from those ranges, its push time from
    ``push_time_s``, and written through the body env's ``set_conditions`` (the rollout engine's interface).
    The ranges are an input of the compiled training program, not a host callback or a constant, so JAX's
    persistent cache serves every seed's run; :func:`ranges_updater` moves them between PPO epochs, when
    the stage changes them, so runs are reproducible.
    """

    def __init__(self, env: Env, body: Env, start: np.ndarray, push_time_s: tuple[float, float], push_duration_s: float):
        super().__init__(env)
        self.body = body
        self.start = np.asarray(start, np.float32)
        self.push_time_s = push_time_s
        self.push_duration_s = push_duration_s

    def reset(self, rng: jax.Array) -> State:
        state = self.env.reset(rng)
        n = state.done.shape[0]
        state.info[RANGES_KEY] = jnp.broadcast_to(jnp.asarray(self.start), (n, *self.start.shape))
        return self._draw(state, jnp.ones((n,), bool))

    def step(self, state: State, action: jax.Array) -> State:
        state = self.env.step(state, action)
        return self._draw(state, state.done > 0)

    def _draw(self, state: State, fresh: jax.Array) -> State:
        """``state`` with new factors for the envs where ``fresh`` (n,) is set; the others keep theirs."""
        keys = jax.vmap(lambda k: jax.random.fold_in(k, 2))(state.info["reset_key"])  # the autoreset's per-env key
        u = jax.vmap(lambda k: jax.random.uniform(k, (len(ADR_FACTORS) + 1,)))(keys)  # (n, F + 1)
        ranges = state.info[RANGES_KEY]  # (n, F, 2)
        values = ranges[:, :, 0] + (ranges[:, :, 1] - ranges[:, :, 0]) * u[:, :-1]
        conditions = {f: values[:, i] for i, f in enumerate(ADR_FACTORS)}
        low, high = self.push_time_s
        conditions.update(push_time_s=low + (high - low) * u[:, -1], push_duration_s=jnp.float32(self.push_duration_s))
        drawn = self.body.set_conditions(state, conditions)
        info = dict(state.info)
        for k, v in drawn.info.items():
            if v is not state.info[k]:  # the entries set_conditions wrote
                info[k] = jnp.where(jnp.reshape(fresh, (-1,) + (1,) * (jnp.ndim(v) - 1)), v, state.info[k])
        return state.replace(info=info)


def adr_wrap_env_fn(body: Env, start: np.ndarray, push_time_s: tuple[float, float], push_duration_s: float) -> Callable[..., Env]:
    """A Brax ``wrap_env_fn``: the stock training wrappers (:func:`walker.autoreset.wrap_for_training`), then :class:`AdrRanges`."""

    def wrap(env: Env, episode_length: int, action_repeat: int = 1, randomization_fn: Callable[..., Any] | None = None) -> Env:
        return AdrRanges(wrap_for_training(env, episode_length, action_repeat, randomization_fn), body, start, push_time_s, push_duration_s)

    return wrap


def ranges_updater(current: Callable[[], np.ndarray]) -> Callable[[State], State]:
    """For :func:`walker.ppo.train`'s ``update_env_state``: the training env state with every env's ranges set to
    ``current()`` (F, 2), read on the host before each PPO epoch."""

    def update(state: State) -> State:
        shape = np.shape(state.info[RANGES_KEY])
        ranges = np.ascontiguousarray(np.broadcast_to(np.asarray(current(), np.float32), shape))
        return state.replace(info={**state.info, RANGES_KEY: ranges})

    return update
