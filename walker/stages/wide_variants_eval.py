"""Stage `wide_variants_eval` (pipeline envelope/dvc.yaml): every variant's wide runs measured as stage `evaluate`
measures every policy, the walking episodes' speed along the slope sweep for them and for the main pipeline's
unchanged wide runs, and the table of all of them (:mod:`walker.wide_variants`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from walker.envelope import ENVELOPE_PARAMS_FILE, read_json
from walker.io import write_json, write_text
from walker.wide_variants import (
    BASELINE_GROUP,
    WideVariantsConfig,
    comparison_markdown,
    comparison_rows,
    group_of,
)

PARAMS = ("walker", "fsm", "evaluate", "seeds", {ENVELOPE_PARAMS_FILE: ["wide_variants"]})


def slope_sweep_speeds(params: Any, env: Any, policy: Any) -> list[float | None]:
    """The walking episodes' mean speed (m/s) at each slope of evaluate's slope sweep (the same episodes stage evaluate
    runs: its conditions and start seed), None where none walks."""
    import numpy as np

    from walker.protocol import horizon_steps, measure, sweep_sets
    from walker.rollout import learned_policy, make_rollout, policy_arrays

    w, ev = params.walker, params.evaluate
    values, conditions, seed = sweep_sets(w, ev)["slope_deg"]
    rollout = make_rollout(env, learned_policy(policy), horizon_steps(w, ev))
    _, m = measure(rollout, conditions, seed, w, ev, "slope sweep speeds", env.foot_model, policy_arrays(policy))
    speed, walks = np.asarray(m.speed_mps, float).reshape(len(values), -1), np.asarray(m.walking, bool).reshape(len(values), -1)
    return [round(float(row[k].mean()), 4) if k.any() else None for row, k in zip(speed, walks)]


def run(params: Any, cfg: WideVariantsConfig, env: Any, variant_models_dir: str, variant_results_dir: str, evaluation_json: str,
        bc_wide_models_dir: str, bc_wide_results_dir: str, out_json: str, out_md: str) -> dict:
    """Every variant run on the protocol's sets and each variant's best run on the slope x push map (as stage evaluate)
    -> ``out_json`` (evaluation.json's shape, plus each run's ADR record and slope-sweep speeds); the table of them
    with the main pipeline's unchanged wide runs -> ``out_md``. ``params`` and ``env``: the main params file's and the
    MJX env stage evaluate builds from them (the body comes as arguments, never by import)."""
    from walker.policy import load_policy
    from walker.stages.evaluate import EvaluatedPolicy, evaluate_policies

    start = time.time()
    main = read_json(evaluation_json, "the main pipeline's stage evaluate (dvc repro evaluate)")
    runs = [(variant, seed) for variant in cfg.variants for seed in params.seeds]
    training = {f"{group_of(v)}-{s}": {**read_json(Path(variant_results_dir) / f"{v}-{s}.json", f"stage wide_variant@{v}-{s}"), "variant": v}
                for v, s in runs}
    bc_training = {f"{BASELINE_GROUP}-{s}": read_json(Path(bc_wide_results_dir) / f"wide-{s}.json", f"the main pipeline's stage ppo_wide@{s}")
                   for s in params.seeds}
    load = lambda folder: load_policy(folder, env.observation_size, env.action_size)  # noqa: E731
    policies = [EvaluatedPolicy(group_of(v), f"{group_of(v)}-{s}", load(Path(variant_models_dir) / f"{v}-{s}")) for v, s in runs]
    details, maps = evaluate_policies(params, env, policies, [group_of(v) for v in cfg.variants])
    baseline = {f"{BASELINE_GROUP}-{s}": load(Path(bc_wide_models_dir) / f"wide-{s}") for s in params.seeds}
    speeds = {p.name: slope_sweep_speeds(params, env, p.policy) for p in policies}
    speeds.update({name: slope_sweep_speeds(params, env, policy) for name, policy in baseline.items()})
    for name, entry in details.items():
        entry["sweeps"]["slope_deg"]["walking_speed_mps"] = speeds[name]
    keys = ("variant", "start_policy", "env_steps", "wall_clock_s", "ranges_start", "ranges_final", "ranges_widest", "boundary_others")
    records = {name: {k: r[k] for k in keys} for name, r in training.items()}
    result = {"policies": details, "envelope_map": maps, "training": records, "baseline_slope_speeds": {n: speeds[n] for n in baseline},
              "suite_cases": params.evaluate.suite_cases, "episode_seconds": params.evaluate.episode_seconds}
    write_json(result, out_json)
    rows = comparison_rows({**main["policies"], **details}, {**bc_training, **training}, speeds)
    shown_maps = {g: m for g, m in {**main.get("envelope_map", {}), **maps}.items() if g == BASELINE_GROUP or g in maps}
    write_text(comparison_markdown(rows, cfg.variants, shown_maps), out_md)
    print(f"[wide_variants_eval] suite walking {({n: round(details[n]['suite']['walking'], 3) for n in training})} in "
          f"{time.time() - start:.0f} s", flush=True)
    return result
