"""DVC stage `report`: plots of the evaluation, videos plus MJCF keyframes of every policy kind, and a
screenshot of the browser viewer (PLOTS_DIR/viewer.png; skipped with a warning when no Chromium is installed).

Usage: python pipeline/report.py PARAMS_FILE SUMMARY_JSON DETAILS_JSON PPO_LIVE_DIR BC_MODEL_DIR PPO_MODELS_DIR WEB_DIR PLOTS_DIR VIDEOS_DIR
"""

import sys
from pathlib import Path

from walker.config import load_params
from walker.runtime import configure_jax, select_gl_backend


if __name__ == "__main__":
    params_file, summary_json, details_json, ppo_live, bc_dir, ppo_dir, web_dir, plots_dir, videos_dir = sys.argv[1:]
    params = load_params(params_file)  # validate before any computation
    select_gl_backend()  # before anything imports mujoco
    configure_jax()

    from walker.stages import run_report

    run_report(params, summary_json, details_json, ppo_live, bc_dir, ppo_dir, plots_dir, videos_dir)

    from walker.web import screenshot

    shot = Path(plots_dir) / "viewer.png"
    if screenshot(web_dir, shot):
        print(f"[report] {shot}: the browser viewer with the PPO policy walking")
    else:
        print("[report] warning: no Chromium found (scripts/system-packages.sh installs it); no viewer.png", file=sys.stderr)
