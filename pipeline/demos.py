"""DVC stage `demos` (walker.stages.demos): FSM rollouts in the MJX env -> dataset and expert metrics.

Usage: python pipeline/demos.py PARAMS_FILE SYSTEM_PICKLE OUT_NPZ OUT_JSON
"""

import sys

if __name__ == "__main__":
    params_file, system_file, out_npz, out_json = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()  # before jax and mujoco are imported
    from walker.config import load_params
    from walker.stages import demos

    params = load_params(params_file)  # validate before any computation
    configure_jax()
    demos.run(params, system_file, out_npz, out_json)
