"""The search behind ``ppo.variant_overrides.scratch``: PPO from scratch under candidate settings, one seed each.

Each candidate runs the real ``ppo`` stage (``walker.stages.ppo.run``) with the
committed params plus the candidate's overrides, and is scored on the suite on
the same step grid as every run. Results go to ``results/scratch_search.json``
(one row per candidate, appended as they finish) and a markdown table on
stdout, which docs/training.md quotes.

    python scripts/tune_scratch.py [--seed 0] [--only NAME ...] [--steps N]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
from pathlib import Path

from walker.passive.config import load_params
from walker.runtime import configure_jax

CANDIDATES: dict[str, dict[str, float]] = {
    # grad steps per training step (20,480 env steps) = num_minibatches x num_updates_per_batch
    "default": {},  # the bc variant's settings: 8 x 4 = 32 grad steps, minibatches of 2,560 samples
    "lr3e-4": {"learning_rate": 3e-4},
    "mb32-u4-lr3e-4": {"batch_size": 32, "num_minibatches": 32, "num_updates_per_batch": 4, "learning_rate": 3e-4},  # 128
    "mb32-u8-lr3e-4": {"batch_size": 32, "num_minibatches": 32, "num_updates_per_batch": 8, "learning_rate": 3e-4},  # 256
    "mb32-u8-lr3e-4-ent1e-3": {"batch_size": 32, "num_minibatches": 32, "num_updates_per_batch": 8, "learning_rate": 3e-4,
                               "entropy_cost": 1e-3},
    "mb64-u8-lr3e-4": {"batch_size": 16, "num_minibatches": 64, "num_updates_per_batch": 8, "learning_rate": 3e-4,
                       "num_envs": 128},  # 512, minibatches of 320 samples
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml")
    parser.add_argument("--system", default="data/system.pkl")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", nargs="*", help="candidate names (default: all)")
    parser.add_argument("--steps", type=int, help="override ppo.num_timesteps (a smoke test)")
    parser.add_argument("--out", default="results/scratch_search.json")
    args = parser.parse_args()
    configure_jax()
    from walker.stages import ppo as ppo_stage

    base = load_params(args.params)
    out = Path(args.out)
    rows = json.loads(out.read_text()) if out.is_file() else []
    for name in args.only or list(CANDIDATES):
        overrides = CANDIDATES[name]
        cfg = dataclasses.replace(base.ppo, variant_overrides={**(base.ppo.variant_overrides or {}), "scratch": overrides})
        if args.steps:
            cfg = dataclasses.replace(cfg, num_timesteps=args.steps, eval_every_steps=args.steps // 2, critic_warmup_steps=0)
        params = dataclasses.replace(base, ppo=cfg)
        with tempfile.TemporaryDirectory() as tmp:
            m = ppo_stage.run(params, "scratch", args.seed, args.system, "unused", "unused", f"{tmp}/model", f"{tmp}/r.json", f"{tmp}/live")
        row = {"candidate": name, "overrides": overrides, "seed": args.seed, **{k: m[k] for k in (
            "steps_to_success_threshold", "steps_to_walking_threshold", "success_suite_final", "walking_suite_final",
            "wall_clock_s", "train_steps_per_s", "history")}}
        rows = [r for r in rows if (r["candidate"], r["seed"]) != (name, args.seed)] + [row]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(rows, indent=1) + "\n")
        print(f"[tune] {name}: {json.dumps({k: v for k, v in row.items() if k != 'history'})}", flush=True)
    print("| candidate | seed | steps to threshold (success) | (walking) | final success | final walking | env steps/s | wall clock (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['candidate']} | {r['seed']} | {r['steps_to_success_threshold'] or 'not reached'} | {r['steps_to_walking_threshold'] or 'not reached'} | "
              f"{r['success_suite_final']:.3f} | {r['walking_suite_final']:.3f} | {r['train_steps_per_s']:.0f} | {r['wall_clock_s']:.0f} |")


if __name__ == "__main__":
    main()
