"""Capacity-sweep stage `plot` (walker.stages.capacity_plot, capacity/dvc.yaml): success, speed and memory against network size.

Usage: python pipeline/capacity_plot.py CAPACITY_PARAMS_FILE RESULTS_DIR OUT_PNG OUT_MARKDOWN
"""

import sys

if __name__ == "__main__":
    capacity_file, results_dir, out_png, out_md = sys.argv[1:]
    from walker.capacity import load_capacity
    from walker.stages import capacity_plot

    capacity_plot.run(load_capacity(capacity_file), results_dir, out_png, out_md)
