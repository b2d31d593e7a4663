"""Stage `apg_compare`: the APG runs against PPO from scratch at equal training wall clock (results/apg.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from walker.apg import ApgParams
from walker.io import write_text
from walker.study_plots import apg_vs_ppo

PARAMS = ("seeds", "ppo.num_timesteps", {"physics/params.yaml": ("apg",)})


def load_runs(apg_dir: str, methods: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Each method's ``results/apg/<method>.json``; a missing one names the stage that writes it."""
    runs = {}
    for method in methods:
        path = Path(apg_dir) / f"{method}.json"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: not found (run `dvc repro physics/dvc.yaml:apg@{method}`)")
        runs[method] = json.loads(path.read_text())
    return runs


def ppo_time_curves(ppo_dir: str, seeds: tuple[int, ...], rate: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """PPO from scratch's suite walking success against steady training time (env steps / ``rate``), one curve per seed."""
    curves = []
    for seed in seeds:
        history = json.loads((Path(ppo_dir) / f"scratch-{seed}.json").read_text())["history"]
        curves.append((np.array([h["env_steps"] for h in history]) / rate, np.array([h["walking_suite"] for h in history])))
    return curves


def _mean(values: list[float]) -> str:
    return f"{np.mean(values):.2f} ({', '.join(f'{v:.2f}' for v in values)})"


def markdown(runs: dict[str, dict[str, Any]]) -> str:
    lines = [
        "# APG through the physics against PPO from scratch at equal training wall clock",
        "",
        "Produced by `dvc repro physics/dvc.yaml` (stages `apg@<method>`, `apg_compare`). Training time: env steps over the "
        "steady rate after compiling; PPO from scratch at the bench's PPO rate, scored where its evaluation history "
        "reaches that time (mean over seeds, each seed in brackets; its final score once the time is past its budget).",
        "",
        "| method | env steps | steady env steps/s | training time (s) | suite success | suite walking | PPO env steps in that time | PPO suite success | PPO suite walking |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for method, run in runs.items():
        ppo = run["ppo_scratch_at_equal_time"]
        suite = run["suite"] or {"success": float("nan"), "walking": float("nan")}
        lines.append(
            f"| {method} | {run['env_steps']:,} | {run['steady_env_steps_per_s']:,.0f} | {run['train_wall_clock_s']:.0f} | "
            f"{suite['success']:.2f} | {suite['walking']:.2f} | {min(ppo['env_steps'], ppo['budget_env_steps']):,.0f}"
            f"{' (its whole budget)' if ppo['env_steps'] >= ppo['budget_env_steps'] else ''} | {_mean(ppo['success_suite'])} | {_mean(ppo['walking_suite'])} |"
        )
    return "\n".join(lines) + "\n"


def run(params: ApgParams, apg_dir: str, ppo_dir: str, ppo_live_dir: str, bench_file: str, out_md: str, out_plot: str) -> None:
    """The table and the plot (``ppo_live_dir`` is listed for DVC: the curves come from the runs' JSON histories)."""
    runs = load_runs(apg_dir, params.apg.methods)
    rate = float(json.loads(Path(bench_file).read_text())["ppo_env_steps_per_s"])
    write_text(markdown(runs), out_md)
    apg_vs_ppo(runs, ppo_time_curves(ppo_dir, params.seeds, rate), out_plot)
