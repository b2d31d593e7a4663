"""The conditions an episode runs under, for every body: slope, friction, torso mass and a push.

A body's MJX env keeps its episode's condition in ``state.info`` (scalars per episode, the
keys of :data:`CONDITION_KEYS`), draws it at reset (:func:`draw_conditions`), lets the
rollout engine and ADR overwrite it (:func:`set_conditions`), and applies it at every step:
the slope pitches gravity so that +x runs downhill along a flat floor, the friction scale
multiplies the sliding friction of the body's contact geoms, the torso mass scale its
torso's mass and inertia (:func:`conditioned_system`; :func:`condition_native_model` is the
same rule for a native ``MjModel``), and the push is a horizontal force on the torso for
``push_duration`` seconds (:func:`push_force`). :func:`substeps_with_work` integrates the
physics substeps of one control step and the actuators' positive work over them.

Shared code: it takes a body's ids (torso body, contact geoms) as arguments and never
imports a body.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

import jax
import jax.numpy as jnp
import numpy as np

if TYPE_CHECKING:  # types only: importing MJX or Brax here would load them (and MJX's Warp probe) for native-only users
    import mujoco
    from brax import base
    from brax.envs.base import State
    from mujoco import mjx

Array = Any

CONDITION_KEYS = {
    "slope_deg": "slope_deg", "friction_scale": "friction_scale", "torso_mass_scale": "torso_mass_scale",
    "push_impulse_ns": "push_impulse", "push_time_s": "push_time", "push_duration_s": "push_duration",
}
"""The rollout's condition names (:data:`walker.rollout.CONDITION_NAMES`) -> the ``state.info`` keys that hold them."""


class _Interval(Protocol):
    low: float
    high: float

    @property
    def width(self) -> float: ...


class Randomization(Protocol):
    """What :func:`draw_conditions` reads of a body's ``randomization`` params block."""

    slope_deg: _Interval
    friction_scale: _Interval
    torso_mass_scale: _Interval
    push_impulse_ns: _Interval
    push_time_s: _Interval
    push_duration_s: float


def pitched_gravity(slope_deg: float, g: float = 9.81) -> np.ndarray:
    """Gravity pitched by the slope so that +x runs downhill along a flat floor; shape (3,)."""
    s = math.radians(slope_deg)
    return np.array([g * math.sin(s), 0.0, -g * math.cos(s)])


def draw_conditions(rng: jax.Array, randomization: Randomization) -> dict[str, jax.Array]:
    """One episode's condition (the ``state.info`` entries of :data:`CONDITION_KEYS`, scalars) for reset key ``rng``.

    The push uses the third and fourth of ``split(rng, 4)`` (a body's start state uses the
    first two); slope, friction and mass one uniform (3,) draw from ``fold_in(rng, 1)``.
    """
    _, _, k_impulse, k_time = jax.random.split(rng, 4)
    u = jax.random.uniform(jax.random.fold_in(rng, 1), (3,))
    r = randomization
    return {
        "slope_deg": r.slope_deg.low + r.slope_deg.width * u[0],
        "friction_scale": r.friction_scale.low + r.friction_scale.width * u[1],
        "torso_mass_scale": r.torso_mass_scale.low + r.torso_mass_scale.width * u[2],
        "push_impulse": jax.random.uniform(k_impulse, (), minval=r.push_impulse_ns.low, maxval=r.push_impulse_ns.high),
        "push_time": jax.random.uniform(k_time, (), minval=r.push_time_s.low, maxval=r.push_time_s.high),
        "push_duration": jnp.asarray(r.push_duration_s, jnp.float32),
    }


def set_conditions(state: State, conditions: dict[str, jax.Array]) -> State:
    """Return ``state`` with the episode's condition and push replaced (batched or not).

    ``conditions`` maps every name of :data:`CONDITION_KEYS` (slope deg, friction
    and torso mass scales, push N s, s, s) to a value of the state's batch shape.
    """
    missing = sorted(set(CONDITION_KEYS) - set(conditions))
    if missing:
        raise KeyError(f"set_conditions: no value for {missing}")
    info = dict(state.info)
    for name, key in CONDITION_KEYS.items():
        info[key] = jnp.broadcast_to(jnp.asarray(conditions[name], jnp.float32), jnp.shape(state.info[key]))
    return state.replace(info=info)


def conditioned_system(
    sys: base.System, slope_deg: jax.Array, friction_scale: jax.Array, torso_mass_scale: jax.Array,
    *, torso: int, friction_geoms: Sequence[int],
) -> base.System:
    """``sys`` under one condition (scalars; ``jax.vmap`` it for a batch).

    ``torso`` is the body whose mass and inertia scale, ``friction_geoms`` the geoms
    (floor and feet) whose sliding friction scales; gravity keeps its magnitude.
    """
    geoms = jnp.asarray(friction_geoms)
    g = jnp.linalg.norm(jnp.asarray(sys.opt.gravity))
    s = jnp.deg2rad(slope_deg)
    return sys.tree_replace({
        "opt.gravity": jnp.stack([g * jnp.sin(s), 0.0, -g * jnp.cos(s)]),
        "geom_friction": sys.geom_friction.at[geoms, 0].set(sys.geom_friction[geoms, 0] * friction_scale),
        "body_mass": sys.body_mass.at[torso].set(sys.body_mass[torso] * torso_mass_scale),
        "body_inertia": sys.body_inertia.at[torso].set(sys.body_inertia[torso] * torso_mass_scale),
    })


def nominal_of(model: mujoco.MjModel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Copies of what :func:`condition_native_model` scales: geom friction (ngeom, 3), body mass (nbody,), inertia (nbody, 3)."""
    return model.geom_friction.copy(), model.body_mass.copy(), model.body_inertia.copy()


def condition_native_model(
    model: mujoco.MjModel, nominal: tuple[np.ndarray, np.ndarray, np.ndarray],
    slope_deg: float, friction_scale: float, torso_mass_scale: float, *, torso: int, friction_geoms: Sequence[int],
) -> None:
    """Set ``model`` (in place) to one condition from its ``nominal`` arrays (:func:`nominal_of`): the rules of
    :func:`conditioned_system`, on a native model."""
    friction, mass, inertia = nominal
    model.opt.gravity[:] = pitched_gravity(slope_deg)
    model.geom_friction[:] = friction
    model.geom_friction[list(friction_geoms), 0] *= friction_scale
    model.body_mass[:] = mass
    model.body_inertia[:] = inertia
    model.body_mass[torso] *= torso_mass_scale
    model.body_inertia[torso] *= torso_mass_scale


def push_force(time: Array, impulse: Array, push_time: Array, duration: Array, xp: ModuleType) -> Array:
    """Horizontal force (N) along +x on the torso at ``time``: impulse/duration inside the push window, else 0."""
    active = (time >= push_time) & (time < push_time + duration)
    return xp.where(active, impulse / duration, 0.0)


def positive_power(actuator_force: Array, actuator_velocity: Array, xp: ModuleType) -> Array:
    """Positive mechanical power of the actuators (W): sum of max(force * velocity, 0); (nu,), (nu,) -> scalar.

    Negative power (an actuator braking) is not credited back: cost of
    transport counts the work the motors must supply.
    """
    return xp.sum(xp.maximum(actuator_force * actuator_velocity, 0.0))


def substeps_with_work(
    physics_step: Callable[[base.System, mjx.Data], mjx.Data], sys: base.System, data: mjx.Data, n_substeps: int, timestep: float,
) -> tuple[mjx.Data, jax.Array]:
    """``n_substeps`` physics steps of one control step, and the actuators' positive work over them (J, scalar)."""
    def substep(_, carry):
        d, work = carry
        d = physics_step(sys, d)
        return d, work + positive_power(d.actuator_force, d.actuator_velocity, jnp) * timestep

    return jax.lax.fori_loop(0, n_substeps, substep, (data, jnp.zeros((), jnp.float32)))
