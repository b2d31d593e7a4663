"""The results contract's ``summary.json``: per-policy metrics, PPO seeds pooled, and sample efficiency.

Pure functions of already measured numbers; the evaluate stage measures them.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

SUMMARY_KEYS = ("success_nominal", "success_suite", "success_suite_native", "distance_m", "speed_mps", "cost_of_transport")
"""Per-policy keys of the results contract (docs/design.md); distance, speed and cost of transport are on the nominal set."""


def pooled(runs: Sequence[Mapping[str, float]], keys: Sequence[str] = SUMMARY_KEYS) -> dict[str, float]:
    """Mean over runs (seeds) of each key; with several runs also ``<key>_std``, the sample standard deviation."""
    out: dict[str, float] = {}
    for key in keys:
        values = np.array([float(run[key]) for run in runs])
        out[key] = float(values.mean())
        if len(runs) > 1:
            out[f"{key}_std"] = float(values.std(ddof=1))
    return out


def censored_steps(steps_to_threshold: int | None, budget: int) -> int:
    """Steps a run needed to reach the threshold; a run that never did counts as its whole budget."""
    return budget if steps_to_threshold is None else int(steps_to_threshold)


def sample_efficiency(ppo_runs: Mapping[str, Sequence[Mapping]], threshold_key: str = "steps_to_success_0_8") -> dict[str, float | int | None]:
    """Steps to 0.8 suite success per PPO variant (mean over seeds) and their ratio scratch / bc.

    ``ppo_runs`` maps a variant ("bc", "scratch") to its runs' ``results/ppo/*.json``
    contents. A run that never reached 0.8 counts as its budget (``env_steps``),
    so a mean with such runs is a lower bound; ``<variant>_runs_reached_0_8``
    says how many runs did reach it. The ratio > 1 means the curriculum needed
    that many times fewer steps.
    """
    out: dict[str, float | int | None] = {}
    for variant in ("bc", "scratch"):
        runs = ppo_runs.get(variant, ())
        if not runs:
            raise ValueError(f"no PPO runs of variant '{variant}' to summarise")
        steps = [censored_steps(r[threshold_key], int(r["env_steps"])) for r in runs]
        out[f"ppo_{variant}_steps_to_0_8"] = float(np.mean(steps))
        out[f"ppo_{variant}_runs_reached_0_8"] = sum(r[threshold_key] is not None for r in runs)
        out[f"ppo_{variant}_runs"] = len(runs)
    bc, scratch = out["ppo_bc_steps_to_0_8"], out["ppo_scratch_steps_to_0_8"]
    out["ratio"] = float(scratch / bc) if bc and math.isfinite(bc) else None
    return out


def summary(per_policy: Mapping[str, Sequence[Mapping[str, float]]], ppo_runs: Mapping[str, Sequence[Mapping]]) -> dict:
    """The whole ``summary.json``: ``per_policy`` maps fsm, bc, ppo_bc, ppo_scratch to their runs' metrics."""
    out: dict = {name: pooled(runs) for name, runs in per_policy.items()}
    out["sample_efficiency"] = sample_efficiency(ppo_runs)
    return out


def best_run(policies: Mapping[str, Mapping], group: str) -> str:
    """The name (``<group>-<seed>``) of ``group``'s run with the highest MJX suite success in evaluation.json's
    ``policies``; ties go to the lowest seed. Raises ValueError if the group has no run."""
    runs = {name: e["suite"]["success"] for name, e in policies.items() if e["group"] == group}
    if not runs:
        raise ValueError(f"evaluation results list no run of group '{group}'; run `dvc repro evaluate` first")
    by_seed = sorted(runs, key=lambda name: int(name.rsplit("-", 1)[1]) if "-" in name else -1)
    return max(by_seed, key=lambda name: runs[name])
