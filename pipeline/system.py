"""DVC stage `system` (walker.stages.system): compile the MJCF into the cached Brax System.

Usage: python pipeline/system.py PARAMS_FILE OUT_PICKLE TIMING_JSON
"""

import sys

if __name__ == "__main__":
    params_file, out, timing_json = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()  # before jax and mujoco are imported
    from walker.passive.config import load_params
    from walker.stages import system

    params = load_params(params_file)  # validate before any computation
    configure_jax()
    from walker.timing import stage_timing

    with stage_timing("system", timing_json):  # wall clock, compiling, env steps -> results/timing/
        system.run(params, out)
