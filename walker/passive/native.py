"""The same task on native MuJoCo, as a gymnasium environment.

Observation, reward, termination and action scaling come from
:mod:`walker.passive.task`, shared with the MJX environment. Conditions and the push
are chosen per episode through ``reset(options=...)``:

  ``slope_deg``, ``friction_scale``, ``torso_mass_scale`` (floats) and
  ``push_impulse`` (N s), ``push_time`` (s), ``push_duration`` (s), and ``qpos``/``qvel``
  to start from a given state; missing keys take the nominal value
  (no push), or, with ``randomize=True``, a fresh draw from ``walker.randomization``
  at every reset (training: ``gymnasium.make("walker/PassiveWalker-v0", randomize=True)``).
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Protocol

import gymnasium as gym
import mujoco
import numpy as np

from walker.conditions import condition_native_model, nominal_of
from walker.passive import task
from walker.passive.config import FsmConfig, WalkerConfig, load_params
from walker.passive.fsm import fsm_init, fsm_step
from walker.passive.model import Geometry, floor_and_feet_geoms, geometry, load_mj_model
from walker.policy import PolicyFile, apply, as_numpy
from walker.timing import record_env_steps


class PassiveWalkerNativeEnv(gym.Env):
    """Planar passive-dynamic biped walking down a ramp (native MuJoCo).

    Args:
      cfg: the ``walker`` params block; when omitted, read from ``params_file``.
      params_file: a params.yaml (default: ``params.yaml`` in the working directory).
      render_mode: ``"rgb_array"`` or None.
      randomize: draw the condition and push of every episode from ``cfg.randomization`` (the
        training distribution) instead of nominal ones; ``reset`` options still override.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 50}

    def __init__(
        self, cfg: WalkerConfig | None = None, params_file: str = "params.yaml", render_mode: str | None = None, randomize: bool = False
    ):
        if cfg is None:
            cfg = load_params(params_file).walker
        self.cfg = cfg
        self.model = load_mj_model(cfg)
        self.data = mujoco.MjData(self.model)
        self.geom = geometry(self.model)
        self._nominal = nominal_of(self.model)
        self._friction_geoms = floor_and_feet_geoms(self.model)
        self.observation_space = gym.spaces.Box(-np.inf, np.inf, (task.OBS_SIZE,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (task.ACTION_SIZE,), np.float32)
        self.metadata = {**self.metadata, "render_fps": int(cfg.control_hz)}
        self.render_mode = render_mode
        self.randomize = randomize
        self._renderer: mujoco.Renderer | None = None
        self._push = (0.0, math.inf, cfg.randomization.push_duration_s)
        self._obs = np.zeros(task.OBS_SIZE, np.float32)
        self._steps = 0

    def set_condition(self, slope_deg: float, friction_scale: float, torso_mass_scale: float) -> None:
        """Apply a slope, friction and torso-mass condition (same rules as ``walker.passive.env.conditioned_system``)."""
        m = self.model
        condition_native_model(
            m, self._nominal, slope_deg, friction_scale, torso_mass_scale, torso=self.geom.torso_body, friction_geoms=self._friction_geoms,
        )

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        opts = {**(self._draw_condition() if self.randomize else {}), **(options or {})}
        self.set_condition(
            float(opts.pop("slope_deg", self.cfg.slope_deg)),
            float(opts.pop("friction_scale", 1.0)),
            float(opts.pop("torso_mass_scale", 1.0)),
        )
        self._push = (
            float(opts.pop("push_impulse", 0.0)),
            float(opts.pop("push_time", math.inf)),
            float(opts.pop("push_duration", self.cfg.randomization.push_duration_s)),
        )
        qpos, qvel = opts.pop("qpos", None), opts.pop("qvel", None)
        if opts:
            raise ValueError(f"unknown reset options {sorted(opts)}")
        if qpos is None or qvel is None:
            angle_u = self.np_random.uniform(-1.0, 1.0, 2)
            vel_u = self.np_random.uniform(-1.0, 1.0, 6)
            qpos, qvel = task.start_state(self.cfg.start, angle_u, vel_u, self.geom, np)
        mujoco.mj_resetData(self.model, self.data)
        self.data.qpos[:] = qpos
        self.data.qvel[:] = qvel
        mujoco.mj_forward(self.model, self.data)
        self._steps = 0
        self._obs = task.observation(self.data.qpos, self.data.qvel, np.zeros(task.ACTION_SIZE), self.geom, np)
        return self._obs.copy(), {}

    def _draw_condition(self) -> dict[str, float]:
        """A condition and push drawn uniformly from ``cfg.randomization`` with this env's ``np_random``."""
        r = self.cfg.randomization
        draw = lambda i: float(self.np_random.uniform(i.low, i.high))  # noqa: E731
        return {"slope_deg": draw(r.slope_deg), "friction_scale": draw(r.friction_scale), "torso_mass_scale": draw(r.torso_mass_scale),
                "push_impulse": draw(r.push_impulse_ns), "push_time": draw(r.push_time_s), "push_duration": r.push_duration_s}

    def step(self, action):
        action = np.clip(np.asarray(action, dtype=np.float32), -1.0, 1.0)
        obs, work = self.advance(action)
        terms = task.weighted_terms(task.reward_terms(obs, action, self.cfg, self.geom, np), self.cfg.reward.weights)
        reward = float(sum(terms.values()))
        terminated = bool(task.fallen(obs, self.cfg, np))
        truncated = self._steps >= self.cfg.episode_steps
        info = {f"reward/{k}": float(v) for k, v in terms.items()}
        info["x_position"] = float(self.data.qpos[0])
        info["positive_work"] = work
        return obs.copy(), reward, terminated, truncated, info

    def advance(self, action: np.ndarray) -> tuple[np.ndarray, float]:
        """One control step of an action already in [-1, 1] (3,), float32, without the reward (which evaluation does
        not use): the next observation (18,) and the positive actuator work (J) of the step."""
        d = self.data
        impulse, push_time, duration = self._push
        d.xfrc_applied[self.geom.torso_body, 0] = task.push_force(d.time, impulse, push_time, duration, np)
        d.ctrl[:] = task.action_to_ctrl(action, self.geom, np)
        work = 0.0
        for _ in range(self.cfg.n_substeps):  # one at a time, to integrate the actuators' work as MJX does
            mujoco.mj_step(self.model, d)
            work += float(task.positive_power(d.actuator_force, d.actuator_velocity, np)) * self.model.opt.timestep
        self._steps += 1
        self._obs = task.observation(d.qpos, d.qvel, action, self.geom, np)
        return self._obs, work

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


class Controller(Protocol):
    """A NumPy controller for the native env, one observation at a time."""

    def reset(self, obs: np.ndarray) -> None: ...

    def act(self, obs: np.ndarray) -> np.ndarray:
        """obs (18,) -> action in [-1, 1] (3,)"""
        ...


class FsmController:
    """The FSM expert with its phase state."""

    def __init__(self, cfg: FsmConfig, geom: Geometry) -> None:
        self.cfg, self.geom = cfg, geom
        self.state = np.zeros(3, np.int32)

    def reset(self, obs: np.ndarray) -> None:
        self.state = fsm_init(obs, np)

    def act(self, obs: np.ndarray) -> np.ndarray:
        self.state, action = fsm_step(self.state, obs, self.cfg, self.geom, np)
        return action


class PolicyController:
    """A policy file, applied in float32 NumPy."""

    def __init__(self, policy: PolicyFile) -> None:
        self.policy = as_numpy(policy)

    def reset(self, obs: np.ndarray) -> None:
        pass

    def act(self, obs: np.ndarray) -> np.ndarray:
        return apply(self.policy, np.asarray(obs, np.float32), np)


@dataclasses.dataclass(frozen=True)
class NativeEpisode:
    """One native-MuJoCo episode of T control steps (fewer if the walker fell)."""

    obs: np.ndarray
    """(T+1, 18) observations, starting with the reset state"""
    x: np.ndarray
    """(T+1,) torso position along the ramp (m)"""
    work: np.ndarray
    """(T,) positive actuator work per control step (J), integrated over its physics substeps as in MJX"""
    fell_at: int | None
    """the control step at which the walker fell, or None"""


def run_episode(env: PassiveWalkerNativeEnv, controller: Controller, steps: int, **reset_kwargs: Any) -> NativeEpisode:
    """Run a controller in the native env for up to ``steps`` control steps (stops at a fall)."""
    obs, _ = env.reset(**reset_kwargs)
    controller.reset(obs)
    all_obs, xs, work = [obs], [float(env.data.qpos[0])], []
    for t in range(steps):  # env.advance: env.step's physics and observation, without the reward it does not need
        obs, step_work = env.advance(np.clip(np.asarray(controller.act(obs), dtype=np.float32), -1.0, 1.0))
        obs = obs.copy()
        all_obs.append(obs)
        xs.append(float(env.data.qpos[0]))
        work.append(step_work)
        if task.fallen(obs, env.cfg, np):
            return NativeEpisode(np.array(all_obs), np.array(xs), np.array(work), t)
    return NativeEpisode(np.array(all_obs), np.array(xs), np.array(work), None)


@dataclasses.dataclass(frozen=True)
class NativeBatch:
    """Native episodes padded to T steps, laid out like ``walker.rollout.Trajectories``."""

    obs: np.ndarray
    """(T, n, 18) observation before each step; held at the last one after a fall"""
    alive: np.ndarray
    """(T, n) bool: the walker had not fallen before this step"""
    fell: np.ndarray
    """(T, n) bool: the walker fell during this step"""
    x: np.ndarray
    """(T+1, n) torso position (m); held at its last value after a fall"""
    work: np.ndarray
    """(T, n) positive actuator work (J); zero after a fall"""
    mass: np.ndarray
    """(n,) total mass of each episode's walker (kg)"""


def _episode_options(condition: np.ndarray, qpos: np.ndarray, qvel: np.ndarray) -> dict[str, Any]:
    """Reset options from one condition row (slope, friction, mass, impulse, push time, push duration) and a start state."""
    slope, friction, mass, impulse, push_time, duration = (float(v) for v in condition)
    return {
        "slope_deg": slope, "friction_scale": friction, "torso_mass_scale": mass,
        "push_impulse": impulse, "push_time": push_time, "push_duration": duration,
        "qpos": qpos, "qvel": qvel,
    }


def _run_chunk(cfg: WalkerConfig, controller: Controller, conditions: np.ndarray, qpos: np.ndarray, qvel: np.ndarray, steps: int) -> NativeBatch:
    env = PassiveWalkerNativeEnv(cfg)
    n = len(conditions)
    obs = np.zeros((steps, n, task.OBS_SIZE), np.float32)
    alive = np.zeros((steps, n), bool)
    fell = np.zeros((steps, n), bool)
    x = np.zeros((steps + 1, n))
    work = np.zeros((steps, n))
    mass = np.zeros(n)
    for i in range(n):
        ep = run_episode(env, controller, steps, options=_episode_options(conditions[i], qpos[i], qvel[i]))
        done = len(ep.work)
        obs[:done, i] = ep.obs[:done]
        obs[done:, i] = ep.obs[done]
        alive[:done, i] = True
        if ep.fell_at is not None:
            fell[ep.fell_at, i] = True
        x[: done + 1, i] = ep.x
        x[done + 1 :, i] = ep.x[-1]
        work[:done, i] = ep.work
        mass[i] = float(env.model.body_mass.sum())
    env.close()
    return NativeBatch(obs, alive, fell, x, work, mass)


def native_rollouts(
    cfg: WalkerConfig, controller: Controller, conditions: np.ndarray, qpos: np.ndarray, qvel: np.ndarray, workers: int = 1,
    steps: int | None = None,
) -> NativeBatch:
    """Run ``controller`` for ``steps`` control steps (default: a training episode, ``cfg.episode_steps``)
    from given starts qpos, qvel (n, 6) under conditions (n, 6) in native MuJoCo.

    Condition columns are ``walker.rollout.CONDITION_NAMES``. With ``workers`` > 1
    the episodes are split across fresh (spawned) processes, so a parent that
    has initialised JAX is never forked.
    """
    n = len(conditions)
    parts = np.array_split(np.arange(n), max(1, min(workers, n)))
    steps = cfg.episode_steps if steps is None else steps
    args = [(cfg, controller, conditions[idx], qpos[idx], qvel[idx], steps) for idx in parts]
    if len(args) == 1:
        batches = [_run_chunk(*args[0])]
    else:
        with ProcessPoolExecutor(len(args), mp_context=multiprocessing.get_context("spawn")) as pool:
            batches = list(pool.map(_run_chunk, *zip(*args)))
    record_env_steps(n * steps, "native")
    return NativeBatch(
        obs=np.concatenate([b.obs for b in batches], axis=1),
        alive=np.concatenate([b.alive for b in batches], axis=1),
        fell=np.concatenate([b.fell for b in batches], axis=1),
        x=np.concatenate([b.x for b in batches], axis=1),
        work=np.concatenate([b.work for b in batches], axis=1),
        mass=np.concatenate([b.mass for b in batches]),
    )
