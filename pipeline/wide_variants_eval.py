"""DVC stage `wide_variants_eval` (walker.stages.wide_variants_eval), pipeline envelope/dvc.yaml: every variant's wide
runs on the protocol's sets, the slope x push map and the slope sweep's speeds, against the main pipeline's wide runs.

Usage: python pipeline/wide_variants_eval.py PARAMS_FILE ENVELOPE_PARAMS_FILE SYSTEM_PICKLE VARIANT_MODELS_DIR
       VARIANT_RESULTS_DIR EVALUATION_JSON BC_WIDE_MODELS_DIR BC_WIDE_RESULTS_DIR OUT_JSON OUT_MD
"""

import sys

if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) != 10:
        sys.exit(__doc__)
    params_file, envelope_file, system_file, *paths = args
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()
    quiet_logs()
    from walker.passive.config import load_params
    from walker.stages import wide_variants_eval
    from walker.wide_variants import load_wide_variants

    params, cfg = load_params(params_file), load_wide_variants(envelope_file)  # validate before any computation
    configure_jax()
    from walker.passive.backends import make_env
    from walker.passive.system import load_system

    env = make_env(load_system(system_file, params.walker), params.walker)  # as stage evaluate builds it
    wide_variants_eval.run(params, cfg, env, *paths)
