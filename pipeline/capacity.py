"""Capacity-sweep stage `train@<network>` (capacity/dvc.yaml): PPO from scratch at one network size.

Usage: python pipeline/capacity.py PARAMS_FILE SYSTEM_PICKLE NETWORK OUT_JSON
"""

import sys

from walker.capacity import run_capacity
from walker.config import load_params
from walker.runtime import configure_jax


if __name__ == "__main__":
    params_file, system_file, network, out_json = sys.argv[1:]
    params = load_params(params_file)  # validate before any computation
    configure_jax()
    run_capacity(params, network, system_file, out_json)
