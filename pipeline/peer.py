"""DVC stage `train@<seed>` of peer/dvc.yaml (walker.stages.peer): Stable-Baselines3 PPO with its defaults on our env.

Needs the optional dependencies: pip install -e .[peer]
Usage: python pipeline/peer.py PARAMS_FILE PEER_PARAMS_FILE SYSTEM_PICKLE SEED OUT_MODEL_DIR OUT_JSON LIVE_DIR
"""

import sys

if __name__ == "__main__":
    params_file, peer_file, system_file, seed, out_dir, out_json, live_dir = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()  # before jax and mujoco are imported
    from walker.passive.config import load_params
    from walker.peer import load_peer
    from walker.stages import peer

    params, peer_cfg = load_params(params_file), load_peer(peer_file)  # validate before any computation
    try:
        import stable_baselines3  # noqa: F401
    except ImportError:
        sys.exit("the peer pipeline needs Stable-Baselines3: pip install -e '.[peer]' (see docs/experiments.md)")
    configure_jax()
    peer.run(params, peer_cfg, int(seed), system_file, out_dir, out_json, live_dir)
