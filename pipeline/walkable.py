"""DVC stage `walkable` (walker.stages.walkable): where a walk exists, by a search over a body's expert.

Usage: python pipeline/walkable.py --body BODY PARAMS_FILE ENVELOPE_PARAMS_FILE OUT_JSON OUT_MD OUT_PLOT
"""

import sys

if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) != 7 or args[0] != "--body":
        sys.exit(__doc__)
    _, body, params_file, envelope_file, out_json, out_md, out_plot = args
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()
    from walker.stages import walkable
    from walker.walkable import load_walkable

    cfg = load_walkable(envelope_file)  # validate before any computation (the body's params file: its loader, next)
    configure_jax()
    walkable.run(cfg, body, params_file, out_json, out_md, out_plot)
