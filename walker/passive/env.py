"""The walking task as a Brax environment on the MJX backend.

Observation and reward are documented in :mod:`walker.passive.task`. Actions are in
[-1, 1]^3 = (hip, left knee, right knee), scaled to position-actuator targets.

``state.metrics["positive_work"]`` is the actuators' positive mechanical work
during the control step (J), integrated over every physics substep
(:func:`walker.conditions.positive_power` times the timestep).

``state.info`` carries everything an episode runs under, as data: the
condition (``slope_deg``, ``friction_scale``, ``torso_mass_scale``) and the push
(``push_impulse`` N s, ``push_time`` s and ``push_duration`` s; the force
``impulse / duration`` acts on the torso along +x during the window). ``reset``
draws all six from ``walker.randomization``; evaluation overwrites them with
``set_conditions``. Each ``step`` builds its system from the condition in
the state (:func:`conditioned_system`; the rules, shared by every body, are
:mod:`walker.conditions`), so a new episode can bring a new
condition without recompiling (see :mod:`walker.autoreset`), and no seed's
draws are baked into the compiled program. Time comes from
``pipeline_state.time``, so a reset restarts it with the episode.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import mujoco
from brax import base
from brax.envs.base import Env, State
from mujoco import mjx

from walker import conditions
from walker.conditions import CONDITION_KEYS, set_conditions  # noqa: F401 (this body's names for them)
from walker.gait import FootModel
from walker.passive import task
from walker.passive.config import WalkerConfig
from walker.passive.model import Geometry, floor_and_feet_geoms, geometry


class PassiveWalkerEnv(Env):
    """Planar passive-dynamic biped walking down a ramp (MJX physics).

    Args:
      sys: the Brax ``System`` (an ``mjx.Model``) built by the ``system`` stage.
      cfg: the ``walker`` params block.
      physics_step: one physics substep, ``(sys, data) -> data``; ``mjx.step`` unless a study
        swaps in another way to differentiate it (:mod:`walker.gradients`).
    """

    def __init__(self, sys: base.System, cfg: WalkerConfig, physics_step: Callable[[base.System, mjx.Data], mjx.Data] = mjx.step):
        self.sys = sys
        self.cfg = cfg
        self.physics_step = physics_step
        self.geom: Geometry = geometry(sys.mj_model)

    @property
    def observation_size(self) -> int:
        return task.OBS_SIZE

    @property
    def action_size(self) -> int:
        return task.ACTION_SIZE

    @property
    def foot_model(self) -> FootModel:
        """How the protocol's gait metrics find this body's feet in its observations."""
        return task.foot_model(self.geom)

    @property
    def backend(self) -> str:
        return "mjx"

    @property
    def dt(self) -> float:
        return self.cfg.control_dt

    def start_state(self, rng: jax.Array) -> tuple[jax.Array, jax.Array]:
        """The start qpos, qvel (6,) that :meth:`reset` uses for key ``rng`` (the native env can replay them)."""
        k_angle, k_vel, _, _ = jax.random.split(rng, 4)
        angle_u = jax.random.uniform(k_angle, (2,), minval=-1.0, maxval=1.0)
        vel_u = jax.random.uniform(k_vel, (6,), minval=-1.0, maxval=1.0)
        return task.start_state(self.cfg.start, angle_u, vel_u, self.geom, jnp)

    def reset(self, rng: jax.Array) -> State:
        qpos, qvel = self.start_state(rng)
        info = conditions.draw_conditions(rng, self.cfg.randomization)
        sys = self.conditioned_system(info)
        data = mjx.make_data(sys).replace(qpos=qpos, qvel=qvel)
        data = mjx.forward(sys, data)
        obs = task.observation(data.qpos, data.qvel, jnp.zeros(task.ACTION_SIZE), self.geom, jnp)
        zero = jnp.zeros(())
        metrics = {f"reward/{name}": zero for name in task.REWARD_TERMS}
        metrics.update(x_position=data.qpos[0], forward_speed=zero, fallen=zero, positive_work=zero)
        return State(data, obs, zero, zero, metrics, info)

    def step(self, state: State, action: jax.Array) -> State:
        action = jnp.clip(action, -1.0, 1.0)
        sys = self.conditioned_system(state.info)
        data = state.pipeline_state
        force = conditions.push_force(
            data.time, state.info["push_impulse"], state.info["push_time"], state.info["push_duration"], jnp
        )
        xfrc = data.xfrc_applied.at[self.geom.torso_body, 0].set(force)
        data = data.replace(ctrl=task.action_to_ctrl(action, self.geom, jnp), xfrc_applied=xfrc)
        data, work = conditions.substeps_with_work(self.physics_step, sys, data, self.cfg.n_substeps, self.cfg.timestep)
        obs = task.observation(data.qpos, data.qvel, action, self.geom, jnp)
        terms = task.weighted_terms(task.reward_terms(obs, action, self.cfg, self.geom, jnp), self.cfg.reward.weights)
        reward = sum(terms.values())
        done = task.fallen(obs, self.cfg, jnp).astype(jnp.float32)
        metrics = {f"reward/{name}": value for name, value in terms.items()}
        metrics.update(x_position=data.qpos[0], forward_speed=obs[task.OBS_VX], fallen=done, positive_work=work)
        return state.replace(pipeline_state=data, obs=obs, reward=reward, done=done, metrics=metrics)

    def conditioned_system(self, info: dict) -> base.System:
        """This env's system under the condition in ``info`` (one episode's scalars): see :func:`conditioned_system`."""
        return conditioned_system(self.sys, info["slope_deg"], info["friction_scale"], info["torso_mass_scale"])

    def total_mass(self, state: State) -> jax.Array:
        """The walker's total mass (kg) in this episode's condition (the torso mass scale changes it)."""
        return jnp.sum(self.conditioned_system(state.info).body_mass)

    @staticmethod
    def set_conditions(state: State, conditions: dict[str, jax.Array]) -> State:
        """``state`` with this episode's condition and push replaced: see :func:`set_conditions`."""
        return set_conditions(state, conditions)


def conditioned_system(sys: base.System, slope_deg: jax.Array, friction_scale: jax.Array, torso_mass_scale: jax.Array) -> base.System:
    """``sys`` under one condition (scalars; ``jax.vmap`` it for a batch): :func:`walker.conditions.conditioned_system`
    with this body's torso, and its floor and feet as the geoms whose friction scales."""
    mj_model: mujoco.MjModel = sys.mj_model
    return conditions.conditioned_system(
        sys, slope_deg, friction_scale, torso_mass_scale, torso=mj_model.body("torso").id, friction_geoms=floor_and_feet_geoms(mj_model),
    )
