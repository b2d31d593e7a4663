"""The results contract's ``summary.json``: per-policy metrics, PPO seeds pooled, and sample efficiency.

Pure functions of already measured numbers; the evaluate stage measures them.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

from walker.blocks import PPO_VARIANTS, SAC_VARIANTS

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


def training_seconds(run: Mapping, steps: int | None) -> float | None:
    """Seconds of training to ``steps`` env steps at the run's mean training rate (scoring excluded); None if censored."""
    rate = run.get("train_steps_per_s")
    return None if steps is None or not rate else steps / rate


def race_entry(runs: Sequence[Mapping], key: str, pre_env_steps: int = 0) -> dict:
    """One group's runs on one criterion: env steps to the threshold per run (None: censored), how many reached it,
    the censored median, the same charged with ``pre_env_steps`` (what the group spent before its learner started),
    and the training seconds to the threshold per run (at each run's training rate, scoring excluded)."""
    steps = [None if r[key] is None else int(r[key]) for r in runs]
    charged = [None if s is None else s + pre_env_steps for s in steps]
    seconds = [training_seconds(r, s) for r, s in zip(runs, steps)]
    return {
        "runs": len(runs), "reached": sum(s is not None for s in steps), "budget": max(int(r["env_steps"]) for r in runs),
        "steps": steps, "median_steps": censored_median(steps),
        "pre_env_steps": pre_env_steps, "charged_steps": charged, "median_charged_steps": censored_median(charged),
        "training_seconds": seconds, "median_training_seconds": censored_median(seconds),
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
    budget = baseline["budget"] + (baseline["pre_env_steps"] if field == "median_charged_steps" else 0)
    return {"value": None, "censored": "baseline", "lower_bound": budget / cont}


LEARNERS = {"ppo": PPO_VARIANTS, "sac": SAC_VARIANTS}
"""The race's learners and their variants: run ``<variant>-<seed>`` of learner ``<learner>`` is in group ``<learner>_<variant>``."""

RACE_GROUPS = {"ppo_bc": "curriculum", "ppo_scratch": "scratch", "sac_demos": "curriculum", "sac_scratch": "scratch"}
"""The race's learners (summary groups, ``<learner>_<variant>``) and their side: a curriculum variant starts from
the FSM's demos and the clone (and is charged their env steps), a scratch variant from nothing."""


def best_group(entries: Mapping[str, Mapping], side: str, field: str) -> str | None:
    """The group on ``side`` (:data:`RACE_GROUPS`) among ``entries`` with the lowest median ``field``, a censored median
    counting as later than any; ties go to the earlier group in :data:`RACE_GROUPS`; None if the side has none."""
    groups = [g for g in RACE_GROUPS if g in entries and RACE_GROUPS[g] == side]
    if not groups:
        return None
    return min(groups, key=lambda g: math.inf if entries[g][field] is None else entries[g][field])


def sample_efficiency(runs: Mapping[str, Sequence[Mapping]], pre_env_steps: Mapping[str, int], threshold: float) -> dict:
    """The race to ``threshold`` of every learner in ``runs``, on both criteria, two ways.

    ``runs`` maps a race group (:data:`RACE_GROUPS`: ``ppo_bc`` and ``ppo_scratch`` required) to its runs' results
    (``results/<learner>/<variant>-<seed>.json``); ``pre_env_steps`` maps a group to the env steps its curriculum took
    before the learner started (FSM demos and DAgger rollouts for a curriculum variant, which also feed the offline
    critic; a critic warm-up is inside the learner's steps). ``ratio_ppo_only`` and ``ratio_charged`` are PPO from
    scratch / PPO from BC; ``best`` names the best curriculum and the best scratch learner by their charged medians
    and gives the ratio scratch / curriculum (> 1: the curriculum needed that many times fewer env steps).
    """
    for group in ("ppo_bc", "ppo_scratch"):
        if not runs.get(group):
            raise ValueError(f"no runs of '{group}' to summarise")
    unknown = sorted(set(runs) - set(RACE_GROUPS))
    if unknown:
        raise ValueError(f"{unknown}: not race groups; known: {list(RACE_GROUPS)}")
    out: dict = {"threshold": threshold, "pre_env_steps": {g: int(pre_env_steps.get(g, 0)) for g in runs}}
    for criterion, key in CRITERIA.items():
        entries = {g: race_entry(runs[g], key, pre_env_steps.get(g, 0)) for g in RACE_GROUPS if runs.get(g)}
        curriculum, scratch = best_group(entries, "curriculum", "median_charged_steps"), best_group(entries, "scratch", "median_charged_steps")
        out[criterion] = {
            **entries,
            "ratio_ppo_only": race_ratio(entries["ppo_scratch"], entries["ppo_bc"], "median_steps"),
            "ratio_charged": race_ratio(entries["ppo_scratch"], entries["ppo_bc"], "median_charged_steps"),
            "best": {"curriculum": curriculum, "scratch": scratch,
                     "ratio_charged": race_ratio(entries[scratch], entries[curriculum], "median_charged_steps")},
        }
    return out


def summary(
    per_policy: Mapping[str, Sequence[Mapping[str, float]]], runs: Mapping[str, Sequence[Mapping]],
    pre_env_steps: Mapping[str, int], threshold: float,
) -> dict:
    """The whole ``summary.json``: ``per_policy`` maps each group (fsm, bc, ppo_bc, ...) to its runs' metrics,
    ``runs`` each race group to its training runs' results (:func:`sample_efficiency`)."""
    out: dict = {name: pooled(runs) for name, runs in per_policy.items()}
    out["sample_efficiency"] = sample_efficiency(runs, pre_env_steps, threshold)
    return out


def best_run(policies: Mapping[str, Mapping], group: str, key: str = "success") -> str:
    """The name (``<group>-<seed>``) of ``group``'s run with the highest MJX suite ``key`` (success or walking) in
    evaluation.json's ``policies``; ties go to the lowest seed. Raises ValueError if the group has no run."""
    runs = {name: e["suite"][key] for name, e in policies.items() if e["group"] == group}
    if not runs:
        raise ValueError(f"evaluation results list no run of group '{group}'; run `dvc repro evaluate` first")
    by_seed = sorted(runs, key=lambda name: int(name.rsplit("-", 1)[1]) if "-" in name else -1)
    return max(by_seed, key=lambda name: runs[name])
