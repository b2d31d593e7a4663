"""DVC stage `train@<seed>` of peer/dvc.yaml (walker.stages.peer): Stable-Baselines3 PPO with its defaults on our env.

Needs the optional dependencies: pip install -e .[peer]
Usage: python pipeline/peer.py PARAMS_FILE SYSTEM_PICKLE SEED OUT_MODEL_DIR OUT_JSON LIVE_DIR
"""

import sys

if __name__ == "__main__":
    params_file, system_file, seed, out_dir, out_json, live_dir = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()  # before jax and mujoco are imported
    from walker.config import load_params
    from walker.stages import peer

    params = load_params(params_file)  # validate before any computation
    try:
        import stable_baselines3  # noqa: F401
    except ImportError:
        sys.exit("the peer pipeline needs Stable-Baselines3: pip install -e '.[peer]' (see docs/experiments.md)")
    configure_jax()
    peer.run(params, int(seed), system_file, out_dir, out_json, live_dir)
