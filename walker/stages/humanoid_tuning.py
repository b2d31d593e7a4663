"""Stage `tuning` of humanoid/dvc.yaml: the humanoid's physics settings compared for speed and drift on this machine."""

from __future__ import annotations

import os

from walker.humanoid.bench import tuning_markdown, tuning_table
from walker.humanoid.config import HUMANOID_PARAMS_FILE, HumanoidParams
from walker.io import write_json, write_text

PARAMS = ({HUMANOID_PARAMS_FILE: ("humanoid", "evaluate.seed", "bench")},)


def run(hp: HumanoidParams, out_json: str, out_markdown: str) -> dict:
    """``results/humanoid/tuning.json`` and its Markdown table."""
    rows = tuning_table(hp, os.cpu_count() or 1)
    write_json(rows, out_json)
    write_text(tuning_markdown(rows, hp), out_markdown)
    return rows
