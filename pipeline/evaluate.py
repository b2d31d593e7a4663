"""DVC stage `evaluate` (walker.stages.evaluate): every policy (FSM, BC, each PPO, SAC and wide PPO run) in MJX and in native MuJoCo, on the same cases.

Usage: python pipeline/evaluate.py PARAMS_FILE SYSTEM_PICKLE BC_MODEL_DIR PPO_MODELS_DIR SAC_MODELS_DIR WIDE_MODELS_DIR PPO_RESULTS_DIR SAC_RESULTS_DIR
       DEMOS_JSON BC_JSON
       OUT_SUMMARY_JSON OUT_DETAILS_JSON TIMING_JSON
"""

import sys

if __name__ == "__main__":
    params_file, system_file, bc_dir, ppo_dir, sac_dir, wide_dir, ppo_results, sac_results, demos_json, bc_json, out_summary, out_details, timing_json = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()  # before jax and mujoco are imported
    from walker.passive.config import load_params
    from walker.stages import evaluate

    params = load_params(params_file)  # validate before any computation
    configure_jax()
    from walker.timing import stage_timing

    with stage_timing("evaluate", timing_json):  # wall clock, compiling, env steps -> results/timing/
        evaluate.run(params, system_file, bc_dir, ppo_dir, sac_dir, wide_dir, ppo_results, sac_results, demos_json, bc_json, out_summary, out_details)
