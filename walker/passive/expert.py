"""The FSM expert as a rollout :class:`~walker.rollout.Policy` (its rules: :mod:`walker.passive.fsm`)."""

from __future__ import annotations

import jax.numpy as jnp

from walker.passive.config import FsmConfig
from walker.passive.env import PassiveWalkerEnv
from walker.passive.fsm import fsm_init, fsm_step
from walker.rollout import Policy


def fsm_policy(cfg: FsmConfig, env: PassiveWalkerEnv) -> Policy:
    """The FSM expert; its thresholds are static, so its params are empty."""
    return Policy(
        name="fsm",
        params=(),
        init=lambda params, obs: fsm_init(obs, jnp),
        step=lambda params, carry, obs: fsm_step(carry, obs, cfg, env.geom, jnp),
    )
