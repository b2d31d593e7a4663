"""Videos and MJCF keyframes of the humanoid in native MuJoCo (the walker's video format and annotations).

Entry points choose the OpenGL backend first (:func:`walker.runtime.select_gl_backend`).
"""

from __future__ import annotations

import math

import mujoco
import numpy as np

from walker.humanoid import task
from walker.humanoid.config import HumanoidConfig
from walker.humanoid.model import resolve_humanoid_model
from walker.humanoid.native import HumanoidNativeEnv
from walker.policy import PolicyFile, apply, as_numpy
from walker.render import AFTER_FALL_S, PUSH_ARROW_S, Recording, annotate

CAMERA = "track"


def record_humanoid(
    cfg: HumanoidConfig, policy: PolicyFile | None, *, title: str, seconds: float, fps: int, width: int, height: int,
    seed: int = 0, options: dict | None = None,
) -> Recording:
    """Run ``policy`` (None: hold the standing pose) for ``seconds`` and render frames at ``fps``; after a fall the
    simulation runs on for ``AFTER_FALL_S`` and the video holds still. ``options``: the env's reset options (push, ...)."""
    env = HumanoidNativeEnv(cfg)
    model, data = env.model, env.data
    policy = None if policy is None else as_numpy(policy)
    steps = int(round(seconds * cfg.control_hz))
    every = int(round(cfg.control_hz / fps))
    options = dict(options or {})
    obs, _ = env.reset(seed=seed, options=options)
    push_impulse, push_time = float(options.get("push_impulse", 0.0)), float(options.get("push_time", math.inf))
    renderer = mujoco.Renderer(model, height, width)
    frames, times, qpos, qvel, ctrl = [], [], [], [], []
    fell_at, x0, work, distance = None, float(data.qpos[0]), 0.0, 0.0
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
                status = f"fell at {fell_at:.2f} s" if fell_at is not None else f"{data.qpos[0] - x0:+.1f} m"
                pushing = push_time <= clock < push_time + PUSH_ARROW_S
                frames.append(annotate(renderer.render(), [title, f"t = {clock:4.1f} s   {status}"], push_impulse if pushing else 0.0))
            if t == steps:
                break
            if frozen:
                continue
            action = np.zeros(task.ACTION_SIZE, np.float32) if policy is None else np.asarray(apply(policy, obs, np), np.float32)
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


def humanoid_keyframes_xml(cfg: HumanoidConfig, rec: Recording, every: int) -> str:
    """The humanoid's MJCF with one ``<key>`` per ``every`` recorded control steps (time, qpos, qvel, ctrl);
    ``python -m mujoco.viewer --mjcf FILE`` steps through them with its Key slider."""
    spec = mujoco.MjSpec.from_file(str(resolve_humanoid_model(cfg.model_file)))
    spec.option.timestep = cfg.timestep
    spec.option.iterations = cfg.solver_iterations
    spec.option.ls_iterations = cfg.ls_iterations
    for i in range(0, len(rec.time), every):
        spec.add_key(name=f"t{rec.time[i]:.2f}", time=float(rec.time[i]), qpos=rec.qpos[i].tolist(), qvel=rec.qvel[i].tolist(), ctrl=rec.ctrl[i].tolist())
    spec.compile()
    return spec.to_xml()
