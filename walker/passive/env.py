"""The walking task as a Brax environment on the MJX backend.

Observation and reward are documented in :mod:`walker.passive.task`. Actions are in
[-1, 1]^3 = (hip, left knee, right knee), scaled to position-actuator targets.

``state.metrics["positive_work"]`` is the actuators' positive mechanical work
during the control step (J), integrated over every physics substep
(:func:`walker.passive.task.positive_power` times the timestep).

``state.info`` carries the push for this episode (``push_impulse`` N s,
``push_time`` s and ``push_duration`` s; the force ``impulse / duration`` acts
on the torso along +x during the window). ``reset`` draws it from ``walker.randomization``;
evaluation overwrites it with :func:`set_push`. Time comes from
``pipeline_state.time``, so Brax's auto-reset restarts it with the episode.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mujoco
from brax import base
from brax.envs.base import Env, State
from mujoco import mjx

from walker.config import ConditionRanges, Interval, WalkerConfig
from walker.gait import FootModel
from walker.passive import task
from walker.passive.model import Geometry, floor_and_feet_geoms, geometry


class PassiveWalkerEnv(Env):
    """Planar passive-dynamic biped walking down a ramp (MJX physics).

    Args:
      sys: the Brax ``System`` (an ``mjx.Model``) built by the ``system`` stage.
      cfg: the ``walker`` params block.
    """

    def __init__(self, sys: base.System, cfg: WalkerConfig):
        self.sys = sys
        self.cfg = cfg
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
        _, _, k_impulse, k_time = jax.random.split(rng, 4)
        qpos, qvel = self.start_state(rng)
        data = mjx.make_data(self.sys).replace(qpos=qpos, qvel=qvel)
        data = mjx.forward(self.sys, data)
        obs = task.observation(data.qpos, data.qvel, jnp.zeros(task.ACTION_SIZE), self.geom, jnp)
        rand = self.cfg.randomization
        info = {
            "push_impulse": _uniform(k_impulse, rand.push_impulse_ns),
            "push_time": _uniform(k_time, rand.push_time_s),
            "push_duration": jnp.asarray(rand.push_duration_s, jnp.float32),
        }
        zero = jnp.zeros(())
        metrics = {f"reward/{name}": zero for name in task.REWARD_TERMS}
        metrics.update(x_position=data.qpos[0], forward_speed=zero, fallen=zero, positive_work=zero)
        return State(data, obs, zero, zero, metrics, info)

    def step(self, state: State, action: jax.Array) -> State:
        action = jnp.clip(action, -1.0, 1.0)
        data = state.pipeline_state
        force = task.push_force(
            data.time, state.info["push_impulse"], state.info["push_time"], state.info["push_duration"], jnp
        )
        xfrc = data.xfrc_applied.at[self.geom.torso_body, 0].set(force)
        data = data.replace(ctrl=task.action_to_ctrl(action, self.geom, jnp), xfrc_applied=xfrc)
        def substep(_, carry):
            d, work = carry
            d = mjx.step(self.sys, d)
            return d, work + task.positive_power(d.actuator_force, d.actuator_velocity, jnp) * self.cfg.timestep

        data, work = jax.lax.fori_loop(0, self.cfg.n_substeps, substep, (data, jnp.zeros((), jnp.float32)))
        obs = task.observation(data.qpos, data.qvel, action, self.geom, jnp)
        terms = task.weighted_terms(task.reward_terms(obs, action, self.cfg, self.geom, jnp), self.cfg.reward.weights)
        reward = sum(terms.values())
        done = task.fallen(obs, self.cfg, jnp).astype(jnp.float32)
        metrics = {f"reward/{name}": value for name, value in terms.items()}
        metrics.update(x_position=data.qpos[0], forward_speed=obs[task.OBS_VX], fallen=done, positive_work=work)
        return state.replace(pipeline_state=data, obs=obs, reward=reward, done=done, metrics=metrics)

    def condition_system(
        self, slope_deg: jax.Array, friction_scale: jax.Array, torso_mass_scale: jax.Array
    ) -> tuple[base.System, base.System]:
        """This env's system under a batch of conditions, each argument (batch,): see :func:`condition_system`."""
        return condition_system(self.sys, slope_deg, friction_scale, torso_mass_scale)

    def randomization_fn(self, sys: base.System, rng: jax.Array) -> tuple[base.System, base.System]:
        """Brax's ``randomization_fn`` for training: one condition per key in ``rng`` (batch, 2) from ``cfg.randomization``."""
        return randomization_fn(sys, rng, self.cfg.randomization)

    @staticmethod
    def set_push(state: State, impulse: jax.Array, push_time: jax.Array, duration: float | jax.Array) -> State:
        """``state`` with this episode's push replaced: see :func:`set_push`."""
        return set_push(state, impulse, push_time, duration)


def _uniform(key: jax.Array, interval: Interval, shape: tuple[int, ...] = ()) -> jax.Array:
    return jax.random.uniform(key, shape, minval=interval.low, maxval=interval.high)


def set_push(state: State, impulse: jax.Array, push_time: jax.Array, duration: float | jax.Array) -> State:
    """Return ``state`` with this episode's push (N s, s, s) replaced (batched or not)."""
    info = dict(state.info)
    info["push_duration"] = jnp.broadcast_to(jnp.asarray(duration, jnp.float32), state.info["push_duration"].shape)
    info["push_impulse"] = jnp.broadcast_to(jnp.asarray(impulse, jnp.float32), state.info["push_impulse"].shape)
    info["push_time"] = jnp.broadcast_to(jnp.asarray(push_time, jnp.float32), state.info["push_time"].shape)
    return state.replace(info=info)


def condition_system(
    sys: base.System, slope_deg: jax.Array, friction_scale: jax.Array, torso_mass_scale: jax.Array
) -> tuple[base.System, base.System]:
    """A batch of systems, one per condition; each argument has shape (batch,).

    Returns ``(sys_v, in_axes)`` as Brax's ``DomainRandomizationVmapWrapper`` expects.
    Slope pitches gravity, friction scales the sliding friction of floor and
    feet, and the torso mass scale multiplies the torso's mass and inertia.
    """
    mj_model: mujoco.MjModel = sys.mj_model
    torso = mj_model.body("torso").id
    geoms = jnp.asarray(floor_and_feet_geoms(mj_model))
    g = jnp.linalg.norm(jnp.asarray(sys.opt.gravity))

    def one(slope, friction, mass):
        s = jnp.deg2rad(slope)
        grav = jnp.stack([g * jnp.sin(s), 0.0, -g * jnp.cos(s)])
        geom_friction = sys.geom_friction.at[geoms, 0].set(sys.geom_friction[geoms, 0] * friction)
        body_mass = sys.body_mass.at[torso].set(sys.body_mass[torso] * mass)
        body_inertia = sys.body_inertia.at[torso].set(sys.body_inertia[torso] * mass)
        return grav, geom_friction, body_mass, body_inertia

    grav, geom_friction, body_mass, body_inertia = jax.vmap(one)(slope_deg, friction_scale, torso_mass_scale)
    sys_v = sys.tree_replace(
        {"opt.gravity": grav, "geom_friction": geom_friction, "body_mass": body_mass, "body_inertia": body_inertia}
    )
    in_axes = jax.tree.map(lambda _: None, sys)
    in_axes = in_axes.tree_replace({"opt.gravity": 0, "geom_friction": 0, "body_mass": 0, "body_inertia": 0})
    return sys_v, in_axes


def randomization_fn(sys: base.System, rng: jax.Array, rand: ConditionRanges) -> tuple[base.System, base.System]:
    """Brax ``randomization_fn``: one random condition per key in ``rng`` (batch, 2)."""
    u = jax.vmap(lambda key: jax.random.uniform(key, (3,)))(rng)
    return condition_system(
        sys,
        rand.slope_deg.low + rand.slope_deg.width * u[:, 0],
        rand.friction_scale.low + rand.friction_scale.width * u[:, 1],
        rand.torso_mass_scale.low + rand.torso_mass_scale.width * u[:, 2],
    )
