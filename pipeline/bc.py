"""DVC stage `bc` (walker.stages.bc): behaviour cloning of the FSM plus DAgger rounds -> policy file, metrics, training curves.

Usage: python pipeline/bc.py PARAMS_FILE SYSTEM_PICKLE DEMOS_NPZ DEMOS_JSON OUT_MODEL_DIR OUT_JSON LIVE_DIR OUT_DAGGER_NPZ TIMING_JSON
"""

import sys

if __name__ == "__main__":
    params_file, system_file, demos_file, demos_json, out_dir, out_json, live_dir, out_visits, timing_json = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()  # before jax and mujoco are imported
    from walker.passive.config import load_params
    from walker.stages import bc

    params = load_params(params_file)  # validate before any computation
    configure_jax()
    from walker.timing import stage_timing

    with stage_timing("bc", timing_json):  # wall clock, compiling, env steps -> results/timing/
        bc.run(params, system_file, demos_file, demos_json, out_dir, out_json, live_dir, out_visits)
