"""DVC stages `walk_curriculum@<seed>` and `walk_scratch@<seed>` of humanoid/dvc.yaml (walker.stages.humanoid_walk).

Usage: python pipeline/humanoid_walk.py HUMANOID_PARAMS VARIANT SEED STAND_MODEL_DIR|- OUT_MODEL_DIR OUT_JSON LIVE_DIR
"""

import sys

if __name__ == "__main__":
    params_file, variant, seed, stand_dir, out_dir, out_json, live_dir = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()  # before jax and mujoco are imported
    from walker.humanoid.config import load_humanoid_params
    from walker.stages import humanoid_walk

    hp = load_humanoid_params(params_file)  # validate before any computation
    configure_jax()
    humanoid_walk.run(hp, variant, int(seed), None if stand_dir == "-" else stand_dir, out_dir, out_json, live_dir)
