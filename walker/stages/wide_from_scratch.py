"""Stage `wide_from_scratch@<seed>` (pipeline envelope/dvc.yaml): ADR from PPO from scratch's best walking run,
trained exactly as stage `ppo_wide` trains from PPO from BC (:mod:`walker.wide_from_scratch`). It imports no body: the
body is ppo_wide's (the passive walker, the one body with an expert to start ADR's BC side from)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from walker.envelope import ENVELOPE_PARAMS_FILE, read_json
from walker.stages import ppo_wide
from walker.wide_from_scratch import WideFromScratchConfig, check_start

PARAMS = (*ppo_wide.PARAMS, {ENVELOPE_PARAMS_FILE: ["wide_from_scratch"]})


def train(params: Any, cfg: WideFromScratchConfig, seed: int, system_file: str, evaluation_json: str, ppo_models_dir: str,
          out_dir: str, out_json: str, live_dir: str) -> dict:
    """One ADR run from ``<ppo_models_dir>/<cfg.start>`` (checked to be scratch's best walking run first); ``params``:
    the main params file's (as stage ppo_wide takes them)."""
    evaluation = read_json(evaluation_json, "the main pipeline's stage evaluate (dvc repro evaluate)")
    check_start(cfg, evaluation["policies"])
    return ppo_wide.run(params, seed, system_file, str(Path(ppo_models_dir) / cfg.start), out_dir, out_json, live_dir)
