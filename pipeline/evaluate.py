"""DVC stage `evaluate`: every policy (FSM, BC, each PPO run) in MJX and in native MuJoCo, on the same cases.

Usage: python pipeline/evaluate.py PARAMS_FILE SYSTEM_PICKLE BC_MODEL_DIR PPO_MODELS_DIR PPO_RESULTS_DIR OUT_SUMMARY_JSON OUT_DETAILS_JSON
"""

import sys

from walker.config import load_params
from walker.runtime import configure_jax
from walker.stages import run_evaluate


if __name__ == "__main__":
    params_file, system_file, bc_dir, ppo_dir, ppo_results, out_summary, out_details = sys.argv[1:]
    params = load_params(params_file)  # validate before any computation
    configure_jax()
    run_evaluate(params, system_file, bc_dir, ppo_dir, ppo_results, out_summary, out_details)
