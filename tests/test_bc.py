"""Behaviour cloning on tiny synthetic data: the loss falls, runs reproduce, the export matches the model."""

from __future__ import annotations

import dataclasses

import jax
import numpy as np
import pytest

from walker.bc import (
    TrainingDiverged,
    clip_targets,
    fit,
    fit_normaliser,
    init_mlp,
    split_by_episode,
    to_policy_file,
    validation_loss,
)
from walker.policy import apply, policy_to_bytes


def synthetic(n: int, seed: int):
    """Targets from a fixed smooth function of the observation, inside (-1, 1)."""
    rng = np.random.default_rng(seed)
    obs = rng.normal(size=(n, 18)).astype(np.float32) * 2 + 1
    w = np.random.default_rng(99).normal(size=(18, 3)) / 4
    return obs, (0.9 * np.tanh(obs @ w)).astype(np.float32)


@pytest.fixture(scope="module")
def data():
    obs, act = synthetic(1024, 0)
    val_obs, val_act = synthetic(256, 1)
    mean, std = fit_normaliser(obs)
    return (obs - mean) / std, act, (val_obs - mean) / std, val_act, mean, std


def _cfg(params, **changes):
    settings = {"batch_size": 64, "learning_rate": 3e-3, "early_stopping_patience": 0, **changes}
    return dataclasses.replace(params.bc, **settings)


@pytest.mark.parametrize("loss", ["mse", "huber", "l1"])
def test_loss_decreases(params, data, loss):
    x, y, xv, yv, *_ = data
    cfg = _cfg(params, loss=loss, hidden_sizes=(32, 32))
    model = init_mlp((18, 32, 32, 3), "tanh", jax.random.PRNGKey(0))
    before = validation_loss(model, xv, yv, loss, cfg.huber_delta)
    result = fit(model, x, y, xv, yv, cfg, 30, jax.random.PRNGKey(1))
    assert result.train_loss[-1] < 0.5 * result.train_loss[0]
    assert validation_loss(result.model, xv, yv, loss, cfg.huber_delta) < 0.2 * before
    assert len(result.val_loss) == 30 and result.best_epoch == 29


def test_same_seed_gives_identical_bytes(params, data):
    x, y, xv, yv, mean, std = data
    cfg = _cfg(params)

    def train(seed: int) -> bytes:
        model = init_mlp((18, 64, 64, 3), "tanh", jax.random.PRNGKey(seed))
        result = fit(model, x, y, xv, yv, cfg, 5, jax.random.PRNGKey(seed + 1))
        return policy_to_bytes(to_policy_file(result.model, mean, std))

    assert train(0) == train(0)
    assert train(0) != train(1)


def test_export_matches_the_model(data):
    _, _, xv, _, mean, std = data
    model = init_mlp((18, 16, 3), "swish", jax.random.PRNGKey(3))
    policy = to_policy_file(model, mean, std)
    raw_obs = xv * std + mean
    expected = np.tanh(np.asarray(jax.vmap(model)(xv)))
    np.testing.assert_allclose(apply(policy, raw_obs, np), expected, atol=1e-5)


def test_early_stopping_keeps_the_best_epoch(params, data):
    x, y, xv, _, *_ = data
    noise = np.random.default_rng(5).uniform(-0.9, 0.9, size=(len(xv), 3)).astype(np.float32)
    cfg = _cfg(params, early_stopping_patience=3, lr_schedule="constant", learning_rate=0.03)
    model = init_mlp((18, 64, 64, 3), "tanh", jax.random.PRNGKey(0))
    result = fit(model, x, y, xv, noise, cfg, 200, jax.random.PRNGKey(1))
    assert len(result.val_loss) < 200
    assert len(result.val_loss) == result.best_epoch + 4
    assert result.val_loss[result.best_epoch] == min(result.val_loss)


def test_non_finite_data_stops_training(params, data):
    x, y, xv, yv, *_ = data
    x = x.copy()
    x[3, 2] = np.nan
    model = init_mlp((18, 8, 3), "tanh", jax.random.PRNGKey(0))
    with pytest.raises(TrainingDiverged, match=r"bc: loss became nan .* at epoch 0"):
        fit(model, x, y, xv, yv, _cfg(params), 5, jax.random.PRNGKey(1))


def test_split_keeps_episodes_whole():
    episode = np.repeat(np.arange(20), 7)
    train, val = split_by_episode(episode, 0.25, seed=0)
    assert not set(episode[train]) & set(episode[val])
    assert len(set(episode[val])) == 5 and (train | val).all()
    np.testing.assert_array_equal(split_by_episode(episode, 0.25, 0)[1], val)
    assert split_by_episode(np.repeat([0, 1], 3), 0.01, 0)[1].sum() == 3  # always one episode held out
    with pytest.raises(ValueError, match=r"1 successful episode\(s\); cloning needs at least 2 \(raise demos\.episodes\)"):
        split_by_episode(np.zeros(5, int), 0.5, 0)


def test_targets_clipped_inside_the_squash():
    clipped = clip_targets(np.array([[1.0, -1.0, 0.2]]), 0.97)
    np.testing.assert_allclose(clipped, [[0.97, -0.97, 0.2]])
    assert np.isfinite(np.arctanh(clipped)).all()
