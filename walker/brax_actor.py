"""Brax's tanh-normal actor <-> policy file, shared by the PPO and SAC glue.

Brax's actor (``distribution_type='tanh_normal'``, PPO's and SAC's) is an MLP whose last layer
outputs ``2 * action_size`` values: the pre-tanh mean ``loc`` and a raw scale
``s``, with ``std = softplus(s) + 0.001``; its deterministic action is
``tanh(loc)``. A policy file holds exactly the ``loc`` half, so:

- policy file -> Brax: the hidden layers and the ``loc`` columns are copied;
  the scale columns get zero weights and the bias that gives an initial std;
  the observation normaliser becomes a Welford ``RunningStatisticsState``
  whose count sets how slowly the learner's own observations move it.
- Brax -> policy file: the normaliser's mean and std, the hidden layers and the
  ``loc`` columns.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from brax.training import types as brax_types
from brax.training.acme import running_statistics, specs

from walker.errors import TrainingDiverged
from walker.policy import PolicyFile, as_numpy

MIN_STD = 1e-3
"""Brax's NormalTanhDistribution adds this to softplus(s)."""

def _inverse_softplus(y: float) -> float:
    return float(np.log(np.expm1(y)))


def normalizer_from_policy(policy: PolicyFile, count: int) -> running_statistics.RunningStatisticsState:
    """A Welford normaliser state with the policy file's mean and std, worth ``count`` observations."""
    state = running_statistics.init_state(specs.Array((policy.obs_size,), jnp.dtype("float32")))
    std = jnp.asarray(policy.obs_std, jnp.float32)
    return state.replace(
        mean=jnp.asarray(policy.obs_mean, jnp.float32),
        std=std,
        summed_variance=std**2 * float(count),
        count=brax_types.UInt64(hi=count >> 32, lo=count & 0xFFFFFFFF),
    )


def brax_policy_params(policy: PolicyFile, init_std: float) -> dict:
    """Brax actor parameters ``{'params': {'hidden_i': {kernel, bias}}}`` from a policy file."""
    policy = as_numpy(policy)
    layers = {}
    last = len(policy.weights) - 1
    for i, (w, b) in enumerate(zip(policy.weights, policy.biases)):
        if i == last:
            scale_bias = np.full(w.shape[1], _inverse_softplus(init_std - MIN_STD), np.float32)
            w = np.concatenate([w, np.zeros_like(w)], axis=1)
            b = np.concatenate([b, scale_bias])
        layers[f"hidden_{i}"] = {"kernel": jnp.asarray(w), "bias": jnp.asarray(b)}
    return {"params": layers}


def policy_from_brax(normalizer: Any, policy_params: dict, activation: str, metadata: dict | None = None) -> PolicyFile:
    """The deterministic Brax actor (``tanh(loc)``) as a policy file."""
    layers = policy_params["params"]
    n = len(layers)
    weights, biases = [], []
    for i in range(n):
        w, b = np.asarray(layers[f"hidden_{i}"]["kernel"]), np.asarray(layers[f"hidden_{i}"]["bias"])
        if i == n - 1:
            half = w.shape[1] // 2
            w, b = w[:, :half], b[:half]
        weights.append(w)
        biases.append(b)
    return as_numpy(
        PolicyFile(
            obs_mean=np.asarray(normalizer.mean),
            obs_std=np.asarray(normalizer.std),
            weights=tuple(weights),
            biases=tuple(biases),
            activation=activation,
            squash="tanh",
            metadata=dict(metadata or {}),
        )
    )


def check_finite(tree: Any, what: str) -> None:
    """Raise :class:`TrainingDiverged` if any leaf of ``tree`` holds NaN or inf."""
    for leaf in jax.tree.leaves(tree):
        arr = np.asarray(leaf)
        if np.issubdtype(arr.dtype, np.floating) and not np.isfinite(arr).all():
            raise TrainingDiverged(f"{what}: parameters or normaliser became NaN or infinite")


