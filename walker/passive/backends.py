"""The passive walker's JAX env on the physics backend that ``walker.backend`` names."""

from __future__ import annotations

from brax import base

from walker.passive.brax_env import BraxPipelineWalkerEnv
from walker.passive.config import WalkerConfig
from walker.passive.env import PassiveWalkerEnv


def make_env(sys: base.System, cfg: WalkerConfig) -> PassiveWalkerEnv:
    """MJX (:class:`PassiveWalkerEnv`) for ``backend: mjx``, else Brax's pipeline of that name (:class:`BraxPipelineWalkerEnv`).

    Raises :class:`walker.config.ConfigError` when the model cannot run on that pipeline, naming why.
    """
    if cfg.backend == "mjx":
        return PassiveWalkerEnv(sys, cfg)
    return BraxPipelineWalkerEnv(sys, cfg)
