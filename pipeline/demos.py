"""DVC stage `demos`: FSM rollouts in the MJX env -> dataset and expert metrics.

Usage: python pipeline/demos.py PARAMS_FILE SYSTEM_PICKLE OUT_NPZ OUT_JSON
"""

import sys

from walker.config import load_params
from walker.runtime import configure_jax
from walker.stages import run_demos


if __name__ == "__main__":
    params_file, system_file, out_npz, out_json = sys.argv[1:]
    params = load_params(params_file)  # validate before any computation
    configure_jax()
    run_demos(params, system_file, out_npz, out_json)
