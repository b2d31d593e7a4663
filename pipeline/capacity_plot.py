"""Capacity-sweep stage `plot` (capacity/dvc.yaml): success, speed and memory against network size.

Usage: python pipeline/capacity_plot.py PARAMS_FILE RESULTS_DIR OUT_PNG
"""

import json
import sys
from pathlib import Path

from walker.config import load_params
from walker.plots import capacity


if __name__ == "__main__":
    params_file, results_dir, out_png = sys.argv[1:]
    params = load_params(params_file)
    rows = [json.loads((Path(results_dir) / f"{name}.json").read_text()) for name in params.capacity.networks]
    capacity(rows, out_png)
