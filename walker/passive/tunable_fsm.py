"""The FSM expert with some of its thresholds as data, so one compiled rollout scores many settings (the envelope
study's search, :mod:`walker.walkable`); at the params file's values it acts as :func:`walker.passive.expert.fsm_policy`."""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Sequence

import jax.numpy as jnp

from walker.passive.config import FsmConfig
from walker.passive.fsm import fsm_init, fsm_step
from walker.passive.model import Geometry
from walker.rollout import Policy

TUNABLE = ("step_angle", "speed_gain", "target_speed", "max_step_angle", "switch_split", "extend_split", "knee_retract")
"""The FSM's thresholds a search may vary (the placement angle's lower clip and the contact height stay as set)."""


def fsm_bounds() -> dict[str, tuple[float, float]]:
    """Each tunable threshold's valid range (the ``fsm`` block's field ranges)."""
    return {f.name: f.metadata["range"] for f in dataclasses.fields(FsmConfig) if f.name in TUNABLE}


def tunable_fsm_policy(cfg: FsmConfig, geom: Geometry, names: Sequence[str] = TUNABLE) -> Policy:
    """The FSM of ``cfg`` with the thresholds ``names`` read from the policy params ``{name: float32 scalar}``
    (initially ``cfg``'s values); the rest stay ``cfg``'s constants."""
    unknown = sorted(set(names) - set(TUNABLE))
    if unknown:
        raise ValueError(f"{unknown}: not tunable FSM thresholds; tunable: {list(TUNABLE)}")
    fixed = dataclasses.asdict(cfg)

    def step(params, carry, obs):
        return fsm_step(carry, obs, types.SimpleNamespace(**{**fixed, **params}), geom, jnp)

    return Policy(
        name="fsm_tunable",
        params={n: jnp.float32(getattr(cfg, n)) for n in names},
        init=lambda params, obs: fsm_init(obs, jnp),
        step=step,
    )
