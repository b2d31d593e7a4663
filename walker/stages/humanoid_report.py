"""Stage `report` of the humanoid's pipeline: sample-efficiency and push-robustness plots, the results page,
and pushed videos plus MJCF keyframes of the stand policy, the held pose and the best walk run of each variant."""

from __future__ import annotations

import json
from pathlib import Path

from walker.humanoid.config import HUMANOID_PARAMS_FILE, HumanoidParams
from walker.humanoid.plots import push_robustness_plot, report_markdown, sample_efficiency_plot
from walker.humanoid.render import humanoid_keyframes_xml, record_humanoid
from walker.io import atomic_dir, write_text
from walker.policy import POLICY_FILENAME, load_policy
from walker.render import write_video

PARAMS = ({HUMANOID_PARAMS_FILE: ("humanoid", "evaluate.success_threshold", "report")},)


def best_walk_run(evaluation: dict, variant: str) -> str:
    """The name of the variant's walk run with the highest success (then walking, then distance) on the walk set."""
    runs = {k: v for k, v in evaluation["walk"].items() if k.startswith(f"{variant}-")}
    return max(sorted(runs), key=lambda k: (runs[k]["success"], runs[k]["walking"], runs[k]["distance_m"]))


def run(hp: HumanoidParams, evaluation_json: str, episodes_json: str, runs_dir: str, stand_dir: str, walk_root: str,
        plots_dir: str, videos_dir: str, out_markdown: str) -> None:
    evaluation = json.loads(Path(evaluation_json).read_text())
    episodes = json.loads(Path(episodes_json).read_text())
    runs = {p.stem: json.loads(p.read_text()) for p in Path(runs_dir).glob("*.json")}
    plots = Path(plots_dir)
    plots.mkdir(parents=True, exist_ok=True)
    sample_efficiency_plot(runs, hp.evaluate.success_threshold, plots / "sample_efficiency.png")
    push_robustness_plot(episodes, plots / "push_robustness.png")
    write_text(report_markdown(evaluation), out_markdown)

    r = hp.report
    push = {"push_impulse": r.video_push_ns, "push_time": r.video_push_time_s}
    clips = {
        "held_pose": ("stand", None, "held pose (action 0)"),
        "stand": ("stand", load_policy(Path(stand_dir) / POLICY_FILENAME), "stand policy"),
    }
    for variant in ("curriculum", "scratch"):
        name = best_walk_run(evaluation, variant)
        clips[f"walk_{variant}"] = ("walk", load_policy(Path(walk_root) / name / POLICY_FILENAME), f"walk, {variant} ({name})")
    every = int(round(hp.humanoid.control_hz / r.keyframe_hz))
    with atomic_dir(videos_dir) as tmp:
        for clip, (task_name, policy, title) in clips.items():
            cfg = hp.humanoid.for_task(task_name)
            rec = record_humanoid(cfg, policy, title=f"{title}, pushed {r.video_push_ns:+g} N s", seconds=r.video_seconds, fps=r.video_fps,
                                  width=r.video_width, height=r.video_height, options=push)
            write_video(rec.frames, Path(tmp) / f"{clip}.mp4", r.video_fps)
            write_text(humanoid_keyframes_xml(cfg, rec, every), Path(tmp) / f"{clip}_keyframes.xml")
            fell = "no fall" if rec.fell_at_s is None else f"fell at {rec.fell_at_s:.2f} s"
            print(f"[humanoid report] {clip}: {fell}, {rec.distance_m:+.2f} m", flush=True)
