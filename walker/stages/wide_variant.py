"""Stage `wide_variant@<variant>-<seed>` (pipeline envelope/dvc.yaml): stage ppo_wide's ADR run from `ppo@bc-<seed>`,
changed as the variant says (:mod:`walker.wide_variants`): a braking cost in the reward it trains on
(:mod:`walker.passive.braking`, which the stage's script passes in: a stage imports no body), and/or ADR's boundary
tests with the other factors nominal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from walker.envelope import ENVELOPE_PARAMS_FILE
from walker.stages import ppo_wide
from walker.wide_variants import WideVariant, WideVariantsConfig, group_of, variant_of

PARAMS = (*ppo_wide.PARAMS, {ENVELOPE_PARAMS_FILE: ["wide_variants"]})


def train(params: Any, cfg: WideVariantsConfig, run: str, system_file: str, ppo_models_dir: str, out_dir: str, out_json: str,
          live_dir: str, shaping_for: Callable[[WideVariant], ppo_wide.EnvTransform | None]) -> dict:
    """One ADR run ``<variant>-<seed>`` from ``<ppo_models_dir>/bc-<seed>``; ``params``: the main params file's (as stage
    ppo_wide takes them); ``shaping_for(variant)``: the body's env -> the env PPO trains on (None: the body's own)."""
    name, variant, seed = variant_of(cfg, run)
    start = Path(ppo_models_dir) / f"bc-{seed}"
    return ppo_wide.run(params, seed, system_file, str(start), out_dir, out_json, live_dir,
                        shaping=shaping_for(variant), boundary_others=variant.boundary_others, name=f"{group_of(name)}-{seed}")
