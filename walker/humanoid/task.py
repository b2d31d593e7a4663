"""The humanoid's task, written once for NumPy and JAX (pass ``xp=numpy`` or ``xp=jax.numpy``).

The MJX env (:mod:`walker.humanoid.env`) and the gymnasium env (:mod:`walker.humanoid.native`)
both call these functions with the same quantities read from their physics data, so
observation, reward, termination and action scaling cannot drift apart.

Observation vector (shape (79,), float32); "body frame" is the torso's:

| index   | quantity                                                       | unit  |
| ------- | -------------------------------------------------------------- | ----- |
| 0       | torso height above the floor                                   | m     |
| 1-3     | world vertical in the body frame (1 at index 3 when upright)   | 1     |
| 4-24    | hinge angles (21, the actuators' order)                        | rad   |
| 25-27   | torso linear velocity, world frame (+x is forward)             | m/s   |
| 28-30   | torso angular velocity, body frame                             | rad/s |
| 31-51   | hinge velocities                                               | rad/s |
| 52, 53  | right, left foot height above the floor (lowest point)         | m     |
| 54, 55  | right, left foot position ahead of the torso (world x)         | m     |
| 56, 57  | right, left foot position beside the torso (world y)           | m     |
| 58-78   | previous action                                                | 1     |

Positions of the torso frame and the feet are MuJoCo's ``xmat``/``geom_xpos`` as the last
physics step left them (computed before that step's integration, in MJX and native MuJoCo alike).
"""

from __future__ import annotations

import dataclasses
from types import ModuleType
from typing import Any

import mujoco
import numpy as np

from walker.conditions import positive_power, push_force  # noqa: F401 (shared by every body; this body's names for them)
from walker.gait import FootModel
from walker.humanoid.config import HumanoidConfig, HumanoidRewardWeights

ACTION_SIZE = 21
OBS_SIZE = 79
OBS_HEIGHT = 0
OBS_UP = slice(1, 4)
OBS_VEL = slice(25, 28)
OBS_FOOT_H = slice(52, 54)
OBS_FOOT_DX = slice(54, 56)
OBS_PREV_ACTION = slice(58, 79)
REWARD_TERMS = ("forward", "upright", "height", "alive", "energy", "still")
FOOT_BODIES = ("foot_right", "foot_left")

Array = Any


@dataclasses.dataclass(frozen=True)
class Body:
    """Indices and constants of the humanoid model that the task needs."""

    torso: int
    """body id of the torso (the free-floating root)"""
    foot_geoms: tuple[tuple[int, ...], ...]
    """per foot (right, left), its capsule geoms' ids"""
    foot_radius: float
    friction_geoms: tuple[int, ...]
    """floor and foot geoms, whose sliding friction a condition scales"""
    leg_length: float
    """hip to sole when straight (m), for the Froude number"""
    standing_height: float
    """torso height (m) in the standing pose"""


def body_of(model: mujoco.MjModel) -> Body:
    """The task's indices of a compiled humanoid model."""
    feet = tuple(tuple(int(g) for g in np.flatnonzero(model.geom_bodyid == model.body(name).id)) for name in FOOT_BODIES)
    radius = float(model.geom_size[feet[0][0], 0])
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    hip = data.xpos[model.body("thigh_right").id, 2]
    sole = data.geom_xpos[feet[0][0], 2] - radius
    return Body(
        torso=model.body("torso").id,
        foot_geoms=feet,
        foot_radius=radius,
        friction_geoms=(model.geom("floor").id, *(g for foot in feet for g in foot)),
        leg_length=float(hip - sole),
        standing_height=float(data.xpos[model.body("torso").id, 2] - sole),
    )


def observation(qpos: Array, qvel: Array, torso_xmat: Array, foot_xpos: Array, prev_action: Array, body: Body, xp: ModuleType) -> Array:
    """Observation (79,) from qpos (28,), qvel (27,), the torso's rotation matrix (3, 3), each foot's geom centres
    (2, G, 3) (right foot first) and the previous action (21,)."""
    rot = xp.reshape(torso_xmat, (3, 3))
    up = rot[2, :]  # world z in the body frame: R^T e_z
    sole = xp.min(foot_xpos[..., 2], axis=-1) - body.foot_radius  # (2,)
    centre = xp.mean(foot_xpos, axis=-2)  # (2, 3)
    parts = [
        xp.reshape(qpos[2], (1,)), up, qpos[7:], qvel[0:3], qvel[3:6], qvel[6:],  # a free joint's qvel: world linear, body angular
        sole, centre[:, 0] - qpos[0], centre[:, 1] - qpos[1], prev_action,
    ]
    return xp.concatenate([xp.asarray(p, dtype=xp.float32) for p in parts])


def feet(obs: Array, torso_x: Array) -> tuple[Array, Array]:
    """Each foot's lowest point above the floor and its position along x, from observations obs (..., 79) and the
    torso's x (...) -> (..., 2), (..., 2), right foot first (the gait metrics' :class:`FootModel`)."""
    return obs[..., OBS_FOOT_H], torso_x[..., None] + obs[..., OBS_FOOT_DX]


def foot_model(body: Body) -> FootModel:
    """The humanoid's feet for the protocol's gait metrics (MJX and native alike)."""
    return FootModel(feet=feet, leg_length=body.leg_length)


def action_to_ctrl(action: Array, cfg: HumanoidConfig, xp: ModuleType) -> Array:
    """Actions in [-1, 1] (..., 21) to position targets (rad) around the standing pose (all hinges at 0);
    MuJoCo clamps each target to its joint's range."""
    return xp.clip(action, -1.0, 1.0) * cfg.action_scale


def reward_terms(obs: Array, action: Array, cfg: HumanoidConfig, xp: ModuleType) -> dict[str, Array]:
    """Unweighted reward terms for one control step; obs (79,), action (21,) -> scalars."""
    weights: HumanoidRewardWeights = cfg.reward.weights
    vx, vy = obs[OBS_VEL][0], obs[OBS_VEL][1]
    return {
        "forward": xp.minimum(vx, cfg.reward.max_forward_speed),
        "upright": obs[3],
        "height": xp.exp(-xp.square((obs[OBS_HEIGHT] - weights.target_height) / cfg.reward.height_scale)),
        "alive": xp.ones_like(obs[OBS_HEIGHT]),
        "energy": -xp.mean(xp.square(action)),
        "still": -(xp.square(vx) + xp.square(vy)),
    }


def weighted_terms(terms: dict[str, Array], weights: HumanoidRewardWeights) -> dict[str, Array]:
    """Each term times its preset weight (what is logged as ``reward/<name>``)."""
    return {name: getattr(weights, name) * value for name, value in terms.items()}


def fallen(obs: Array, cfg: HumanoidConfig, xp: ModuleType) -> Array:
    """True when the torso is below ``humanoid.min_height`` or the state is not finite."""
    return (obs[OBS_HEIGHT] < cfg.min_height) | ~xp.all(xp.isfinite(obs))


def start_state(qpos0: Array, joint_u: Array, vel_u: Array, cfg: HumanoidConfig, xp: ModuleType) -> tuple[Array, Array]:
    """Start qpos (28,), qvel (27,): the standing pose ``qpos0`` with uniform noise joint_u (21,), vel_u (27,) in [-1, 1]."""
    qpos = xp.concatenate([qpos0[:7], qpos0[7:] + cfg.start.joint_noise * joint_u])
    qvel = cfg.start.velocity_noise * vel_u
    return qpos, qvel
