"""The humanoid's evaluation protocol, on the walker's machinery (:mod:`walker.rollout`, :mod:`walker.protocol`).

Each task has a pushed evaluation set (``evaluate.stand_set``, ``evaluate.walk_set``:
``evaluate.cases`` episodes whose starts, conditions and pushes are fixed by
``evaluate.seed``), so every policy meets the same cases.

- **stand**: success = no fall in any control step of ``evaluate.stand_seconds``.
- **walk**: the walker's sustained-walk rule (:func:`walker.protocol.episode_metrics`): no fall
  over ``evaluate.walk_seconds`` (twice training's episode), an average forward speed of at least
  ``evaluate.min_speed_mps``, a steady speed at the end (``evaluate.steady``); *walking* adds the
  gait criterion ``evaluate.gait`` (feet take turns, rarely both in the air, planted feet stay put,
  steps long enough), measured on the humanoid's feet.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np

from walker.humanoid.config import TASKS, HumanoidConfig, HumanoidEvaluateConfig
from walker.policy import PolicyFile
from walker.protocol import EpisodeMetrics, SuiteScore, episode_metrics
from walker.rollout import Conditions, Trajectories, learned_policy, make_rollout, policy_arrays, random_conditions, run_rollouts


def evaluation_set(task: str, ev: HumanoidEvaluateConfig) -> tuple[Conditions, int]:
    """The task's pushed set: (conditions of ``evaluate.cases`` episodes, the seed of their starts)."""
    if task not in TASKS:
        raise ValueError(f"unknown humanoid task '{task}'; choose one of {list(TASKS)}")
    offset = TASKS.index(task)
    return random_conditions(ev.cases, ev.seed + 2 * offset, ev.ranges(task)), ev.seed + 2 * offset + 1


def horizon_steps(task: str, cfg: HumanoidConfig, ev: HumanoidEvaluateConfig) -> int:
    """Control steps of one evaluation episode of ``task``."""
    return max(1, int(round(ev.seconds(task) * cfg.control_hz)))


def task_metrics(traj: Trajectories, task: str, cfg: HumanoidConfig, ev: HumanoidEvaluateConfig, body: Any) -> EpisodeMetrics:
    """Per-episode metrics of ``task`` (see the module docstring); ``body`` is the env's gait :class:`FootModel`."""
    m = episode_metrics(traj.obs, traj.alive, traj.fell, traj.x, traj.work, traj.mass, cfg.control_dt, ev, body)
    if task == "stand":
        upright = ~np.asarray(traj.fell, bool).any(axis=0)
        return dataclasses.replace(m, success=upright, walking=np.zeros_like(upright))
    return m


def task_scorer(env: Any, task: str, ev: HumanoidEvaluateConfig, label: str) -> Callable[[int, PolicyFile], SuiteScore]:
    """``score(step, policy)``: a learned policy on the task's set, compiled at the first call only."""
    conditions, seed = evaluation_set(task, ev)
    rollouts: dict[str, Callable[..., Any]] = {}

    def score(step: int, policy: PolicyFile) -> SuiteScore:
        if "set" not in rollouts:
            rollouts["set"] = make_rollout(env, learned_policy(policy), horizon_steps(task, env.cfg, ev))
        traj = run_rollouts(rollouts["set"], conditions, seed, ev.rollout_batch, f"{label}: {task} set at {step} steps", policy_arrays(policy),
                            ev.rollout_devices)
        m = task_metrics(traj, task, env.cfg, ev, env.foot_model)
        return SuiteScore(float(m.success.mean()), float(m.walking.mean()), float(traj.episode_return().mean()), float(m.steps_alive.mean()))

    return score
