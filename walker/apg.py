"""The APG study's settings: block ``apg`` of ``physics/params.yaml`` (stages ``apg@<method>`` and ``apg_compare``)."""

from __future__ import annotations

import dataclasses

from walker.config import ConfigError, field
from walker.gradients import GradientsParams

APG_METHODS = ("autodiff", "finite_difference")
"""How the APG runs differentiate the physics step (stage ``apg``): reverse mode through MJX's solver at one iteration
(the only setting MJX can reverse-differentiate), or the finite-difference VJP around the step at ``walker``'s solver."""


@dataclasses.dataclass(frozen=True)
class ApgConfig:
    """Brax's analytic policy gradient on the walker, stage `apg@<method>` (block `apg`, pipeline physics/dvc.yaml),
    compared with PPO from scratch at equal wall clock (see APG_METHODS). Finite differences use ``gradients.fd_step``."""

    methods: tuple[str, ...] = field("how the physics step is differentiated, one run each", choices=APG_METHODS)
    horizon_length: int = field("control steps differentiated through per policy update", range=(1, 10_000))
    episode_length: int = field("control steps per episode (the env resets after)", range=(1, 100_000))
    num_envs: int = field("parallel environments per update", range=(1, 65536))
    policy_updates: int = field("policy updates per run", range=(1, 10**7))
    learning_rate: float = field("Adam learning rate", range=(1e-9, 1.0))
    max_gradient_norm: float = field("gradient clipping by global norm", range=(1e-6, 1e9))
    hidden_sizes: tuple[int, ...] = field("policy hidden widths", range=(1, 4096))
    seed: int = field("training seed", range=(0, 2**31 - 1))

    def __post_init__(self) -> None:
        if self.episode_length % self.horizon_length:
            raise ConfigError(f"apg.episode_length ({self.episode_length}) must be a multiple of apg.horizon_length ({self.horizon_length})")
        if len(set(self.methods)) != len(self.methods):
            raise ConfigError(f"apg.methods: {list(self.methods)} has duplicates")


@dataclasses.dataclass(frozen=True)
class ApgParams(GradientsParams):
    """params.yaml's blocks with blocks ``apg`` and ``gradients`` (its finite-difference step) of ``physics/params.yaml``:
    what stages ``apg@<method>`` and ``apg_compare`` read."""

    apg: ApgConfig = field("the APG runs")
