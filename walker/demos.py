"""FSM demonstrations: batched rollouts over domain-randomised conditions -> a dataset."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from walker.errors import TrainingDiverged
from walker.io import atomic_path
from walker.rollout import CONDITION_NAMES, Conditions, Trajectories


@dataclasses.dataclass(frozen=True)
class DemoDataset:
    """Observation-action pairs at the control rate; N pairs from E episodes."""

    obs: np.ndarray
    """(N, 18) float32"""
    action: np.ndarray
    """(N, 3) float32, the FSM's action in [-1, 1]"""
    episode: np.ndarray
    """(N,) int32 episode id (index into ``condition``)"""
    condition: np.ndarray
    """(E, 6) float32 per-episode condition, columns ``CONDITION_NAMES``"""
    reward: np.ndarray | None = None
    """(N,) float32 the environment's reward for each step (what the offline critic regresses on)"""


def worth_copying(traj: Trajectories, min_speed: float, dt: float) -> np.ndarray:
    """(n,) bool: demo episodes where the expert never fell and averaged at least ``min_speed`` m/s.

    The protocol's steady-speed rule is left out on purpose: it compares the
    last two 5 s windows of a 20 s evaluation episode, and on a training-length
    demo it would compare the start-up with the rest.
    """
    distance = traj.x[-1] - traj.x[0]
    return ~np.asarray(traj.fell, bool).any(axis=0) & (distance / (traj.fell.shape[0] * dt) >= min_speed)


def dataset_from_rollouts(traj: Trajectories, keep_episode: np.ndarray, conditions: Conditions) -> DemoDataset:
    """Every step of the episodes marked in ``keep_episode`` (n,) (a fall's last steps are not worth copying)."""
    keep = np.flatnonzero(keep_episode)
    obs = traj.obs[:, keep]  # (T, E, 18)
    action = traj.action[:, keep]
    reward = traj.reward[:, keep]
    steps = obs.shape[0]
    episode = np.broadcast_to(np.arange(len(keep), dtype=np.int32)[None, :], (steps, len(keep)))
    # episode-major order, so each episode's steps are contiguous
    return DemoDataset(
        obs=np.swapaxes(obs, 0, 1).reshape(-1, obs.shape[-1]).astype(np.float32),
        action=np.swapaxes(action, 0, 1).reshape(-1, action.shape[-1]).astype(np.float32),
        episode=np.swapaxes(episode, 0, 1).reshape(-1),
        condition=conditions.as_array()[keep],
        reward=np.swapaxes(reward, 0, 1).reshape(-1).astype(np.float32),
    )


def save_dataset(ds: DemoDataset, path: str | Path) -> None:
    """Write a compressed .npz atomically (temporary file, then rename)."""
    with atomic_path(path) as tmp:
        np.savez_compressed(
            tmp, obs=ds.obs, action=ds.action, episode=ds.episode, condition=ds.condition, condition_names=np.array(CONDITION_NAMES),
            **({} if ds.reward is None else {"reward": ds.reward}),
        )


def load_dataset(path: str | Path) -> DemoDataset:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"demo dataset not found: {path} (run `dvc repro demos`)")
    with np.load(path) as z:
        ds = DemoDataset(obs=z["obs"], action=z["action"], episode=z["episode"], condition=z["condition"],
                         reward=z["reward"] if "reward" in z else None)
    for name in ("obs", "action"):
        bad = ~np.isfinite(getattr(ds, name)).all(axis=-1)
        if bad.any():
            raise TrainingDiverged(f"{path}: {int(bad.sum())} demo pairs have NaN or infinite {name} (first at row {int(np.argmax(bad))}); rerun `dvc repro demos`")
    return ds
