"""Stage `coverage` (pipeline envelope/dvc.yaml): every policy's walking along the main pipeline's sweeps against where
a walk exists (:mod:`walker.coverage`); reads json only, so it imports no body."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from walker.coverage import (
    ENVELOPE_PARAMS_FILE,
    CoverageConfig,
    check_groups,
    coverage,
    coverage_markdown,
    coverage_plot,
)
from walker.io import write_json, write_text

PARAMS = ({ENVELOPE_PARAMS_FILE: ["coverage"]},)


def run(cfg: CoverageConfig, evaluation_json: str, walkable_json: str, out_json: str, out_md: str, out_plot: str) -> dict:
    """The coverage of ``evaluation_json``'s policies over ``walkable_json``'s envelope -> json, markdown and plot."""
    start = time.time()
    evaluation = _read(evaluation_json, "the main pipeline's stage evaluate (dvc repro evaluate)")
    walkable = _read(walkable_json, "stage walkable (dvc repro envelope/dvc.yaml)")
    check_groups(cfg, evaluation)
    result = coverage(evaluation, walkable, cfg.expert)
    write_json(result, out_json)
    write_text(coverage_markdown(result), out_md)
    coverage_plot(result, evaluation, cfg.plot_groups, out_plot)
    best = max(result["runs"].items(), key=lambda kv: (kv[1]["covered_points"], kv[0]))
    print(f"[coverage] {best[0]} walks {best[1]['covered_points']} of {best[1]['walkable_points']} walkable sweep points, "
          f"{time.time() - start:.0f} s", flush=True)
    return result


def _read(path: str, writer: str) -> dict[str, Any]:
    if not Path(path).is_file():
        raise FileNotFoundError(f"{path}: not found; {writer} writes it")
    return json.loads(Path(path).read_text())
