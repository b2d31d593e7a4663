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
from walker.render import Recording, keyframes_xml, record_native

CAMERA = "track"


def record_humanoid(
    cfg: HumanoidConfig, policy: PolicyFile | None, *, title: str, seconds: float, fps: int, width: int, height: int,
    seed: int = 0, options: dict | None = None,
) -> Recording:
    """Run ``policy`` (None: hold the standing pose) for ``seconds`` and render frames at ``fps``; after a fall the
    simulation runs on for ``AFTER_FALL_S`` and the video holds still. ``options``: the env's reset options (push, ...)."""
    env = HumanoidNativeEnv(cfg)
    policy = None if policy is None else as_numpy(policy)
    options = dict(options or {})
    obs, _ = env.reset(seed=seed, options=options)

    def act(obs: np.ndarray) -> np.ndarray:
        return np.zeros(task.ACTION_SIZE, np.float32) if policy is None else np.asarray(apply(policy, obs, np), np.float32)

    return record_native(
        env, act, obs, camera=CAMERA, title=title, steps=int(round(seconds * cfg.control_hz)), every=int(round(cfg.control_hz / fps)),
        width=width, height=height, push_impulse=float(options.get("push_impulse", 0.0)), push_time=float(options.get("push_time", math.inf)),
        signed_distance=True,
    )

def humanoid_keyframes_xml(cfg: HumanoidConfig, rec: Recording, every: int) -> str:
    """The humanoid's MJCF with one ``<key>`` per ``every`` recorded control steps (time, qpos, qvel, ctrl);
    ``python -m mujoco.viewer --mjcf FILE`` steps through them with its Key slider."""
    spec = mujoco.MjSpec.from_file(str(resolve_humanoid_model(cfg.model_file)))
    spec.option.timestep = cfg.timestep
    spec.option.iterations = cfg.solver_iterations
    spec.option.ls_iterations = cfg.ls_iterations
    return keyframes_xml(spec, rec, every)
