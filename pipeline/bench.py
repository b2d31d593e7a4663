"""DVC stage `bench`: native MuJoCo against batched MJX, the env and PPO training (walker.bench.run_bench).

Usage: python pipeline/bench.py PARAMS_FILE OUT_JSON OUT_PLOT
"""

import sys

from walker.runtime import use_all_cpu_cores

if __name__ == "__main__":
    params_file, out_json, out_plot = sys.argv[1:]
    use_all_cpu_cores()  # before jax is imported

    from walker.bench import run_bench
    from walker.config import load_params
    from walker.runtime import configure_jax

    params = load_params(params_file)  # validate before any computation
    configure_jax()
    run_bench(params, out_json, out_plot)
