"""DVC stage `compare` of peer/dvc.yaml (walker.stages.peer_compare): the peer's policies through our evaluation, beside ours.

Usage: python pipeline/peer_compare.py PARAMS_FILE PEER_PARAMS_FILE SYSTEM_PICKLE PEER_MODELS_DIR PEER_RESULTS_DIR SUMMARY_JSON EVALUATION_JSON PPO_RESULTS_DIR
       OUT_SUMMARY_JSON OUT_DETAILS_JSON OUT_MARKDOWN PLOTS_DIR
"""

import sys

if __name__ == "__main__":
    args = sys.argv[1:]
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()  # before jax and mujoco are imported
    from walker.passive.config import load_params
    from walker.peer import load_peer
    from walker.stages import peer_compare

    params, peer = load_params(args[0]), load_peer(args[1])  # validate before any computation
    configure_jax()
    peer_compare.run(params, peer, *args[2:])
