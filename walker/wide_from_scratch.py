"""Does the curriculum matter at the edges? ADR from PPO from scratch against ADR from PPO from BC (issue 36 item 4).

The main pipeline's wide runs (``ppo_wide@<seed>``) start ADR from PPO from BC. The envelope study's stages
``wide_from_scratch@<seed>`` run the same ADR, with the same settings and budget (blocks ``ppo`` and ``adr`` of
params.yaml), from the best walking run of PPO from scratch instead (its policy and critic), one ADR seed per
``seeds`` entry; stage ``wide_from_scratch_eval`` measures them as stage ``evaluate`` measures every policy. Only the
start differs: both starts are trained PPO policies of the same shape; the clone and its demos enter only the BC side.

Pure functions of json and params; no body is imported.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from walker.config import ConfigError, field, load_block
from walker.envelope import ENVELOPE_PARAMS_FILE

GROUP = "ppo_wide_scratch"
"""the policy group (in evaluation-style json) of the wide runs from scratch; their runs are ``<GROUP>-<seed>``"""
SCRATCH_GROUP = "ppo_scratch"
"""the main evaluation's group whose best walking run is the start"""
RANGE_FACTORS = ("slope_deg", "push_impulse_ns", "friction_scale", "torso_mass_scale")


@dataclasses.dataclass(frozen=True)
class WideFromScratchConfig:
    """ADR from PPO from scratch (block `wide_from_scratch` of envelope/params.yaml; stages wide_from_scratch*)."""

    start: str = field("the PPO-from-scratch run ADR starts from (models/ppo/<start>): the best by suite walking in results/evaluation.json")

    def __post_init__(self) -> None:
        if not self.start.startswith("scratch-"):
            raise ConfigError(f"wide_from_scratch.start: {self.start!r} is not a PPO-from-scratch run (scratch-<seed>)")


def load_wide_from_scratch(path: str = ENVELOPE_PARAMS_FILE) -> WideFromScratchConfig:
    """Block ``wide_from_scratch`` of ``path``, validated (errors name the file and the key)."""
    return load_block(path, "wide_from_scratch", WideFromScratchConfig)


def best_walking_scratch_run(policies: Mapping[str, Mapping[str, Any]]) -> str:
    """The PPO-from-scratch run (``scratch-<seed>``) with the highest suite walking in evaluation.json's ``policies``;
    ties go to the lowest seed."""
    runs = {name: entry["suite"]["walking"] for name, entry in policies.items() if entry["group"] == SCRATCH_GROUP}
    if not runs:
        raise ValueError(f"the evaluation lists no run of group {SCRATCH_GROUP!r}; run `dvc repro evaluate` first")
    name = max(sorted(runs, key=lambda n: int(n.rsplit("-", 1)[1])), key=lambda n: runs[n])
    return name.removeprefix("ppo_")


def check_start(cfg: WideFromScratchConfig, policies: Mapping[str, Mapping[str, Any]], path: str = ENVELOPE_PARAMS_FILE) -> None:
    """The configured start is scratch's best walking run; else a :class:`ConfigError` naming the key and the run to use."""
    best = best_walking_scratch_run(policies)
    if cfg.start != best:
        walking = {n.removeprefix("ppo_"): round(e["suite"]["walking"], 3) for n, e in policies.items() if e["group"] == SCRATCH_GROUP}
        raise ConfigError(f"{path}: wide_from_scratch.start: {cfg.start!r} is not PPO from scratch's best walking run; "
                          f"set it to {best!r} (suite walking per run: {walking})")


def comparison_rows(policies: Mapping[str, Mapping[str, Any]], training: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per wide run (``training[name]``: its ADR record, ``policies[name]``: its evaluation): start, suite
    walking, the nominal gait, and the ADR ranges at the end and at their widest."""
    rows = []
    for name in sorted(training, key=lambda n: (n.rsplit("-", 1)[0] != "ppo_wide", n)):
        entry, record = policies[name], training[name]
        rows.append({
            "run": name, "start": record["start_policy"], "suite_walking": entry["suite"]["walking"],
            "suite_success": entry["suite"]["success"], "speed_mps": entry["nominal"]["speed_mps"],
            "cost_of_transport": entry["nominal"]["cost_of_transport"],
            "final": {f: [record["ranges_final"][f"{f}_low"], record["ranges_final"][f"{f}_high"]] for f in RANGE_FACTORS},
            "widest": {f: [record["ranges_widest"][f"{f}_low"], record["ranges_widest"][f"{f}_high"]] for f in RANGE_FACTORS},
        })
    return rows


def comparison_markdown(rows: Sequence[Mapping[str, Any]], maps: Mapping[str, Mapping[str, Any]]) -> str:
    """``results/envelope/wide_from_scratch.md``: the two kinds of wide run side by side, and their best runs' maps."""
    from walker.tables import fmt, table

    def span(pair: Sequence[float]) -> str:
        return f"[{fmt(pair[0], 2)}, {fmt(pair[1], 2)}]"

    header = ("run", "start", "suite walking", "speed (m/s)", "CoT", *(f"{f}: final (widest)" for f in RANGE_FACTORS))
    body = [(r["run"], r["start"], fmt(r["suite_walking"], 3), fmt(r["speed_mps"], 2), fmt(r["cost_of_transport"], 3),
             *(f"{span(r['final'][f])} ({span(r['widest'][f])})" for f in RANGE_FACTORS)) for r in rows]
    parts = ["# ADR from PPO from scratch against ADR from PPO from BC",
             "Generated by stage `wide_from_scratch_eval` (envelope/dvc.yaml) from the wide runs' records and their evaluation "
             "(`results/envelope/wide_from_scratch.json`; the BC side from the main pipeline's `results/evaluation.json` and "
             "`results/ppo_wide/`); do not edit by hand. Same ADR settings and budget; only the start differs. CoT: cost of "
             "transport on the nominal set.",
             "## The runs", table(header, body)]
    for group, entry in maps.items():
        pushes = entry["push_impulse_ns"]
        grid_rows = [(f"{s:g}", *(fmt(v, 2) for v in row)) for s, row in zip(entry["slope_deg"], entry["walking"])]
        parts += [f"## Walking on slope x push: {entry['run']} (the best of {group} by suite walking)",
                  table(("slope (deg) \\ push (N s)", *(f"{p:+g}" for p in pushes)), grid_rows)]
    return "\n\n".join(parts) + "\n"
