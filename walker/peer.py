"""The peer: Stable-Baselines3 PPO with its default settings on our gymnasium env, and its policy as our policy file.

SB3's ``MlpPolicy`` for a Box action space is a Gaussian whose mean is an MLP
(``mlp_extractor.policy_net``, then ``action_net``) of the raw observation;
``predict(deterministic=True)`` returns that mean clipped to the action box.
That is our policy file with ``obs_mean = 0``, ``obs_std = 1`` and
``squash = "clip"``; torch's ``Linear`` stores ``(out, in)`` weights, ours are
``(in, out)``.

Optional dependencies (``pip install -e .[peer]``): nothing here imports them at
module level.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from walker.config import field, load_block
from walker.passive.config import WalkerConfig
from walker.passive.native import PassiveWalkerNativeEnv
from walker.policy import PolicyFile, as_numpy

PEER_PARAMS_FILE = "peer/params.yaml"
"""The peer pipeline's own params file (block ``peer``), relative to the repository root."""


@dataclasses.dataclass(frozen=True)
class PeerConfig:
    """The peer pipeline, peer/dvc.yaml: Stable-Baselines3 PPO with its defaults (block `peer`); budget, step grid and
    randomisation come from block `ppo`."""

    num_envs: int = field("SB3's vectorised envs (its examples' 8)", range=(1, 1024))
    seeds: tuple[int, ...] = field("one SB3 run per seed", range=(0, 2**31 - 1))

SB3_ACTIVATIONS = {"Tanh": "tanh", "ReLU": "relu", "ELU": "elu"}
"""torch activation modules -> our activation names (walker.activations)"""


def load_peer(path: str | Path = PEER_PARAMS_FILE) -> PeerConfig:
    """Block ``peer`` of the peer pipeline's params file, validated (errors name the file and key)."""
    return load_block(path, "peer", PeerConfig)


def _linear_layers(module: Any) -> list[Any]:
    return [m for m in module.modules() if type(m).__name__ == "Linear"]


def policy_from_sb3(model: Any, metadata: dict | None = None) -> PolicyFile:
    """The deterministic actor of an SB3 ``PPO('MlpPolicy', ...)`` model as a policy file (``squash='clip'``).

    Raises ValueError for what the file cannot hold: an observation normaliser
    other than none, a non-flat feature extractor, or an unknown activation.
    """
    policy = model.policy
    if type(policy.features_extractor).__name__ != "FlattenExtractor":
        raise ValueError(f"SB3 policy uses a {type(policy.features_extractor).__name__}; only FlattenExtractor maps to a policy file")
    if getattr(policy, "squash_output", False):
        raise ValueError("SB3 policy squashes its output (gSDE); only the plain Gaussian mean maps to squash='clip'")
    activations = {type(m).__name__ for m in policy.mlp_extractor.policy_net.modules()} & set(SB3_ACTIVATIONS) | {
        policy.activation_fn.__name__
    }
    unknown = activations - set(SB3_ACTIVATIONS)
    if unknown or len(activations) != 1:
        raise ValueError(f"SB3 policy activation {sorted(activations)}: a policy file holds one of {sorted(SB3_ACTIVATIONS)}")
    layers = _linear_layers(policy.mlp_extractor.policy_net) + [policy.action_net]
    weights = tuple(layer.weight.detach().cpu().numpy().T.copy() for layer in layers)
    biases = tuple(layer.bias.detach().cpu().numpy().copy() for layer in layers)
    obs_size = weights[0].shape[0]
    return as_numpy(
        PolicyFile(
            obs_mean=np.zeros(obs_size, np.float32),
            obs_std=np.ones(obs_size, np.float32),
            weights=weights,
            biases=biases,
            activation=SB3_ACTIVATIONS[activations.pop()],
            squash="clip",
            metadata=dict(metadata or {}),
        )
    )


def train_sb3_ppo(
    walker: WalkerConfig,
    seed: int,
    num_timesteps: int,
    eval_every_steps: int,
    num_envs: int,
    on_eval: Callable[[int, PolicyFile], None],
    log: Callable[[str], None] = lambda line: print(line, flush=True),
) -> tuple[PolicyFile, float]:
    """SB3 PPO with its defaults on our gymnasium env, ``walker/PassiveWalker-v0`` (a fresh condition and push every episode, from
    ``walker.randomization``), ``num_envs`` envs, ``seed``.

    ``on_eval(env_steps, policy)`` sees the deterministic policy at 0 and every multiple of ``eval_every_steps``
    up to ``num_timesteps``, where training stops (SB3 would otherwise finish its last 2,048-step rollout).
    Returns the policy at ``num_timesteps`` and the seconds spent training (``on_eval``'s time excluded).
    """
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env

    if eval_every_steps % num_envs:
        raise ValueError(f"eval_every_steps ({eval_every_steps}) must be a multiple of the peer's envs ({num_envs})")
    torch.manual_seed(seed)
    torch.set_num_threads(1)  # 2x64 networks: more threads only contend with the envs and the JAX scorer
    # the class behind the gymnasium id walker/PassiveWalker-v0 (gymnasium.make would build the same env)
    envs = make_vec_env(PassiveWalkerNativeEnv, n_envs=num_envs, seed=seed, env_kwargs={"cfg": walker, "randomize": True})
    model = PPO("MlpPolicy", envs, seed=seed, device="cpu", verbose=0)
    spent = {"eval": 0.0}
    start = time.time()

    def evaluate(step: int) -> PolicyFile:
        t0 = time.time()
        policy = policy_from_sb3(model, {"source": "sb3_ppo", "seed": seed, "env_steps": step})
        on_eval(step, policy)
        spent["eval"] += time.time() - t0
        return policy

    class Grid(BaseCallback):
        """Scores the policy at every point of the step grid; stops at the budget."""

        final: PolicyFile | None = None

        def _on_step(self) -> bool:
            step = self.num_timesteps
            if step % eval_every_steps == 0:
                Grid.final = evaluate(step)
                rate = step / max(time.time() - start - spent["eval"], 1e-9)
                log(f"[peer sb3-{seed}] {step}/{num_timesteps} env steps, {rate:.0f} steps/s while training")
            return step < num_timesteps

    evaluate(0)
    model.learn(total_timesteps=num_timesteps + model.n_steps * num_envs, callback=Grid())
    if Grid.final is None or Grid.final.metadata["env_steps"] != num_timesteps:
        raise RuntimeError(f"SB3 PPO stopped before {num_timesteps} env steps")
    envs.close()
    return Grid.final, time.time() - start - spent["eval"]
