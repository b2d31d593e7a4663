"""The finite-state-machine expert as a pure function of (phase state, observation).

Written once for NumPy and JAX (``xp``), so the same logic drives the MJX env
under ``jax.vmap`` and the native MuJoCo env one step at a time.

Discrete state, int32 array of shape (3,):
  [0] hip phase: 0 = the right leg swings, 1 = the left leg swings
  [1] left knee retracted (0/1), [2] right knee retracted (0/1)

Rules (leg angles are measured from the ramp normal, + = foot behind the hip):
  * touchdown: when the swing foot touches the ramp while leading the stance
    leg by ``switch_split``, the legs swap roles; the new swing knee retracts.
  * the swing knee extends again once its leg leads the stance leg by
    ``extend_split``.
  * the hip servo places the swing leg ``step_angle`` ahead of the ramp
    normal, plus ``speed_gain`` per m/s above ``target_speed`` (a longer step
    loses more energy at touchdown, which is what regulates speed on a ramp).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from walker.passive.config import FsmConfig
from walker.passive.model import Geometry
from walker.passive.task import OBS_FOOT_DX, OBS_FOOT_H, OBS_HIP, OBS_PITCH, OBS_VX

Array = Any


def fsm_init(obs: Array, xp: ModuleType) -> Array:
    """Initial phase state for an observation (18,) -> (3,): the trailing leg swings first."""
    left_swings = obs[OBS_FOOT_DX[0]] < obs[OBS_FOOT_DX[1]]
    return xp.stack([left_swings, left_swings, ~left_swings]).astype(xp.int32)


def fsm_step(state: Array, obs: Array, cfg: FsmConfig, geom: Geometry, xp: ModuleType) -> tuple[Array, Array]:
    """One control step: state (3,), obs (18,) -> (next state (3,), action in [-1, 1] (3,))."""
    phase, knee_left, knee_right = state[0], state[1], state[2]
    angle_left = obs[OBS_PITCH]
    angle_right = obs[OBS_PITCH] + obs[OBS_HIP]
    right_leads = angle_left - angle_right
    right_lands = (phase == 0) & (obs[OBS_FOOT_H[1]] < cfg.contact_height) & (right_leads > cfg.switch_split)
    left_lands = (phase == 1) & (obs[OBS_FOOT_H[0]] < cfg.contact_height) & (-right_leads > cfg.switch_split)

    phase = xp.where(right_lands, 1, xp.where(left_lands, 0, phase))
    knee_left = xp.where(right_lands, 1, xp.where(left_lands, 0, knee_left))
    knee_right = xp.where(left_lands, 1, xp.where(right_lands, 0, knee_right))
    knee_left = xp.where((knee_left == 1) & (-right_leads > cfg.extend_split), 0, knee_left)
    knee_right = xp.where((knee_right == 1) & (right_leads > cfg.extend_split), 0, knee_right)

    placement = xp.clip(
        cfg.step_angle + cfg.speed_gain * (obs[OBS_VX] - cfg.target_speed), cfg.min_step_angle, cfg.max_step_angle
    )
    # the hip joint sets the right leg relative to the left: put the swing leg at -placement
    hip_target = xp.where(phase == 0, -placement - angle_left, angle_right + placement)
    knee_targets = [xp.where(k == 1, -cfg.knee_retract, 0.0) for k in (knee_left, knee_right)]
    targets = xp.stack([hip_target, *knee_targets])
    action = xp.clip(targets / xp.asarray(geom.ctrl_scale), -1.0, 1.0).astype(xp.float32)
    next_state = xp.stack([phase, knee_left, knee_right]).astype(xp.int32)
    return next_state, action
