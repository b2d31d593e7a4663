"""DVC stage `report` (walker.stages.report): plots of the evaluation, videos plus MJCF keyframes of every
policy kind, and the generated result tables (results/report.md).

Usage: python pipeline/report.py PARAMS_FILE SUMMARY_JSON DETAILS_JSON PPO_RESULTS_DIR PPO_LIVE_DIR SAC_RESULTS_DIR SAC_LIVE_DIR
       WIDE_RESULTS_DIR
       BC_MODEL_DIR PPO_MODELS_DIR WIDE_MODELS_DIR PLOTS_DIR VIDEOS_DIR OUT_MARKDOWN TIMING_JSON
"""

import sys

if __name__ == "__main__":
    params_file, *paths, timing_json = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs, select_gl_backend

    select_gl_backend()  # before anything imports mujoco
    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()
    from walker.passive.config import load_params
    from walker.stages import report

    params = load_params(params_file)  # validate before any computation
    configure_jax()
    from walker.timing import stage_timing

    with stage_timing("report", timing_json):  # wall clock, compiling, env steps -> results/timing/
        report.run(params, *paths)
