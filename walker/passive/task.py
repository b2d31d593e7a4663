"""The task itself, written once for NumPy and JAX (pass ``xp=numpy`` or ``xp=jax.numpy``).

Both environments (MJX in :mod:`walker.passive.env`, native MuJoCo in :mod:`walker.passive.native`)
call these functions, so observation, reward, termination and action scaling
cannot drift apart.

Observation vector (shape (18,), float32):

| index | quantity                                        | unit  |
| ----- | ----------------------------------------------- | ----- |
| 0     | torso (hip) height above the ramp               | m     |
| 1     | torso pitch = left leg angle (+ = foot behind)  | rad   |
| 2     | hip angle (right leg relative to left)          | rad   |
| 3, 4  | left, right knee extension                      | m     |
| 5     | torso velocity along the ramp (+ = downhill)    | m/s   |
| 6     | torso velocity normal to the ramp               | m/s   |
| 7     | pitch rate                                      | rad/s |
| 8     | hip angular velocity                            | rad/s |
| 9, 10 | left, right knee velocity                       | m/s   |
| 11, 12| left, right foot position ahead of the torso    | m     |
| 13, 14| left, right foot height above the ramp (bottom) | m     |
| 15-17 | previous action (hip, left knee, right knee)    | 1     |

The previous action makes the FSM's discrete phase recoverable from the
observation, which a memoryless learned policy needs to copy it.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from walker.conditions import positive_power, push_force  # noqa: F401 (shared by every body; this body's names for them)
from walker.gait import FootModel
from walker.passive.config import RewardWeights, StartConfig, WalkerConfig
from walker.passive.model import HIP, KNEE_LEFT, KNEE_RIGHT, PITCH, ROOTX, ROOTZ, Geometry

OBS_SIZE = 18
ACTION_SIZE = 3
OBS_HEIGHT, OBS_PITCH, OBS_HIP = 0, 1, 2
OBS_VX = 5
OBS_HIP_VELOCITY = 8
OBS_FOOT_DX = (11, 12)
OBS_FOOT_H = (13, 14)
OBS_PREV_ACTION = slice(15, 18)
REWARD_TERMS = ("forward", "upright", "clearance", "actuator", "flight")

Array = Any


def observation(qpos: Array, qvel: Array, prev_action: Array, geom: Geometry, xp: ModuleType) -> Array:
    """Observation from the joint state; qpos, qvel (6,), prev_action (3,) -> (18,)."""
    height = geom.hip_height + qpos[ROOTZ]
    angle_left = qpos[PITCH]
    angle_right = qpos[PITCH] + qpos[HIP]
    len_left = geom.leg_length + qpos[KNEE_LEFT]
    len_right = geom.leg_length + qpos[KNEE_RIGHT]
    feet = [
        -len_left * xp.sin(angle_left),
        -len_right * xp.sin(angle_right),
        height - len_left * xp.cos(angle_left) - geom.foot_radius,
        height - len_right * xp.cos(angle_right) - geom.foot_radius,
    ]
    joints = [height, qpos[PITCH], qpos[HIP], qpos[KNEE_LEFT], qpos[KNEE_RIGHT]]
    vels = [qvel[ROOTX], qvel[ROOTZ], qvel[PITCH], qvel[HIP], qvel[KNEE_LEFT], qvel[KNEE_RIGHT]]
    head = xp.stack([xp.asarray(v, dtype=xp.float32) for v in joints + vels + feet])
    return xp.concatenate([head, xp.asarray(prev_action, dtype=xp.float32)])


def feet(obs: Array, torso_x: Array) -> tuple[Array, Array]:
    """Each foot's lowest point above the ramp and its position along the ramp, from observations
    obs (..., 18) and the torso's position torso_x (...) -> (..., 2), (..., 2), left foot first."""
    height = obs[..., OBS_FOOT_H[0]:OBS_FOOT_H[1] + 1]
    ahead = obs[..., OBS_FOOT_DX[0]:OBS_FOOT_DX[1] + 1]
    return height, torso_x[..., None] + ahead


def foot_model(geom: Geometry) -> FootModel:
    """The passive walker's feet for the protocol's gait metrics (MJX and native alike)."""
    return FootModel(feet=feet, leg_length=geom.leg_length)


def action_to_ctrl(action: Array, geom: Geometry, xp: ModuleType) -> Array:
    """Actions in [-1, 1] (..., 3) to position-actuator targets (rad, m, m)."""
    return xp.clip(action, -1.0, 1.0) * xp.asarray(geom.ctrl_scale, dtype=xp.float32)


def reward_terms(obs: Array, action: Array, cfg: WalkerConfig, geom: Geometry, xp: ModuleType) -> dict[str, Array]:
    """Unweighted reward terms for one control step; obs (18,), action (3,) -> scalars."""
    height = obs[OBS_HEIGHT]
    span = geom.hip_height - cfg.min_height
    clearance = xp.maximum(obs[OBS_FOOT_H[0]], obs[OBS_FOOT_H[1]])
    return {
        "forward": xp.minimum(obs[OBS_VX], cfg.reward.max_forward_speed),
        "upright": xp.clip((height - cfg.min_height) / span, 0.0, 1.0),
        "clearance": xp.clip(clearance / cfg.reward.clearance_height, 0.0, 1.0),
        "actuator": -xp.mean(xp.square(action)),
        # -1 while no foot touches the ramp: the upright and clearance terms alone pay more for a run or a hop than a walk
        "flight": xp.where(xp.minimum(obs[OBS_FOOT_H[0]], obs[OBS_FOOT_H[1]]) > cfg.reward.contact_height, -1.0, 0.0),
    }


def weighted_terms(terms: dict[str, Array], weights: RewardWeights) -> dict[str, Array]:
    """Each term times its weight (these are what is logged as ``reward/<name>``)."""
    return {name: getattr(weights, name) * value for name, value in terms.items()}


def fallen(obs: Array, cfg: WalkerConfig, xp: ModuleType) -> Array:
    """True when the torso is below the healthy height, pitched too far, or the state is not finite."""
    return (obs[OBS_HEIGHT] < cfg.min_height) | (xp.abs(obs[OBS_PITCH]) > cfg.max_pitch) | ~xp.all(xp.isfinite(obs))


def start_state(start: StartConfig, angle_u: Array, vel_u: Array, geom: Geometry, xp: ModuleType) -> tuple[Array, Array]:
    """Start qpos, qvel (6,) from uniform noise angle_u (2,), vel_u (6,) in [-1, 1].

    The torso height is set so that the lower foot just touches the ramp.
    """
    pitch = start.pitch + start.angle_noise * angle_u[0]
    hip = start.hip + start.angle_noise * angle_u[1]
    lowest = xp.maximum(xp.cos(pitch), xp.cos(pitch + hip))
    rootz = geom.leg_length * lowest + geom.foot_radius - geom.hip_height
    zero = xp.zeros_like(pitch)
    qpos = xp.stack([zero, rootz, pitch, zero, hip, zero])
    qvel = xp.asarray(start.qvel) + start.velocity_noise * vel_u
    return qpos, qvel
