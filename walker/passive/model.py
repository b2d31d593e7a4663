"""The MJCF model: load it, apply the options in ``params.yaml``, check its layout.

Joint layout (qpos and qvel share it, every joint has one dof):

| index | joint      | meaning                                              |
| ----- | ---------- | ---------------------------------------------------- |
| 0     | rootx      | torso position along the ramp (m, +x is downhill)    |
| 1     | rootz      | torso height relative to its rest height (m)         |
| 2     | pitch      | torso pitch = left leg angle (rad, + = foot behind)  |
| 3     | knee_left  | left knee extension (m, - = retracted)               |
| 4     | hip        | right leg angle relative to the left (rad)           |
| 5     | knee_right | right knee extension (m)                             |

Actuators (ctrl order): hip, knee_left, knee_right.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import mujoco
import numpy as np

from walker.conditions import pitched_gravity
from walker.config import ConfigError
from walker.io import REPO_ROOT
from walker.passive.config import WalkerConfig

JOINTS = ("rootx", "rootz", "pitch", "knee_left", "hip", "knee_right")
ACTUATORS = ("hip", "knee_left", "knee_right")
ROOTX, ROOTZ, PITCH, KNEE_LEFT, HIP, KNEE_RIGHT = range(6)
TORSO_BODY = "torso"
FEET = ("foot_left", "foot_right")
FLOOR = "floor"



@dataclasses.dataclass(frozen=True)
class Geometry:
    """Lengths the observation needs, read from the compiled model."""

    hip_height: float
    """torso (hip) height above the floor at rest (m)"""
    leg_length: float
    """hip to foot centre with the knee at zero (m)"""
    foot_radius: float
    """radius of the sphere feet (m)"""
    ctrl_scale: tuple[float, float, float]
    """half-width of each actuator's ctrl range; action 1 maps to it"""
    torso_body: int
    """body id of the torso (where pushes act)"""


def resolve_model_file(model_file: str) -> Path:
    path = Path(model_file)
    if not path.is_absolute():
        path = REPO_ROOT / path
    if not path.is_file():
        raise ConfigError(f"walker.model_file: model file not found: {path}")
    return path


def load_mj_model(cfg: WalkerConfig) -> mujoco.MjModel:
    """Compile the MJCF named in ``cfg`` and apply timestep, slope and solver options."""
    path = resolve_model_file(cfg.model_file)
    try:
        model = mujoco.MjModel.from_xml_path(str(path))
    except ValueError as err:
        raise ConfigError(f"walker.model_file: {path} is not a valid MJCF model: {err}") from err
    check_layout(model, path)
    model.opt.timestep = cfg.timestep
    model.opt.gravity[:] = pitched_gravity(cfg.slope_deg)
    model.opt.iterations = cfg.solver_iterations
    model.opt.ls_iterations = cfg.ls_iterations
    model.opt.solver = {"newton": mujoco.mjtSolver.mjSOL_NEWTON, "cg": mujoco.mjtSolver.mjSOL_CG}[cfg.solver]
    return model


def check_layout(model: mujoco.MjModel, path: Path | str = "model") -> None:
    """Fail clearly if the MJCF does not have the joint and actuator layout the code assumes."""
    joints = tuple(model.joint(i).name for i in range(model.njnt))
    actuators = tuple(model.actuator(i).name for i in range(model.nu))
    if joints != JOINTS or actuators != ACTUATORS or model.nq != len(JOINTS) or model.nv != len(JOINTS):
        raise ConfigError(
            f"walker.model_file: {path} has joints {joints} and actuators {actuators}; "
            f"expected joints {JOINTS} and actuators {ACTUATORS}"
        )
    for name in (TORSO_BODY, *FEET):
        if mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, name) < 0:
            raise ConfigError(f"walker.model_file: {path} has no body '{name}'")


def geometry(model: mujoco.MjModel) -> Geometry:
    torso = model.body(TORSO_BODY)
    foot = model.body(FEET[0])
    lo, hi = model.actuator_ctrlrange[:, 0], model.actuator_ctrlrange[:, 1]
    if not np.allclose(lo, -hi):
        raise ConfigError("walker.model_file: actuator ctrl ranges must be symmetric about zero")
    return Geometry(
        hip_height=float(torso.pos[2]),
        leg_length=float(-foot.pos[2]),
        foot_radius=float(model.geom(FEET[0]).size[0]),
        ctrl_scale=tuple(float(h) for h in hi),
        torso_body=int(torso.id),
    )


def floor_and_feet_geoms(model: mujoco.MjModel) -> np.ndarray:
    """Geom ids whose sliding friction the friction randomisation scales; shape (3,)."""
    return np.array([model.geom(n).id for n in (FLOOR, *FEET)])
