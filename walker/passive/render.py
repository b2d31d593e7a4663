"""The walker's videos and MJCF keyframes: a native episode rendered from its tracking camera on the ramp.

The frame annotation, the video writer and the :class:`~walker.render.Recording` are shared
(:mod:`walker.render`). Offscreen rendering needs ``MUJOCO_GL`` chosen before MuJoCo is
imported (:func:`walker.runtime.select_gl_backend`).
"""

from __future__ import annotations

import math
from typing import Any

import mujoco
import numpy as np

from walker.conditions import pitched_gravity
from walker.config import WalkerConfig
from walker.passive.model import resolve_model_file
from walker.passive.native import Controller, PassiveWalkerNativeEnv
from walker.render import AFTER_FALL_S, PUSH_ARROW_S, Recording, annotate

CAMERA = "track"


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


def keyframes_xml(cfg: WalkerConfig, rec: Recording, every: int, slope_deg: float | None = None) -> str:
    """The walker's MJCF with one ``<key>`` per ``every`` recorded control steps (time, qpos, qvel, ctrl).

    MuJoCo's viewer (``python -m mujoco.viewer --mjcf FILE``) loads it; its Key
    slider steps through the rollout, and "Load key" starts simulating from any of them.
    """
    spec = mujoco.MjSpec.from_file(str(resolve_model_file(cfg.model_file)))
    slope = cfg.slope_deg if slope_deg is None else slope_deg
    spec.option.timestep = cfg.timestep
    spec.option.gravity = pitched_gravity(slope)
    spec.option.iterations = cfg.solver_iterations
    spec.option.ls_iterations = cfg.ls_iterations
    for i in range(0, len(rec.time), every):
        spec.add_key(name=f"t{rec.time[i]:.2f}", time=float(rec.time[i]), qpos=rec.qpos[i].tolist(), qvel=rec.qvel[i].tolist(), ctrl=rec.ctrl[i].tolist())
    spec.compile()
    return spec.to_xml()
