"""DVC stage `evaluate` of humanoid/dvc.yaml (walker.stages.humanoid_evaluate).

Usage: python pipeline/humanoid_evaluate.py HUMANOID_PARAMS STAND_MODEL_DIR WALK_MODELS_ROOT RUNS_DIR OUT_JSON EPISODES_JSON
"""

import sys
from pathlib import Path

if __name__ == "__main__":
    params_file, stand_dir, walk_root, runs_dir, out_json, episodes_json = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()
    quiet_logs()
    from walker.humanoid.config import load_humanoid_params
    from walker.stages import humanoid_evaluate

    hp = load_humanoid_params(params_file)  # validate before any computation
    walk_dirs = [str(Path(walk_root) / f"{variant}-{seed}") for variant in ("curriculum", "scratch") for seed in hp.seeds]
    configure_jax()
    humanoid_evaluate.run(hp, stand_dir, walk_dirs, runs_dir, out_json, episodes_json)
