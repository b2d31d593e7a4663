"""Training episodes that are each new: an auto-reset that draws a fresh start state, push and condition.

Brax's own ``AutoResetWrapper`` returns a finished env to the state it was
first reset to, and its ``DomainRandomizationVmapWrapper`` fixes one system per
env for the whole run, so PPO with 128 envs would see only 128 (start, push,
condition) triples. Here a finished env calls the body env's ``reset`` again
with a key it has never used; the body env draws the start state, the push and
the condition (slope, friction, torso mass) from that key and carries them in
``state.info`` as data (see :mod:`walker.passive.env`). Every episode of every
env is therefore a fresh draw from ``walker.randomization`` (``ppo.randomization``
in the ppo stage).

:func:`wrap_for_training` has the signature of Brax's ``wrap_env_fn``.
"""

from __future__ import annotations

from typing import Any, Callable

import jax
import jax.numpy as jnp
from brax.envs.base import Env, State, Wrapper
from brax.envs.wrappers.training import EpisodeWrapper, VmapWrapper

EPISODE_BOOKKEEPING = ("steps", "truncation", "episode_done", "episode_metrics", "reset_key")
"""``state.info`` entries kept across a reset: Brax's ``EpisodeWrapper`` restarts its own counters when the
next step starts (as with Brax's auto-reset), and ``reset_key`` is this wrapper's."""


def _where_done(done: jax.Array, fresh: Any, old: Any) -> Any:
    """Per env, ``fresh`` where ``done`` (n,) else ``old``; leaves share the leading batch axis."""
    return jax.tree.map(lambda a, b: jnp.where(jnp.reshape(done, (-1,) + (1,) * (a.ndim - 1)) > 0, a, b), fresh, old)


class FreshEpisodeAutoReset(Wrapper):
    """Auto-reset of a batched env (``VmapWrapper`` inside): a done env starts a newly drawn episode.

    Each env holds its own PRNG key in ``state.info["reset_key"]`` and splits it
    at every reset, so the sequence of episodes an env sees depends only on the
    key it was first reset with.
    """

    def reset(self, rng: jax.Array) -> State:
        keys = jax.vmap(jax.random.split)(rng)  # (n, 2, 2): this episode's key and the next reset's
        state = self.env.reset(keys[:, 0])
        state.info["reset_key"] = keys[:, 1]
        return state

    def step(self, state: State, action: jax.Array) -> State:
        if "steps" in state.info:
            state.info["steps"] = jnp.where(state.done > 0, jnp.zeros_like(state.info["steps"]), state.info["steps"])
        state = self.env.step(state.replace(done=jnp.zeros_like(state.done)), action)
        # the reset (an MJX forward per env) runs only in steps where some episode ended
        return jax.lax.cond(jnp.any(state.done > 0), self._reset_done, lambda s: s, state)

    def _reset_done(self, state: State) -> State:
        done = state.done
        keys = jax.vmap(jax.random.split)(state.info["reset_key"])
        fresh = self.env.reset(keys[:, 0])
        info = dict(state.info)
        for key, value in fresh.info.items():
            if key not in EPISODE_BOOKKEEPING:
                info[key] = _where_done(done, value, state.info[key])
        info["reset_key"] = _where_done(done, keys[:, 1], state.info["reset_key"])
        return state.replace(
            pipeline_state=_where_done(done, fresh.pipeline_state, state.pipeline_state),
            obs=_where_done(done, fresh.obs, state.obs),
            info=info,
        )


def wrap_for_training(
    env: Env, episode_length: int, action_repeat: int = 1, randomization_fn: Callable[..., Any] | None = None
) -> Wrapper:
    """Brax's training wrappers with :class:`FreshEpisodeAutoReset` in place of its auto-reset (a ``wrap_env_fn``).

    ``randomization_fn`` must be None: conditions come from the env's own reset.
    """
    if randomization_fn is not None:
        raise ValueError("wrap_for_training draws conditions in the env's reset; pass randomization_fn=None to Brax PPO")
    return FreshEpisodeAutoReset(VmapWrapper(EpisodeWrapper(env, episode_length, action_repeat)))
