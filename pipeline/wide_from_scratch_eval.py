"""DVC stage `wide_from_scratch_eval` (walker.stages.wide_from_scratch_eval), pipeline envelope/dvc.yaml: the wide runs
from scratch on the protocol's sets and the slope x push map, against the main pipeline's wide runs from BC.

Usage: python pipeline/wide_from_scratch_eval.py PARAMS_FILE SYSTEM_PICKLE WIDE_MODELS_DIR WIDE_RESULTS_DIR EVALUATION_JSON
       BC_WIDE_RESULTS_DIR OUT_JSON OUT_MD
"""

import sys

if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) != 8:
        sys.exit(__doc__)
    params_file, system_file, *paths = args
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()
    quiet_logs()
    from walker.passive.config import load_params
    from walker.stages import wide_from_scratch_eval

    params = load_params(params_file)  # validate before any computation
    configure_jax()
    from walker.passive.backends import make_env
    from walker.passive.system import load_system

    env = make_env(load_system(system_file, params.walker), params.walker)  # as stage evaluate builds it
    wide_from_scratch_eval.run(params, env, *paths)
