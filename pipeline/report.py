"""DVC stage `report`: plots of the evaluation, and videos plus MJCF keyframes of every policy kind.

Usage: python pipeline/report.py PARAMS_FILE SUMMARY_JSON DETAILS_JSON PPO_LIVE_DIR BC_MODEL_DIR PPO_MODELS_DIR PLOTS_DIR VIDEOS_DIR
"""

import sys

from walker.config import load_params
from walker.runtime import configure_jax, select_gl_backend


if __name__ == "__main__":
    params_file, summary_json, details_json, ppo_live, bc_dir, ppo_dir, plots_dir, videos_dir = sys.argv[1:]
    params = load_params(params_file)  # validate before any computation
    select_gl_backend()  # before anything imports mujoco
    configure_jax()

    from walker.stages import run_report

    run_report(params, summary_json, details_json, ppo_live, bc_dir, ppo_dir, plots_dir, videos_dir)
