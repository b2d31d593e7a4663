"""Brax PPO glue: the cloned policy survives the conversion into Brax's parameters exactly."""

from __future__ import annotations

import dataclasses
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from brax.training.acme import running_statistics
from brax.training.agents.ppo import networks as ppo_networks

from tests.conftest import REPO
from tests.test_policy import random_policy
from walker.brax_actor import brax_policy_params, normalizer_from_policy, policy_from_brax
from walker.passive.env import PassiveWalkerEnv
from walker.policy import apply
from walker.ppo import PpoRun, eval_grid, initial_params, network_factory


@pytest.fixture(scope="module")
def tiny_ppo(params):
    return dataclasses.replace(params.ppo, num_envs=4, batch_size=4, num_minibatches=2, unroll_length=5, variant_overrides=None)


@pytest.fixture(scope="module")
def seeded(mjx_env, tiny_ppo):
    policy = random_policy(7, sizes=(18, *tiny_ppo.policy_hidden_sizes, 3), activation=tiny_ppo.activation)
    return policy, initial_params(mjx_env, PpoRun(cfg=tiny_ppo, seed=0, init=policy, num_timesteps=0))


def test_brax_actor_acts_like_the_policy_file(seeded, tiny_ppo):
    policy, params = seeded
    nets = network_factory(tiny_ppo)(18, 3, preprocess_observations_fn=running_statistics.normalize)
    act = ppo_networks.make_inference_fn(nets)(params, deterministic=True)
    obs = (np.random.default_rng(1).normal(size=(64, 18)) * policy.obs_std + policy.obs_mean).astype(np.float32)
    brax_action, _ = act(jnp.asarray(obs), jax.random.PRNGKey(0))
    np.testing.assert_allclose(np.asarray(brax_action), apply(policy, obs, np), atol=1e-5)
    # the exploration spread starts at ppo.init_action_std
    raw = nets.policy_network.apply(params[0], params[1], jnp.asarray(obs))
    std = jax.nn.softplus(raw[:, 3:]) + 1e-3
    np.testing.assert_allclose(np.asarray(std), tiny_ppo.init_action_std, rtol=1e-5)


def test_round_trip_back_to_a_policy_file(seeded, tiny_ppo):
    policy, params = seeded
    back = policy_from_brax(params[0], params[1], tiny_ppo.activation)
    for a, b in zip([policy.obs_mean, policy.obs_std, *policy.weights, *policy.biases], [back.obs_mean, back.obs_std, *back.weights, *back.biases]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_both_variants_are_scored_on_one_grid_of_the_committed_run(params):
    """The committed runs were scored at the same absolute env steps, warm-up included, and took exactly the budget."""
    grid = eval_grid(params.ppo)
    assert grid[0] == 0 and grid[-1] == params.ppo.num_timesteps and params.ppo.critic_warmup_steps in grid
    for variant in ("bc", "scratch"):
        run = json.loads((REPO / f"results/ppo/{variant}-0.json").read_text())
        assert [h["env_steps"] for h in run["history"]] == grid, variant
        assert run["env_steps"] == params.ppo.num_timesteps


def test_grid_and_overrides_are_checked_with_the_key_named(params):
    from walker.config import ConfigError

    with pytest.raises(ConfigError, match="ppo.eval_every_steps"):
        dataclasses.replace(params.ppo, eval_every_steps=1000)
    with pytest.raises(ConfigError, match="ppo.num_timesteps"):
        dataclasses.replace(params.ppo, num_timesteps=params.ppo.eval_every_steps * 3 + 20480)
    with pytest.raises(ConfigError, match="ppo.variant_overrides.scratch.policy_hidden_sizes"):
        dataclasses.replace(params.ppo, variant_overrides={"scratch": {"policy_hidden_sizes": 8.0}})
    with pytest.raises(ConfigError, match="ppo.variant_overrides.dagger"):
        dataclasses.replace(params.ppo, variant_overrides={"dagger": {}})
    with pytest.raises(ConfigError, match="ppo.variant_overrides.scratch.num_minibatches: expected an integer"):
        dataclasses.replace(params.ppo, variant_overrides={"scratch": {"num_minibatches": 2.5}}).for_variant("scratch")
    with pytest.raises(ConfigError, match="ppo.variant_overrides.scratch.*eval_every_steps"):
        dataclasses.replace(params.ppo, variant_overrides={"scratch": {"unroll_length": 7.0}}).for_variant("scratch")
    cfg = dataclasses.replace(params.ppo, variant_overrides={"scratch": {"learning_rate": 0.003, "num_updates_per_batch": 8.0}})
    scratch = cfg.for_variant("scratch")
    assert scratch.learning_rate == 0.003 and scratch.num_updates_per_batch == 8 and isinstance(scratch.num_updates_per_batch, int)
    assert cfg.for_variant("bc").learning_rate == params.ppo.learning_rate


def test_normaliser_counts_as_configured():
    policy = random_policy(2)
    state = normalizer_from_policy(policy, 5 * 2**32 + 7)
    assert int(state.count.to_numpy()) == 5 * 2**32 + 7
    obs = jnp.asarray(policy.obs_mean + 2 * policy.obs_std)
    np.testing.assert_allclose(np.asarray(running_statistics.normalize(obs, state)), 2.0, rtol=1e-5)


def test_scale_columns_start_at_zero_weight():
    layers = brax_policy_params(random_policy(3), init_std=0.3)["params"]
    last = layers[f"hidden_{len(layers) - 1}"]
    assert last["kernel"].shape[1] == 6 and np.all(np.asarray(last["kernel"][:, 3:]) == 0)


class NanRewardEnv(PassiveWalkerEnv):
    """The MJX env with every reward NaN: PPO's loss must diverge."""

    def step(self, state, action):
        nxt = super().step(state, action)
        return nxt.replace(reward=nxt.reward * jnp.nan)


@pytest.mark.slow
def test_diverging_run_stops_with_a_clear_error_and_writes_nothing(params, tiny_ppo, tmp_path, monkeypatch):
    from walker.errors import TrainingDiverged
    from walker.passive.system import build_system, save_system
    from walker.stages import ppo as ppo_stage

    short = dataclasses.replace(params.walker, episode_seconds=0.2)
    p = dataclasses.replace(
        params,
        walker=short,
        evaluate=dataclasses.replace(params.evaluate, suite_cases=2, rollout_batch=2),
        ppo=dataclasses.replace(tiny_ppo, num_timesteps=80, eval_every_steps=40, critic_warmup_steps=0, value_hidden_sizes=(8,),
                                variant_overrides=None),
        sac=dataclasses.replace(params.sac, num_timesteps=80, num_envs=4, variant_overrides=None),  # every learner on the same grid
    )
    save_system(build_system(short), tmp_path / "system.pkl")
    monkeypatch.setattr(ppo_stage, "make_env", NanRewardEnv)  # the stage builds its env through make_env(sys, cfg)
    out = tmp_path / "out"
    with pytest.raises(TrainingDiverged, match=r"ppo seed 0.*(NaN|nan)"):
        ppo_stage.run(p, "scratch", 0, str(tmp_path / "system.pkl"), "unused", "unused", str(out / "model"), str(out / "r.json"), str(out / "live"))
    assert not (out / "model").exists() and not (out / "r.json").exists()


def test_bc_coefficient_anneals_with_the_env_steps_the_normaliser_counted(params):
    from walker.ppo import bc_coefficient, env_steps_seen

    cfg = dataclasses.replace(params.ppo, bc_coef=2.0, bc_anneal_steps=1000)
    policy = random_policy(2)
    state = normalizer_from_policy(policy, cfg.bc_normalizer_count)
    assert float(env_steps_seen(state, cfg.bc_normalizer_count)) == 0 and float(bc_coefficient(cfg, state)) == 2.0
    obs = jnp.asarray(np.random.default_rng(0).normal(size=(500, policy.obs_size)), jnp.float32)
    state = running_statistics.update(state, obs)  # what Brax does with each training step's observations
    assert float(env_steps_seen(state, cfg.bc_normalizer_count)) == 500
    assert float(bc_coefficient(cfg, state)) == pytest.approx(1.0)
    state = running_statistics.update(state, jnp.concatenate([obs, obs]))
    assert float(bc_coefficient(cfg, state)) == 0.0


@pytest.mark.slow
def test_bc_regularised_ppo_pulls_towards_the_clone_and_lets_go(mjx_env, tiny_ppo):
    """A tiny seeded run with the BC term: Brax reports it, its weight falls to zero, and the loss is restored after."""
    from brax.training.agents.ppo import train as ppo_train

    from walker.ppo import train

    cfg = dataclasses.replace(tiny_ppo, num_timesteps=160, eval_every_steps=40, critic_warmup_steps=0, bc_coef=1.0,
                              bc_anneal_steps=80, value_hidden_sizes=(8,))
    policy = random_policy(7, sizes=(18, *cfg.policy_hidden_sizes, 3), activation=cfg.activation)
    seen: list[tuple[int, float, float]] = []

    def on_progress(step: int, metrics: dict) -> None:
        if "training/bc_coef" in metrics:
            seen.append((step, float(metrics["training/bc_coef"]), float(metrics["training/bc_loss"])))

    original = ppo_train.ppo_losses.compute_ppo_loss
    train(mjx_env, PpoRun(cfg=cfg, seed=0, init=policy, num_timesteps=cfg.num_timesteps), lambda step, p: None, on_progress)
    assert ppo_train.ppo_losses.compute_ppo_loss is original
    coefs = [c for _, c, _ in seen]
    assert coefs[0] > 0 and coefs[-1] == 0 and coefs == sorted(coefs, reverse=True), seen
    assert all(np.isfinite(loss) and loss >= 0 for _, _, loss in seen)
