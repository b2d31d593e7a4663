"""Capacity-sweep stage `plot` (capacity/dvc.yaml): success, speed and memory against network size."""

from __future__ import annotations

import json
from pathlib import Path

from walker.config import Params
from walker.plots import capacity

PARAMS = ("capacity.networks",)


def run(params: Params, results_dir: str, out_png: str) -> None:
    """One figure from ``results_dir/<network>.json`` of every network in ``capacity.networks``."""
    rows = []
    for name in params.capacity.networks:
        path = Path(results_dir) / f"{name}.json"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: capacity result not found (run `dvc repro capacity/dvc.yaml`)")
        rows.append(json.loads(path.read_text()))
    capacity(rows, out_png)
