"""DVC stage `train@<network>` (walker.stages.capacity): (capacity/dvc.yaml) PPO from scratch at one network size.

Usage: python pipeline/capacity.py PARAMS_FILE CAPACITY_PARAMS_FILE SYSTEM_PICKLE NETWORK OUT_JSON
"""

import sys

if __name__ == "__main__":
    params_file, capacity_file, system_file, network, out_json = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()  # before jax and mujoco are imported
    from walker.capacity import load_capacity
    from walker.passive.config import load_params
    from walker.stages import capacity

    params, cap = load_params(params_file), load_capacity(capacity_file)  # validate before any computation
    configure_jax()
    capacity.run(params, cap, network, system_file, out_json)
