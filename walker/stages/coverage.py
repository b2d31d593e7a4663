"""Stage `coverage` (pipeline envelope/dvc.yaml): every policy's walking along the main pipeline's sweeps against where
a walk exists (:mod:`walker.coverage`); reads json only, so it imports no body."""

from __future__ import annotations

import time
from collections.abc import Sequence

from walker.coverage import (
    CoverageConfig,
    check_groups,
    coverage,
    coverage_markdown,
    coverage_plot,
    merge_evaluations,
)
from walker.envelope import ENVELOPE_PARAMS_FILE, read_json
from walker.io import write_json, write_text

PARAMS = ({ENVELOPE_PARAMS_FILE: ["coverage"]},)


def run(cfg: CoverageConfig, evaluation_jsons: Sequence[str], walkable_json: str, out_json: str, out_md: str, out_plot: str) -> dict:
    """The coverage of the policies of ``evaluation_jsons`` (the main pipeline's evaluation first, then the study's own
    runs') over ``walkable_json``'s envelope -> json, markdown and plot."""
    start = time.time()
    writers = ["the main pipeline's stage evaluate (dvc repro evaluate)"] + ["a stage of envelope/dvc.yaml"] * (len(evaluation_jsons) - 1)
    evaluation = merge_evaluations([read_json(path, writer) for path, writer in zip(evaluation_jsons, writers)])
    walkable = read_json(walkable_json, "stage walkable (dvc repro envelope/dvc.yaml)")
    check_groups(cfg, evaluation)
    result = coverage(evaluation, walkable, cfg.expert)
    write_json(result, out_json)
    write_text(coverage_markdown(result), out_md)
    coverage_plot(result, evaluation, cfg.plot_groups, out_plot)
    best = max(result["runs"].items(), key=lambda kv: (kv[1]["covered_points"], kv[0]))
    print(f"[coverage] {best[0]} walks {best[1]['covered_points']} of {best[1]['walkable_points']} walkable sweep points, "
          f"{time.time() - start:.0f} s", flush=True)
    return result
