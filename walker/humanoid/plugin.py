"""MuJoCo's humanoid as a body plugin (:class:`walker.plugin.Body`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from walker.humanoid.config import HUMANOID_PARAMS_FILE


@dataclasses.dataclass(frozen=True)
class Humanoid:
    """The humanoid: humanoid/params.yaml's ``humanoid`` block, its MJX and native envs; no scripted expert."""

    name: str = "humanoid"
    params_file: str = HUMANOID_PARAMS_FILE
    block_key: str = "humanoid"
    data_files: tuple[str, ...] = ("walker/humanoid/assets/humanoid.xml",)
    model_module: str = "walker/humanoid/model.py"
    camera: str = "track"
    torso: str = "torso"
    has_expert: bool = False

    def load_block(self, path: str | Path | None = None) -> Any:
        from walker.humanoid.config import load_humanoid_params

        return load_humanoid_params(path or self.params_file).humanoid

    def mjx_env(self, block: Any) -> Any:
        from walker.humanoid.env import HumanoidEnv

        return HumanoidEnv(block)

    def native_env(self, block: Any) -> Any:
        from walker.humanoid.native import HumanoidNativeEnv

        return HumanoidNativeEnv(block)

    def expert_problem(self, path: str | Path | None = None) -> Any:
        raise ValueError("the humanoid has no scripted expert to search (has_expert is False)")


BODY = Humanoid()
