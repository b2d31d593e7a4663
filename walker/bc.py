"""Behaviour cloning: fit an Equinox MLP to (observation, expert action) pairs and export a policy file.

The network outputs the mean of a tanh-squashed Gaussian (as Brax PPO's actor
does); the loss compares ``tanh(output)`` with the expert's action clipped to
``+-bc.action_limit``, so targets at the actuator limits stay reachable and
the pre-squash output stays finite (about atanh(0.97) = 2.1 at most).
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optax

from walker.activations import activation_fn
from walker.blocks import BcConfig
from walker.errors import TrainingDiverged
from walker.policy import PolicyFile, as_numpy

STD_FLOOR = 1e-3
"""Smallest observation std used by the normaliser, so a constant feature cannot blow up."""


class MLP(eqx.Module):
    """Normalised observation (obs_size,) -> pre-squash action mean (action_size,)."""

    layers: tuple[eqx.nn.Linear, ...]
    activation: str = eqx.field(static=True)

    def __call__(self, x: jax.Array) -> jax.Array:
        act = activation_fn(self.activation, jnp)
        for layer in self.layers[:-1]:
            x = act(layer(x))
        return self.layers[-1](x)


def init_mlp(sizes: tuple[int, ...], activation: str, key: jax.Array) -> MLP:
    """An MLP with layer widths ``sizes`` = (obs_size, *hidden, action_size)."""
    keys = jax.random.split(key, len(sizes) - 1)
    layers = tuple(eqx.nn.Linear(i, o, key=k) for i, o, k in zip(sizes[:-1], sizes[1:], keys))
    return MLP(layers=layers, activation=activation)


def fit_normaliser(obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and std (floored at ``STD_FLOOR``) of obs (N, obs_size), as float32."""
    obs = np.asarray(obs, np.float64)
    return obs.mean(axis=0).astype(np.float32), np.maximum(obs.std(axis=0), STD_FLOOR).astype(np.float32)


def to_policy_file(model: MLP, obs_mean: np.ndarray, obs_std: np.ndarray, metadata: dict | None = None) -> PolicyFile:
    """Export: Equinox stores weights as (out, in); the policy file as (in, out)."""
    return as_numpy(
        PolicyFile(
            obs_mean=obs_mean,
            obs_std=obs_std,
            weights=tuple(np.asarray(layer.weight).T for layer in model.layers),
            biases=tuple(np.asarray(layer.bias) for layer in model.layers),
            activation=model.activation,
            squash="tanh",
            metadata=dict(metadata or {}),
        )
    )


def action_loss(pred: jax.Array, target: jax.Array, kind: str, huber_delta: float) -> jax.Array:
    """Mean loss between squashed predictions and targets, both (N, action_size)."""
    err = pred - target
    if kind == "mse":
        return jnp.mean(err**2)
    if kind == "l1":
        return jnp.mean(jnp.abs(err))
    if kind == "huber":
        return jnp.mean(optax.huber_loss(pred, target, delta=huber_delta))
    raise ValueError(f"unknown loss '{kind}'")


def clip_targets(action: np.ndarray, limit: float) -> np.ndarray:
    """Expert actions (N, 3) clipped to +-limit (the squashed output can only approach +-1)."""
    return np.clip(np.asarray(action, np.float32), -limit, limit)


def split_by_episode(episode: np.ndarray, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks (N,) for train and validation rows; whole episodes go to one side.

    At least one episode is held out and at least one kept for training.
    """
    ids = np.unique(episode)
    if len(ids) < 2:
        raise ValueError(f"the demos hold {len(ids)} successful episode(s); cloning needs at least 2 (raise demos.episodes)")
    rng = np.random.default_rng(seed)
    n_val = min(max(1, int(round(val_fraction * len(ids)))), len(ids) - 1)
    val_ids = rng.permutation(ids)[:n_val]
    val = np.isin(episode, val_ids)
    return ~val, val


@dataclasses.dataclass(frozen=True)
class FitResult:
    model: MLP
    train_loss: tuple[float, ...]
    """mean minibatch loss per epoch"""
    val_loss: tuple[float, ...]
    """validation loss per epoch (of the model after that epoch)"""
    best_epoch: int
    """index of the epoch whose model is returned"""


def _optimizer(cfg: BcConfig, total_steps: int) -> optax.GradientTransformation:
    if cfg.lr_schedule == "cosine":
        lr = optax.cosine_decay_schedule(cfg.learning_rate, max(total_steps, 1), alpha=0.01)
    else:
        lr = optax.constant_schedule(cfg.learning_rate)
    return optax.chain(optax.clip_by_global_norm(1.0), optax.adamw(lr, weight_decay=cfg.weight_decay))


def fit(
    model: MLP,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    cfg: BcConfig,
    epochs: int,
    key: jax.Array,
    on_epoch: Callable[[int, float, float], None] = lambda epoch, train, val: None,
    squash: Callable[[jax.Array], jax.Array] = jnp.tanh,
    label: str = "bc",
) -> FitResult:
    """Minibatch training on normalised inputs x (N, obs) and clipped targets y (N, act) of ``squash(model(x))``.

    ``cfg`` needs the fields of :class:`BcConfig` this reads (batch size, learning
    rate and schedule, weight decay, loss, patience); the offline critic
    (:mod:`walker.critic`) fits its returns with ``squash`` the identity.

    With ``cfg.early_stopping_patience`` > 0, stops once the validation loss has
    not improved for that many epochs and returns the best model; otherwise runs
    every epoch and returns the last. Raises :class:`TrainingDiverged` on a
    non-finite loss.
    """
    n = x_train.shape[0]
    batch = min(cfg.batch_size, n)
    n_batches = n // batch
    opt = _optimizer(cfg, epochs * n_batches)
    params, static = eqx.partition(model, eqx.is_array)
    opt_state = opt.init(params)
    x_train, y_train, x_val, y_val = (jnp.asarray(a, jnp.float32) for a in (x_train, y_train, x_val, y_val))

    def loss_fn(p, x, y):
        pred = squash(jax.vmap(eqx.combine(p, static))(x))
        return action_loss(pred, y, cfg.loss, cfg.huber_delta)

    @jax.jit
    def run_epoch(p, state, key):
        order = jax.random.permutation(key, n)[: n_batches * batch].reshape(n_batches, batch)

        def step(carry, idx):
            p, state = carry
            loss, grads = jax.value_and_grad(loss_fn)(p, x_train[idx], y_train[idx])
            updates, state = opt.update(grads, state, p)
            return (optax.apply_updates(p, updates), state), loss

        (p, state), losses = jax.lax.scan(step, (p, state), order)
        return p, state, losses.mean(), loss_fn(p, x_val, y_val)

    train_hist: list[float] = []
    val_hist: list[float] = []
    best_val, best_epoch, best_params = np.inf, -1, params
    patience = cfg.early_stopping_patience
    for epoch in range(epochs):
        key, sub = jax.random.split(key)
        params, opt_state, train_loss, val_loss = run_epoch(params, opt_state, sub)
        train_loss, val_loss = float(train_loss), float(val_loss)
        if not (np.isfinite(train_loss) and np.isfinite(val_loss)):
            raise TrainingDiverged(f"{label}: loss became {train_loss} (train) / {val_loss} (validation) at epoch {epoch}")
        train_hist.append(train_loss)
        val_hist.append(val_loss)
        on_epoch(epoch, train_loss, val_loss)
        if patience == 0:
            best_epoch, best_params = epoch, params
        elif val_loss < best_val:
            best_val, best_epoch, best_params = val_loss, epoch, params
        elif epoch - best_epoch >= patience:
            break
    return FitResult(eqx.combine(best_params, static), tuple(train_hist), tuple(val_hist), best_epoch)


def validation_loss(model: MLP, x: np.ndarray, y: np.ndarray, kind: str, huber_delta: float = 1.0) -> float:
    """Loss ``kind`` of the squashed output on normalised x (N, obs) and targets y (N, act)."""
    pred = jnp.tanh(jax.vmap(model)(jnp.asarray(x, jnp.float32)))
    return float(action_loss(pred, jnp.asarray(y, jnp.float32), kind, huber_delta))
