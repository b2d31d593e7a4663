"""DVC stage `system`: compile the MJCF into the cached Brax System.

Usage: python pipeline/system.py PARAMS_FILE OUT_PICKLE
"""

import sys

from walker.config import load_params
from walker.runtime import configure_jax
from walker.system import build_system, save_system


def main(params_file: str, out: str) -> None:
    params = load_params(params_file)
    configure_jax()
    save_system(build_system(params.walker), out)
    print(f"[system] wrote {out}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
