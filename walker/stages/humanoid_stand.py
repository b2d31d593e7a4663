"""Stage `stand` of humanoid/dvc.yaml: PPO from scratch on the stand preset (the curriculum's first stage)."""

from __future__ import annotations

from walker.humanoid.config import HUMANOID_PARAMS_FILE, HumanoidParams
from walker.humanoid.training import train_run

PARAMS = ({HUMANOID_PARAMS_FILE: ("humanoid", "evaluate", "stand")},)


def run(hp: HumanoidParams, seed: int, out_dir: str, out_json: str, live_dir: str) -> dict:
    """Train the stand policy; its folder, dvclive folder and metrics appear only when it finished."""
    return train_run(hp, "stand", "scratch", seed, None, out_dir, out_json, live_dir)
