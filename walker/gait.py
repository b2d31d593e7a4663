"""Gait metrics from foot contacts and positions: is it a walk, a run, a hop or a shuffle?

Body-agnostic: a body supplies, per control step, each foot's height above the
ground and its position along the direction of travel (for the passive
walker: :func:`walker.passive.task.feet`). NumPy only, so MJX rollouts,
native MuJoCo and the tests share it.

Definitions, per episode and over the control steps before a fall:

- a foot is *on the ground* when its height is below ``contact_height``;
- the *stance foot* is the lowest foot, handed over only when another foot is
  on the ground and lower (:func:`stance_foot`), so bounces and a trailing foot
  grazing the ground are not steps;
- an *alternation* is a handover of the stance to another foot (in a walk,
  every step; a shuffle or a hop on one leg never alternates);
- *duty factor*: the fraction of steps a foot is on the ground, averaged over feet
  (walking > 0.5: the stances overlap; running < 0.5);
- *flight fraction*: the fraction of steps with no foot on the ground (0 in a walk);
- *stance slip*: the mean speed of the stance foot along the ground between two
  steps where it stays the stance foot and on the ground (a planted foot does not
  move; a rolling sphere foot's centre moves at its radius times the leg's rate);
- *step length*: how far ahead of the old stance foot the new one is at each handover;
- *Froude number*: v^2 / (g L), with v the average speed and L the leg length
  (walking gaits of animals and robots stay below about 0.5-1).
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

GAIT_FIELDS = ("alternations_hz", "duty_factor", "flight_fraction", "stance_slip_mps", "step_length_m", "froude")


@dataclasses.dataclass(frozen=True)
class GaitMetrics:
    """Per-episode gait metrics; every field has shape (n,); NaN where undefined (no step, no stance)."""

    alternations_hz: np.ndarray
    duty_factor: np.ndarray
    flight_fraction: np.ndarray
    stance_slip_mps: np.ndarray
    step_length_m: np.ndarray
    froude: np.ndarray


@dataclasses.dataclass(frozen=True)
class FootModel:
    """What the gait metrics need to know of a body."""

    feet: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    """obs (T, n, obs_size), torso position along the direction of travel (T, n) -> each foot's height above
    the ground (T, n, F) and position along the direction of travel (T, n, F), at the same steps"""
    leg_length: float
    """for the Froude number (m)"""


def stance_foot(height: np.ndarray, contact_height: float) -> np.ndarray:
    """(T, n, F) foot heights -> (T, n) index of the stance foot.

    The stance foot starts as the lowest one and hands over only when another
    foot is on the ground and lower than it; during a flight phase it stays.
    So a planted foot's bounce, or a trailing foot grazing the ground behind,
    is no change of stance: the legs alternate when the weight moves over.
    """
    height = np.asarray(height, float)
    stance = np.empty(height.shape[:2], int)
    stance[0] = np.argmin(height[0], axis=-1)
    rows = np.arange(height.shape[1])
    for t in range(1, height.shape[0]):
        lowest = np.argmin(height[t], axis=-1)
        takes_over = (lowest != stance[t - 1]) & (height[t, rows, lowest] < contact_height) & (
            height[t, rows, lowest] < height[t, rows, stance[t - 1]]
        )
        stance[t] = np.where(takes_over, lowest, stance[t - 1])
    return stance


def gait_metrics(
    height: np.ndarray, foot_x: np.ndarray, alive: np.ndarray, speed: np.ndarray, dt: float, contact_height: float,
    leg_length: float, g: float = 9.81,
) -> GaitMetrics:
    """Gait metrics from foot heights and positions (T, n, F), alive (T, n) and average speed (n,) m/s.

    ``dt`` is the control period (s); only steps where ``alive`` is True count.
    """
    alive = np.asarray(alive, bool)
    height, foot_x = np.asarray(height, float), np.asarray(foot_x, float)
    contact = (height < contact_height) & alive[..., None]
    steps = np.maximum(alive.sum(axis=0), 1)
    duty = contact.sum(axis=0).mean(axis=-1) / steps
    flight = (alive & ~contact.any(axis=-1)).sum(axis=0) / steps

    stance = stance_foot(height, contact_height)  # (T, n)
    rows = np.arange(stance.shape[1])
    switch = np.zeros_like(alive)
    switch[1:] = (stance[1:] != stance[:-1]) & alive[1:]
    # step length: how far the new stance foot landed ahead of the old one, at the handover
    previous = np.concatenate([stance[:1], stance[:-1]])
    ahead = foot_x[np.arange(len(stance))[:, None], rows, stance] - foot_x[np.arange(len(stance))[:, None], rows, previous]
    with np.errstate(invalid="ignore", divide="ignore"):
        step_length = (ahead * switch).sum(axis=0) / switch.sum(axis=0)
        # slip: the stance foot's speed along the ground between two steps where it stays stance and on the ground
        planted = (stance[1:] == stance[:-1]) & np.take_along_axis(contact[1:], stance[1:, ..., None], -1)[..., 0] \
            & np.take_along_axis(contact[:-1], stance[1:, ..., None], -1)[..., 0]
        stance_x = np.take_along_axis(foot_x, stance[..., None], axis=-1)[..., 0]
        slide = np.abs(np.diff(stance_x, axis=0)) / dt
        slip = (slide * planted).sum(axis=0) / planted.sum(axis=0)
    return GaitMetrics(
        alternations_hz=switch.sum(axis=0) / (steps * dt),
        duty_factor=duty,
        flight_fraction=flight,
        stance_slip_mps=slip,
        step_length_m=step_length,
        froude=np.square(speed) / (g * leg_length),
    )


def is_walking(
    gait: GaitMetrics, min_alternations_hz: float, max_flight_fraction: float, max_stance_slip_mps: float, min_step_length_m: float
) -> np.ndarray:
    """(n,) bool: the legs alternate often enough, the feet are rarely all off the ground, planted feet stay
    put and the steps are long enough. An episode with no planted step or no step at all (NaN) does not walk."""
    return (
        (gait.alternations_hz >= min_alternations_hz)
        & (gait.flight_fraction <= max_flight_fraction)
        & (np.nan_to_num(gait.stance_slip_mps, nan=np.inf) <= max_stance_slip_mps)
        & (np.nan_to_num(gait.step_length_m, nan=-np.inf) >= min_step_length_m)
    )
