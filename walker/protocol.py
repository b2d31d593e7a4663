"""The evaluation protocol: which episodes every policy meets, how each is scored, what success is.

One definition for every stage, plot and test (``docs/design.md``, "Evaluation
protocol"): the nominal set, the robustness suite and the one-factor sweeps
are fixed by ``params.yaml`` (block ``evaluate``) and its seeds, so every policy
meets the same cases; :func:`is_success` is the one success rule, used for MJX
rollouts and native MuJoCo alike. The rollouts themselves are
:mod:`walker.rollout`'s.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Sequence

import numpy as np

from walker.blocks import SWEEP_QUANTITIES, EvaluateConfig
from walker.body import BodyBlock
from walker.gait import GAIT_FIELDS, FootModel, GaitMetrics, gait_metrics, is_walking
from walker.policy import PolicyFile
from walker.rollout import (
    Conditions,
    Trajectories,
    draw_uniform,
    learned_policy,
    make_rollout,
    nominal_conditions,
    policy_arrays,
    random_conditions,
    run_rollouts,
    run_sets,
)


def suite_conditions(cfg: EvaluateConfig) -> Conditions:
    """The robustness suite: the same cases for every policy (seeded by ``evaluate.seed``)."""
    return random_conditions(cfg.suite_cases, cfg.seed, cfg.suite)


def sweep_conditions(quantity: str, w: BodyBlock, ev: EvaluateConfig) -> tuple[np.ndarray, Conditions]:
    """A one-factor sweep, ``quantity`` in {"slope_deg", "push_impulse_ns"}: the values (p,) and
    ``evaluate.sweeps.cases_per_point`` episodes per value (p * cases rows, grouped by value).

    Everything else is nominal; the push sweep draws each push time from
    ``evaluate.suite.push_time_s`` (seeded by ``evaluate.seed`` + 2).
    """
    values = np.asarray(getattr(ev.sweeps, quantity), np.float32)
    per_point = ev.sweeps.cases_per_point
    base = nominal_conditions(len(values) * per_point, w)
    column = np.repeat(values, per_point)
    if quantity == "slope_deg":
        return values, dataclasses.replace(base, slope_deg=column)
    if quantity == "push_impulse_ns":
        push_time = draw_uniform(np.random.default_rng(ev.seed + 2), ev.suite.push_time_s, len(column))
        return values, dataclasses.replace(base, push_impulse_ns=column, push_time_s=push_time)
    raise ValueError(f"unknown sweep quantity '{quantity}'; choose slope_deg or push_impulse_ns")


def envelope_map_conditions(w: BodyBlock, ev: EvaluateConfig) -> tuple[np.ndarray, np.ndarray, Conditions]:
    """The two-factor map (``evaluate.envelope_map``): slopes (s,), pushes (p,) and ``cases_per_point`` episodes per
    cell, s * p * cases rows ordered by slope, then push; friction and mass nominal, push times drawn from
    ``evaluate.suite.push_time_s`` (seeded by ``evaluate.seed`` + 5)."""
    grid = ev.envelope_map
    slopes, pushes = np.asarray(grid.slope_deg, np.float32), np.asarray(grid.push_impulse_ns, np.float32)
    per_cell = grid.cases_per_point
    n = len(slopes) * len(pushes) * per_cell
    push_time = draw_uniform(np.random.default_rng(ev.seed + 5), ev.suite.push_time_s, n)
    conditions = dataclasses.replace(
        nominal_conditions(n, w), slope_deg=np.repeat(slopes, len(pushes) * per_cell),
        push_impulse_ns=np.tile(np.repeat(pushes, per_cell), len(slopes)), push_time_s=push_time,
    )
    return slopes, pushes, conditions


def protocol_sets(w: BodyBlock, ev: EvaluateConfig) -> dict[str, tuple[Conditions, int]]:
    """The protocol's episode sets as (conditions, start seed), so every policy meets the same starts."""
    return {
        "nominal": (nominal_conditions(ev.nominal_cases, w), ev.seed + 1),
        "suite": (suite_conditions(ev), ev.seed),
    }


def sweep_sets(w: BodyBlock, ev: EvaluateConfig) -> dict[str, tuple[np.ndarray, Conditions, int]]:
    """The evaluate stage's sweeps as (values, conditions, start seed); the starts differ from the protocol sets'."""
    return {q: (*sweep_conditions(q, w, ev), ev.seed + 3 + i) for i, q in enumerate(SWEEP_QUANTITIES)}




def horizon_steps(w: BodyBlock, ev: EvaluateConfig) -> int:
    """Control steps of an evaluation episode (``evaluate.episode_seconds``; training's are ``walker.episode_seconds``)."""
    return max(1, int(round(ev.episode_seconds * w.control_hz)))


def is_steady(x: np.ndarray, dt: float, window_s: float, max_speed_change: float) -> np.ndarray:
    """(n,) bool: the mean speed over the last ``window_s`` differs from that over the window before by at most
    ``max_speed_change`` times the latter; x (T+1, n) positions at the control steps.

    A gait that is still accelerating (a runaway that happens to outlast the
    episode) or winding down fails. Episodes shorter than two windows use two
    halves of the episode.
    """
    steps = x.shape[0] - 1
    window = min(max(1, int(round(window_s / dt))), steps // 2)
    if window == 0:
        return np.ones(x.shape[1], bool)
    last = (x[steps] - x[steps - window]) / (window * dt)
    before = (x[steps - window] - x[steps - 2 * window]) / (window * dt)
    return np.abs(last - before) <= max_speed_change * np.abs(before)


def is_success(fell: np.ndarray, distance: np.ndarray, steady: np.ndarray, dt: float, min_speed: float) -> np.ndarray:
    """The protocol's success rule per episode, (n,) bool: no fall in any control step (fell (T, n), the last
    step included), progress distance (n,) m at an average of at least ``min_speed`` m/s over the whole
    episode (T steps of ``dt`` s), and a steady speed at the end (steady (n,), :func:`is_steady`)."""
    fell = np.asarray(fell, bool)
    return ~fell.any(axis=0) & (distance / (fell.shape[0] * dt) >= min_speed) & np.asarray(steady, bool)


@dataclasses.dataclass(frozen=True)
class EpisodeMetrics:
    """Per-episode metrics; every field has shape (n,)."""

    success: np.ndarray
    """no fall, fast enough on average, steady at the end (:func:`is_success`)"""
    walking: np.ndarray
    """success, and the gait is a walk (:func:`walker.gait.is_walking` with ``evaluate.gait``)"""
    distance_m: np.ndarray
    speed_mps: np.ndarray
    cost_of_transport: np.ndarray
    """positive actuator work / (m g distance); NaN if distance <= 0"""
    steps_alive: np.ndarray
    gait: GaitMetrics


def episode_metrics(
    obs: np.ndarray, alive: np.ndarray, fell: np.ndarray, x: np.ndarray, work: np.ndarray, mass: np.ndarray,
    dt: float, ev: EvaluateConfig, body: FootModel, g: float = 9.81,
) -> EpisodeMetrics:
    """Metrics of the evaluation protocol from obs (T, n, obs_size), alive (T, n), fell (T, n), x (T+1, n),
    work (T, n) J, mass (n,) kg; ``body`` reads the feet from the observations.

    Distance: progress along the ramp until the end or the fall (the falling step included).
    """
    alive = np.asarray(alive, bool)
    steps_alive = alive.sum(axis=0)
    x_end = np.take_along_axis(x, steps_alive[None, :], axis=0)[0]
    distance = x_end - x[0]
    duration = np.maximum(steps_alive, 1) * dt
    speed = distance / duration
    steady = is_steady(x, dt, ev.steady.window_s, ev.steady.max_speed_change)
    success = is_success(fell, distance, steady, dt, ev.min_speed_mps)
    height, foot_x = body.feet(obs, x[:-1])
    crit = ev.gait
    gait = gait_metrics(height, foot_x, alive, speed, dt, crit.contact_height, body.leg_length, g)
    walking = success & is_walking(gait, crit.min_alternations_hz, crit.max_flight_fraction, crit.max_stance_slip_mps, crit.min_step_length_m)
    positive_work = (np.asarray(work) * alive).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cot = np.where(distance > 0, positive_work / (mass * g * distance), np.nan)
    return EpisodeMetrics(success, walking, distance, speed, cot, steps_alive, gait)


def measure(
    rollout: Callable[..., Any],
    conditions: Conditions,
    seed: int,
    w: BodyBlock,
    ev: EvaluateConfig,
    label: str,
    body: FootModel,
    params: Any = (),
) -> tuple[Trajectories, EpisodeMetrics]:
    """Roll out over ``conditions`` and score every episode by the protocol."""
    traj = run_rollouts(rollout, conditions, seed, ev.rollout_batch, label, params, ev.rollout_devices)
    return traj, episode_metrics(traj.obs, traj.alive, traj.fell, traj.x, traj.work, traj.mass, w.control_dt, ev, body)


def measure_sets(
    rollout: Callable[..., Any],
    sets: Sequence[tuple[Conditions, int]],
    w: BodyBlock,
    ev: EvaluateConfig,
    label: str,
    body: FootModel,
    params: Any = (),
) -> list[tuple[Trajectories, EpisodeMetrics]]:
    """:func:`measure` for several sets ``(conditions, start seed)`` of one policy at once: one stream of chunks
    of ``evaluate.rollout_batch`` episodes (padding only the last), the same episodes and scores as one call each."""
    trajs = run_sets(rollout, sets, ev.rollout_batch, label, params, ev.rollout_devices)
    return [(t, episode_metrics(t.obs, t.alive, t.fell, t.x, t.work, t.mass, w.control_dt, ev, body)) for t in trajs]


def _mean_or_none(values: np.ndarray) -> float | None:
    finite = np.asarray(values, float)[np.isfinite(values)]
    return float(finite.mean()) if finite.size else None


def mean_metrics(m: EpisodeMetrics) -> dict[str, float | int | None]:
    """Means over one set's episodes. Cost of transport over the successful episodes only (None if none
    succeeded; ``cost_of_transport_episodes`` says how many); gait metrics over every episode until its end
    or fall (``gait_<name>``, None where no episode defines it)."""
    cot = np.where(m.success, m.cost_of_transport, np.nan)
    out: dict[str, float | int | None] = {
        "success": float(m.success.mean()),
        "walking": float(m.walking.mean()),
        "distance_m": float(m.distance_m.mean()),
        "speed_mps": float(m.speed_mps.mean()),
        "cost_of_transport": _mean_or_none(cot),
        "cost_of_transport_episodes": int(np.isfinite(cot).sum()),
        "episodes": int(len(m.success)),
    }
    for name in GAIT_FIELDS:
        out[f"gait_{name}"] = _mean_or_none(getattr(m.gait, name))
    return out


@dataclasses.dataclass(frozen=True)
class SuiteScore:
    """A policy's score on the robustness suite (PPO's progress evaluations)."""

    success: float
    """fraction of suite episodes that succeed"""
    walking: float
    """fraction of suite episodes that succeed with a walking gait"""
    episode_return: float
    """mean undiscounted return"""
    episode_length: float
    """mean control steps before the end or the fall"""


def suite_scorer(env: Any, w: BodyBlock, ev: EvaluateConfig, label: str) -> Callable[[int, PolicyFile], SuiteScore]:
    """``score(step, policy)``: a learned policy on the robustness suite, compiled at the first call only
    (later calls swap the parameters), for the progress evaluations of every PPO run."""
    suite, suite_seed = protocol_sets(w, ev)["suite"]
    rollouts: dict[str, Callable[..., Any]] = {}

    def score(step: int, policy: PolicyFile) -> SuiteScore:
        if "suite" not in rollouts:
            rollouts["suite"] = make_rollout(env, learned_policy(policy), horizon_steps(w, ev))
        traj, m = measure(rollouts["suite"], suite, suite_seed, w, ev, f"{label}: suite at {step} steps", env.foot_model, policy_arrays(policy))
        return SuiteScore(float(m.success.mean()), float(m.walking.mean()), float(traj.episode_return().mean()), float(m.steps_alive.mean()))

    return score
