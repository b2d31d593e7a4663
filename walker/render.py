"""Videos and MJCF keyframes of native-MuJoCo rollouts.

Offscreen rendering needs an OpenGL backend chosen through ``MUJOCO_GL``
before MuJoCo is imported: entry points call
:func:`walker.runtime.select_gl_backend` first (OSMesa on a headless Linux
machine, ``MUJOCO_GL=egl`` on a GPU machine).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from walker.io import atomic_path

AFTER_FALL_S = 0.2
"""how long a rollout is simulated after a fall (s) before the video holds still"""
PUSH_ARROW_S = 0.5
"""how long the push arrow stays on screen (s): longer than a 0.1 s push, so it can be seen"""


@dataclasses.dataclass(frozen=True)
class Recording:
    """A rendered native episode: frames at the video rate and the state at every control step."""

    frames: list[np.ndarray]
    """(F,) images, each (height, width, 3) uint8"""
    time: np.ndarray
    """(T+1,) simulated time (s) of each recorded state (fewer states after a fall)"""
    qpos: np.ndarray
    """(T+1, nq)"""
    qvel: np.ndarray
    """(T+1, nv)"""
    ctrl: np.ndarray
    """(T+1, nu) actuator targets in force when that state was reached"""
    fell_at_s: float | None
    """when the body fell (s), or None"""
    distance_m: float
    work_j: float


def _font(height: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=max(10, height // 24))


def annotate(frame: np.ndarray, lines: list[str], push: float) -> np.ndarray:
    """Write ``lines`` in the top-left corner and, if ``push`` is not 0, an arrow in its direction."""
    image = Image.fromarray(frame)
    draw = ImageDraw.Draw(image)
    h, w = frame.shape[:2]
    font = _font(h)
    y = 4
    for line in lines:
        draw.text((6, y), line, fill=(255, 255, 255), font=font, stroke_width=2, stroke_fill=(0, 0, 0))
        y += max(12, h // 20)
    if push != 0.0:
        cx, cy = w // 2, h // 3
        dx = int(math.copysign(w // 8, push))
        draw.line([(cx - dx, cy), (cx, cy)], fill=(255, 220, 0), width=max(2, h // 80))
        draw.polygon([(cx, cy), (cx - dx // 3, cy - h // 40), (cx - dx // 3, cy + h // 40)], fill=(255, 220, 0))
        draw.text((min(cx, cx - dx), cy + h // 30), f"push {push:+.0f} N s", fill=(255, 220, 0), font=font, stroke_width=2, stroke_fill=(0, 0, 0))
    return np.asarray(image)


def record_native(
    env: Any, act: Callable[[np.ndarray], np.ndarray], obs: np.ndarray, *, camera: str, title: str, steps: int, every: int,
    width: int, height: int, push_impulse: float = 0.0, push_time: float = math.inf, signed_distance: bool = False,
) -> Recording:
    """Run a body's native env for ``steps`` control steps from its reset observation ``obs`` (the env already reset),
    acting with ``act(obs) -> action``, and render a frame from ``camera`` every ``every`` control steps.

    ``env`` is a body's gymnasium env with MuJoCo's ``model`` and ``data``, ``cfg.control_dt`` and a ``step`` whose
    info has ``positive_work``; it is closed at the end. After a fall the simulation runs on for ``AFTER_FALL_S`` and then
    stops (a body whose only contacts are its feet is not physical after that); the video holds that last state.
    Metrics count until the fall. The frames show ``title``, the time and the distance walked (with its sign when
    ``signed_distance``) and the push (``push_impulse`` N s from ``push_time`` s) as an arrow.
    """
    import mujoco

    model, data = env.model, env.data
    renderer = mujoco.Renderer(model, height, width)
    frames, times, qpos, qvel, ctrl = [], [], [], [], []
    fell_at, x0, work, distance = None, float(data.qpos[0]), 0.0, 0.0
    try:
        for t in range(steps + 1):
            clock = t * env.cfg.control_dt
            frozen = fell_at is not None and clock >= fell_at + AFTER_FALL_S
            if not frozen:
                times.append(data.time)
                qpos.append(data.qpos.copy())
                qvel.append(data.qvel.copy())
                ctrl.append(data.ctrl.copy())
            if t % every == 0:
                renderer.update_scene(data, camera=camera)
                walked = f"{data.qpos[0] - x0:+.1f} m" if signed_distance else f"{data.qpos[0] - x0:.1f} m"
                status = f"fell at {fell_at:.2f} s" if fell_at is not None else walked
                pushing = push_time <= clock < push_time + PUSH_ARROW_S
                frames.append(annotate(renderer.render(), [title, f"t = {clock:4.1f} s   {status}"], push_impulse if pushing else 0.0))
            if t == steps:
                break
            if frozen:
                continue
            obs, _, terminated, _, info = env.step(act(obs))
            if fell_at is None:
                work += info["positive_work"]
                distance = float(data.qpos[0]) - x0
                if terminated:
                    fell_at = float(data.time)
    finally:
        renderer.close()
        env.close()
    return Recording(frames, np.array(times), np.array(qpos), np.array(qvel), np.array(ctrl), fell_at, distance, work)


def keyframes_xml(spec: Any, rec: Recording, every: int) -> str:
    """A body's MJCF (``spec``, a ``mujoco.MjSpec`` with the run's physics options set) with one ``<key>`` per ``every``
    recorded control steps (time, qpos, qvel, ctrl): MuJoCo's viewer (``python -m mujoco.viewer --mjcf FILE``) steps
    through them with its Key slider, and "Load key" starts simulating from any of them."""
    for i in range(0, len(rec.time), every):
        spec.add_key(name=f"t{rec.time[i]:.2f}", time=float(rec.time[i]), qpos=rec.qpos[i].tolist(), qvel=rec.qvel[i].tolist(), ctrl=rec.ctrl[i].tolist())
    spec.compile()
    return spec.to_xml()


def write_video(frames: list[np.ndarray], path: str | Path, fps: int) -> Path:
    """Encode frames (each (h, w, 3) uint8) as an H.264 mp4 with the ffmpeg binary that imageio-ffmpeg ships."""
    import imageio_ffmpeg

    h, w = frames[0].shape[:2]
    with atomic_path(path) as tmp:
        writer = imageio_ffmpeg.write_frames(
            str(tmp), (w, h), fps=fps, codec="libx264", pix_fmt_out="yuv420p", macro_block_size=2,
            output_params=["-movflags", "+faststart"], ffmpeg_log_level="error",
        )
        writer.send(None)
        for frame in frames:
            writer.send(np.ascontiguousarray(frame))
        writer.close()
    return Path(path)


def read_video(path: str | Path) -> tuple[dict, np.ndarray]:
    """Decode an mp4 into (ffmpeg's metadata, frames (F, h, w, 3) uint8)."""
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    w, h = meta["size"]
    frames = [np.frombuffer(buf, np.uint8).reshape(h, w, 3) for buf in reader]
    return meta, np.stack(frames)
