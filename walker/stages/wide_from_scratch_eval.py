"""Stage `wide_from_scratch_eval` (pipeline envelope/dvc.yaml): the wide runs from scratch measured as stage `evaluate`
measures every policy, and set against the main pipeline's wide runs from BC (:mod:`walker.wide_from_scratch`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from walker.envelope import read_json
from walker.io import write_json, write_text
from walker.wide_from_scratch import GROUP, comparison_markdown, comparison_rows

PARAMS = ("walker", "fsm", "evaluate", "seeds")


def run(params: Any, env: Any, wide_models_dir: str, wide_results_dir: str, evaluation_json: str,
        bc_wide_results_dir: str, out_json: str, out_md: str) -> dict:
    """Every wide run from scratch on the protocol's sets and the best one on the slope x push map (as stage evaluate)
    -> ``out_json`` (evaluation.json's shape, plus each run's ADR record); the table against the BC wide runs -> ``out_md``.
    ``params`` and ``env``: the main params file's and the MJX env stage evaluate builds from them (the body comes as
    arguments, never by import)."""
    from walker.policy import load_policy
    from walker.stages.evaluate import EvaluatedPolicy, evaluate_policies

    start = time.time()
    main = read_json(evaluation_json, "the main pipeline's stage evaluate (dvc repro evaluate)")
    training = {f"{GROUP}-{seed}": read_json(Path(wide_results_dir) / f"wide-{seed}.json", f"stage wide_from_scratch@{seed}")
                for seed in params.seeds}
    bc_training = {f"ppo_wide-{seed}": read_json(Path(bc_wide_results_dir) / f"wide-{seed}.json", f"the main pipeline's stage ppo_wide@{seed}")
                   for seed in params.seeds}
    policies = [EvaluatedPolicy(GROUP, f"{GROUP}-{seed}", load_policy(Path(wide_models_dir) / f"wide-{seed}", env.observation_size, env.action_size))
                for seed in params.seeds]
    details, maps = evaluate_policies(params, env, policies, [GROUP])
    records = {name: {k: r[k] for k in ("start_policy", "env_steps", "wall_clock_s", "ranges_start", "ranges_final", "ranges_widest")}
               for name, r in training.items()}
    result = {"policies": details, "envelope_map": maps, "training": records, "suite_cases": params.evaluate.suite_cases,
              "episode_seconds": params.evaluate.episode_seconds}
    write_json(result, out_json)
    rows = comparison_rows({**main["policies"], **details}, {**bc_training, **training})
    both_maps = {g: m for g, m in {**main.get("envelope_map", {}), **maps}.items() if g in ("ppo_wide", GROUP)}
    write_text(comparison_markdown(rows, both_maps), out_md)
    print(f"[wide_from_scratch_eval] suite walking {[round(details[n]['suite']['walking'], 3) for n in training]} in "
          f"{time.time() - start:.0f} s", flush=True)
    return result
