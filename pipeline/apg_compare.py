"""DVC stage `apg_compare` (walker.stages.apg_compare): APG against PPO from scratch at equal wall clock.

Usage: python pipeline/apg_compare.py PARAMS_FILE PHYSICS_PARAMS_FILE APG_DIR PPO_RESULTS_DIR PPO_LIVE_DIR BENCH_JSON OUT_MARKDOWN OUT_PLOT
"""

import sys

if __name__ == "__main__":
    params_file, physics_file, apg_dir, ppo_dir, ppo_live_dir, bench_file, out_md, out_plot = sys.argv[1:]
    from walker.apg import ApgParams
    from walker.config import load_study
    from walker.passive.config import load_params
    from walker.stages import apg_compare

    params = load_study(ApgParams, load_params(params_file), physics_file)  # validate before any computation
    apg_compare.run(params, apg_dir, ppo_dir, ppo_live_dir, bench_file, out_md, out_plot)
