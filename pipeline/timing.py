"""DVC stage `timing` (walker.stages.timing): the per-stage table of wall clock, compile time and physics simulated.

Usage: python pipeline/timing.py PARAMS_FILE TIMING_DIR BENCH_JSON OUT_JSON OUT_MARKDOWN
"""

import sys

if __name__ == "__main__":
    params_file, timing_dir, bench_json, out_json, out_md = sys.argv[1:]
    from walker.passive.config import load_params  # no JAX computation in this stage
    from walker.stages import timing

    params = load_params(params_file)  # validate before any computation
    timing.run(params, timing_dir, bench_json, out_json, out_md)
