"""DVC stage `wide_variant@<variant>-<seed>` (walker.stages.wide_variant), pipeline envelope/dvc.yaml: stage ppo_wide's
ADR run from PPO from BC, changed as the variant of envelope/params.yaml's wide_variants says.

Usage: python pipeline/wide_variant.py PARAMS_FILE ENVELOPE_PARAMS_FILE SYSTEM_PICKLE PPO_MODELS_DIR RUN OUT_MODEL_DIR
       OUT_JSON LIVE_DIR TIMING_JSON      (RUN: <variant>-<seed>)
"""

import sys

if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) != 9:
        sys.exit(__doc__)
    params_file, envelope_file, system_file, ppo_models_dir, run, out_dir, out_json, live_dir, timing_json = args
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()  # before jax and mujoco are imported
    from walker.passive.braking import braking_shaping
    from walker.passive.config import load_params
    from walker.stages import wide_variant
    from walker.wide_variants import load_wide_variants, variant_of

    params, cfg = load_params(params_file), load_wide_variants(envelope_file)  # validate before any computation
    variant_of(cfg, run, envelope_file)
    configure_jax()
    from walker.timing import stage_timing

    with stage_timing(f"wide_variant@{run}", timing_json):
        wide_variant.train(params, cfg, run, system_file, ppo_models_dir, out_dir, out_json, live_dir,
                           lambda variant: braking_shaping(variant.overspeed, variant.speed_cap))
