"""DVC stage `ppo_wide@<seed>` (walker.stages.ppo_wide): PPO from ppo@bc-<seed> while ADR widens the training ranges.

Usage: python pipeline/ppo_wide.py PARAMS_FILE SYSTEM_PICKLE PPO_MODEL_DIR SEED OUT_MODEL_DIR OUT_JSON LIVE_DIR TIMING_JSON
"""

import sys

if __name__ == "__main__":
    params_file, system_file, ppo_dir, seed, out_dir, out_json, live_dir, timing_json = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()  # before jax and mujoco are imported
    from walker.passive.config import load_params
    from walker.stages import ppo_wide

    params = load_params(params_file)  # validate before any computation
    configure_jax()
    from walker.timing import stage_timing

    with stage_timing(f"ppo_wide@{seed}", timing_json):  # wall clock, compiling, env steps -> results/timing/
        ppo_wide.run(params, int(seed), system_file, ppo_dir, out_dir, out_json, live_dir)
