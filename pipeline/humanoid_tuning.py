"""DVC stage `tuning` of humanoid/dvc.yaml (walker.stages.humanoid_tuning).

Usage: python pipeline/humanoid_tuning.py HUMANOID_PARAMS OUT_JSON OUT_MARKDOWN
"""

import sys

if __name__ == "__main__":
    params_file, out_json, out_markdown = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()
    quiet_logs()
    from walker.humanoid.config import load_humanoid_params
    from walker.stages import humanoid_tuning

    hp = load_humanoid_params(params_file)  # validate before any computation
    configure_jax()
    humanoid_tuning.run(hp, out_json, out_markdown)
