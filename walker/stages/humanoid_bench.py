"""Stage `bench` of humanoid/dvc.yaml: the humanoid's native MuJoCo against batched MJX (and PPO's env steps/s with
the stand settings) on this machine."""

from __future__ import annotations

import os
from typing import Any

from walker.humanoid.bench import humanoid_throughput
from walker.humanoid.config import HUMANOID_PARAMS_FILE, HumanoidParams
from walker.io import write_json

PARAMS = ({HUMANOID_PARAMS_FILE: ("humanoid", "evaluate.seed", "stand", "bench")},)


def run(hp: HumanoidParams, out_json: str) -> dict[str, Any]:
    """``results/humanoid/bench.json`` (keys: docs/design.md, "Results contract")."""
    result = humanoid_throughput(hp, os.cpu_count() or 1)
    write_json(result, out_json)
    return result
