"""DVC stage `critic` (walker.stages.critic): the clone's value regressed offline on the demos' and DAgger's returns.

Usage: python pipeline/critic.py PARAMS_FILE DEMOS_NPZ DAGGER_NPZ BC_MODEL_DIR OUT_MODEL_DIR OUT_JSON TIMING_JSON
"""

import sys

if __name__ == "__main__":
    params_file, demos_file, visits_file, bc_dir, out_dir, out_json, timing_json = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()  # before jax and mujoco are imported
    from walker.passive.config import load_params
    from walker.stages import critic

    params = load_params(params_file)  # validate before any computation
    configure_jax()
    from walker.timing import stage_timing

    with stage_timing("critic", timing_json):  # wall clock, compiling, env steps -> results/timing/
        critic.run(params, demos_file, visits_file, bc_dir, out_dir, out_json)
