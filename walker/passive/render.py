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
from walker.passive.config import WalkerConfig
from walker.passive.model import resolve_model_file
from walker.passive.native import Controller, PassiveWalkerNativeEnv
from walker.render import Recording, record_native
from walker.render import keyframes_xml as spec_keyframes_xml

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
    """Run ``controller`` for ``seconds`` in native MuJoCo and render frames at ``fps`` from the tracking camera, rolled
    by the slope so the ramp goes downhill (:func:`walker.render.record_native`: after a fall the video holds still).
    ``options`` are the native env's reset options (slope, push, ...)."""
    env = PassiveWalkerNativeEnv(cfg)
    options = dict(options or {})
    obs, _ = env.reset(seed=seed, options=options)
    camera = env.model.camera(CAMERA).id
    env.model.cam_quat[camera] = slope_camera_quat(options.get("slope_deg", cfg.slope_deg))
    mujoco.mju_quat2Mat(env.model.cam_mat0[camera], env.model.cam_quat[camera])  # trackcom cameras keep this world orientation
    controller.reset(obs)
    return record_native(
        env, controller.act, obs, camera=CAMERA, title=title, steps=int(round(seconds * cfg.control_hz)), every=int(round(cfg.control_hz / fps)),
        width=width, height=height, push_impulse=float(options.get("push_impulse", 0.0)), push_time=float(options.get("push_time", math.inf)),
    )


def keyframes_xml(cfg: WalkerConfig, rec: Recording, every: int, slope_deg: float | None = None) -> str:
    """The walker's MJCF with one ``<key>`` per ``every`` recorded control steps (time, qpos, qvel, ctrl).

    MuJoCo's viewer (``python -m mujoco.viewer --mjcf FILE``) loads it; its Key
    slider steps through the rollout, and "Load key" starts simulating from any of them.
    """
    spec = mujoco.MjSpec.from_file(str(resolve_model_file(cfg.model_file)))
    spec.option.timestep = cfg.timestep
    spec.option.gravity = pitched_gravity(cfg.slope_deg if slope_deg is None else slope_deg)
    spec.option.iterations = cfg.solver_iterations
    spec.option.ls_iterations = cfg.ls_iterations
    return spec_keyframes_xml(spec, rec, every)
