"""DVC stage `bench` (walker.stages.bench): native MuJoCo against batched MJX, the env and PPO training.

Usage: python pipeline/bench.py PARAMS_FILE OUT_JSON OUT_PLOT TIMING_JSON
"""

import sys

if __name__ == "__main__":
    params_file, out_json, out_plot, timing_json = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()
    from walker.passive.config import load_params
    from walker.stages import bench

    params = load_params(params_file)  # validate before any computation
    configure_jax()
    from walker.timing import stage_timing

    with stage_timing("bench", timing_json):  # wall clock, compiling, env steps -> results/timing/
        bench.run(params, out_json, out_plot)
