"""Videos and MJCF keyframes of native-MuJoCo rollouts.

Offscreen rendering needs an OpenGL backend chosen through ``MUJOCO_GL``
before MuJoCo is imported: entry points call
:func:`walker.runtime.select_gl_backend` first (OSMesa on a headless Linux
machine, ``MUJOCO_GL=egl`` on a GPU machine).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import mujoco
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from walker.config import WalkerConfig
from walker.io import atomic_path
from walker.passive.model import gravity, resolve_model_file
from walker.passive.native import Controller, PassiveWalkerNativeEnv

CAMERA = "track"
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
    """(T+1, 6)"""
    qvel: np.ndarray
    """(T+1, 6)"""
    ctrl: np.ndarray
    """(T+1, 3) actuator targets in force when that state was reached"""
    fell_at_s: float | None
    """when the walker fell (s), or None"""
    distance_m: float
    work_j: float


def slope_camera_quat(slope_deg: float) -> np.ndarray:
    """Quaternion (4,) of a camera looking along +y whose image 'up' is true vertical.

    The ramp is made by pitching gravity, so the floor is flat in the model;
    rolling the camera by the slope shows it going downhill.
    """
    s = math.radians(slope_deg)
    x_axis = np.array([math.cos(s), 0.0, math.sin(s)])
    y_axis = np.array([-math.sin(s), 0.0, math.cos(s)])
    z_axis = np.cross(x_axis, y_axis)
    quat = np.zeros(4)
    mujoco.mju_mat2Quat(quat, np.stack([x_axis, y_axis, z_axis], axis=1).ravel())
    return quat


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


def record(
    cfg: WalkerConfig,
    controller: Controller,
    *,
    title: str,
    seconds: float,
    fps: int,
    width: int,
    height: int,
    seed: int = 0,
    options: dict[str, Any] | None = None,
) -> Recording:
    """Run ``controller`` for ``seconds`` in native MuJoCo and render frames at ``fps``.

    After a fall the simulation runs on for ``AFTER_FALL_S`` and then stops
    (only the feet collide with the floor, so what follows would not be
    physical); the video holds that last state. Metrics count until the fall. ``options`` are the native env's reset options (slope, push, ...).
    """
    env = PassiveWalkerNativeEnv(cfg)
    model, data = env.model, env.data
    steps = int(round(seconds * cfg.control_hz))
    every = int(round(cfg.control_hz / fps))
    options = dict(options or {})
    obs, _ = env.reset(seed=seed, options=options)
    camera = model.camera(CAMERA).id
    model.cam_quat[camera] = slope_camera_quat(options.get("slope_deg", cfg.slope_deg))
    mujoco.mju_quat2Mat(model.cam_mat0[camera], model.cam_quat[camera])  # trackcom cameras keep this world orientation
    push_impulse, push_time = float(options.get("push_impulse", 0.0)), float(options.get("push_time", math.inf))
    controller.reset(obs)
    renderer = mujoco.Renderer(model, height, width)
    frames, times, qpos, qvel, ctrl = [], [], [], [], []
    fell_at, x0, work = None, float(data.qpos[0]), 0.0
    distance = 0.0
    try:
        for t in range(steps + 1):
            clock = t * cfg.control_dt
            frozen = fell_at is not None and clock >= fell_at + AFTER_FALL_S
            if not frozen:
                times.append(data.time)
                qpos.append(data.qpos.copy())
                qvel.append(data.qvel.copy())
                ctrl.append(data.ctrl.copy())
            if t % every == 0:
                renderer.update_scene(data, camera=CAMERA)
                status = f"fell at {fell_at:.2f} s" if fell_at is not None else f"{data.qpos[0] - x0:.1f} m"
                lines = [title, f"t = {clock:4.1f} s   {status}"]
                pushing = push_time <= clock < push_time + PUSH_ARROW_S
                frames.append(annotate(renderer.render(), lines, push_impulse if pushing else 0.0))
            if t == steps:
                break
            if frozen:
                continue
            action = controller.act(obs)
            obs, _, terminated, _, info = env.step(action)
            if fell_at is None:
                work += info["positive_work"]
                distance = float(data.qpos[0]) - x0
                if terminated:
                    fell_at = float(data.time)
    finally:
        renderer.close()
        env.close()
    return Recording(frames, np.array(times), np.array(qpos), np.array(qvel), np.array(ctrl), fell_at, distance, work)


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


def keyframes_xml(cfg: WalkerConfig, rec: Recording, every: int, slope_deg: float | None = None) -> str:
    """The walker's MJCF with one ``<key>`` per ``every`` recorded control steps (time, qpos, qvel, ctrl).

    MuJoCo's viewer (``python -m mujoco.viewer --mjcf FILE``) loads it; its Key
    slider steps through the rollout, and "Load key" starts simulating from any of them.
    """
    spec = mujoco.MjSpec.from_file(str(resolve_model_file(cfg.model_file)))
    slope = cfg.slope_deg if slope_deg is None else slope_deg
    spec.option.timestep = cfg.timestep
    spec.option.gravity = gravity(slope)
    spec.option.iterations = cfg.solver_iterations
    spec.option.ls_iterations = cfg.ls_iterations
    for i in range(0, len(rec.time), every):
        spec.add_key(name=f"t{rec.time[i]:.2f}", time=float(rec.time[i]), qpos=rec.qpos[i].tolist(), qvel=rec.qvel[i].tolist(), ctrl=rec.ctrl[i].tolist())
    spec.compile()
    return spec.to_xml()

