"""Stage `timing`: where the default run's time went, stage by stage, against the physics it simulated at
`bench`'s rates -> results/timing.json and results/timing.md (docs/benchmarks.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from walker.io import write_json, write_text
from walker.passive.config import Params
from walker.timing import read_records, timing_markdown, timing_table

PARAMS = ("walker.timestep", "walker.control_hz")

STAGE_ORDER = ["system", "demos", "bc", "critic", "ppo", "ppo_wide", "sac", "evaluate", "report", "web", "bench", "solvers"]
"""The default pipeline's stages in the order they run (dvc.yaml)."""


def run(params: Params, timing_dir: str, bench_json: str, out_json: str, out_md: str) -> dict[str, Any]:
    """The per-stage table from every stage's ``results/timing/<stage>.json`` and the rates of ``results/bench.json``."""
    if not Path(bench_json).is_file():
        raise FileNotFoundError(f"{bench_json}: not found (run `dvc repro bench`)")
    bench = json.loads(Path(bench_json).read_text())
    table = timing_table(read_records(timing_dir, STAGE_ORDER), params.walker.n_substeps, bench)
    write_json(table, out_json)
    write_text(timing_markdown(table), out_md)
    total = table["total"]
    print(f"[timing] {total['wall_clock_s']:.0f} s wall clock, {total['physics_s']:.0f} s of physics at bench's rates "
          f"(ratio {total['wall_to_physics']:.1f})", flush=True)
    return table
