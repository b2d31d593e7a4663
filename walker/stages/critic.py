"""Stage `critic`: the clone's value, regressed offline on the demos' and DAgger's returns, for PPO to start from."""

from __future__ import annotations

import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from walker.bc import fit, init_mlp, split_by_episode
from walker.critic import CRITIC_FILENAME, CriticFile, Episodes, concatenate, discounted_returns, load_episodes, save_critic
from walker.demos import load_dataset
from walker.io import atomic_dir, write_json
from walker.passive.config import Params
from walker.policy import load_policy, normalise

PARAMS = ("critic", "ppo.discounting", "ppo.reward_scaling", "ppo.value_hidden_sizes", "ppo.activation")


def training_episodes(demos_file: str, visits_file: str) -> Episodes:
    """The FSM's demo episodes (every one cut off by the time limit) and the clone's DAgger episodes, with rewards."""
    demos = load_dataset(demos_file)
    if demos.reward is None:
        raise ValueError(f"{demos_file}: the demos carry no rewards (recorded before the critic stage existed); rerun `dvc repro demos`")
    n_episodes = int(demos.episode.max()) + 1
    expert = Episodes(obs=demos.obs, reward=demos.reward, episode=demos.episode, fell=np.zeros(n_episodes, bool))
    return concatenate([expert, load_episodes(visits_file)])


def explained_variance(pred: np.ndarray, target: np.ndarray) -> float:
    """``1 - var(target - pred) / var(target)`` over (N,) values: 1 is perfect, 0 no better than the mean."""
    return float(1.0 - np.var(target - pred) / np.var(target))


def run(params: Params, demos_file: str, visits_file: str, bc_dir: str, out_dir: str, out_json: str) -> dict:
    """Fit the critic and write ``out_dir/critic.npz`` and its metrics; the folder appears only when done."""
    start = time.time()
    cfg, ppo = params.critic, params.ppo
    episodes = training_episodes(demos_file, visits_file)
    obs_size = episodes.obs.shape[1]
    clone = load_policy(bc_dir, obs_size, None)
    targets = (ppo.reward_scaling * discounted_returns(episodes, ppo.discounting, cfg.tail_window)).astype(np.float32)[:, None]
    x = normalise(episodes.obs, clone.obs_mean, clone.obs_std)  # the clone's normaliser: PPO's critic sees the same inputs
    train, val = split_by_episode(episodes.episode, cfg.val_fraction, cfg.seed)
    init_key, fit_key = jax.random.split(jax.random.PRNGKey(cfg.seed))
    model = init_mlp((obs_size, *ppo.value_hidden_sizes, 1), ppo.activation, init_key)
    print(f"[critic] {int(train.sum())} training steps, {int(val.sum())} validation steps, {len(episodes.fell)} episodes "
          f"({int(episodes.fell.sum())} falls)", flush=True)

    def log(epoch: int, train_loss: float, val_loss: float) -> None:
        if epoch % 10 == 0 or epoch == cfg.epochs - 1:
            print(f"[critic] epoch {epoch}: train {train_loss:.4f}, validation {val_loss:.4f}", flush=True)

    model = fit(model, x[train], targets[train], x[val], targets[val], cfg, cfg.epochs, fit_key, log,
                squash=lambda v: v, label="critic").model
    pred = np.asarray(jax.vmap(model)(jnp.asarray(x[val])))[:, 0]
    critic = CriticFile(
        weights=tuple(np.asarray(layer.weight).T for layer in model.layers),
        biases=tuple(np.asarray(layer.bias) for layer in model.layers),
        activation=ppo.activation, discounting=ppo.discounting, reward_scaling=ppo.reward_scaling,
        obs_mean=clone.obs_mean, obs_std=clone.obs_std,
    )
    with atomic_dir(out_dir) as tmp:
        save_critic(critic, Path(tmp) / CRITIC_FILENAME)
    metrics = {
        "steps": int(len(targets)),
        "episodes": int(len(episodes.fell)),
        "falls": int(episodes.fell.sum()),
        "return_mean": float(targets.mean()),
        "return_std": float(targets.std()),
        "val_mse": float(np.mean((pred - targets[val, 0]) ** 2)),
        "val_explained_variance": explained_variance(pred, targets[val, 0]),
    }
    write_json(metrics, out_json)
    print(f"[critic] {metrics} in {time.time() - start:.0f} s", flush=True)
    return metrics
