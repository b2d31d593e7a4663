"""DVC stage `ppo` (a matrix over variant and seed): Brax PPO from the cloned policy or from scratch.

Usage: python pipeline/ppo.py PARAMS_FILE SYSTEM_PICKLE BC_MODEL_DIR VARIANT SEED OUT_MODEL_DIR OUT_JSON LIVE_DIR
"""

import sys

from walker.config import load_params
from walker.runtime import configure_jax
from walker.stages import run_ppo


if __name__ == "__main__":
    params_file, system_file, bc_dir, variant, seed, out_dir, out_json, live_dir = sys.argv[1:]
    params = load_params(params_file)  # validate before any computation
    configure_jax()
    run_ppo(params, variant, int(seed), system_file, bc_dir, out_dir, out_json, live_dir)
