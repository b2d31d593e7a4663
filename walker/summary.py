"""The results contract's ``summary.json``: per-policy metrics, PPO seeds pooled, and sample efficiency.

Pure functions of already measured numbers; the evaluate stage measures them.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

SUMMARY_KEYS = (
    "success_nominal", "success_suite", "success_suite_native",
    "walking_nominal", "walking_suite", "walking_suite_native",
    "distance_m", "speed_mps", "cost_of_transport", "cost_of_transport_episodes",
    "gait_alternations_hz", "gait_duty_factor", "gait_flight_fraction", "gait_stance_slip_mps", "gait_step_length_m", "gait_froude",
)
"""Per-policy keys of the results contract (docs/design.md). Success and walking on the nominal set and the
suite; distance, speed, cost of transport (over the successful nominal episodes) and gait on the nominal set."""


def group_row(entry: Mapping[str, Mapping]) -> dict[str, float | None]:
    """One policy's :data:`SUMMARY_KEYS` from its evaluation.json entry (the sets' mean metrics)."""
    nominal, suite, native = entry["nominal"], entry["suite"], entry["suite_native"]
    row = {
        "success_nominal": nominal["success"], "success_suite": suite["success"], "success_suite_native": native["success"],
        "walking_nominal": nominal["walking"], "walking_suite": suite["walking"], "walking_suite_native": native["walking"],
        "distance_m": nominal["distance_m"], "speed_mps": nominal["speed_mps"],
        "cost_of_transport": nominal["cost_of_transport"], "cost_of_transport_episodes": nominal["cost_of_transport_episodes"],
    }
    row.update({key: nominal[key] for key in SUMMARY_KEYS if key.startswith("gait_")})
    return row


def pooled(runs: Sequence[Mapping[str, float | None]], keys: Sequence[str] = SUMMARY_KEYS) -> dict[str, float | None]:
    """Mean over runs (seeds) of each key; with several runs also ``<key>_std``, the sample standard deviation.

    A run without a value (None: e.g. no successful episode to take a cost of
    transport over) is left out of that key's mean; a key no run has is None.
    """
    out: dict[str, float | None] = {}
    for key in keys:
        values = np.array([float(run[key]) for run in runs if run.get(key) is not None])
        out[key] = float(values.mean()) if values.size else None
        if len(runs) > 1:
            out[f"{key}_std"] = float(values.std(ddof=1)) if values.size > 1 else None
    return out


def censored_steps(steps_to_threshold: int | None, budget: int) -> int:
    """Steps a run needed to reach the threshold; a run that never did counts as its whole budget."""
    return budget if steps_to_threshold is None else int(steps_to_threshold)


def sample_efficiency(
    ppo_runs: Mapping[str, Sequence[Mapping]], threshold_key: str = "steps_to_success_0_8", prefix: str = ""
) -> dict[str, float | int | None]:
    """Steps to 0.8 suite success per PPO variant (mean over seeds) and their ratio scratch / bc.

    ``ppo_runs`` maps a variant ("bc", "scratch") to its runs' ``results/ppo/*.json``
    contents. A run that never reached 0.8 counts as its budget (``env_steps``),
    so a mean with such runs is a lower bound; ``<variant>_runs_reached_0_8``
    says how many runs did reach it. The ratio > 1 means the curriculum needed
    that many times fewer steps. Keys start with ``prefix`` (``walking_`` for the
    walking criterion's ``steps_to_walking_0_8``).
    """
    out: dict[str, float | int | None] = {}
    for variant in ("bc", "scratch"):
        runs = ppo_runs.get(variant, ())
        if not runs:
            raise ValueError(f"no PPO runs of variant '{variant}' to summarise")
        steps = [censored_steps(r[threshold_key], int(r["env_steps"])) for r in runs]
        out[f"{prefix}ppo_{variant}_steps_to_0_8"] = float(np.mean(steps))
        out[f"{prefix}ppo_{variant}_runs_reached_0_8"] = sum(r[threshold_key] is not None for r in runs)
        out[f"{prefix}ppo_{variant}_runs"] = len(runs)
    bc, scratch = out[f"{prefix}ppo_bc_steps_to_0_8"], out[f"{prefix}ppo_scratch_steps_to_0_8"]
    out[f"{prefix}ratio"] = float(scratch / bc) if bc and math.isfinite(bc) else None
    return out


def summary(per_policy: Mapping[str, Sequence[Mapping[str, float]]], ppo_runs: Mapping[str, Sequence[Mapping]]) -> dict:
    """The whole ``summary.json``: ``per_policy`` maps fsm, bc, ppo_bc, ppo_scratch to their runs' metrics."""
    out: dict = {name: pooled(runs) for name, runs in per_policy.items()}
    out["sample_efficiency"] = {**sample_efficiency(ppo_runs), **sample_efficiency(ppo_runs, "steps_to_walking_0_8", "walking_")}
    return out


def best_run(policies: Mapping[str, Mapping], group: str) -> str:
    """The name (``<group>-<seed>``) of ``group``'s run with the highest MJX suite success in evaluation.json's
    ``policies``; ties go to the lowest seed. Raises ValueError if the group has no run."""
    runs = {name: e["suite"]["success"] for name, e in policies.items() if e["group"] == group}
    if not runs:
        raise ValueError(f"evaluation results list no run of group '{group}'; run `dvc repro evaluate` first")
    by_seed = sorted(runs, key=lambda name: int(name.rsplit("-", 1)[1]) if "-" in name else -1)
    return max(by_seed, key=lambda name: runs[name])
