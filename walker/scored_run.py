"""The scaffold every learner's training stage shares: a run scored on the robustness suite along the race's
step grid, whatever the learner (Brax PPO, Brax SAC, Stable-Baselines3 PPO) or the body.

- :func:`run_in_dirs`: the stage's model and dvclive folders appear only when the run finished (atomic
  renames), its metrics with the compile time after them; in a distributed run only process 0 writes.
- :class:`SuiteHistory`: the learner's ``on_eval(env_steps, policy)`` and ``on_progress(env_steps, metrics)``
  callbacks; scores, logs to dvclive and prints each point; :meth:`SuiteHistory.result` gives the result keys
  every run's ``results/<learner>/<run>.json`` shares (the race reads them: :mod:`walker.summary`).
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from walker.io import atomic_dir, write_json
from walker.policy import PolicyFile
from walker.protocol import SuiteScore
from walker.runtime import track_compiles


def steps_to_reach(history: Sequence[tuple[int, float]], threshold: float) -> int | None:
    """First env-step count at which the success rate in ``history`` (step, success) reached ``threshold``
    (None if never: the run is censored at its budget)."""
    return next((step for step, success in history if success >= threshold), None)


def run_in_dirs(train: Callable[[Path, Path], dict], out_dir: str, live_dir: str, out_json: str) -> dict:
    """``train(model_dir, live_dir) -> metrics`` into temporary folders that become ``out_dir`` and ``live_dir`` only
    when it returns; then the metrics, with the compile time and cache counts, to ``out_json``. In a distributed run
    the processes other than 0 train into folders that are thrown away and write nothing."""
    import jax

    compiles = track_compiles()
    if jax.process_index() > 0:
        with tempfile.TemporaryDirectory() as tmp:
            return train(Path(tmp), Path(tmp))
    with atomic_dir(live_dir) as live_tmp, atomic_dir(out_dir) as model_tmp:
        metrics = train(model_tmp, live_tmp)
    metrics.update(compile_s=compiles.compile_s, compile_cache_hits=compiles.cache_hits, compile_cache_misses=compiles.cache_misses)
    write_json(metrics, out_json)
    return metrics


@dataclasses.dataclass
class SuiteHistory:
    """A run's suite scores at every grid point, as they come: logged to ``live`` (dvclive) and printed."""

    score: Callable[[int, PolicyFile], SuiteScore]
    """the suite scorer (:func:`walker.protocol.suite_scorer`)"""
    live: Any
    """an open ``dvclive.Live``"""
    label: str
    """e.g. ``ppo bc-0``: the prefix of every printed line"""
    total_steps: int
    """the run's budget, for the ETA"""
    start: float = dataclasses.field(default_factory=time.time)
    points: list[tuple[int, float, float]] = dataclasses.field(default_factory=list)
    """(env steps, suite success, walking success) per grid point"""
    last: dict = dataclasses.field(default_factory=dict)
    scoring_s: float = 0.0
    """wall clock spent scoring on the suite (not training)"""
    rates: list[float] = dataclasses.field(default_factory=list)
    """the learner's training env steps/s, per progress report"""

    def on_eval(self, step: int, policy: PolicyFile) -> None:
        t0 = time.time()
        s = self.score(step, policy)
        self.scoring_s += time.time() - t0
        self.last.update(policy=policy, step=step, success=s.success, walking=s.walking, ret=s.episode_return, length=s.episode_length)
        self.points.append((step, s.success, s.walking))
        self.live.step = step
        self.live.log_metric("eval/success_suite", s.success)
        self.live.log_metric("eval/walking_suite", s.walking)
        self.live.log_metric("eval/episode_return", s.episode_return)
        self.live.log_metric("eval/episode_length", s.episode_length)
        self.live.log_metric("wall_clock_s", time.time() - self.start)
        print(f"[{self.label}] {step} env steps: suite success {s.success:.3f} (walking {s.walking:.3f}), return {s.episode_return:.1f}, "
              f"length {s.episode_length:.0f}, {time.time() - self.start:.0f} s", flush=True)

    def on_progress(self, step: int, metrics: dict) -> None:
        rate = float(metrics.get("training/sps", 0.0))
        self.rates.append(rate)
        eta = (self.total_steps - step) / rate if rate > 0 else float("nan")
        std = metrics.get("training/policy_dist_mean_std")
        spread = f", action spread {float(std):.3f}" if std is not None else ""
        print(f"[{self.label}] {step}/{self.total_steps} env steps, {rate:.0f} steps/s while training{spread}, ETA {eta:.0f} s", flush=True)

    def result(self, env_steps: int, threshold: float) -> dict:
        """The result keys every learner's run shares: budget, wall clock, the suite at the start and the end, and the
        env steps to ``threshold`` on both criteria (None: never reached, censored at ``env_steps``), with the history."""
        return {
            "env_steps": int(env_steps),
            "wall_clock_s": time.time() - self.start,
            "eval_wall_clock_s": self.scoring_s,
            "train_steps_per_s": float(np.mean(self.rates)) if self.rates else None,
            "success_suite_start": self.points[0][1],
            "success_suite_final": self.last["success"],
            "walking_suite_final": self.last["walking"],
            "eval_return_final": self.last["ret"],
            "episode_length_final": self.last["length"],
            "success_threshold": threshold,
            # None: never reached within env_steps (censored), not "reached at the budget"
            "steps_to_success_threshold": steps_to_reach([(n, s) for n, s, _ in self.points], threshold),
            "steps_to_walking_threshold": steps_to_reach([(n, wk) for n, _, wk in self.points], threshold),
            "history": [{"env_steps": n, "success_suite": s, "walking_suite": wk} for n, s, wk in self.points],
        }
