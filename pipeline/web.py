"""DVC stage `web`: the browser viewer folder (MuJoCo WebAssembly, three.js, the FSM, BC and the best BC-seeded PPO run).

Usage: python pipeline/web.py PARAMS_FILE BC_MODEL_DIR PPO_MODELS_DIR EVALUATION_JSON OUT_DIR OUT_JSON
"""

import sys

from walker.config import load_params


if __name__ == "__main__":
    params_file, bc_dir, ppo_dir, evaluation_json, out_dir, out_json = sys.argv[1:]
    params = load_params(params_file)  # validate before any computation

    from walker.policy import PolicyFileError
    from walker.web import WebBuildError, run_web

    try:
        summary = run_web(params, bc_dir, ppo_dir, evaluation_json, out_dir, out_json)
    except (WebBuildError, PolicyFileError) as err:
        sys.exit(f"[web] error: {err}")
    print(f"[web] {out_dir}: {', '.join(summary['policies'])} ({summary['size_mb']} MB); `walker serve` shows it")
