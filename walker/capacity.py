"""The capacity sweep: PPO from scratch at one network size, scored on the robustness suite.

A separate pipeline (``capacity/dvc.yaml``), not part of the default ``dvc repro``:
each run trains with block ``ppo``'s settings but ``capacity``'s network sizes
and budget, and records final success, training speed and peak memory.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Sequence

from walker.blocks import PpoConfig
from walker.config import ConfigError, field, load_block
from walker.passive.config import Params


@dataclasses.dataclass(frozen=True)
class NetworkSize:
    """Actor and critic widths of one capacity-sweep run."""

    policy_hidden_sizes: tuple[int, ...] = field("actor hidden widths", range=(1, 8192))
    value_hidden_sizes: tuple[int, ...] = field("critic hidden widths", range=(1, 8192))


@dataclasses.dataclass(frozen=True)
class CapacityConfig:
    """The capacity sweep: PPO from scratch at several network sizes (block `capacity`, pipeline capacity/dvc.yaml)."""

    networks: dict[str, NetworkSize] = field("named network sizes, one PPO run each")
    num_timesteps: int = field("env steps per run (the rest of the PPO settings come from block `ppo`)", range=(1, 10**10))
    seed: int = field("PPO seed of every run", range=(0, 2**31 - 1))

CAPACITY_PARAMS_FILE = "capacity/params.yaml"
"""The sweep's own params file (block ``capacity``), relative to the repository root."""

EVAL_INTERVALS = 2
"""scored at the start, the middle and the end; the middle splits training into two
epochs, so the second epoch's speed excludes compiling"""


def mlp_parameters(sizes: Sequence[int]) -> int:
    """Weights and biases of a dense network with layer widths ``sizes`` (input first, output last)."""
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def load_capacity(path: str | Path = CAPACITY_PARAMS_FILE) -> CapacityConfig:
    """Block ``capacity`` of the sweep's params file, validated (errors name the file and key)."""
    return load_block(path, "capacity", CapacityConfig)


def network_config(params: Params, cap: CapacityConfig, name: str) -> PpoConfig:
    """Block ``ppo`` (its scratch variant) with network ``name``'s widths and the sweep's budget."""
    if name not in cap.networks:
        raise ConfigError(f"capacity.networks: no network '{name}'; defined: {sorted(cap.networks)}")
    net = cap.networks[name]
    if cap.num_timesteps % EVAL_INTERVALS:
        raise ConfigError(f"capacity.num_timesteps ({cap.num_timesteps}) must be even: runs are scored at the start, middle and end")
    return dataclasses.replace(
        params.ppo.for_variant("scratch"),  # the scratch variant's settings: these runs start from nothing too
        policy_hidden_sizes=net.policy_hidden_sizes,
        value_hidden_sizes=net.value_hidden_sizes,
        num_timesteps=cap.num_timesteps,
        eval_every_steps=cap.num_timesteps // EVAL_INTERVALS,
        critic_warmup_steps=0,  # scratch runs have no clone to warm a critic under
    )
