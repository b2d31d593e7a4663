"""The peer pipeline's glue: an SB3 PPO policy becomes our policy file and acts exactly as SB3's ``predict``.

Skipped where the optional dependencies (pip install -e '.[peer]') are absent.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("stable_baselines3")


def _tiny_model(params, activation: str = "Tanh"):
    import torch
    from stable_baselines3 import PPO

    from walker.passive.native import PassiveWalkerNativeEnv

    env = PassiveWalkerNativeEnv(params.walker, randomize=True)
    kwargs = {"net_arch": [16, 8], "activation_fn": getattr(torch.nn, activation)}
    model = PPO("MlpPolicy", env, n_steps=64, batch_size=32, seed=3, device="cpu", policy_kwargs=kwargs)
    with torch.no_grad():  # a mean far from zero, so the clipping to [-1, 1] is exercised
        model.policy.action_net.bias.add_(torch.tensor([1.5, -0.8, 0.2]))
    return model


def test_exported_policy_acts_like_sb3_predict(params, tmp_path):
    from walker.peer import policy_from_sb3
    from walker.policy import apply, load_policy, save_policy

    model = _tiny_model(params)
    policy = policy_from_sb3(model, {"source": "test"})
    assert policy.squash == "clip" and policy.activation == "tanh" and [w.shape for w in policy.weights] == [(18, 16), (16, 8), (8, 3)]
    save_policy(policy, tmp_path / "policy.walker")
    loaded = load_policy(tmp_path, 18, 3)
    obs = np.random.default_rng(0).normal(scale=2.0, size=(256, 18)).astype(np.float32)
    expected, _ = model.predict(obs, deterministic=True)
    assert np.abs(expected).max() == 1.0  # some actions were clipped
    np.testing.assert_allclose(apply(loaded, obs, np), expected, atol=1e-5)


def test_unsupported_sb3_policies_are_refused(params):
    from walker.peer import policy_from_sb3

    with pytest.raises(ValueError, match="activation"):
        policy_from_sb3(_tiny_model(params, "SiLU"))
