"""Stage `compare` of peer/dvc.yaml: the SB3 peer's policies through our evaluation, beside our groups.

Evaluates every peer run like the ``evaluate`` stage evaluates ours (MJX nominal
set, suite and sweeps; native suite), then writes ``results/peer/summary.json``:
the main summary's groups plus ``peer_sb3``, and the race to
``evaluate.success_threshold`` with the peer in it; a table
(``results/peer/comparison.md``) and plots (``results/peer/plots``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from walker.blocks import PPO_VARIANTS
from walker.io import atomic_dir, write_json, write_text
from walker.passive.backends import make_env
from walker.passive.config import Params
from walker.passive.system import load_system
from walker.peer import PEER_PARAMS_FILE, PeerConfig
from walker.policy import load_policy
from walker.stages.evaluate import EvaluatedPolicy, evaluate_policies
from walker.summary import CRITERIA, group_row, pooled, race_entry, race_ratio
from walker.tables import peer_markdown

PARAMS = ("walker", "fsm", "evaluate", "seeds", {PEER_PARAMS_FILE: ("peer.seeds",)})

PEER_GROUP = "peer_sb3"


def read_runs(results_dir: str, names: list[str]) -> list[dict]:
    """``<results_dir>/<name>.json`` for each name; a missing one names the stage that makes it."""
    runs = []
    for name in names:
        path = Path(results_dir) / f"{name}.json"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: run results not found (run `dvc repro` and `dvc repro peer/dvc.yaml`)")
        runs.append(json.loads(path.read_text()))
    return runs


def run(
    params: Params, peer: PeerConfig, system_file: str, peer_models: str, peer_results: str, summary_json: str, evaluation_json: str, ppo_results: str,
    out_summary: str, out_details: str, out_markdown: str, plots_dir: str,
) -> dict:
    """The peer's policies on our protocol, and the comparison with the main summary."""
    from walker import plots

    start = time.time()
    w, ev = params.walker, params.evaluate
    env = make_env(load_system(system_file, w), w)
    names = [f"sb3-{s}" for s in peer.seeds]
    policies = [EvaluatedPolicy(PEER_GROUP, f"{PEER_GROUP}-{s}", load_policy(Path(peer_models) / f"sb3-{s}", env.observation_size,
                                                                              env.action_size)) for s in peer.seeds]
    peer_runs = read_runs(peer_results, names)
    ppo_runs = {v: read_runs(ppo_results, [f"{v}-{s}" for s in params.seeds]) for v in PPO_VARIANTS}
    main = json.loads(Path(summary_json).read_text())
    details, _ = evaluate_policies(params, env, policies)
    out = {g: main[g] for g in ("fsm", "bc", "ppo_bc", "ppo_scratch")}
    out[PEER_GROUP] = pooled([group_row(e) for e in details.values()])
    pre_steps = main["sample_efficiency"]["pre_env_steps"]
    race: dict = {"threshold": ev.success_threshold}
    for criterion, key in CRITERIA.items():
        entries = {f"ppo_{v}": race_entry(ppo_runs[v], key, pre_steps.get(f"ppo_{v}", 0)) for v in PPO_VARIANTS}
        entries[PEER_GROUP] = race_entry(peer_runs, key)
        race[criterion] = {
            **entries,
            # > 1: our PPO needed that many times fewer env steps than the peer
            "ratio_peer_to_scratch": race_ratio(entries[PEER_GROUP], entries["ppo_scratch"], "median_steps"),
            "ratio_peer_to_bc_charged": race_ratio(entries[PEER_GROUP], entries["ppo_bc"], "median_charged_steps"),
        }
    out["race"] = race
    write_json({"policies": details}, out_details)
    write_json(out, out_summary)
    write_text(peer_markdown(out), out_markdown)
    curves = {m: {**{f"ppo_{v}": [_curve(r, m) for r in ppo_runs[v]] for v in PPO_VARIANTS}, PEER_GROUP: [_curve(r, m) for r in peer_runs]}
              for m in ("success_suite", "walking_suite")}
    per_seed: dict[str, dict[str, list]] = {}
    main_details = json.loads(Path(evaluation_json).read_text())["policies"]
    for e in [*main_details.values(), *details.values()]:
        for key, value in group_row(e).items():
            per_seed.setdefault(e["group"], {}).setdefault(key, []).append(value)
    with atomic_dir(plots_dir) as tmp:
        refs = {m: {g: main[g][m] for g in ("fsm", "bc")} for m in curves}
        plots.sample_efficiency(curves, refs, Path(tmp) / "race.png", ev.success_threshold)
        plots.summary_bars(out, per_seed, Path(tmp) / "summary.png")
    print(f"[peer compare] {json.dumps(race)} in {time.time() - start:.0f} s", flush=True)
    return out


def _curve(run: dict, metric: str):
    import numpy as np

    return np.array([h["env_steps"] for h in run["history"]], float), np.array([h[metric] for h in run["history"]], float)
