"""The humanoid's MuJoCo model: compiled from its MJCF with the options of ``humanoid/params.yaml``."""

from __future__ import annotations

from pathlib import Path

import mujoco

from walker.conditions import pitched_gravity
from walker.config import ConfigError
from walker.humanoid.config import HumanoidConfig
from walker.humanoid.task import ACTION_SIZE, FOOT_BODIES
from walker.io import REPO_ROOT

SOLVERS = {"newton": mujoco.mjtSolver.mjSOL_NEWTON, "cg": mujoco.mjtSolver.mjSOL_CG}


def resolve_humanoid_model(model_file: str) -> Path:
    """The MJCF path, relative paths taken from the repository root; ConfigError if it is missing."""
    path = Path(model_file)
    if not path.is_absolute():
        path = REPO_ROOT / path
    if not path.is_file():
        raise ConfigError(f"humanoid.model_file: model file not found: {path}")
    return path


def load_humanoid_model(cfg: HumanoidConfig) -> mujoco.MjModel:
    """Compile the humanoid's MJCF and apply timestep, slope and solver options from ``cfg``."""
    path = resolve_humanoid_model(cfg.model_file)
    try:
        model = mujoco.MjModel.from_xml_path(str(path))
    except ValueError as err:
        raise ConfigError(f"humanoid.model_file: {path} is not a valid MJCF model: {err}") from err
    check_humanoid_layout(model, path)
    model.opt.timestep = cfg.timestep
    model.opt.gravity[:] = pitched_gravity(cfg.slope_deg)
    model.opt.iterations = cfg.solver_iterations
    model.opt.ls_iterations = cfg.ls_iterations
    model.opt.solver = SOLVERS[cfg.solver]
    return model


def check_humanoid_layout(model: mujoco.MjModel, path: Path | str = "model") -> None:
    """Fail clearly if the MJCF lacks what the task assumes: a free root body 'torso', 21 hinge position servos
    in joint order, feet named foot_right/foot_left, a floor geom."""
    problems = []
    if model.njnt < 1 or model.jnt_type[0] != mujoco.mjtJoint.mjJNT_FREE or model.body(int(model.jnt_bodyid[0])).name != "torso":
        problems.append("the first joint must be the free joint of body 'torso'")
    if model.nu != ACTION_SIZE or model.nq != 7 + ACTION_SIZE:
        problems.append(f"needs {ACTION_SIZE} actuators on {ACTION_SIZE} hinges (has {model.nu} actuators, nq {model.nq})")
    elif any(int(model.actuator_trnid[i, 0]) != i + 1 for i in range(model.nu)):
        problems.append("actuator i must drive hinge i + 1 (the actuators in joint order)")
    names = {model.body(i).name for i in range(model.nbody)} | {model.geom(i).name for i in range(model.ngeom)}
    missing = [n for n in (*FOOT_BODIES, "floor") if n not in names]
    if missing:
        problems.append(f"missing bodies or geoms {missing}")
    if problems:
        raise ConfigError(f"humanoid.model_file: {path}: " + "; ".join(problems))
