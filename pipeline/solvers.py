"""DVC stage `solvers` (walker.stages.solvers): MJX solver settings, their speed and drift from native MuJoCo.

Usage: python pipeline/solvers.py PARAMS_FILE OUT_JSON OUT_MARKDOWN TIMING_JSON
"""

import sys

if __name__ == "__main__":
    params_file, out_json, out_md, timing_json = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()
    from walker.passive.config import load_params
    from walker.stages import solvers

    params = load_params(params_file)  # validate before any computation
    configure_jax()
    from walker.timing import stage_timing

    with stage_timing("solvers", timing_json):  # wall clock, compiling, env steps -> results/timing/
        solvers.run(params, out_json, out_md)
