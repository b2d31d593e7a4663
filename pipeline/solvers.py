"""DVC stage `solvers`: MJX solver settings, their speed and drift from native MuJoCo (walker.bench.run_solvers).

Usage: python pipeline/solvers.py PARAMS_FILE OUT_JSON OUT_MARKDOWN
"""

import sys

from walker.runtime import use_all_cpu_cores

if __name__ == "__main__":
    params_file, out_json, out_md = sys.argv[1:]
    use_all_cpu_cores()  # before jax is imported

    from walker.bench import run_solvers
    from walker.config import load_params
    from walker.runtime import configure_jax

    params = load_params(params_file)  # validate before any computation
    configure_jax()
    run_solvers(params, out_json, out_md)
