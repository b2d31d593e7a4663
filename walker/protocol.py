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
from typing import Any, Callable

import numpy as np

from walker.config import SWEEP_QUANTITIES, EvaluateConfig, WalkerConfig
from walker.policy import PolicyFile
from walker.rollout import Conditions, Trajectories, draw_uniform, learned_policy, make_rollout, nominal_conditions, policy_arrays, random_conditions, run_rollouts


def suite_conditions(cfg: EvaluateConfig) -> Conditions:
    """The robustness suite: the same cases for every policy (seeded by ``evaluate.seed``)."""
    return random_conditions(cfg.suite_cases, cfg.seed, cfg.suite)


def sweep_conditions(quantity: str, w: WalkerConfig, ev: EvaluateConfig) -> tuple[np.ndarray, Conditions]:
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


def protocol_sets(w: WalkerConfig, ev: EvaluateConfig) -> dict[str, tuple[Conditions, int]]:
    """The protocol's episode sets as (conditions, start seed), so every policy meets the same starts."""
    return {
        "nominal": (nominal_conditions(ev.nominal_cases, w), ev.seed + 1),
        "suite": (suite_conditions(ev), ev.seed),
    }


def sweep_sets(w: WalkerConfig, ev: EvaluateConfig) -> dict[str, tuple[np.ndarray, Conditions, int]]:
    """The evaluate stage's sweeps as (values, conditions, start seed); the starts differ from the protocol sets'."""
    return {q: (*sweep_conditions(q, w, ev), ev.seed + 3 + i) for i, q in enumerate(SWEEP_QUANTITIES)}




def is_success(alive: np.ndarray, distance: np.ndarray, dt: float, min_speed: float) -> np.ndarray:
    """The protocol's success rule per episode: alive (T, n) at every step and progress distance (n,) m
    at an average of at least ``min_speed`` m/s over the whole episode (T control steps of ``dt`` s); (n,) bool."""
    alive = np.asarray(alive, bool)
    return alive.all(axis=0) & (distance / (alive.shape[0] * dt) >= min_speed)


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

    success: :func:`is_success`;
    distance: progress along the ramp until the end or the fall;
    cost of transport: positive actuator work / (m g distance), NaN if distance <= 0.
    """
    alive = np.asarray(alive, bool)
    steps_alive = alive.sum(axis=0)
    x_end = np.take_along_axis(x, steps_alive[None, :], axis=0)[0]
    distance = x_end - x[0]
    duration = np.maximum(steps_alive, 1) * dt
    speed = distance / duration
    success = is_success(alive, distance, dt, min_speed)
    positive_work = (np.asarray(work) * alive).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cot = np.where(distance > 0, positive_work / (mass * g * distance), np.nan)
    return EpisodeMetrics(success, distance, speed, cot, steps_alive)


def measure(
    rollout: Callable[..., Any],
    conditions: Conditions,
    seed: int,
    w: WalkerConfig,
    ev: EvaluateConfig,
    label: str,
    params: Any = (),
) -> tuple[Trajectories, EpisodeMetrics]:
    """Roll out over ``conditions`` and score every episode by the protocol."""
    traj = run_rollouts(rollout, conditions, seed, ev.rollout_batch, label, params)
    return traj, episode_metrics(traj.alive, traj.x, traj.work, traj.mass, w.control_dt, ev.min_speed_mps)


def mean_metrics(m: EpisodeMetrics) -> dict[str, float | int | None]:
    """Means over one set's episodes; cost of transport over the episodes where it is defined (None if none)."""
    return {
        "success": float(m.success.mean()),
        "distance_m": float(m.distance_m.mean()),
        "speed_mps": float(m.speed_mps.mean()),
        "cost_of_transport": float(np.nanmean(m.cost_of_transport)) if np.isfinite(m.cost_of_transport).any() else None,
        "episodes": int(len(m.success)),
    }


@dataclasses.dataclass(frozen=True)
class SuiteScore:
    """A policy's score on the robustness suite (PPO's progress evaluations)."""

    success: float
    """fraction of suite episodes that succeed"""
    episode_return: float
    """mean undiscounted return"""
    episode_length: float
    """mean control steps before the end or the fall"""


def suite_scorer(env: Any, w: WalkerConfig, ev: EvaluateConfig, label: str) -> Callable[[int, PolicyFile], SuiteScore]:
    """``score(step, policy)``: a learned policy on the robustness suite, compiled at the first call only
    (later calls swap the parameters), for the progress evaluations of every PPO run."""
    suite, suite_seed = protocol_sets(w, ev)["suite"]
    rollouts: dict[str, Callable[..., Any]] = {}

    def score(step: int, policy: PolicyFile) -> SuiteScore:
        if "suite" not in rollouts:
            rollouts["suite"] = make_rollout(env, learned_policy(policy), w.episode_steps)
        traj, m = measure(rollouts["suite"], suite, suite_seed, w, ev, f"{label}: suite at {step} steps", policy_arrays(policy))
        return SuiteScore(float(m.success.mean()), float(traj.episode_return().mean()), float(m.steps_alive.mean()))

    return score
