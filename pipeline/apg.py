"""DVC stage `apg@<method>` (walker.stages.apg): Brax's analytic policy gradient through the physics, against PPO.

Usage: python pipeline/apg.py PARAMS_FILE PHYSICS_PARAMS_FILE METHOD SYSTEM_FILE PPO_RESULTS_DIR BENCH_JSON OUT_DIR OUT_JSON
"""

import sys

if __name__ == "__main__":
    params_file, physics_file, method, system_file, ppo_results, bench_file, out_dir, out_json = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()
    from walker.apg import ApgParams
    from walker.config import load_study
    from walker.passive.config import load_params
    from walker.stages import apg

    params = load_study(ApgParams, load_params(params_file), physics_file)  # validate before any computation
    configure_jax()
    apg.run(params, method, system_file, ppo_results, bench_file, out_dir, out_json)
