"""DVC stage `wide_from_scratch@<seed>` (walker.stages.wide_from_scratch), pipeline envelope/dvc.yaml: ADR from PPO
from scratch's best walking run, as stage ppo_wide runs it from PPO from BC.

Usage: python pipeline/wide_from_scratch.py PARAMS_FILE ENVELOPE_PARAMS_FILE SYSTEM_PICKLE EVALUATION_JSON PPO_MODELS_DIR SEED
       OUT_MODEL_DIR OUT_JSON LIVE_DIR TIMING_JSON
"""

import sys

if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) != 10:
        sys.exit(__doc__)
    params_file, envelope_file, system_file, evaluation_json, ppo_models_dir, seed, out_dir, out_json, live_dir, timing_json = args
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()  # before jax and mujoco are imported
    from walker.passive.config import load_params
    from walker.stages import wide_from_scratch
    from walker.wide_from_scratch import load_wide_from_scratch

    params, cfg = load_params(params_file), load_wide_from_scratch(envelope_file)  # validate before any computation
    configure_jax()
    from walker.timing import stage_timing

    with stage_timing(f"wide_from_scratch@{seed}", timing_json):
        wide_from_scratch.train(params, cfg, int(seed), system_file, evaluation_json, ppo_models_dir, out_dir, out_json, live_dir)
