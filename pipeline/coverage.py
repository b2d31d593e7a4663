"""DVC stage `coverage` (walker.stages.coverage): every policy's sweeps against where a walk exists.

Usage: python pipeline/coverage.py ENVELOPE_PARAMS_FILE WALKABLE_JSON OUT_JSON OUT_MD OUT_PLOT EVALUATION_JSON [EVALUATION_JSON ...]
       (the main pipeline's results/evaluation.json first, then the study's own evaluations)
"""

import sys

if __name__ == "__main__":
    args = sys.argv[1:]
    if len(args) < 6:
        sys.exit(__doc__)
    envelope_file, walkable_json, out_json, out_md, out_plot, *evaluation_jsons = args
    from walker.coverage import load_coverage
    from walker.stages import coverage

    cfg = load_coverage(envelope_file)  # validate before reading anything
    coverage.run(cfg, evaluation_jsons, walkable_json, out_json, out_md, out_plot)
