"""The cached Brax ``System`` (an ``mjx.Model``) that the MJX stages share."""

from __future__ import annotations

import pickle
from pathlib import Path

from brax import base
from brax.io import mjcf

from walker.config import ConfigError
from walker.io import write_bytes
from walker.passive.brax_env import check_representable
from walker.passive.config import WalkerConfig
from walker.passive.model import load_mj_model


def build_system(cfg: WalkerConfig) -> base.System:
    """Compile the MJCF with the options in ``cfg`` into a Brax System; for one of Brax's own pipelines
    (``cfg.backend``), first check the model is one it can represent (a ConfigError names what is not)."""
    mj_model = load_mj_model(cfg)
    if cfg.backend != "mjx":
        check_representable(mj_model, cfg.backend, cfg.model_file)
    return mjcf.load_model(mj_model)


def save_system(sys: base.System, path: str | Path) -> None:
    """Pickle atomically: write a temporary file, then rename it into place."""
    write_bytes(pickle.dumps(sys), path)


def load_system(path: str | Path, cfg: WalkerConfig) -> base.System:
    """Load the pickled System and check it was built with ``cfg``'s timestep and solver."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"system file not found: {path} (run `dvc repro system`)")
    try:
        sys = pickle.loads(path.read_bytes())
    except Exception as err:  # noqa: BLE001 - any unpickling failure means a bad file
        raise ConfigError(f"{path}: not a readable System pickle ({type(err).__name__}: {err})") from err
    if not isinstance(sys, base.System):
        raise ConfigError(f"{path}: expected a brax System, found {type(sys).__name__}")
    if abs(float(sys.opt.timestep) - cfg.timestep) > 1e-6 * cfg.timestep or int(sys.opt.iterations) != cfg.solver_iterations:
        raise ConfigError(
            f"{path}: built with timestep {float(sys.opt.timestep)} and {int(sys.opt.iterations)} solver iterations, "
            f"but params say walker.timestep={cfg.timestep}, walker.solver_iterations={cfg.solver_iterations}; rerun `dvc repro system`"
        )
    return sys
