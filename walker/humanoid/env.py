"""The humanoid's task as a Brax environment on MJX.

Observation, reward and termination are :mod:`walker.humanoid.task`'s. Actions in
[-1, 1]^21 move the position servos' targets around the standing pose.

Like every body's env (:mod:`walker.conditions`), ``state.info`` carries what the
episode runs under as data: ``slope_deg``, ``friction_scale``, ``torso_mass_scale`` and
the push (``push_impulse`` N s along +x on the torso from ``push_time`` s for
``push_duration`` s). ``reset`` draws them from ``humanoid.randomization``; the evaluation
overwrites them with ``set_conditions``. So :mod:`walker.autoreset` gives every training
episode a fresh draw, and :mod:`walker.rollout` and :mod:`walker.protocol` evaluate the
humanoid exactly as they evaluate the walker. ``metrics["positive_work"]`` integrates the
actuators' positive power over every physics substep.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from brax import base
from brax.envs.base import Env, State
from brax.io import mjcf
from mujoco import mjx

from walker import conditions
from walker.gait import FootModel
from walker.humanoid import task
from walker.humanoid.config import HumanoidConfig
from walker.humanoid.model import load_humanoid_model


def build_humanoid_system(cfg: HumanoidConfig) -> base.System:
    """The humanoid's Brax System (an ``mjx.Model``) with the options of ``cfg``."""
    return mjcf.load_model(load_humanoid_model(cfg))


class HumanoidEnv(Env):
    """MuJoCo's humanoid (our tuned copy) standing, walking or kneeling on MJX physics.

    Args:
      cfg: the ``humanoid`` params block (its ``reward.preset`` is the task).
      sys: a System built by :func:`build_humanoid_system` with ``cfg``; built here if None.
    """

    def __init__(self, cfg: HumanoidConfig, sys: base.System | None = None):
        self.cfg = cfg
        self.sys = build_humanoid_system(cfg) if sys is None else sys
        self.body: task.Body = task.body_of(self.sys.mj_model)
        self._qpos0 = jnp.asarray(self.sys.mj_model.qpos0, jnp.float32)

    @property
    def observation_size(self) -> int:
        return task.OBS_SIZE

    @property
    def action_size(self) -> int:
        return task.ACTION_SIZE

    @property
    def backend(self) -> str:
        return "mjx"

    @property
    def dt(self) -> float:
        return self.cfg.control_dt

    @property
    def foot_model(self) -> FootModel:
        return task.foot_model(self.body)

    def start_state(self, rng: jax.Array) -> tuple[jax.Array, jax.Array]:
        """The start qpos (28,), qvel (27,) that :meth:`reset` uses for key ``rng`` (the native env can replay them)."""
        k_joint, k_vel, _, _ = jax.random.split(rng, 4)
        joint_u = jax.random.uniform(k_joint, (task.ACTION_SIZE,), minval=-1.0, maxval=1.0)
        vel_u = jax.random.uniform(k_vel, (self.sys.nv,), minval=-1.0, maxval=1.0)
        return task.start_state(self._qpos0, joint_u, vel_u, self.cfg, jnp)

    def reset(self, rng: jax.Array) -> State:
        info = conditions.draw_conditions(rng, self.cfg.randomization)
        qpos, qvel = self.start_state(rng)
        sys = self.conditioned_system(info)
        data = mjx.forward(sys, mjx.make_data(sys).replace(qpos=qpos, qvel=qvel))
        obs = self._observation(data, jnp.zeros(task.ACTION_SIZE))
        zero = jnp.zeros(())
        metrics = {f"reward/{name}": zero for name in task.REWARD_TERMS}
        metrics.update(x_position=data.qpos[0], forward_speed=zero, fallen=zero, positive_work=zero)
        return State(data, obs, zero, zero, metrics, info)

    def step(self, state: State, action: jax.Array) -> State:
        action = jnp.clip(action, -1.0, 1.0)
        sys = self.conditioned_system(state.info)
        data = state.pipeline_state
        info = state.info
        force = conditions.push_force(data.time, info["push_impulse"], info["push_time"], info["push_duration"], jnp)
        data = data.replace(ctrl=task.action_to_ctrl(action, self.cfg, jnp), xfrc_applied=data.xfrc_applied.at[self.body.torso, 0].set(force))
        data, work = conditions.substeps_with_work(mjx.step, sys, data, self.cfg.n_substeps, self.cfg.timestep)
        obs = self._observation(data, action)
        terms = task.weighted_terms(task.reward_terms(obs, action, self.cfg, jnp), self.cfg.reward.weights)
        done = task.fallen(obs, self.cfg, jnp).astype(jnp.float32)
        metrics = {f"reward/{name}": value for name, value in terms.items()}
        metrics.update(x_position=data.qpos[0], forward_speed=obs[task.OBS_VEL][0], fallen=done, positive_work=work)
        return state.replace(pipeline_state=data, obs=obs, reward=sum(terms.values()), done=done, metrics=metrics)

    def _observation(self, data: mjx.Data, prev_action: jax.Array) -> jax.Array:
        foot_xpos = jnp.stack([data.geom_xpos[jnp.asarray(geoms)] for geoms in self.body.foot_geoms])
        return task.observation(data.qpos, data.qvel, data.xmat[self.body.torso], foot_xpos, prev_action, self.body, jnp)

    def conditioned_system(self, info: dict) -> base.System:
        """The system under the episode's slope, friction and torso mass (scalars in ``info``): :func:`walker.conditions.conditioned_system`."""
        return conditions.conditioned_system(
            self.sys, info["slope_deg"], info["friction_scale"], info["torso_mass_scale"],
            torso=self.body.torso, friction_geoms=self.body.friction_geoms,
        )

    def total_mass(self, state: State) -> jax.Array:
        """The humanoid's total mass (kg) in this episode's condition."""
        return jnp.sum(self.conditioned_system(state.info).body_mass)

    @staticmethod
    def set_conditions(state: State, values: dict[str, jax.Array]) -> State:
        """``state`` with the episode's condition and push replaced (:func:`walker.conditions.set_conditions`)."""
        return conditions.set_conditions(state, values)

