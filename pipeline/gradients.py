"""DVC stage `gradients` (walker.stages.gradients): gradients of a walking rollout through MJX's contacts, four ways.

Usage: python pipeline/gradients.py PARAMS_FILE PHYSICS_PARAMS_FILE SYSTEM_FILE BC_DIR OUT_JSON OUT_MARKDOWN OUT_PLOT
"""

import sys

if __name__ == "__main__":
    params_file, physics_file, system_file, bc_dir, out_json, out_md, out_plot = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()
    from walker.config import load_study
    from walker.gradients import GradientsParams
    from walker.passive.config import load_params
    from walker.stages import gradients

    params = load_study(GradientsParams, load_params(params_file), physics_file)  # validate before any computation
    configure_jax()
    gradients.run(params, system_file, bc_dir, out_json, out_md, out_plot)
