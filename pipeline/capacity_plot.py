"""Capacity-sweep stage `plot` (walker.stages.capacity_plot, capacity/dvc.yaml): success, speed and memory against network size.

Usage: python pipeline/capacity_plot.py PARAMS_FILE RESULTS_DIR OUT_PNG OUT_MARKDOWN
"""

import sys

if __name__ == "__main__":
    params_file, results_dir, out_png, out_md = sys.argv[1:]
    from walker.config import load_params
    from walker.stages import capacity_plot

    capacity_plot.run(load_params(params_file), results_dir, out_png, out_md)
