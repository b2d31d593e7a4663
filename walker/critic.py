"""A critic without a warm-up: the clone's value regressed offline on episodes we already have.

The FSM demos and the DAgger rollouts are labelled with the PPO reward; their
discounted returns (scaled as PPO scales rewards) are the targets of an MLP
shaped like Brax's value network, on observations normalised as the clone
normalises them. PPO from the clone then starts with this critic instead of
spending env steps on an actor-frozen warm-up.

Returns follow Brax's PPO: a fall ends the return (its step's reward counted);
an episode cut off by the time limit is continued with its last
``tail_window`` steps' mean reward forever, ``mean / (1 - discount)``, as
Brax bootstraps a truncated episode with the critic's own estimate.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from walker.io import atomic_path
from walker.rollout import Trajectories

CRITIC_FILENAME = "critic.npz"


@dataclasses.dataclass(frozen=True)
class Episodes:
    """The steps of E episodes before each one's end, episode by episode: N steps in all."""

    obs: np.ndarray
    """(N, obs_size) raw observations"""
    reward: np.ndarray
    """(N,) the environment's reward for each step"""
    episode: np.ndarray
    """(N,) int episode id in 0..E-1; each episode's steps are contiguous and in order"""
    fell: np.ndarray
    """(E,) bool: the episode ended in a fall (its last step the falling one); else the time limit cut it off"""


def episodes_from_trajectories(traj: Trajectories) -> Episodes:
    """Every episode of a batched rollout (T, n), up to and including its falling step."""
    alive = np.asarray(traj.alive, bool).T  # (n, T)
    obs = np.swapaxes(traj.obs, 0, 1)[alive]
    reward = np.asarray(traj.reward).T[alive]
    episode = np.broadcast_to(np.arange(alive.shape[0])[:, None], alive.shape)[alive]
    return Episodes(obs=obs.astype(np.float32), reward=reward.astype(np.float32), episode=episode.astype(np.int32),
                    fell=np.asarray(traj.fell, bool).any(axis=0))


def concatenate(parts: list[Episodes]) -> Episodes:
    """One :class:`Episodes` of all parts' episodes, renumbered."""
    offsets = np.cumsum([0] + [len(p.fell) for p in parts[:-1]])
    return Episodes(
        obs=np.concatenate([p.obs for p in parts]),
        reward=np.concatenate([p.reward for p in parts]),
        episode=np.concatenate([p.episode + o for p, o in zip(parts, offsets)]).astype(np.int32),
        fell=np.concatenate([p.fell for p in parts]),
    )


def save_episodes(ep: Episodes, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        np.savez_compressed(tmp, obs=ep.obs, reward=ep.reward, episode=ep.episode, fell=ep.fell)


def load_episodes(path: str | Path) -> Episodes:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"episodes not found: {path} (run `dvc repro bc`)")
    with np.load(path) as z:
        return Episodes(obs=z["obs"], reward=z["reward"], episode=z["episode"], fell=z["fell"])


def discounted_returns(ep: Episodes, discount: float, tail_window: int) -> np.ndarray:
    """(N,) ``sum_k discount^k r_{t+k}`` to each episode's end, a cut-off episode continued with its tail's mean reward."""
    returns = np.empty(len(ep.reward), np.float64)
    bounds = np.flatnonzero(np.diff(ep.episode)) + 1
    for e, (lo, hi) in enumerate(zip(np.r_[0, bounds], np.r_[bounds, len(ep.reward)])):
        reward = ep.reward[lo:hi].astype(np.float64)
        ahead = 0.0 if ep.fell[ep.episode[lo]] else reward[-tail_window:].mean() / (1.0 - discount)
        for t in range(hi - lo - 1, -1, -1):
            ahead = reward[t] + discount * ahead
            returns[lo + t] = ahead
    return returns


@dataclasses.dataclass(frozen=True)
class CriticFile:
    """A value MLP as Brax's PPO critic reads it: normalised observation -> scaled discounted return."""

    weights: tuple[np.ndarray, ...]
    """(in, out) per layer, the last with out = 1"""
    biases: tuple[np.ndarray, ...]
    activation: str
    discounting: float
    """the discount and reward scaling its targets used: a PPO run with others must not start from it"""
    reward_scaling: float
    obs_mean: np.ndarray
    """(obs_size,) the normaliser it was fitted under (the clone's)"""
    obs_std: np.ndarray


def save_critic(critic: CriticFile, path: str | Path) -> None:
    arrays = {f"w{i}": w for i, w in enumerate(critic.weights)} | {f"b{i}": b for i, b in enumerate(critic.biases)}
    with atomic_path(path) as tmp:
        np.savez(tmp, **arrays, activation=np.array(critic.activation), discounting=np.array(critic.discounting),
                 reward_scaling=np.array(critic.reward_scaling), obs_mean=critic.obs_mean, obs_std=critic.obs_std)


def load_critic(directory: str | Path) -> CriticFile:
    path = Path(directory) / CRITIC_FILENAME
    if not path.is_file():
        raise FileNotFoundError(f"critic not found: {path} (run `dvc repro critic`)")
    with np.load(path) as z:
        layers = sum(1 for k in z.files if k.startswith("w"))
        return CriticFile(
            weights=tuple(z[f"w{i}"] for i in range(layers)), biases=tuple(z[f"b{i}"] for i in range(layers)),
            activation=str(z["activation"]), discounting=float(z["discounting"]), reward_scaling=float(z["reward_scaling"]),
            obs_mean=z["obs_mean"], obs_std=z["obs_std"],
        )


def brax_value_params(critic: CriticFile) -> dict:
    """Brax value-network parameters ``{'params': {'hidden_i': {kernel, bias}}}``."""
    import jax.numpy as jnp

    return {"params": {f"hidden_{i}": {"kernel": jnp.asarray(w), "bias": jnp.asarray(b)}
                       for i, (w, b) in enumerate(zip(critic.weights, critic.biases))}}


def critic_from_brax(value_params: dict, normalizer: Any, activation: str, discounting: float, reward_scaling: float) -> CriticFile:
    """A Brax PPO critic (value parameters and the run's observation normaliser) as a critic file, so a later PPO run
    can start from it (the inverse of :func:`brax_value_params`)."""
    layers = value_params["params"]
    n = len(layers)
    return CriticFile(
        weights=tuple(np.asarray(layers[f"hidden_{i}"]["kernel"]) for i in range(n)),
        biases=tuple(np.asarray(layers[f"hidden_{i}"]["bias"]) for i in range(n)),
        activation=activation, discounting=float(discounting), reward_scaling=float(reward_scaling),
        obs_mean=np.asarray(normalizer.mean), obs_std=np.asarray(normalizer.std),
    )
