"""The humanoid's task on native MuJoCo, as a gymnasium environment (``walker/Humanoid-v0``).

Observation, reward, termination and action scaling are :mod:`walker.humanoid.task`'s, shared
with the MJX env. Conditions and the push are chosen per episode through ``reset(options=...)``:
``slope_deg``, ``friction_scale``, ``torso_mass_scale``, ``push_impulse`` (N s), ``push_time`` (s),
``push_duration`` (s), and ``qpos``/``qvel`` to start from a given state; missing keys take the
nominal value (no push), or with ``randomize=True`` a fresh draw from ``humanoid.randomization``.
The reward preset is ``humanoid.reward.preset`` unless ``task=`` names another.
"""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import mujoco
import numpy as np

from walker.conditions import condition_native_model, nominal_of
from walker.humanoid import task
from walker.humanoid.config import HUMANOID_PARAMS_FILE, HumanoidConfig, load_humanoid_params
from walker.humanoid.model import load_humanoid_model
from walker.policy import PolicyFile, apply, as_numpy
from walker.rollout import Conditions, Trajectories


class HumanoidNativeEnv(gym.Env):
    """MuJoCo's humanoid (our tuned copy) on native MuJoCo.

    Args:
      cfg: the ``humanoid`` params block; when omitted, read from ``params_file``.
      params_file: the humanoid's params file (default ``humanoid/params.yaml`` in the working directory).
      task_name: a reward preset (stand, walk, kneel) instead of ``humanoid.reward.preset``.
      render_mode: ``"rgb_array"`` or None.
      randomize: draw every episode's condition and push from ``cfg.randomization``.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 40}

    def __init__(
        self, cfg: HumanoidConfig | None = None, params_file: str = HUMANOID_PARAMS_FILE, task_name: str | None = None,
        render_mode: str | None = None, randomize: bool = False,
    ):
        if cfg is None:
            cfg = load_humanoid_params(params_file).humanoid
        self.cfg = cfg if task_name is None else cfg.for_task(task_name)
        self.model = load_humanoid_model(self.cfg)
        self.data = mujoco.MjData(self.model)
        self.body = task.body_of(self.model)
        self._nominal = nominal_of(self.model)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (task.OBS_SIZE,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (task.ACTION_SIZE,), np.float32)
        self.metadata = {**self.metadata, "render_fps": int(self.cfg.control_hz)}
        self.render_mode = render_mode
        self.randomize = randomize
        self._renderer: mujoco.Renderer | None = None
        self._push = (0.0, math.inf, self.cfg.randomization.push_duration_s)
        self._steps = 0

    def set_condition(self, slope_deg: float, friction_scale: float, torso_mass_scale: float) -> None:
        """Apply a slope, friction and torso-mass condition (the MJX env's ``conditioned_system`` rules)."""
        m = self.model
        condition_native_model(
            m, self._nominal, slope_deg, friction_scale, torso_mass_scale, torso=self.body.torso, friction_geoms=self.body.friction_geoms,
        )

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        opts = {**(self._draw_condition() if self.randomize else {}), **(options or {})}
        self.set_condition(float(opts.pop("slope_deg", self.cfg.slope_deg)), float(opts.pop("friction_scale", 1.0)),
                           float(opts.pop("torso_mass_scale", 1.0)))
        self._push = (float(opts.pop("push_impulse", 0.0)), float(opts.pop("push_time", math.inf)),
                      float(opts.pop("push_duration", self.cfg.randomization.push_duration_s)))
        qpos, qvel = opts.pop("qpos", None), opts.pop("qvel", None)
        if opts:
            raise ValueError(f"unknown reset options {sorted(opts)}")
        if qpos is None or qvel is None:
            joint_u = self.np_random.uniform(-1.0, 1.0, task.ACTION_SIZE)
            vel_u = self.np_random.uniform(-1.0, 1.0, self.model.nv)
            qpos, qvel = task.start_state(self.model.qpos0, joint_u, vel_u, self.cfg, np)
        mujoco.mj_resetData(self.model, self.data)
        self.data.qpos[:] = qpos
        self.data.qvel[:] = qvel
        mujoco.mj_forward(self.model, self.data)
        self._steps = 0
        return self._observation(np.zeros(task.ACTION_SIZE)).copy(), {}

    def _draw_condition(self) -> dict[str, float]:
        r = self.cfg.randomization
        draw = lambda i: float(self.np_random.uniform(i.low, i.high))  # noqa: E731
        return {"slope_deg": draw(r.slope_deg), "friction_scale": draw(r.friction_scale), "torso_mass_scale": draw(r.torso_mass_scale),
                "push_impulse": draw(r.push_impulse_ns), "push_time": draw(r.push_time_s), "push_duration": r.push_duration_s}

    def _observation(self, prev_action: np.ndarray) -> np.ndarray:
        d = self.data
        foot_xpos = np.stack([d.geom_xpos[list(geoms)] for geoms in self.body.foot_geoms])
        return task.observation(d.qpos, d.qvel, d.xmat[self.body.torso], foot_xpos, prev_action, self.body, np)

    def step(self, action):
        action = np.clip(np.asarray(action, dtype=np.float32), -1.0, 1.0)
        d = self.data
        impulse, push_time, duration = self._push
        d.xfrc_applied[self.body.torso, 0] = task.push_force(d.time, impulse, push_time, duration, np)  # per control step, as in MJX
        d.ctrl[:] = task.action_to_ctrl(action, self.cfg, np)
        work = 0.0
        for _ in range(self.cfg.n_substeps):  # one at a time, to integrate the actuators' work as the MJX env does
            mujoco.mj_step(self.model, d)
            work += float(task.positive_power(d.actuator_force, d.actuator_velocity, np)) * self.model.opt.timestep
        self._steps += 1
        obs = self._observation(action)
        terms = task.weighted_terms(task.reward_terms(obs, action, self.cfg, np), self.cfg.reward.weights)
        terminated = bool(task.fallen(obs, self.cfg, np))
        truncated = self._steps >= self.cfg.episode_steps
        info = {f"reward/{k}": float(v) for k, v in terms.items()}
        info.update(x_position=float(d.qpos[0]), positive_work=work)
        return obs.copy(), float(sum(terms.values())), terminated, truncated, info

    def render(self):
        if self.render_mode != "rgb_array":
            return None
        if self._renderer is None:
            self._renderer = mujoco.Renderer(self.model, 240, 320)
        self._renderer.update_scene(self.data, camera="track")
        return self._renderer.render()

    def close(self):
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None


def native_rollouts(
    cfg: HumanoidConfig, policy: PolicyFile | None, conditions: Conditions, qpos: np.ndarray, qvel: np.ndarray, steps: int
) -> Trajectories:
    """Episodes in native MuJoCo under ``conditions`` (n rows) from the given starts qpos (n, 28), qvel (n, 27), each
    ``steps`` control steps long (the MJX rollout's layout, so :func:`walker.humanoid.protocol.task_metrics`
    scores both alike). ``policy`` None holds the standing pose (action 0)."""
    env = HumanoidNativeEnv(cfg)
    policy = None if policy is None else as_numpy(policy)
    n = len(conditions)
    rows = conditions.as_array()
    obs = np.zeros((steps, n, task.OBS_SIZE), np.float32)
    actions = np.zeros((steps, n, task.ACTION_SIZE), np.float32)
    alive = np.zeros((steps, n), bool)
    fell = np.zeros((steps, n), bool)
    x = np.zeros((steps + 1, n))
    work = np.zeros((steps, n))
    reward = np.zeros((steps, n))
    mass = np.zeros(n)
    for i in range(n):
        options = dict(zip(("slope_deg", "friction_scale", "torso_mass_scale", "push_impulse", "push_time", "push_duration"), map(float, rows[i])))
        o, _ = env.reset(options={**options, "qpos": qpos[i], "qvel": qvel[i]})
        mass[i] = env.model.body_mass.sum()
        x[0, i] = env.data.qpos[0]
        for t in range(steps):
            a = np.zeros(task.ACTION_SIZE, np.float32) if policy is None else np.asarray(apply(policy, o, np), np.float32)
            obs[t, i], actions[t, i], alive[t, i] = o, a, True
            o, r, terminated, _, info = env.step(a)
            x[t + 1, i], work[t, i], reward[t, i] = info["x_position"], info["positive_work"], r
            fell[t, i] = terminated
            if terminated:  # the rest of the episode does not count (alive is False): hold the last position
                x[t + 2:, i] = x[t + 1, i]
                break
    env.close()
    return Trajectories(obs=obs, action=actions, alive=alive, x=x, work=work, mass=mass, fell=fell, reward=reward)
