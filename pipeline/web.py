"""DVC stage `web` (walker.stages.web): the browser viewer folder (MuJoCo WebAssembly, three.js, the FSM, BC and
the best BC-seeded PPO run) and its screenshot.

Usage: python pipeline/web.py PARAMS_FILE BC_MODEL_DIR PPO_MODELS_DIR EVALUATION_JSON OUT_DIR OUT_JSON SCREENSHOT_DIR
"""

import sys

if __name__ == "__main__":
    params_file, bc_dir, ppo_dir, evaluation_json, out_dir, out_json, shot_dir = sys.argv[1:]
    from walker.passive.config import load_params  # no jax or MJX in this stage: nothing for runtime.quiet_logs to quiet

    params = load_params(params_file)  # validate before any computation

    from walker.policy import PolicyFileError
    from walker.stages import web
    from walker.web import WebBuildError

    try:
        summary = web.run(params, bc_dir, ppo_dir, evaluation_json, out_dir, out_json, shot_dir)
    except (WebBuildError, PolicyFileError) as err:
        sys.exit(f"[web] error: {err}")
    print(f"[web] {out_dir}: {', '.join(summary['policies'])} ({summary['size_mb']} MB); `walker serve` shows it")
