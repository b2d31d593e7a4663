"""DVC stage `sac@<variant>-<seed>` (walker.stages.sac): Brax SAC from scratch or from the clone with the demos in its replay buffer.

Usage: python pipeline/sac.py PARAMS_FILE SYSTEM_PICKLE BC_MODEL_DIR DEMOS_NPZ VARIANT SEED OUT_MODEL_DIR OUT_JSON LIVE_DIR TIMING_JSON
"""

import sys

if __name__ == "__main__":
    params_file, system_file, bc_dir, demos_file, variant, seed, out_dir, out_json, live_dir, timing_json = sys.argv[1:]
    from walker.runtime import configure_jax, init_distributed, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()  # before jax and mujoco are imported
    from walker.passive.config import load_params
    from walker.stages import sac

    params = load_params(params_file)  # validate before any computation
    configure_jax()
    init_distributed()  # a run across hosts when WALKER_COORDINATOR, WALKER_NUM_PROCESSES, WALKER_PROCESS_ID are set
    from walker.timing import stage_timing

    with stage_timing(f"sac@{variant}-{seed}", timing_json):  # wall clock, compiling, env steps -> results/timing/
        sac.run(params, variant, int(seed), system_file, bc_dir, demos_file, out_dir, out_json, live_dir)
