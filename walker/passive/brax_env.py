"""The walking task on Brax's own physics pipelines (``generalized``, ``positional``, ``spring``).

The same env as :class:`walker.passive.env.PassiveWalkerEnv` (observation, action,
reward, termination, condition and push in ``state.info``, positive work per
control step), with the physics step of ``brax.<backend>.pipeline`` in place of
``mjx.step``. Three things differ because of what those pipelines are:

* **The model.** Brax cannot stack a slide and a hinge joint on one body, has no
  welded child bodies and integrates with Euler only, so these pipelines run
  ``backends.model_file`` (``assets/walker_brax.xml``: the walker rewritten as a
  chain, see its header) at their own, smaller timestep. :func:`check_representable`
  names what a model has that Brax cannot represent.
* **The push.** The pipelines take no external force. The push's impulse falling
  in a control step, ``impulse / duration * overlap`` along the ramp on the torso,
  is the generalised force on ``rootx`` alone (the torso is the hinge's origin), so
  it is applied as the velocity change ``M^-1 e_rootx * impulse`` at the start of
  that control step (``M`` the joint-space mass matrix): the same momentum, in
  control-step slices instead of physics-step slices.
* **Time** lives in ``state.info["time"]`` (the pipelines' states have no clock).

The torso-mass factor scales the torso link, which here carries the left thigh too.
"""

from __future__ import annotations

import importlib
from types import ModuleType

import jax
import jax.numpy as jnp
import mujoco
from brax import base
from brax.envs.base import State
from brax.generalized import pipeline as generalized_pipeline
from brax.io import mjcf

from walker.conditions import draw_conditions
from walker.config import ConfigError
from walker.passive import task
from walker.passive.config import BRAX_PIPELINES, WalkerConfig
from walker.passive.env import PassiveWalkerEnv
from walker.passive.model import floor_and_feet_geoms


def check_representable(mj_model: mujoco.MjModel, backend: str, model_file: str) -> None:
    """Raise :class:`ConfigError` naming everything in the model that Brax's ``backend`` pipeline cannot represent."""
    problems = []
    if mj_model.opt.integrator != mujoco.mjtIntegrator.mjINT_EULER:
        name = mujoco.mjtIntegrator(mj_model.opt.integrator).name.removeprefix("mjINT_").lower()
        problems.append(f"the integrator is {name} (Brax integrates with Euler only)")
    for body in range(1, mj_model.nbody):
        joints = int(mj_model.body_jntnum[body])
        if joints > 1:
            names = [mj_model.joint(j).name for j in range(mj_model.body_jntadr[body], mj_model.body_jntadr[body] + joints)]
            problems.append(f"body '{mj_model.body(body).name}' stacks {joints} joints {names} (Brax needs one joint per body)")
        elif joints == 0 and mj_model.body_parentid[body] != 0:
            problems.append(f"body '{mj_model.body(body).name}' is welded to its parent without a joint (Brax has no welded bodies)")
    if not problems:
        try:
            mjcf.validate_model(mj_model)
        except (NotImplementedError, RuntimeError) as err:
            problems.append(str(err))
    if problems:
        raise ConfigError(
            f"walker.backend: Brax's '{backend}' pipeline cannot represent {model_file}: " + "; ".join(problems)
            + " (backends.model_file is the walker rewritten for Brax, docs/backends.md)"
        )


class BraxPipelineWalkerEnv(PassiveWalkerEnv):
    """The passive walker on one of Brax's own pipelines; ``cfg.backend`` names it (see the module docstring)."""

    def __init__(self, sys: base.System, cfg: WalkerConfig):
        if cfg.backend not in BRAX_PIPELINES:
            raise ConfigError(f"walker.backend: '{cfg.backend}' is not one of Brax's pipelines {list(BRAX_PIPELINES)}")
        check_representable(sys.mj_model, cfg.backend, cfg.model_file)
        super().__init__(sys, cfg)
        self.pipeline: ModuleType = importlib.import_module(f"brax.{cfg.backend}.pipeline")
        self.torso_link = list(sys.link_names).index("torso")

    @property
    def backend(self) -> str:
        return self.cfg.backend

    def reset(self, rng: jax.Array) -> State:
        qpos, qvel = self.start_state(rng)
        info = {**draw_conditions(rng, self.cfg.randomization), "time": jnp.zeros(())}  # the same draws as the MJX env's reset
        ps = self.pipeline.init(self.conditioned_system(info), qpos, qvel)
        obs = task.observation(ps.q, ps.qd, jnp.zeros(task.ACTION_SIZE), self.geom, jnp)
        zero = jnp.zeros(())
        metrics = {f"reward/{name}": zero for name in task.REWARD_TERMS}
        metrics.update(x_position=ps.q[0], forward_speed=zero, fallen=zero, positive_work=zero)
        return State(ps, obs, zero, zero, metrics, info)

    def step(self, state: State, action: jax.Array) -> State:
        action = jnp.clip(action, -1.0, 1.0)
        sys = self.conditioned_system(state.info)
        ctrl = task.action_to_ctrl(action, self.geom, jnp)
        ps = self._pushed(sys, state.pipeline_state, state.info)

        def substep(_, carry):
            ps, work = carry
            power = task.positive_power(actuator_force(sys, ctrl, ps.q, ps.qd), ps.qd[sys.actuator.qd_id], jnp)
            return self.pipeline.step(sys, ps, ctrl), work + power * self.cfg.timestep

        ps, work = jax.lax.fori_loop(0, self.cfg.n_substeps, substep, (ps, jnp.zeros((), jnp.float32)))
        obs = task.observation(ps.q, ps.qd, action, self.geom, jnp)
        terms = task.weighted_terms(task.reward_terms(obs, action, self.cfg, self.geom, jnp), self.cfg.reward.weights)
        done = task.fallen(obs, self.cfg, jnp).astype(jnp.float32)
        metrics = {f"reward/{name}": value for name, value in terms.items()}
        metrics.update(x_position=ps.q[0], forward_speed=obs[task.OBS_VX], fallen=done, positive_work=work)
        info = {**state.info, "time": state.info["time"] + self.cfg.control_dt}
        return state.replace(pipeline_state=ps, obs=obs, reward=sum(terms.values()), done=done, metrics=metrics, info=info)

    def _pushed(self, sys: base.System, ps: base.State, info: dict) -> base.State:
        """``ps`` after the part of the push's impulse that falls in this control step (see the module docstring)."""
        t0 = info["time"]
        start, duration = info["push_time"], info["push_duration"]
        overlap = jnp.clip(jnp.minimum(t0 + self.cfg.control_dt, start + duration) - jnp.maximum(t0, start), 0.0, None)
        impulse = info["push_impulse"] / jnp.maximum(duration, 1e-9) * overlap
        mass_inv = generalized_pipeline.init(sys, ps.q, ps.qd).mass_mx_inv
        kicked = self.pipeline.init(sys, ps.q, ps.qd + mass_inv[:, 0] * impulse)
        return jax.tree.map(lambda a, b: jnp.where(overlap > 0, a, b), kicked, ps)

    def conditioned_system(self, info: dict) -> base.System:
        """The system under ``info``'s condition: gravity and friction as on MJX, the torso link's mass and inertia scaled."""
        sys, s = self.sys, info["torso_mass_scale"]
        geoms = jnp.asarray(floor_and_feet_geoms(sys.mj_model))
        g = jnp.linalg.norm(jnp.asarray(sys.opt.gravity))
        slope = jnp.deg2rad(info["slope_deg"])
        inertia = sys.link.inertia
        inertia = inertia.replace(
            mass=inertia.mass.at[self.torso_link].multiply(s), i=inertia.i.at[self.torso_link].multiply(s)
        )
        return sys.tree_replace({
            "opt.gravity": jnp.stack([g * jnp.sin(slope), 0.0, -g * jnp.cos(slope)]),
            "geom_friction": sys.geom_friction.at[geoms, 0].multiply(info["friction_scale"]),
            "link.inertia": inertia,
        })

    def total_mass(self, state: State) -> jax.Array:
        return jnp.sum(self.conditioned_system(state.info).link.inertia.mass)


def actuator_force(sys: base.System, ctrl: jax.Array, q: jax.Array, qd: jax.Array) -> jax.Array:
    """Force (3,) of the position actuators at joint state ``q, qd``: ``gain * ctrl + bias_q * q + bias_qd * qd``, clipped."""
    act = sys.actuator
    force = act.gain * ctrl + act.bias_q * q[act.q_id] + act.bias_qd * qd[act.qd_id]
    return jnp.clip(force, act.force_range[:, 0], act.force_range[:, 1])
