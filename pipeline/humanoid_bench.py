"""DVC stage `bench` of humanoid/dvc.yaml (walker.stages.humanoid_bench).

Usage: python pipeline/humanoid_bench.py HUMANOID_PARAMS OUT_JSON
"""

import sys

if __name__ == "__main__":
    params_file, out_json = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()
    from walker.humanoid.config import load_humanoid_params
    from walker.stages import humanoid_bench

    hp = load_humanoid_params(params_file)  # validate before any computation
    configure_jax()
    humanoid_bench.run(hp, out_json)
