"""Stage `solvers`: MJX solver settings, their speed and their drift from native MuJoCo."""

from __future__ import annotations

from walker.io import write_json, write_text
from walker.passive.bench import solver_markdown, solver_table
from walker.passive.config import Params

PARAMS = ("walker", "fsm", "evaluate.seed", "bench")


def run(params: Params, out_json: str, out_md: str) -> dict[str, dict[str, float]]:
    """The solver table as JSON and markdown."""
    rows = solver_table(params)
    write_json(rows, out_json)
    write_text(solver_markdown(rows, params), out_md)
    return rows
