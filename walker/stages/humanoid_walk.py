"""Stages `walk_curriculum@<seed>` and `walk_scratch@<seed>` of humanoid/dvc.yaml: PPO on the walk preset,
seeded from the stand policy (curriculum) or from scratch, at the same budget and settings."""

from __future__ import annotations

from walker.humanoid.config import HUMANOID_PARAMS_FILE, HumanoidParams
from walker.humanoid.training import train_run

PARAMS = ({HUMANOID_PARAMS_FILE: ("humanoid", "evaluate", "walk")},)


def run(hp: HumanoidParams, variant: str, seed: int, stand_dir: str | None, out_dir: str, out_json: str, live_dir: str) -> dict:
    """Train one walk run; ``stand_dir`` is the stand policy for the curriculum variant, None for scratch."""
    return train_run(hp, "walk", variant, seed, stand_dir, out_dir, out_json, live_dir)
