"""DVC stage `demos` (walker.stages.demos): FSM rollouts in the MJX env -> dataset and expert metrics.

Usage: python pipeline/demos.py PARAMS_FILE SYSTEM_PICKLE OUT_NPZ OUT_JSON TIMING_JSON
"""

import sys

if __name__ == "__main__":
    params_file, system_file, out_npz, out_json, timing_json = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()  # before jax and mujoco are imported
    from walker.passive.config import load_params
    from walker.stages import demos

    params = load_params(params_file)  # validate before any computation
    configure_jax()
    from walker.timing import stage_timing

    with stage_timing("demos", timing_json):  # wall clock, compiling, env steps -> results/timing/
        demos.run(params, system_file, out_npz, out_json)
