"""A braking cost for the passive walker: the torso's forward speed above a cap, charged every control step.

The walker's reward (:mod:`walker.passive.task`) pays forward speed up to ``reward.max_forward_speed`` and charges
nothing above it, so on a steep ramp, where gravity pays for speed, no gait is asked to brake. This cost asks it. It is
a Brax wrapper rather than a term of the task's presets so that the envelope study can train with it (stages
``wide_variant@*``, envelope/dvc.yaml) while the main pipeline's reward, and every stage trained on it, stays as it is;
if a preset adopts it, it belongs in :data:`walker.passive.task.REWARD_TERMS`.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from brax.envs.base import Env, State, Wrapper

from walker.passive.task import OBS_VX

METRIC = "reward/overspeed"
"""the weighted cost as logged beside the task's ``reward/<term>`` metrics (negative, like the flight term)"""


def overspeed(forward_speed: Any, speed_cap: float) -> Any:
    """Speed above the cap (m/s), zero at or below it; any shape (numpy or JAX arrays)."""
    return jnp.maximum(jnp.asarray(forward_speed) - speed_cap, 0.0)


class OverspeedCost(Wrapper):
    """The passive walker's MJX env with ``weight * overspeed(v_x, speed_cap)`` subtracted from every step's reward
    (v_x: the torso's speed along the ramp, observation :data:`walker.passive.task.OBS_VX`). Wrap the body's env
    itself (one episode, obs (18,)), before the training wrappers."""

    def __init__(self, env: Env, weight: float, speed_cap: float):
        super().__init__(env)
        self.weight, self.speed_cap = float(weight), float(speed_cap)

    def reset(self, rng: jax.Array) -> State:
        state = self.env.reset(rng)
        return state.replace(metrics={**state.metrics, METRIC: jnp.zeros_like(state.reward)})

    def step(self, state: State, action: jax.Array) -> State:
        state = self.env.step(state, action)
        cost = self.weight * overspeed(state.obs[..., OBS_VX], self.speed_cap)
        return state.replace(reward=state.reward - cost, metrics={**state.metrics, METRIC: -cost})


def braking_shaping(weight: float, speed_cap: float):
    """For :func:`walker.stages.ppo_wide.run`'s ``shaping``: env -> :class:`OverspeedCost` around it (none at weight 0)."""
    return None if weight == 0.0 else (lambda env: OverspeedCost(env, weight, speed_cap))
