"""DAgger (Ross et al., 2011): the learner drives, the expert labels the states the learner visits.

Each round runs the current clone in the MJX env with the expert riding along
as labeller (:func:`walker.rollout.make_rollout` with ``labeller=``), keeps the
states visited before a fall with the *expert's* actions as targets, adds them
to the training set and fits again. Body-agnostic: the rollout, the expert and
the conditions come from the caller.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import jax
import numpy as np

from walker.bc import MLP, clip_targets, fit, to_policy_file
from walker.blocks import BcConfig, ConditionRanges
from walker.critic import Episodes, concatenate, episodes_from_trajectories
from walker.policy import PolicyFile, normalise
from walker.rollout import Trajectories, policy_arrays, random_conditions, run_rollouts


def round_seed(seed: int, round_index: int) -> int:
    """An independent 31-bit seed per DAgger round."""
    return int(np.random.SeedSequence([seed, round_index]).generate_state(1)[0] % 2**31)


def expert_labelled_pairs(traj: Trajectories, obs_mean: np.ndarray, obs_std: np.ndarray, action_limit: float) -> tuple[np.ndarray, np.ndarray]:
    """The learner's visited states and the expert's actions on them: x (N, obs_size) normalised,
    y (N, action_size) clipped to +-``action_limit``.

    Only steps before a fall count (``traj.alive``); the targets are
    ``traj.label`` (the labeller's actions), never ``traj.action`` (the learner's own).
    """
    if traj.label is None:
        raise ValueError("DAgger needs rollouts with a labeller (make_rollout(..., labeller=expert))")
    visited = np.asarray(traj.alive, bool)  # (T, n)
    return normalise(traj.obs[visited], obs_mean, obs_std), clip_targets(traj.label[visited], action_limit)


@dataclasses.dataclass(frozen=True)
class DaggerResult:
    """The clone after every round, and the data it was last fitted on."""

    model: MLP
    x_train: np.ndarray
    """(N, obs_size) normalised observations: the demos, then each round's visited states"""
    y_train: np.ndarray
    """(N, action_size) clipped expert actions"""
    checks: tuple[Any, ...]
    """what ``check`` returned after the initial fit and after each round (rounds + 1 entries)"""
    env_steps: int = 0
    """control steps the learner's rollouts took, each episode up to its fall (what the curriculum is charged)"""
    visits: Episodes | None = None
    """the learner's episodes of every round, with their rewards (the offline critic's data); None without rounds"""


def dagger(
    model: MLP,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    obs_mean: np.ndarray,
    obs_std: np.ndarray,
    cfg: BcConfig,
    rollout: Callable[..., Any],
    ranges: ConditionRanges,
    batch: int,
    key: jax.Array,
    *,
    devices: int = 1,
    check: Callable[[int, PolicyFile], Any] = lambda round_index, policy: None,
    on_epoch: Callable[[int, float, float], None] = lambda epoch, train, val: None,
    log: Callable[[str], None] = lambda line: print(line, flush=True),
) -> DaggerResult:
    """``cfg.dagger_rounds`` DAgger rounds after an already fitted ``model``.

    ``rollout`` must be a labelled rollout (learner policy, expert labeller).
    Each round runs ``cfg.dagger_episodes`` episodes under conditions drawn from
    ``ranges``; conditions and starts are seeded by :func:`round_seed`. ``check(i, policy)`` runs before round
    ``i + 1`` and after the last (the closed-loop checks of the bc stage).
    """
    checks, env_steps, visits = [], 0, []
    for round_index in range(cfg.dagger_rounds + 1):
        policy = to_policy_file(model, obs_mean, obs_std)
        checks.append(check(round_index, policy))
        if round_index == cfg.dagger_rounds:
            break
        seed = round_seed(cfg.seed, round_index)
        conditions = random_conditions(cfg.dagger_episodes, seed, ranges)
        traj = run_rollouts(rollout, conditions, seed, batch, f"dagger round {round_index + 1}", policy_arrays(policy), devices)
        env_steps += int(traj.alive.sum())
        visits.append(episodes_from_trajectories(traj))
        x_new, y_new = expert_labelled_pairs(traj, obs_mean, obs_std, cfg.action_limit)
        x_train, y_train = np.concatenate([x_train, x_new]), np.concatenate([y_train, y_new])
        log(f"[bc] dagger round {round_index + 1}: +{len(x_new)} labelled pairs, {len(x_train)} in all")
        key, sub = jax.random.split(key)
        model = fit(model, x_train, y_train, x_val, y_val, cfg, cfg.dagger_epochs, sub, on_epoch).model
    return DaggerResult(model, x_train, y_train, tuple(checks), env_steps, concatenate(visits) if visits else None)
