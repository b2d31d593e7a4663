"""The report's PNG figures (matplotlib, Agg backend chosen when a figure is drawn, not at import)."""

from __future__ import annotations

import csv
import textwrap
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from walker.io import atomic_path

POLICY_STYLE = {
    "fsm": ("FSM expert", "#555555"),
    "bc": ("BC clone", "#1f77b4"),
    "ppo_bc": ("PPO from BC", "#d62728"),
    "ppo_scratch": ("PPO from scratch", "#2ca02c"),
    "sac_demos": ("SAC from BC, demos in replay", "#e377c2"),
    "sac_scratch": ("SAC from scratch", "#17becf"),
    "ppo_wide": ("PPO wide (ADR)", "#ff7f0e"),
    "peer_sb3": ("SB3 PPO (peer)", "#9467bd"),
}
"""group -> (legend label, colour), the same in every figure"""


def pyplot():
    """matplotlib.pyplot on the Agg backend (no display), imported on first use."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"figure.dpi": 110, "font.size": 10, "axes.grid": True, "grid.alpha": 0.3})
    return plt


def save_figure(fig, path: str | Path) -> Path:
    """Write ``fig`` to ``path`` atomically, with no version stamp: the same data gives the same bytes."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, bbox_inches="tight", metadata={"Software": None})  # no version stamp: same data, same bytes
    return Path(path)


def read_curve(tsv: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """A dvclive metric file (columns step, value) as steps (k,) and values (k,)."""
    with open(tsv, newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))[1:]
    return np.array([float(r[0]) for r in rows]), np.array([float(r[1]) for r in rows])


def mean_band(curves: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Seeds' curves on their common steps: steps (k,), mean, min and max (k,) each."""
    common = sorted(set.intersection(*(set(s.tolist()) for s, _ in curves)))
    values = np.array([[dict(zip(s.tolist(), v))[c] for c in common] for s, v in curves])
    return np.array(common), values.mean(axis=0), values.min(axis=0), values.max(axis=0)


def sample_efficiency(
    curves: Mapping[str, Mapping[str, Sequence[tuple[np.ndarray, np.ndarray]]]], refs: Mapping[str, Mapping[str, float]],
    path: str | Path, threshold: float = 0.8,
) -> Path:
    """Suite success and suite walking success against env steps: mean over seeds, band = min..max.

    ``curves[metric][group]`` holds one (steps, values) per seed, metric in
    {"success_suite", "walking_suite"}; ``refs[metric]`` are the FSM's and BC's values, drawn as lines.
    """
    plt = pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    titles = {"success_suite": ("suite success (fraction)", "Success on the 256-case suite"),
              "walking_suite": ("suite walking success (fraction)", "Walking success on the suite")}
    for ax, (metric, (ylabel, title)) in zip(axes, titles.items()):
        for group, seeds in curves[metric].items():
            label, colour = POLICY_STYLE[group]
            steps, mean, lo, hi = mean_band(seeds)
            ax.plot(steps / 1e6, mean, color=colour, marker="o", ms=3, label=f"{label} (mean of {len(seeds)} seeds)")
            ax.fill_between(steps / 1e6, lo, hi, color=colour, alpha=0.2, lw=0)
        for group, value in refs[metric].items():
            label, colour = POLICY_STYLE[group]
            ax.axhline(value, color=colour, ls="--", lw=1, label=f"{label} ({value:.2f})")
        ax.axhline(threshold, color="black", ls=":", lw=1, label=f"{threshold:g} threshold")
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("environment steps (millions)")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
    axes[0].legend(fontsize=8, loc="lower right")
    fig.suptitle("The race on one step grid (each learner's own steps, the curriculum's not added): shaded band = min..max over seeds", fontsize=10)
    return save_figure(fig, path)


SWEEP_LABELS = {
    "slope_deg": ("ramp slope (deg)", "against slope (no push)"),
    "push_impulse_ns": ("push impulse (N s, + = downhill; 0.1 s at a random time in 2-8 s)", "against a push (nominal slope)"),
}


def robustness(
    sweeps: Mapping[str, Mapping[str, Any]], train_ranges: Mapping[str, Mapping[str, tuple[float, float]]], path: str | Path
) -> Path:
    """Success (top) and walking success (bottom) against slope and against push: per policy group the mean over seeds
    (thick) and each seed (thin), and each group's training range as a strip of its colour along the bottom.

    ``sweeps[quantity][group]`` = {"values": (p,), "success": (seeds, p), "walking": (seeds, p)};
    ``train_ranges[group][quantity]`` = (low, high), for the groups that trained on a range.
    """
    plt = pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.4), sharex="col")
    strips = [g for g in POLICY_STYLE if g in train_ranges]
    for col, (quantity, (xlabel, title)) in enumerate(SWEEP_LABELS.items()):
        for row, key in enumerate(("success", "walking")):
            ax = axes[row, col]
            for i, group in enumerate(strips):
                lo, hi = train_ranges[group][quantity]
                ax.axvspan(lo, hi, ymin=0.005 + 0.025 * i, ymax=0.025 + 0.025 * i, color=POLICY_STYLE[group][1], alpha=0.6, lw=0)
            for group, data in sweeps[quantity].items():
                label, colour = POLICY_STYLE[group]
                values, curve = np.asarray(data["values"]), np.atleast_2d(np.asarray(data[key]))
                n = curve.shape[0]
                ax.plot(values, curve.mean(axis=0), color=colour, marker="o", ms=4, lw=2,
                        label=label + (f" (mean of {n} seeds; thin: each seed)" if n > 1 else ""))
                if n > 1:
                    for seed_curve in curve:
                        ax.plot(values, seed_curve, color=colour, lw=0.8, alpha=0.45)
            ax.set_ylim(-0.14, 1.02)
            ax.set_ylabel(f"{key} (fraction of episodes)")
            ax.set_title(f"{'Success' if key == 'success' else 'Walking success'} {title}", fontsize=10)
            if row == 1:
                ax.set_xlabel(xlabel)
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncols=3, fontsize=8, frameon=False)
    fig.text(0.5, 0.085, "strips along the bottom: each group's training range (" +
             ", ".join(f"{POLICY_STYLE[g][0]}" for g in strips) + ", bottom up; the wide run's: its final ADR range, mean over seeds)",
             ha="center", fontsize=8)
    fig.tight_layout(rect=(0, 0.11, 1, 1))
    return save_figure(fig, path)


def adr_ranges(runs: Mapping[str, Sequence[Mapping[str, float]]], start: Mapping[str, float], limits: Mapping[str, float],
               factors: Mapping[str, str], path: str | Path) -> Path:
    """Each factor's ADR training range (low and high) against env steps, one line pair per run; the start box
    shaded, the hard limits dashed. ``runs[name]`` is a run's history (``<factor>_low``, ``<factor>_high``, ``env_steps``)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(factors), figsize=(4 * len(factors), 3.6))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (factor, unit) in zip(axes, factors.items()):
        ax.axhspan(start[f"{factor}_low"], start[f"{factor}_high"], color="#f2b134", alpha=0.2, lw=0, label="start (PPO from BC's box)")
        for side in ("low", "high"):
            ax.axhline(limits[f"{factor}_{side}"], color="k", ls="--", lw=0.8, label="hard limits" if side == "low" else None)
        for i, (name, history) in enumerate(runs.items()):
            steps = [h["env_steps"] for h in history]
            for side in ("low", "high"):
                ax.step(steps, [h[f"{factor}_{side}"] for h in history], where="post", color=colours[i % len(colours)], lw=1.5,
                        label=name if side == "low" else None)
        ax.set_title(f"{factor} ({unit})", fontsize=10)
        ax.set_xlabel("env steps")
    axes[0].set_ylabel("training range (low and high)")
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="lower center", ncols=len(names), fontsize=8, frameon=False)
    fig.suptitle("Automatic domain randomisation: the training ranges over a wide run", fontsize=11)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return save_figure(fig, path)


def envelope_map(maps: Mapping[str, Mapping[str, Any]], path: str | Path, key: str = "walking") -> Path:
    """Walking success on the slope x push grid, one panel per mapped policy (evaluation.json ``envelope_map``)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(maps), figsize=(5.2 * len(maps), 4.6), squeeze=False)
    for ax, (group, entry) in zip(axes[0], maps.items()):
        grid = np.asarray(entry[key], float)
        image = ax.imshow(grid, origin="lower", cmap="RdYlGn", vmin=0.0, vmax=1.0, aspect="auto")
        ax.set_xticks(range(len(entry["push_impulse_ns"])), [f"{p:+g}" for p in entry["push_impulse_ns"]], fontsize=8)
        ax.set_yticks(range(len(entry["slope_deg"])), [f"{s:g}" for s in entry["slope_deg"]], fontsize=8)
        for (r, c), v in np.ndenumerate(grid):
            ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=6.5)
        ax.grid(False)
        ax.set_xlabel("push impulse (N s, + = downhill)")
        ax.set_ylabel("ramp slope (deg)")
        run = entry["run"]
        ax.set_title(POLICY_STYLE[group][0] + (f" (seed {run.rsplit('-', 1)[1]})" if "-" in run else ""), fontsize=10)
    fig.colorbar(image, ax=list(axes[0]), shrink=0.85, label=f"{key} success")
    fig.suptitle("Walking success on slope x push (nominal friction and mass); numbers: fraction of episodes per cell", fontsize=10)
    return save_figure(fig, path)


def gait(cycles: Mapping[str, Mapping[str, Any]], path: str | Path) -> Path:
    """Hip angle against hip angular velocity over a few steps, one panel per policy, the FSM's cycle behind each.

    ``cycles[name]`` = {"group", "label", "hip" (k,), "hip_velocity" (k,)}.
    """
    plt = pyplot()
    names = list(cycles)
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.4), sharex=True, sharey=True)
    reference = cycles.get("fsm")
    for ax, name in zip(np.atleast_1d(axes), names):
        c = cycles[name]
        if reference is not None and name != "fsm":
            ax.plot(reference["hip"], reference["hip_velocity"], color="#bbbbbb", lw=1, label="FSM expert")
        ax.plot(c["hip"], c["hip_velocity"], color=POLICY_STYLE[c["group"]][1], lw=1.2, label=c["label"])
        ax.set_title(c["label"], fontsize=9)
        ax.set_xlabel("hip angle (rad)")
        ax.legend(fontsize=7, loc="upper left")
    np.atleast_1d(axes)[0].set_ylabel("hip angular velocity (rad/s)")
    fig.suptitle("Gait phase portraits, nominal ramp (first seconds of one episode)", fontsize=10)
    return save_figure(fig, path)


SUMMARY_BARS = (
    ("success_nominal", "success, nominal set (MJX)", "#c6dbef"),
    ("success_suite", "success, suite (MJX)", "#6baed6"),
    ("success_suite_native", "success, suite (native MuJoCo)", "#2171b5"),
    ("walking_suite", "walking, suite (MJX)", "#fdae6b"),
    ("walking_suite_native", "walking, suite (native MuJoCo)", "#d94801"),
)
"""summary keys drawn as bars, with their legend labels and colours"""


def _seed_dots(ax, xs: Sequence[float], groups: Sequence[str], seeds: Mapping[str, Mapping[str, Sequence[float]]], key: str, first: bool) -> None:
    for xi, g in zip(xs, groups):
        runs = [v for v in seeds.get(g, {}).get(key, []) if v is not None]
        if len(runs) > 1:
            ax.plot([xi] * len(runs), runs, "o", color="black", ms=3.5, mfc="white", label="one seed" if first and g == groups[-1] else None)


def summary_bars(summary: Mapping[str, Mapping[str, float]], seeds: Mapping[str, Mapping[str, Sequence[float]]], path: str | Path) -> Path:
    """Success (no fall, fast enough, steady) and walking success (success with a walking gait) per policy group,
    on the nominal set and the suite, in MJX and native MuJoCo.

    Bars are ``summary``'s means; ``seeds[group][key]`` puts each run's value on its bar as a dot.
    """
    plt = pyplot()
    groups = [g for g in POLICY_STYLE if g in summary]
    fig, ax = plt.subplots(figsize=(11, 4.3))
    width = 0.8 / len(SUMMARY_BARS)
    x = np.arange(len(groups))
    for i, (key, label, colour) in enumerate(SUMMARY_BARS):
        pos = x + (i - (len(SUMMARY_BARS) - 1) / 2) * width
        bars = ax.bar(pos, [summary[g][key] for g in groups], width, label=label, color=colour)
        ax.bar_label(bars, fmt="%.2f", fontsize=6, padding=2)
        _seed_dots(ax, pos, groups, seeds, key, i == 0)
    ax.set_xticks(x, [textwrap.fill(POLICY_STYLE[g][0], 16) for g in groups])  # eight groups side by side: wrap, not overlap
    ax.set_ylabel("fraction of episodes")
    ax.set_ylim(0, 1.2)
    ax.set_title("Every policy on the same cases (PPO bars: mean over seeds; dots: each seed)")
    ax.legend(fontsize=7, loc="upper left", ncols=3)
    return save_figure(fig, path)


GAIT_PANELS = (
    ("gait_alternations_hz", "stance-leg alternations (1/s)", "min_alternations_hz"),
    ("gait_duty_factor", "duty factor", None),
    ("gait_flight_fraction", "flight fraction (no foot down)", "max_flight_fraction"),
    ("gait_stance_slip_mps", "stance-foot speed (m/s)", "max_stance_slip_mps"),
    ("gait_step_length_m", "step length (m)", "min_step_length_m"),
    ("gait_froude", "Froude number v²/(gL)", None),
)
"""summary key, axis label, and the ``evaluate.gait`` bound drawn on the panel (None: no bound)"""


def gait_metrics(
    summary: Mapping[str, Mapping[str, float | None]], seeds: Mapping[str, Mapping[str, Sequence[float | None]]],
    bounds: Mapping[str, float], path: str | Path,
) -> Path:
    """The gait metrics per policy group on the nominal set (bars: mean over seeds; dots: each seed), with the
    walking criterion's bounds (``evaluate.gait``) as dashed lines."""
    plt = pyplot()
    groups = [g for g in POLICY_STYLE if g in summary]
    fig, axes = plt.subplots(2, 3, figsize=(12, 6))
    x = np.arange(len(groups))
    for ax, (key, label, bound) in zip(axes.flat, GAIT_PANELS):
        values = [summary[g].get(key) for g in groups]
        bars = ax.bar(x, [np.nan if v is None else v for v in values], 0.6, color=[POLICY_STYLE[g][1] for g in groups])
        ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=2)
        _seed_dots(ax, x, groups, seeds, key, ax is axes.flat[0])
        if bound is not None:
            ax.axhline(bounds[bound], color="black", ls="--", lw=1, label=f"walking bound ({bound})")
            ax.legend(fontsize=7, loc="best")
        ax.set_xticks(x, [POLICY_STYLE[g][0].replace(" from ", "\nfrom ") for g in groups], fontsize=8)
        ax.set_title(label, fontsize=9)
    fig.suptitle("Gait on the nominal set: walks alternate legs, keep a foot down, plant it and step out", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)


def bench_throughput(bench: Mapping[str, Any], path: str | Path) -> Path:
    """Physics steps/s of batched MJX against batch size, with native MuJoCo drawn across."""
    plt = pyplot()
    batches = sorted(bench["by_batch"], key=int)
    x = [int(b) for b in batches]
    y = [bench["by_batch"][b]["mjx_physics_steps_per_s"] for b in batches]
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.plot(x, y, "o-", color="#d62728", label="MJX (batch split over every device)")
    native = bench["native_physics_steps_per_s"]
    ax.axhline(native, color="#555555", ls="--", label=f"native mujoco.rollout, {bench['native_threads']} threads")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("environments stepped at once (batch size)")
    ax.set_ylabel("physics steps per second")
    best = bench["mjx_best_batch"]
    ax.set_title(f"{bench['device']}: best MJX / native = {bench['ratio_mjx_to_native']:.2f} at batch {best}", fontsize=10)
    ax.legend(loc="lower right")
    fig.tight_layout()
    out = save_figure(fig, path)
    plt.close(fig)
    return out


def capacity(rows: Sequence[Mapping[str, Any]], path: str | Path) -> Path:
    """The capacity sweep: success and return, then training speed and memory, against parameter count."""
    plt = pyplot()
    rows = sorted(rows, key=lambda r: r["policy_parameters"] + r["value_parameters"])
    n = [r["policy_parameters"] + r["value_parameters"] for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    ax1.plot(n, [r["success_suite_final"] for r in rows], "o-", color="#2ca02c", label="suite success (left axis)")
    ax1.set_ylim(-0.05, 1.05)
    ax1.set_ylabel("robustness-suite success (fraction)")
    ret = ax1.twinx()
    ret.plot(n, [r["eval_return_final"] for r in rows], "s--", color="#9467bd", label="suite return (right axis)")
    ret.set_ylabel("mean episode return")
    ret.grid(False)
    for r, x in zip(rows, n):
        ax1.annotate(r["network"], (x, r["success_suite_final"]), textcoords="offset points", xytext=(0, 8), ha="center", fontsize=8)
    ax1.set_title(f"PPO from scratch after {rows[0]['env_steps']:,} env steps", fontsize=10)
    ax1.legend(handles=ax1.get_lines() + ret.get_lines(), loc="upper left", fontsize=8)
    ax2.plot(n, [r["train_steps_per_s"] for r in rows], "o-", color="#d62728", label="training env steps/s (left axis)")
    ax2.set_ylabel("training env steps per second")
    ax2.set_yscale("log")
    mem = ax2.twinx()
    mem.plot(n, [r["host_peak_rss_mb"] for r in rows], "s--", color="#555555", label="peak memory (right axis)")
    mem.set_ylabel("peak resident memory (MB)")
    mem.grid(False)
    ax2.legend(handles=ax2.get_lines() + mem.get_lines(), loc="center left", fontsize=8)  # the two curves cross mid-right
    ax2.set_title("cost of capacity", fontsize=10)
    for ax in (ax1, ax2):
        ax.set_xscale("log")
        ax.set_xlabel("actor + critic parameters")
    fig.tight_layout()
    out = save_figure(fig, path)
    plt.close(fig)
    return out
