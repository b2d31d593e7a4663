"""The hidden-layer activations a policy file may name: one table for BC, PPO and the policy file.

Each entry is written with ``xp`` (``numpy`` or ``jax.numpy``), so the same
formula runs in the native env (NumPy), inside jitted rollouts and in Brax's
Flax networks (JAX): a policy trained with one of them acts the same everywhere.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any, Callable

ACTIVATIONS = ("tanh", "relu", "swish", "elu")
"""The names ``params.yaml`` (``bc.activation``, ``ppo.activation``) and the policy file accept."""


def activation_fn(name: str, xp: ModuleType) -> Callable[[Any], Any]:
    """The elementwise activation called ``name``, in NumPy or JAX (``xp``); any shape in, same shape out."""
    if name == "tanh":
        return xp.tanh
    if name == "relu":
        return lambda x: xp.maximum(x, 0.0)
    if name == "swish":
        return lambda x: x / (1.0 + xp.exp(-x))
    if name == "elu":
        return lambda x: xp.where(x > 0, x, xp.exp(xp.minimum(x, 0.0)) - 1.0)
    raise ValueError(f"unknown activation '{name}'; choose one of {list(ACTIVATIONS)}")
