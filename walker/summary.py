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


CRITERIA = {"success": "steps_to_success_threshold", "walking": "steps_to_walking_threshold"}
"""The race's two finishing lines: suite success, and suite walking success, reaching ``evaluate.success_threshold``."""


def censored_median(steps: Sequence[int | None]) -> float | None:
    """Median of env steps to the threshold over runs, a run that never reached it (None) counting as later than
    every run that did (right-censored). None when the median run itself is censored: then the median is only
    known to exceed the budget."""
    ordered = sorted(steps, key=lambda s: math.inf if s is None else s)
    if not ordered:
        return None
    middle = ordered[(len(ordered) - 1) // 2], ordered[len(ordered) // 2]
    return None if None in middle else float(sum(middle)) / 2


def race_entry(runs: Sequence[Mapping], key: str, pre_ppo_env_steps: int = 0) -> dict:
    """One group's runs on one criterion: env steps to the threshold per run (None: censored), how many reached it,
    the censored median, and the same charged with ``pre_ppo_env_steps`` (what the group spent before PPO)."""
    steps = [None if r[key] is None else int(r[key]) for r in runs]
    charged = [None if s is None else s + pre_ppo_env_steps for s in steps]
    return {
        "runs": len(runs), "reached": sum(s is not None for s in steps), "budget": max(int(r["env_steps"]) for r in runs),
        "steps": steps, "median_steps": censored_median(steps),
        "pre_ppo_env_steps": pre_ppo_env_steps, "charged_steps": charged, "median_charged_steps": censored_median(charged),
        "wall_clock_s": float(np.mean([r["wall_clock_s"] for r in runs])),
        "scoring_wall_clock_s": float(np.mean([r.get("eval_wall_clock_s", 0.0) for r in runs])),
    }


def race_ratio(baseline: Mapping, contender: Mapping, field: str) -> dict:
    """How many times fewer env steps ``contender`` needed than ``baseline`` (median ``field`` of two race entries).

    ``censored`` names the side whose median run never reached the threshold. When only the baseline is censored,
    ``lower_bound`` = its budget / the contender's median (the baseline needed more than its budget); otherwise
    no number is given.
    """
    base, cont = baseline[field], contender[field]
    if base is not None and cont is not None:
        return {"value": base / cont, "censored": None, "lower_bound": None}
    if cont is None:
        return {"value": None, "censored": "both" if base is None else "contender", "lower_bound": None}
    budget = baseline["budget"] + (baseline["pre_ppo_env_steps"] if field == "median_charged_steps" else 0)
    return {"value": None, "censored": "baseline", "lower_bound": budget / cont}


def sample_efficiency(ppo_runs: Mapping[str, Sequence[Mapping]], pre_ppo_env_steps: Mapping[str, int], threshold: float) -> dict:
    """The race of PPO from BC against PPO from scratch to ``threshold``, on both criteria, two ways.

    ``ppo_runs`` maps a variant ("bc", "scratch") to its runs' ``results/ppo/*.json``;
    ``pre_ppo_env_steps`` maps a variant to the env steps its curriculum took before PPO
    (FSM demos and DAgger rollouts for ``bc``, which also feed the offline critic; a critic warm-up is inside PPO's steps).
    ``ratio_ppo_only`` counts PPO's steps alone, ``ratio_charged`` adds the curriculum's;
    a ratio > 1 means PPO from BC needed that many times fewer steps.
    """
    for variant in ("bc", "scratch"):
        if not ppo_runs.get(variant):
            raise ValueError(f"no PPO runs of variant '{variant}' to summarise")
    out: dict = {"threshold": threshold, "pre_ppo_env_steps": dict(pre_ppo_env_steps)}
    for criterion, key in CRITERIA.items():
        entries = {f"ppo_{v}": race_entry(ppo_runs[v], key, pre_ppo_env_steps.get(v, 0)) for v in ("bc", "scratch")}
        out[criterion] = {
            **entries,
            "ratio_ppo_only": race_ratio(entries["ppo_scratch"], entries["ppo_bc"], "median_steps"),
            "ratio_charged": race_ratio(entries["ppo_scratch"], entries["ppo_bc"], "median_charged_steps"),
        }
    return out


def summary(
    per_policy: Mapping[str, Sequence[Mapping[str, float]]], ppo_runs: Mapping[str, Sequence[Mapping]],
    pre_ppo_env_steps: Mapping[str, int], threshold: float,
) -> dict:
    """The whole ``summary.json``: ``per_policy`` maps fsm, bc, ppo_bc, ppo_scratch to their runs' metrics."""
    out: dict = {name: pooled(runs) for name, runs in per_policy.items()}
    out["sample_efficiency"] = sample_efficiency(ppo_runs, pre_ppo_env_steps, threshold)
    return out


def best_run(policies: Mapping[str, Mapping], group: str, key: str = "success") -> str:
    """The name (``<group>-<seed>``) of ``group``'s run with the highest MJX suite ``key`` (success or walking) in
    evaluation.json's ``policies``; ties go to the lowest seed. Raises ValueError if the group has no run."""
    runs = {name: e["suite"][key] for name, e in policies.items() if e["group"] == group}
    if not runs:
        raise ValueError(f"evaluation results list no run of group '{group}'; run `dvc repro evaluate` first")
    by_seed = sorted(runs, key=lambda name: int(name.rsplit("-", 1)[1]) if "-" in name else -1)
    return max(by_seed, key=lambda name: runs[name])
