"""The capacity sweep: PPO from scratch at one network size, scored on the robustness suite.

A separate pipeline (``capacity/dvc.yaml``), not part of the default ``dvc repro``:
each run trains with block ``ppo``'s settings but ``capacity``'s network sizes
and budget, and records final success, training speed and peak memory.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

from walker.config import ConfigError, Params, PpoConfig

EVALS = 3
"""evaluation points: start, middle, end; the middle one splits training into two
epochs, so the second epoch's speed excludes compiling"""


def mlp_parameters(sizes: Sequence[int]) -> int:
    """Weights and biases of a dense network with layer widths ``sizes`` (input first, output last)."""
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def network_config(params: Params, name: str) -> PpoConfig:
    """Block ``ppo`` with network ``name``'s widths and the sweep's budget."""
    cap = params.capacity
    if name not in cap.networks:
        raise ConfigError(f"capacity.networks: no network '{name}'; defined: {sorted(cap.networks)}")
    net = cap.networks[name]
    return dataclasses.replace(
        params.ppo,
        policy_hidden_sizes=net.policy_hidden_sizes,
        value_hidden_sizes=net.value_hidden_sizes,
        num_timesteps=cap.num_timesteps,
        num_evals=EVALS,
        critic_warmup_steps=0,  # scratch runs have no clone to warm a critic under
    )
