"""DVC stage `backends` (walker.stages.backends): the walker on MJX and on Brax's own pipelines.

Usage: python pipeline/backends.py PARAMS_FILE PHYSICS_PARAMS_FILE PPO_RESULTS_DIR PPO_MODELS_DIR BC_DIR CRITIC_DIR OUT_JSON OUT_MARKDOWN OUT_MODELS
"""

import sys

if __name__ == "__main__":
    params_file, physics_file, ppo_results, ppo_models, bc_dir, critic_dir, out_json, out_md, out_models = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()
    from walker.backend_table import BackendsParams
    from walker.config import load_study
    from walker.passive.config import load_params
    from walker.stages import backends

    params = load_study(BackendsParams, load_params(params_file), physics_file)  # validate before any computation
    configure_jax()
    backends.run(params, ppo_results, ppo_models, bc_dir, critic_dir, out_json, out_md, out_models)
