"""The wide runs, changed one way at a time (issue 36 items 2 and 3): does a braking cost, or ADR boundary tests with
the other factors nominal, widen the envelope that ADR from PPO from BC reaches?

Each variant of block ``wide_variants`` (envelope/params.yaml) is the main pipeline's stage ``ppo_wide`` (same start
``ppo@bc-<seed>``, same ``ppo`` and ``adr`` blocks, same budget and seeds) with at most two things changed: a braking
cost (:mod:`walker.passive.braking`: ``overspeed`` times the torso's speed above ``speed_cap``, every control step)
added to the reward it trains on, and how ADR draws a boundary test's other factors (``boundary_others``: ``wide``,
from their current ranges as ``ppo_wide`` does, or ``nominal``). Stage ``wide_variants_eval`` measures every run as
stage ``evaluate`` measures every policy, plus the walking episodes' speed along the slope sweep (issue 36 asks a walk
on every ramp to keep within 30 % of its nominal-ramp speed).

Pure functions of json and params; no body is imported.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from walker.config import ConfigError, field, load_block
from walker.envelope import ENVELOPE_PARAMS_FILE

BASELINE_GROUP = "ppo_wide"
"""the main evaluation's group of the unchanged wide runs (``ppo_wide-<seed>``)"""
RANGE_FACTORS = ("slope_deg", "push_impulse_ns", "friction_scale", "torso_mass_scale")


@dataclasses.dataclass(frozen=True)
class WideVariant:
    """One way of changing stage ppo_wide's ADR run (an entry of ``wide_variants.variants``)."""

    overspeed: float = field("weight of the braking cost (per m/s of torso speed above speed_cap, every control step); 0 = none", range=(0.0, 100.0))
    speed_cap: float = field("m/s; the braking cost charges forward speed above this (the nominal gaits walk 1.9-2.3 m/s)", range=(0.1, 100.0))
    boundary_others: str = field("a boundary test's other factors: drawn from their current ranges (wide, as ppo_wide) or nominal",
                                 choices=("wide", "nominal"))


@dataclasses.dataclass(frozen=True)
class WideVariantsConfig:
    """The envelope study's variants of the wide runs (block `wide_variants` of envelope/params.yaml)."""

    variants: dict[str, WideVariant] = field("name -> variant; a run is wide_variant@<name>-<seed> for each seed of params.yaml")

    def __post_init__(self) -> None:
        if not self.variants:
            raise ConfigError("wide_variants.variants: expected at least one variant")
        for name, v in self.variants.items():
            if not name.replace("_", "").isalnum() or not name.islower():
                raise ConfigError(f"wide_variants.variants.{name}: a variant's name must be lowercase letters, digits and underscores")
            if v.overspeed == 0.0 and v.boundary_others == "wide":
                raise ConfigError(f"wide_variants.variants.{name}: changes nothing (overspeed 0, boundary_others wide): that run is ppo_wide's")


def load_wide_variants(path: str = ENVELOPE_PARAMS_FILE) -> WideVariantsConfig:
    """Block ``wide_variants`` of ``path``, validated (errors name the file and the key)."""
    return load_block(path, "wide_variants", WideVariantsConfig)


def variant_of(cfg: WideVariantsConfig, run: str, path: str = ENVELOPE_PARAMS_FILE) -> tuple[str, WideVariant, int]:
    """``<variant>-<seed>`` (a stage's ``${item}``) -> the variant's name, its settings and the seed; an unknown name
    raises a :class:`ConfigError` naming the file and the variants it has."""
    name, _, seed = run.rpartition("-")
    if name not in cfg.variants or not seed.isdigit():
        raise ConfigError(f"{path}: wide_variants.variants has no variant for run {run!r} (<variant>-<seed>); it has {sorted(cfg.variants)}")
    return name, cfg.variants[name], int(seed)


def group_of(variant: str) -> str:
    """The policy group (in evaluation-style json) of a variant's runs; they are named ``<group>-<seed>``."""
    return f"ppo_wide_{variant}"


def sweep_row(entry: Mapping[str, Any], quantity: str) -> tuple[list[float], list[float]]:
    """(values, walking fraction per value) of one sweep of an evaluation entry."""
    sweep = entry["sweeps"][quantity]
    return list(sweep["values"]), list(sweep["walking"])


def comparison_rows(policies: Mapping[str, Mapping[str, Any]], training: Mapping[str, Mapping[str, Any]],
                    speeds: Mapping[str, Sequence[float | None]]) -> list[dict[str, Any]]:
    """One row per wide run (``training[name]``: its ADR record; ``policies[name]``: its evaluation; ``speeds[name]``:
    the walking episodes' mean speed at each slope of the sweep, None where none walks): suite walking, the nominal
    gait, walking along the slope and push sweeps, and the ADR ranges at their widest."""
    rows = []
    for name in sorted(training):
        entry, record = policies[name], training[name]
        slopes, slope_walking = sweep_row(entry, "slope_deg")
        pushes, push_walking = sweep_row(entry, "push_impulse_ns")
        rows.append({
            "run": name, "variant": record.get("variant", BASELINE_GROUP), "suite_walking": entry["suite"]["walking"],
            "speed_mps": entry["nominal"]["speed_mps"], "cost_of_transport": entry["nominal"]["cost_of_transport"],
            "slope_deg": slopes, "slope_walking": slope_walking, "slope_speed_mps": list(speeds[name]),
            "push_impulse_ns": pushes, "push_walking": push_walking,
            "widest": {f: [record["ranges_widest"][f"{f}_low"], record["ranges_widest"][f"{f}_high"]] for f in RANGE_FACTORS},
        })
    return rows


def speed_kept(slope_speeds: Sequence[float | None], nominal_speed: float, tolerance: float = 0.3) -> list[bool | None]:
    """Per slope: is the walking episodes' mean speed within ``tolerance`` (a fraction) of the nominal-ramp speed?
    None where no episode walks."""
    return [None if s is None else abs(s - nominal_speed) <= tolerance * nominal_speed + 1e-9 for s in slope_speeds]


def comparison_markdown(rows: Sequence[Mapping[str, Any]], variants: Mapping[str, WideVariant], maps: Mapping[str, Mapping[str, Any]]) -> str:
    """``results/envelope/wide_variants.md``: every wide run's walking along the sweeps, its speed along the slope sweep,
    and ADR's widest ranges, the unchanged runs (``ppo_wide``) first; then each group's best run on the slope x push map."""
    from walker.tables import envelope_map_table, fmt, table

    def span(pair: Sequence[float]) -> str:
        return f"[{fmt(pair[0], 1)}, {fmt(pair[1], 1)}]"

    ordered = sorted(rows, key=lambda r: (r["variant"] != BASELINE_GROUP, r["variant"], r["run"]))
    settings = [(BASELINE_GROUP, "0", "-", "wide")] + [(name, fmt(v.overspeed, 2), fmt(v.speed_cap, 2), v.boundary_others)
                                                     for name, v in variants.items()]
    slopes = ordered[0]["slope_deg"]
    pushes = ordered[0]["push_impulse_ns"]
    walk_table = table(("run", "suite", *(f"{s:g} deg" for s in slopes), *(f"{p:+g} N s" for p in pushes)),
                       [(r["run"], fmt(r["suite_walking"], 2), *(fmt(v, 2) for v in r["slope_walking"]), *(fmt(v, 2) for v in r["push_walking"]))
                        for r in ordered])
    def kept(r: Mapping[str, Any]) -> str:
        marks = [k for k in speed_kept(r["slope_speed_mps"], r["speed_mps"]) if k is not None]
        return f"{sum(marks)} of {len(marks)}"

    speed_table = table(("run", "nominal set", *(f"{s:g} deg" for s in slopes), "within 30 %"),
                        [(r["run"], fmt(r["speed_mps"], 2), *(fmt(v, 2) for v in r["slope_speed_mps"]), kept(r)) for r in ordered])
    range_table = table(("run", "CoT", *(f"{f} (widest)" for f in RANGE_FACTORS)),
                        [(r["run"], fmt(r["cost_of_transport"], 3), *(span(r["widest"][f]) for f in RANGE_FACTORS)) for r in ordered])
    parts = ["# The wide runs, changed one way at a time",
             "Generated by stage `wide_variants_eval` (envelope/dvc.yaml) from the runs' ADR records and their evaluation "
             "(`results/envelope/wide_variants.json`; the unchanged runs from the main pipeline's `results/evaluation.json` "
             "and `results/ppo_wide/`); do not edit by hand. Every run starts from `ppo@bc-<seed>` with the same ADR settings "
             "and budget; only what the variant names differs.",
             "## The variants", table(("variant", "braking weight", "speed cap (m/s)", "boundary tests' other factors"), settings),
             "## Walking along the sweeps (fraction of 20-s episodes)", walk_table,
             "## Speed of the walking episodes along the slope sweep (m/s; – where none walks)",
             "Issue 36 asks a walk on every ramp to keep within 30 % of its nominal-ramp speed (the nominal set's column); the last "
             "column counts the ramps where some episode walks and their mean speed is within it.",
             speed_table,
             "## ADR's widest ranges, and cost of transport on the nominal set", range_table]
    for group, entry in maps.items():
        parts += [f"## Walking on slope x push: {entry['run']} (the best of {group} by suite walking)", envelope_map_table(entry)]
    return "\n\n".join(parts) + "\n"
