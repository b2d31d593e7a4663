"""Stage `walkable` (pipeline envelope/dvc.yaml): where a walk exists for a body, found by a search over its expert
per slope and per uphill push (:mod:`walker.walkable`); the body comes by name (``--body``), never by import."""

from __future__ import annotations

import time

from walker.io import write_json, write_text
from walker.plugin import load_body
from walker.walkable import (
    ENVELOPE_PARAMS_FILE,
    WalkableConfig,
    search,
    walkable_markdown,
    walkable_plot,
)

PARAMS = ("walker", "fsm", "evaluate", {ENVELOPE_PARAMS_FILE: ["walkable"]})


def run(cfg: WalkableConfig, body_name: str, params_file: str, out_json: str, out_md: str, out_plot: str) -> dict:
    """The study for body ``body_name`` (its expert and protocol from ``params_file``) -> json, markdown and plot."""
    start = time.time()
    problem = load_body(body_name).expert_problem(params_file)  # search() checks cfg against it before any computation
    # evaluate.rollout_devices, fixed, so that a host with more cores computes the same bits
    result = {"body": body_name, **search(cfg, problem, problem.evaluate.rollout_devices)}
    result["wall_clock_s"] = time.time() - start
    write_json(result, out_json)
    write_text(walkable_markdown(result), out_md)
    walkable_plot(result, out_plot)
    print(f"[walkable] steepest walkable slope: {result['steepest_walkable_slope_deg']} deg, {result['wall_clock_s']:.0f} s", flush=True)
    return result
