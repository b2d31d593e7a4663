"""DVC stage `bc`: behaviour cloning of the FSM (plus DAgger rounds) -> policy file, metrics, training curves.

Usage: python pipeline/bc.py PARAMS_FILE SYSTEM_PICKLE DEMOS_NPZ DEMOS_JSON OUT_MODEL_DIR OUT_JSON LIVE_DIR
"""

import sys

from walker.config import load_params
from walker.runtime import configure_jax
from walker.stages import run_bc


if __name__ == "__main__":
    params_file, system_file, demos_file, demos_json, out_dir, out_json, live_dir = sys.argv[1:]
    params = load_params(params_file)  # validate before any computation
    configure_jax()
    run_bc(params, system_file, demos_file, demos_json, out_dir, out_json, live_dir)
