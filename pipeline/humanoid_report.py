"""DVC stage `report` of humanoid/dvc.yaml (walker.stages.humanoid_report).

Usage: python pipeline/humanoid_report.py HUMANOID_PARAMS EVALUATION_JSON EPISODES_JSON RUNS_DIR STAND_MODEL_DIR WALK_MODELS_ROOT
       PLOTS_DIR VIDEOS_DIR OUT_MARKDOWN
"""

import sys

if __name__ == "__main__":
    params_file, *paths = sys.argv[1:]
    from walker.runtime import quiet_logs, select_gl_backend

    select_gl_backend()  # before anything imports mujoco
    quiet_logs()
    from walker.humanoid.config import load_humanoid_params
    from walker.stages import humanoid_report

    hp = load_humanoid_params(params_file)  # validate before any computation
    humanoid_report.run(hp, *paths)
