"""Figures of the physics studies (pipeline physics/dvc.yaml): the gradient study and the APG comparison.

Apart from :mod:`walker.plots` so that drawing them never reruns the main pipeline's report.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from walker.plots import pyplot, save_figure

METHOD_STYLE = {
    "autodiff": ("autodiff (forward mode, walker's solver)", "tab:blue"),
    "autodiff_more_iterations": ("autodiff, more solver iterations", "tab:cyan"),
    "autodiff_reverse": ("autodiff (reverse mode, 1 solver iteration)", "tab:purple"),
    "finite_difference": ("finite-difference VJP per physics step", "tab:orange"),
    "zeroth_order": ("zeroth order (reference)", "black"),
}


def _series(result: Mapping[str, Any], method: str, pick) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for horizon, entry in result["horizons"].items():
        row = entry["methods"].get(method)
        value = pick(row) if row else None
        xs.append(int(horizon))
        ys.append(np.nan if value is None else float(value))
    return np.array(xs), np.array(ys)


def gradients(result: Mapping[str, Any], dt: float, path: str | Path) -> Path:
    """Four panels against the horizon: cosine to the reference, relative spread, median norm, seconds per gradient."""
    plt = pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    panels = [
        (axes[0, 0], "cosine to the zeroth-order reference", lambda r: (r.get("cosine") or r.get("reference_self_cosine"))["mean"], False),
        (axes[0, 1], "relative spread over nudged starts", lambda r: (r.get("relative_spread") or {}).get("mean"), True),
        (axes[1, 0], "median gradient norm", lambda r: r.get("norm_median"), True),
        (axes[1, 1], "seconds per gradient", lambda r: r.get("seconds_per_gradient"), True),
    ]
    for ax, title, pick, log in panels:
        for method, (label, colour) in METHOD_STYLE.items():
            if method == "zeroth_order" and "spread" in title:
                continue
            x, y = _series(result, method, pick)
            if np.all(np.isnan(y)):
                continue
            style = "--" if method == "zeroth_order" else "-"
            name = label if "cosine" not in title or method != "zeroth_order" else "reference vs itself (noise floor)"
            ax.plot(x * dt, y, style, marker="o", color=colour, label=name)
        ax.set_title(title)
        ax.set_xlabel("horizon (s of walking)")
        ax.set_xscale("log")
        if log:
            ax.set_yscale("log")
    axes[0, 0].axhline(0.0, color="grey", lw=0.8)
    axes[0, 0].set_ylim(-1.05, 1.05)
    axes[0, 0].legend(fontsize=8, loc="lower left")
    fig.suptitle("Gradient of the distance the clone walks, through MJX's contact dynamics")
    fig.tight_layout()
    return save_figure(fig, path)


def apg_vs_ppo(runs: Mapping[str, Mapping[str, Any]], ppo_curves: Sequence[tuple[np.ndarray, np.ndarray]], path: str | Path) -> Path:
    """Suite walking success against training wall clock: each APG run's end point and PPO from scratch's curves."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, (seconds, walking) in enumerate(ppo_curves):
        ax.plot(seconds, walking, color="tab:green", alpha=0.7, label="PPO from scratch (each seed)" if i == 0 else None)
    for name, run in runs.items():
        ax.scatter([run["train_wall_clock_s"]], [run["suite"]["walking"]], s=60, zorder=3, label=f"APG, {name}")
    ax.set_xlabel("training wall clock (s, this machine)")
    ax.set_ylabel("suite walking success")
    ax.set_ylim(-0.05, 1.05)
    ax.legend(fontsize=8)
    ax.set_title("APG through the physics against PPO at equal wall clock")
    fig.tight_layout()
    return save_figure(fig, path)
