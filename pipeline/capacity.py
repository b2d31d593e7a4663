"""DVC stage `train@<network>` (walker.stages.capacity): (capacity/dvc.yaml) PPO from scratch at one network size.

Usage: python pipeline/capacity.py PARAMS_FILE SYSTEM_PICKLE NETWORK OUT_JSON
"""

import sys

if __name__ == "__main__":
    params_file, system_file, network, out_json = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()  # before jax and mujoco are imported
    from walker.config import load_params
    from walker.stages import capacity

    params = load_params(params_file)  # validate before any computation
    configure_jax()
    capacity.run(params, network, system_file, out_json)
