"""Automatic domain randomisation (ADR): training ranges that widen where the policy copes, and narrow where it fails.

Boundary sampling as in OpenAI et al., "Solving Rubik's Cube with a Robot Hand"
(2019): each factor's range has two boundaries; the policy is measured on
episodes with one factor pinned at one boundary (the other factors drawn from
their current ranges), and that boundary moves out by one step when the policy's
success there is at least an upper threshold, in by one step when below a
lower threshold, and stays otherwise. A range never grows past its hard limits
and never shrinks inside the range it started from (the robustness suite's box,
which the policy must keep).

Ranges are an (F, 2) array, one row per factor of :data:`ADR_FACTORS`, columns
(low, high). Training reads them through :class:`RangeSource` and
:class:`AdrEnv`: the compiled PPO step asks the host for the current ranges when
episodes reset, so the stage can move them between training epochs without
recompiling.
"""

from __future__ import annotations

from typing import Mapping

import jax
import jax.numpy as jnp
import numpy as np
from brax.envs.base import Env, State, Wrapper

from walker.config import AdrConfig, ConditionRanges
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


def boundary_conditions(ranges: np.ndarray, cases: int, rng: np.random.Generator, base: ConditionRanges) -> Conditions:
    """The boundary-sampling episodes: for each factor and side (in :data:`ADR_FACTORS` x :data:`SIDES` order),
    ``cases`` episodes with that factor at that boundary and every other factor drawn uniformly from its current
    range (push times from ``base.push_time_s``, push duration ``base.push_duration_s``); F * 2 * cases rows."""
    n = len(ADR_FACTORS) * len(SIDES) * cases
    columns = {f: rng.uniform(ranges[i, 0], ranges[i, 1], n).astype(np.float32) for i, f in enumerate(ADR_FACTORS)}
    for i, f in enumerate(ADR_FACTORS):
        for j in range(len(SIDES)):
            first = (i * len(SIDES) + j) * cases
            columns[f][first:first + cases] = ranges[i, j]
    return Conditions(
        slope_deg=columns["slope_deg"], friction_scale=columns["friction_scale"], torso_mass_scale=columns["torso_mass_scale"],
        push_impulse_ns=columns["push_impulse_ns"], push_time_s=draw_uniform(rng, base.push_time_s, n),
        push_duration_s=np.full(n, base.push_duration_s, np.float32),
    )


def boundary_success(walking: np.ndarray, cases: int) -> np.ndarray:
    """Fraction of walking episodes per boundary, (F, 2), from the (F * 2 * cases,) outcomes of :func:`boundary_conditions`."""
    return np.asarray(walking, float).reshape(len(ADR_FACTORS), len(SIDES), cases).mean(axis=2)


def as_record(ranges: np.ndarray, prefix: str = "") -> dict[str, float]:
    """``{'<prefix><factor>_low': ..., '<prefix><factor>_high': ...}`` of an (F, 2) array (for JSON and dvclive)."""
    return {f"{prefix}{f}_{side}": float(ranges[i, j]) for i, f in enumerate(ADR_FACTORS) for j, side in enumerate(SIDES)}


def from_record(record: Mapping[str, float], prefix: str = "") -> np.ndarray:
    """The (F, 2) array of an :func:`as_record` mapping."""
    return np.array([[record[f"{prefix}{f}_{side}"] for side in SIDES] for f in ADR_FACTORS], float)


class RangeSource:
    """The current training ranges on the host, (F, 2) float32, read by the compiled env at every reset."""

    def __init__(self, ranges: np.ndarray):
        self.ranges = np.asarray(ranges, np.float32)

    def set(self, ranges: np.ndarray) -> None:
        self.ranges = np.asarray(ranges, np.float32)

    def current(self) -> np.ndarray:
        return self.ranges.copy()


class AdrEnv(Wrapper):
    """A body env whose episodes draw the ADR factors from the source's current ranges.

    The body env's own reset draws the start state; this wrapper then replaces the
    episode's condition through the env's ``set_conditions`` (the rollout engine's
    interface): slope, push impulse, friction and torso mass uniform in the
    current ranges, the push time from ``push_time_s``, the push duration fixed.
    The ranges enter the compiled program through a host callback
    (``jax.pure_callback``), so moving them between PPO epochs needs no recompile;
    Brax calls reset inside its training epoch, and the stage moves the ranges only
    between epochs (in PPO's ``policy_params_fn``), so runs are reproducible.
    """

    def __init__(self, env: Env, source: RangeSource, push_time_s: tuple[float, float], push_duration_s: float):
        super().__init__(env)
        self.source = source
        self.push_time_s = push_time_s
        self.push_duration_s = push_duration_s

    def reset(self, rng: jax.Array) -> State:
        state = self.env.reset(rng)
        ranges = jax.pure_callback(self.source.current, jax.ShapeDtypeStruct((len(ADR_FACTORS), 2), jnp.float32))
        u = jax.random.uniform(jax.random.fold_in(rng, 2), (len(ADR_FACTORS) + 1,))
        values = ranges[:, 0] + (ranges[:, 1] - ranges[:, 0]) * u[:-1]
        conditions = {f: values[i] for i, f in enumerate(ADR_FACTORS)}
        low, high = self.push_time_s
        conditions.update(push_time_s=low + (high - low) * u[-1], push_duration_s=jnp.float32(self.push_duration_s))
        return self.env.set_conditions(state, conditions)
