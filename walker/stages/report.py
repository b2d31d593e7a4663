"""Stage `report`: plots of the evaluation, videos and MJCF keyframes of every policy kind, and
``results/report.md`` (the result tables the README and docs link to, generated, never typed)."""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from walker.blocks import PPO_VARIANTS, SWEEP_QUANTITIES
from walker.io import atomic_dir, write_json, write_text
from walker.passive.config import Params
from walker.passive.task import ACTION_SIZE, OBS_SIZE
from walker.policy import PolicyFile, load_policy
from walker.summary import LEARNERS, best_run, group_row
from walker.tables import ADR_UNITS, report_markdown

PARAMS = ("walker", "fsm", "evaluate.seed", "evaluate.native_workers", "evaluate.success_threshold", "evaluate.gait", "ppo.randomization", "seeds", "report")
WIDE_GROUP = "ppo_wide"


@dataclasses.dataclass(frozen=True)
class VideoJob:
    """One video of the report: which policy, under which push, written where."""

    name: str
    title: str
    policy: PolicyFile | None
    push_ns: float
    out_mp4: str
    out_keyframes: str | None


def _render_job(params: Params, job: VideoJob) -> dict:
    """Record one native episode, write its mp4 (and keyframes); runs in a worker process."""
    from walker.passive.model import geometry, load_mj_model
    from walker.passive.native import FsmController, PolicyController
    from walker.passive.render import keyframes_xml, record
    from walker.render import write_video

    w, r = params.walker, params.report
    controller = FsmController(params.fsm, geometry(load_mj_model(w))) if job.policy is None else PolicyController(job.policy)
    options = {"push_impulse": job.push_ns, "push_time": r.video_push_time_s} if job.push_ns else {}
    rec = record(w, controller, title=job.title, seconds=r.video_seconds, fps=r.video_fps, width=r.video_width,
                 height=r.video_height, seed=params.evaluate.seed, options=options)
    write_video(rec.frames, job.out_mp4, r.video_fps)
    if job.out_keyframes:
        write_text(keyframes_xml(w, rec, int(round(w.control_hz / r.keyframe_hz))), job.out_keyframes)
    print(f"[report] {job.out_mp4}: {len(rec.frames)} frames, " + (f"fell at {rec.fell_at_s:.2f} s" if rec.fell_at_s else "walked") + f", {rec.distance_m:.1f} m", flush=True)
    return {"video": job.out_mp4, "keyframes": job.out_keyframes, "push_ns": job.push_ns, "fell_at_s": rec.fell_at_s,
            "distance_m": rec.distance_m, "frames": len(rec.frames)}


def read_wide_runs(params: Params, wide_results_dir: str) -> dict[str, dict]:
    """``results/ppo_wide/wide-<seed>.json`` of every seed, by run name."""
    runs = {}
    for seed in params.seeds:
        path = Path(wide_results_dir) / f"wide-{seed}.json"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: wide PPO results not found (run `dvc repro ppo_wide`)")
        runs[f"wide-{seed}"] = json.loads(path.read_text())
    return runs


def run(
    params: Params, summary_json: str, details_json: str, ppo_results_dir: str, ppo_live_dir: str, sac_results_dir: str, sac_live_dir: str,
    wide_results_dir: str, bc_dir: str, ppo_dir: str, wide_dir: str, plots_dir: str, videos_dir: str, out_markdown: str,
) -> dict:
    """Plots, videos and the result tables. Both are built aside; the videos folder is replaced whole, the plots
    move into ``plots_dir`` one by one once all are written (other pipelines keep their figures there too)."""
    wide_runs = read_wide_runs(params, wide_results_dir)
    model_dirs = {"bc": Path(bc_dir), "ppo": Path(ppo_dir), WIDE_GROUP: Path(wide_dir)}
    plots_final = Path(plots_dir)
    plots_final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=plots_final.parent, prefix=".report-plots-") as plots_tmp, atomic_dir(videos_dir) as videos_tmp:
        live_dirs = {"ppo": ppo_live_dir, "sac": sac_live_dir}
        result = _report(params, summary_json, details_json, live_dirs, wide_runs, model_dirs, Path(plots_tmp), videos_tmp, Path(videos_dir))
        plots_final.mkdir(parents=True, exist_ok=True)
        for figure in sorted(Path(plots_tmp).glob("*.png")):
            os.replace(figure, plots_final / figure.name)
    summary = json.loads(Path(summary_json).read_text())
    details = json.loads(Path(details_json).read_text())
    results_dirs = {"ppo": ppo_results_dir, "sac": sac_results_dir}
    race_runs = {f"{learner}_{v}-{s}": json.loads((Path(results_dirs[learner]) / f"{v}-{s}.json").read_text())
                 for learner, variants in LEARNERS.items() for v in variants for s in params.seeds}
    write_text(report_markdown(summary, details, race_runs, wide_runs), out_markdown)
    return result


def train_ranges(params: Params, wide_runs: dict[str, dict]) -> dict[str, dict[str, tuple[float, float]]]:
    """Each group's training range per sweep quantity: the clone's demos (walker.randomization), PPO's
    (ppo.randomization), and the wide runs' final ADR ranges (mean over seeds); the FSM trained on nothing."""
    def box(ranges) -> dict[str, tuple[float, float]]:
        return {q: (getattr(ranges, q).low, getattr(ranges, q).high) for q in SWEEP_QUANTITIES}

    out = {"bc": box(params.walker.randomization)}
    out.update({f"{learner}_{v}": box(params.ppo.randomization) for learner, variants in LEARNERS.items() for v in variants})  # PPO's ranges
    if wide_runs:
        finals = [r["ranges_final"] for r in wide_runs.values()]
        out[WIDE_GROUP] = {q: (float(np.mean([f[f"{q}_low"] for f in finals])), float(np.mean([f[f"{q}_high"] for f in finals])))
                           for q in SWEEP_QUANTITIES}
    return out


def _plots(params: Params, summary: dict, evaluation: dict, live_dirs: dict[str, str], wide_runs: dict[str, dict], plots_dir: Path
           ) -> tuple[dict[str, str], dict[str, str]]:
    """Every figure; returns the run shown per group in the gait plot and the videos, and its label (both by group)."""
    from walker import plots

    details = evaluation["policies"]
    curves = {metric: {f"{learner}_{v}": [plots.read_curve(Path(live_dirs[learner]) / f"{v}-{s}/plots/metrics/eval/{metric}.tsv") for s in params.seeds]
                       for learner, variants in LEARNERS.items() for v in variants} for metric in ("success_suite", "walking_suite")}
    refs = {metric: {g: summary[g][metric] for g in ("fsm", "bc")} for metric in curves}
    plots.sample_efficiency(curves, refs, plots_dir / "sample_efficiency.png", params.evaluate.success_threshold)
    sweeps: dict[str, dict] = {q: {} for q in SWEEP_QUANTITIES}
    for e in details.values():
        for q, data in e["sweeps"].items():
            group = sweeps[q].setdefault(e["group"], {"values": data["values"], "success": [], "walking": []})
            group["success"].append(data["success"])
            group["walking"].append(data["walking"])
    plots.robustness(sweeps, train_ranges(params, wide_runs), plots_dir / "robustness.png")
    if wide_runs:
        first = next(iter(wide_runs.values()))
        plots.adr_ranges({name: r["history"] for name, r in wide_runs.items()}, first["ranges_start"], first["limits"], ADR_UNITS,
                         plots_dir / "adr_ranges.png")
    if evaluation.get("envelope_map"):
        plots.envelope_map(evaluation["envelope_map"], plots_dir / "envelope_map.png")
    groups = ("fsm", "bc", *(f"ppo_{v}" for v in PPO_VARIANTS), *((WIDE_GROUP,) if wide_runs else ()))
    shown = {g: g if g in ("fsm", "bc") else best_run(details, g) for g in groups}
    labels = {g: plots.POLICY_STYLE[g][0] + (f" (seed {name.rsplit('-', 1)[1]})" if "-" in name else "") for g, name in shown.items()}
    plots.gait({name: {"group": g, "label": labels[g], **details[name]["gait"]} for g, name in shown.items()}, plots_dir / "gait.png")
    per_seed: dict[str, dict[str, list[float | None]]] = {}
    for e in details.values():
        for key, value in group_row(e).items():
            per_seed.setdefault(e["group"], {}).setdefault(key, []).append(value)
    plots.summary_bars(summary, per_seed, plots_dir / "summary.png")
    plots.gait_metrics(summary, per_seed, dataclasses.asdict(params.evaluate.gait), plots_dir / "gait_metrics.png")
    return shown, labels


def policy_dir(group: str, name: str, model_dirs: dict[str, Path]) -> Path | None:
    """Where the policy file of run ``name`` of ``group`` lives (None for the FSM)."""
    if group == "fsm":
        return None
    if group == "bc":
        return model_dirs["bc"]
    if group == WIDE_GROUP:
        return model_dirs[WIDE_GROUP] / name.removeprefix("ppo_")
    return model_dirs["ppo"] / name.removeprefix("ppo_")


def _report(
    params: Params, summary_json: str, details_json: str, live_dirs: dict[str, str], wide_runs: dict[str, dict], model_dirs: dict[str, Path],
    plots_dir: Path, videos_dir: Path, videos_final: Path,
) -> dict:
    """The work of :func:`run`, writing into (temporary) folders; the video index names ``videos_final``."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    start = time.time()
    summary = json.loads(Path(summary_json).read_text())
    evaluation = json.loads(Path(details_json).read_text())
    plots_dir, videos_dir = Path(plots_dir), Path(videos_dir)
    shown, labels = _plots(params, summary, evaluation, live_dirs, wide_runs, plots_dir)
    print(f"[report] plots in {plots_dir} ({time.time() - start:.0f} s)", flush=True)

    jobs = []
    for group, name in shown.items():
        path = policy_dir(group, name, model_dirs)
        policy = None if path is None else load_policy(path, OBS_SIZE, ACTION_SIZE)
        for kind, push in (("nominal", 0.0), ("pushed", params.report.video_push_ns)):
            title = labels[group] + (f", push {push:+g} N s at {params.report.video_push_time_s:g} s" if push else ", nominal ramp")
            keyframes = str(videos_dir / f"{group}_{kind}.keyframes.xml") if group == "ppo_bc" else None
            jobs.append(VideoJob(f"{group}_{kind}", title, policy, push, str(videos_dir / f"{group}_{kind}.mp4"), keyframes))
    workers = max(1, min(params.evaluate.native_workers, len(jobs)))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        index = list(pool.map(_render_job, [params] * len(jobs), jobs))
    for entry in index:  # name where the files will be, not where they are built
        for key in ("video", "keyframes"):
            if entry[key]:
                entry[key] = str(videos_final / Path(entry[key]).name)
    write_json({"videos": index}, videos_dir / "index.json")
    print(f"[report] {len(jobs)} videos in {videos_dir} ({time.time() - start:.0f} s)", flush=True)
    return {"plots": sorted(p.name for p in plots_dir.glob("*.png")), "videos": index}
