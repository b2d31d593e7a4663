"""The planar passive walker as a body plugin (:class:`walker.plugin.Body`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any


@dataclasses.dataclass(frozen=True)
class PassiveWalker:
    """The passive walker: params.yaml's ``walker`` block, its MJX and native envs; the FSM is its expert."""

    name: str = "passive"
    params_file: str = "params.yaml"
    block_key: str = "walker"
    data_files: tuple[str, ...] = ("walker/passive/assets/walker.xml",)
    model_module: str = "walker/passive/model.py"
    camera: str = "track"
    torso: str = "torso"
    has_expert: bool = True

    def load_block(self, path: str | Path | None = None) -> Any:
        from walker.passive.config import load_params

        return load_params(path or self.params_file).walker

    def mjx_env(self, block: Any) -> Any:
        from walker.passive.backends import make_env
        from walker.passive.system import build_system

        return make_env(build_system(block), block)

    def native_env(self, block: Any) -> Any:
        from walker.passive.native import PassiveWalkerNativeEnv

        return PassiveWalkerNativeEnv(block)

    def expert_problem(self, path: str | Path | None = None) -> Any:
        from walker.passive.backends import make_env
        from walker.passive.config import load_params
        from walker.passive.system import build_system
        from walker.passive.tunable_fsm import fsm_bounds, tunable_fsm_policy
        from walker.plugin import ExpertProblem

        params = load_params(path or self.params_file)
        env = make_env(build_system(params.walker), params.walker)
        return ExpertProblem(env=env, block=params.walker, evaluate=params.evaluate,
                             expert=tunable_fsm_policy(params.fsm, env.geom), bounds=fsm_bounds())


BODY = PassiveWalker()
