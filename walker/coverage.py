"""How much of the walkable envelope each policy covers (stage ``coverage``, pipeline ``envelope/dvc.yaml``).

The main pipeline's evaluation sweeps every policy over slope (no push) and over push (nominal slope), one factor at
a time (``results/evaluation.json``); the envelope study's search says where a walk exists at those points
(``results/envelope/walkable.json``). A sweep point counts as walkable when the search's chosen setting walked
there, or when the params file's expert walks there on the sweep itself: either is a controller that walks in at
least ``walkable_fraction`` of fresh 20-s episodes. A policy *covers* a walkable point when it walks there in at
least that fraction of the sweep's episodes. A point no controller was shown to walk at is "none found" where the
search looked and "not searched" elsewhere; a learned policy that walks there is reported as a witness, not used to
judge the others (it would make every policy's best point walkable by definition).

Pure functions of the two json files; no body is imported.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

from walker.config import ConfigError, field, load_block
from walker.envelope import ENVELOPE_PARAMS_FILE
from walker.wide_from_scratch import GROUP as WIDE_FROM_SCRATCH
from walker.wide_variants import group_of

SWEEP_FACTORS = ("slope_deg", "push_impulse_ns")
"""the evaluation sweeps that the search's points lie on: slopes with no push, pushes at the nominal slope"""
SHOWN = ("search", "expert")
"""witnesses that make a point walkable for the coverage count"""


@dataclasses.dataclass(frozen=True)
class CoverageConfig:
    """The policies' sweeps against where a walk exists (block `coverage` of envelope/params.yaml; stage `coverage`)."""

    expert: str = field("the evaluation's policy that is the params file's expert: where it walks, a walk exists")
    plot_groups: tuple[str, ...] = field("policy groups of the evaluation files (the main one and the study's own) drawn on the sweep panels, each seed a line")

    def __post_init__(self) -> None:
        if not self.plot_groups:
            raise ConfigError("coverage.plot_groups: name at least one policy group")


def load_coverage(path: str = ENVELOPE_PARAMS_FILE) -> CoverageConfig:
    """Block ``coverage`` of ``path``, validated (errors name the file and the key)."""
    return load_block(path, "coverage", CoverageConfig)


STUDY_STYLE = {WIDE_FROM_SCRATCH: ("PPO wide from scratch (ADR)", "#8c564b")}
"""the envelope study's own policy groups -> (label, colour), next to the main figures' styles"""
VARIANT_PREFIX = group_of("")
"""the wide runs' variants (stages wide_variant@*, :mod:`walker.wide_variants`) are groups ``<prefix><variant>``"""
VARIANT_COLOURS = ("#17becf", "#bcbd22", "#e377c2", "#7f7f7f")


def group_style(group: str, variants: Sequence[str] = ()) -> tuple[str, str]:
    """(label, colour) of a policy group: the main figures' and the study's own, then the wide runs' variants (named in
    the params file, so coloured in the order ``variants`` lists them); an unknown group raises KeyError."""
    from walker.plots import POLICY_STYLE

    known = {**POLICY_STYLE, **STUDY_STYLE}
    if group in known:
        return known[group]
    if group.startswith(VARIANT_PREFIX) and group in variants:
        return f"PPO wide, {group.removeprefix(VARIANT_PREFIX)} (ADR)", VARIANT_COLOURS[list(variants).index(group) % len(VARIANT_COLOURS)]
    raise KeyError(f"no style for policy group {group!r}")


def group_order(groups: Sequence[str]) -> list[str]:
    """The groups in table order: the main pipeline's, the study's own, then the rest (the variants) by name."""
    from walker.tables import GROUP_LABELS

    known = [*GROUP_LABELS, *STUDY_STYLE]
    return [g for g in known if g in groups] + sorted(g for g in set(groups) if g not in known)


def merge_evaluations(evaluations: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Several evaluation-shaped json files (the main pipeline's and the envelope study's own runs) as one:
    their ``policies`` and ``envelope_map`` entries together; a name in two files raises ValueError."""
    merged: dict[str, Any] = {"policies": {}, "envelope_map": {}}
    for evaluation in evaluations:
        for key in merged:
            twice = sorted(set(merged[key]) & set(evaluation.get(key) or {}))
            if twice:
                raise ValueError(f"{key} {twice} appear in two evaluation files")
            merged[key].update(evaluation.get(key) or {})
    return merged


def check_groups(cfg: CoverageConfig, evaluation: Mapping[str, Any], path: str = ENVELOPE_PARAMS_FILE) -> None:
    """The expert and every plotted group have a policy in the evaluation; raises :class:`ConfigError` naming the key."""
    if cfg.expert not in evaluation["policies"]:
        raise ConfigError(f"{path}: coverage.expert: {cfg.expert!r} is not a policy of the evaluation; policies: {sorted(evaluation['policies'])}")
    groups = {entry["group"] for entry in evaluation["policies"].values()}
    for i, group in enumerate(cfg.plot_groups):
        if group not in groups:
            raise ConfigError(f"{path}: coverage.plot_groups[{i}]: {group!r} has no policy in the evaluation; groups: {sorted(groups)}")


def search_point(walkable: Mapping[str, Any], factor: str, value: float) -> Mapping[str, Any] | None:
    """The search's point on sweep ``factor`` at ``value``: a slope with no push, or a push (at the search's
    nominal slope); None where the search did not look."""
    for point in walkable["points"]:
        pushed = point["push_impulse_ns"] != 0.0
        if factor == "slope_deg" and not pushed and math.isclose(point["slope_deg"], value):
            return point
        if factor == "push_impulse_ns" and pushed and math.isclose(point["push_impulse_ns"], value):
            return point
    return None


def existence(walkable: Mapping[str, Any], policies: Mapping[str, Mapping[str, Any]], factor: str, expert: str) -> list[dict[str, Any]]:
    """Per value of sweep ``factor``: whether a walk exists there and who shows it.

    Returns one dict per sweep value, in the sweep's order: ``value``; ``search_walking`` (the chosen setting on the
    search's validation episodes, None where not searched); ``expert_walking`` (the params file's expert on the
    sweep); ``witness`` (``search``, ``expert``, ``learned``, or None); ``learned`` (runs that walk there at the
    fraction); ``status`` (``walk exists``, ``walked by a learned policy``, ``none found``, ``not searched``)."""
    fraction = walkable["walkable_fraction"]
    sweep = policies[expert]["sweeps"][factor]
    rows = []
    for i, value in enumerate(sweep["values"]):
        point = search_point(walkable, factor, value)
        learned = sorted(name for name, entry in policies.items()
                         if name != expert and entry["sweeps"][factor]["walking"][i] >= fraction)
        expert_walks = sweep["walking"][i] >= fraction
        if point is not None and point["walkable"]:
            witness, status = "search", "walk exists"
        elif expert_walks:
            witness, status = "expert", "walk exists"
        elif learned:
            witness, status = "learned", "walked by a learned policy"
        else:
            witness, status = None, ("none found" if point is not None else "not searched")
        rows.append({"value": value, "search_walking": None if point is None else point["tuned"]["walking"],
                     "expert_walking": sweep["walking"][i], "witness": witness, "learned": learned, "status": status})
    return rows


def run_coverage(entry: Mapping[str, Any], points: Mapping[str, Sequence[Mapping[str, Any]]], fraction: float) -> dict[str, Any]:
    """One policy's sweeps against ``points`` (:func:`existence` per factor): the walkable points (search or expert)
    it walks at ``fraction``, and where not; the same over every point some controller walks (learned ones too)."""
    covered, walkable, misses, walked_any, covered_any = 0, 0, [], 0, 0
    for factor, rows in points.items():
        walking = entry["sweeps"][factor]["walking"]
        for row, w in zip(rows, walking):
            if row["witness"] is not None:
                walked_any += 1
                covered_any += int(w >= fraction)
            if row["witness"] in SHOWN:
                walkable += 1
                if w >= fraction:
                    covered += 1
                else:
                    misses.append({"factor": factor, "value": row["value"], "walking": w})
    return {"group": entry["group"], "walkable_points": walkable, "covered_points": covered, "misses": misses,
            "walked_points_any": walked_any, "covered_points_any": covered_any, "suite_walking": entry["suite"]["walking"]}


def coverage(evaluation: Mapping[str, Any], walkable: Mapping[str, Any], expert: str) -> dict[str, Any]:
    """The study's result: existence per sweep point (``expert``: the evaluation's policy that is the params file's
    expert) and every policy's coverage of the walkable points."""
    policies = evaluation["policies"]
    points = {factor: existence(walkable, policies, factor, expert) for factor in SWEEP_FACTORS}
    fraction = walkable["walkable_fraction"]
    runs = {name: run_coverage(entry, points, fraction) for name, entry in policies.items()}
    push_slopes = sorted({p["slope_deg"] for p in walkable["points"] if p["push_impulse_ns"] != 0.0})
    return {"walkable_fraction": fraction, "search_push_slope_deg": push_slopes, "points": points, "runs": runs,
            "sweeps": {name: {f: entry["sweeps"][f]["walking"] for f in SWEEP_FACTORS} for name, entry in policies.items()}}


FACTOR_LABELS = {"slope_deg": ("slope (deg)", "slope (deg), no push"), "push_impulse_ns": ("push (N s)", "push (N s, + downhill), nominal slope")}


def coverage_markdown(result: Mapping[str, Any]) -> str:
    """``results/envelope/coverage.md``: where a walk exists on the sweeps, each policy's walking there, and its count."""
    from walker.tables import fmt, table

    fraction = result["walkable_fraction"]
    order = group_order([r["group"] for r in result["runs"].values()])
    names = sorted(result["runs"], key=lambda n: (order.index(result["runs"][n]["group"]), n))
    parts = ["# How much of the walkable envelope each policy covers",
             "Generated by stage `coverage` (envelope/dvc.yaml) from `results/evaluation.json` (the main pipeline's sweeps), "
             "`results/envelope/wide_from_scratch.json` and `results/envelope/wide_variants.json` (the study's own wide runs, on "
             "the same sweeps) and "
             "`results/envelope/walkable.json` (the search); do not edit by hand.",
             (f"Walkable: the search's chosen setting walks there in at least {fmt(fraction, 2)} of its validation episodes "
              f"(\"search\"), or the params file's expert walks there in at least {fmt(fraction, 2)} of the sweep's episodes "
              "(\"expert\"). \"learned\": only a learned policy walks there at that fraction (not counted below). "
              f"The search's pushes are at {', '.join(fmt(s, 1) for s in result['search_push_slope_deg'])} deg, the sweep's "
              "nominal slope. Cells: walking success on the sweep; bold: at least the fraction at a walkable point; "
              "struck through: short of it at a walkable point.")]
    cover_rows = []
    for name in names:
        r = result["runs"][name]
        misses = ", ".join(f"{_value(m['factor'], m['value'])} ({fmt(m['walking'], 2)})" for m in r["misses"]) or "–"
        cover_rows.append((name, f"{r['covered_points']} of {r['walkable_points']}", f"{r['covered_points_any']} of {r['walked_points_any']}",
                           fmt(r["suite_walking"], 3), misses))
    parts += ["## Coverage per run", table(("run", "walkable points (search, expert) it walks", "points any controller walks, it walks",
                                             "suite walking", "walkable points missed (its walking)"), cover_rows)]
    for factor, rows in result["points"].items():
        header = (FACTOR_LABELS[factor][0], "status", "search: walking", "expert: walking", *names)
        body = []
        for i, row in enumerate(rows):
            cells = [_cell(result["sweeps"][n][factor][i], row["witness"] in SHOWN, fraction) for n in names]
            body.append((f"{row['value']:+g}" if factor == "push_impulse_ns" else f"{row['value']:g}",
                         row["status"] + (f" ({row['witness']})" if row["witness"] in SHOWN else ""),
                         fmt(row["search_walking"], 2), fmt(row["expert_walking"], 2), *cells))
        parts += [f"## Sweep over {FACTOR_LABELS[factor][1]}", table(header, body)]
    return "\n\n".join(parts) + "\n"


def _value(factor: str, value: float) -> str:
    return f"{value:+g} N s" if factor == "push_impulse_ns" else f"{value:g} deg"


def _cell(walking: float, walkable: bool, fraction: float) -> str:
    """A sweep cell: bold where a walkable point is walked at the fraction, struck through where it is not."""
    text = f"{walking:.2f}"
    if not walkable:
        return text
    return f"**{text}**" if walking >= fraction else f"~~{text}~~"


STATUS_SHADE = {"walk exists": ("#2ca02c", 0.14, None), "walked by a learned policy": ("#2ca02c", 0.06, None),
                "none found": ("#888888", 0.18, "///"), "not searched": ("#ffffff", 0.0, None)}
"""sweep status -> (face colour, alpha, hatch) of the band behind a sweep point"""


def coverage_plot(result: Mapping[str, Any], evaluation: Mapping[str, Any], plot_groups: Sequence[str], path: str) -> None:
    """Top: the evaluation's slope x push maps with the search's verdict on the no-push column (outlined: a walk exists;
    crossed: none found). Bottom: walking along each sweep for ``plot_groups``' runs over bands of existence."""
    import numpy as np

    from walker.plots import pyplot, save_figure

    plt = pyplot()
    variants = group_order([e["group"] for e in evaluation["policies"].values()
                            if e["group"].startswith(VARIANT_PREFIX) and e["group"] not in STUDY_STYLE])  # not ppo_wide_scratch
    maps = evaluation.get("envelope_map") or {}
    fig = plt.figure(figsize=(5.0 * max(len(maps), 2), 9.6 if maps else 4.4))
    top, bottom = fig.subfigures(2, 1, height_ratios=(1.05, 1.0)) if maps else (None, fig)
    slope_rows = {row["value"]: row for row in result["points"]["slope_deg"]}
    if maps:
        axes = top.subplots(1, len(maps), squeeze=False)[0]
        for ax, (group, entry) in zip(axes, maps.items()):
            grid = np.asarray(entry["walking"], float)
            image = ax.imshow(grid, origin="lower", cmap="RdYlGn", vmin=0.0, vmax=1.0, aspect="auto")
            pushes, slopes = entry["push_impulse_ns"], entry["slope_deg"]
            ax.set_xticks(range(len(pushes)), [f"{p:+g}" for p in pushes], fontsize=8)
            ax.set_yticks(range(len(slopes)), [f"{s:g}" for s in slopes], fontsize=8)
            for (r, c), v in np.ndenumerate(grid):
                ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=6.5)
            zero = [c for c, p in enumerate(pushes) if p == 0.0]
            for r, s in enumerate(slopes):
                row = slope_rows.get(s)
                if not zero or row is None:
                    continue
                if row["witness"] in SHOWN:
                    ax.add_patch(plt.Rectangle((zero[0] - 0.5, r - 0.5), 1, 1, fill=False, lw=2.0, ec="black"))
                elif row["witness"] == "learned":
                    ax.add_patch(plt.Rectangle((zero[0] - 0.5, r - 0.5), 1, 1, fill=False, lw=1.5, ec="black", ls="--"))
                elif row["status"] == "none found":
                    ax.plot([zero[0] - 0.45, zero[0] + 0.45], [r - 0.45, r + 0.45], color="black", lw=1.2)
                    ax.plot([zero[0] - 0.45, zero[0] + 0.45], [r + 0.45, r - 0.45], color="black", lw=1.2)
            ax.grid(False)
            ax.set_xlabel("push impulse (N s, + = downhill)")
            ax.set_ylabel("ramp slope (deg)")
            run = entry["run"]
            ax.set_title(group_style(group, variants)[0] + (f" (seed {run.rsplit('-', 1)[1]})" if "-" in run else ""), fontsize=10)
        top.colorbar(image, ax=list(axes), shrink=0.85, label="walking success")
        top.suptitle("Walking on slope x push; no-push column: outlined where a walk exists (search or expert), dashed where only a "
                     "learned policy walks, crossed where nothing walks",
                     fontsize=10)
    axes = bottom.subplots(1, 2, sharey=True)
    fraction = result["walkable_fraction"]
    for ax, factor in zip(axes, SWEEP_FACTORS):
        rows = result["points"][factor]
        xs = [row["value"] for row in rows]
        half = 0.5 * min(np.diff(xs)) if len(xs) > 1 else 0.5
        for row in rows:
            colour, alpha, hatch = STATUS_SHADE[row["status"]]
            if alpha:
                ax.axvspan(row["value"] - half, row["value"] + half, color=colour, alpha=alpha, hatch=hatch, lw=0)
        for group in plot_groups:
            label, colour = group_style(group, variants)
            runs = sorted(n for n, r in result["runs"].items() if r["group"] == group)
            for k, name in enumerate(runs):
                ax.plot(xs, result["sweeps"][name][factor], "o-", ms=3, lw=1.2, color=colour, alpha=0.85,
                        label=label if k == 0 else None)
        ax.axhline(fraction, color="tab:red", lw=0.8, ls=":", label=f"walking {fraction:g}")
        ax.set_xlabel(FACTOR_LABELS[factor][1])
        ax.set_ylim(-0.05, 1.05)
    axes[0].set_ylabel("walking success (sweep episodes)")
    axes[0].legend(loc="lower left", fontsize=7)
    bottom.suptitle("Each seed's walking along the sweeps; green band: a walk exists (search or expert), "
                    "pale green: only a learned policy walks there, hatched: the search found none", fontsize=10)
    save_figure(fig, path)
