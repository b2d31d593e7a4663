"""Stage `system`: compile the MJCF, with the timestep, slope and solver of ``params.yaml``, into the cached Brax System."""

from __future__ import annotations

from walker.passive.config import Params
from walker.passive.system import build_system, save_system

PARAMS = ("walker.model_file", "walker.timestep", "walker.slope_deg", "walker.solver", "walker.solver_iterations", "walker.ls_iterations")


def run(params: Params, out: str) -> None:
    """Build and pickle the system."""
    save_system(build_system(params.walker), out)
    print(f"[system] wrote {out}", flush=True)
