"""The offline critic: returns as Brax's PPO computes them, episodes from rollouts, and the checks before PPO starts from it."""

import dataclasses

import numpy as np
import pytest

from walker.critic import CriticFile, Episodes, brax_value_params, concatenate, discounted_returns, episodes_from_trajectories
from walker.ppo import PpoRun
from walker.rollout import Trajectories


def test_a_fall_ends_the_return_and_a_cut_off_episode_goes_on_at_its_tail_mean():
    ep = Episodes(obs=np.zeros((5, 2), np.float32), reward=np.array([1, 2, 3, 1, 3], np.float32),
                  episode=np.array([0, 0, 0, 1, 1], np.int32), fell=np.array([True, False]))
    g = discounted_returns(ep, discount=0.5, tail_window=2)
    np.testing.assert_allclose(g[:3], [1 + 0.5 * 2 + 0.25 * 3, 2 + 0.5 * 3, 3])  # fell: nothing after the last step
    tail = 2.0 / (1 - 0.5)  # mean of the last two rewards, forever
    np.testing.assert_allclose(g[3:], [1 + 0.5 * (3 + 0.5 * tail), 3 + 0.5 * tail])


def test_episodes_from_a_rollout_keep_each_episode_up_to_its_fall():
    t, n = 4, 2
    alive = np.array([[1, 1], [1, 1], [1, 0], [1, 0]], bool)
    fell = np.zeros((t, n), bool)
    fell[1, 1] = True
    obs = np.arange(t * n, dtype=np.float32).reshape(t, n, 1)
    traj = Trajectories(obs=obs, action=np.zeros((t, n, 3)), alive=alive, x=np.zeros((t + 1, n)), work=np.zeros((t, n)),
                        mass=np.ones(n), fell=fell, reward=np.arange(t * n, dtype=np.float32).reshape(t, n))
    ep = episodes_from_trajectories(traj)
    np.testing.assert_array_equal(ep.episode, [0, 0, 0, 0, 1, 1])
    np.testing.assert_array_equal(ep.obs[:, 0], [0, 2, 4, 6, 1, 3])
    np.testing.assert_array_equal(ep.fell, [False, True])
    both = concatenate([ep, ep])
    np.testing.assert_array_equal(both.episode[6:], [2, 2, 2, 2, 3, 3])


def critic_for(cfg, policy, **changes) -> CriticFile:
    sizes = (policy.obs_size, *cfg.value_hidden_sizes, 1)
    critic = CriticFile(weights=tuple(np.zeros((i, o), np.float32) for i, o in zip(sizes[:-1], sizes[1:])),
                        biases=tuple(np.zeros(o, np.float32) for o in sizes[1:]), activation=cfg.activation,
                        discounting=cfg.discounting, reward_scaling=cfg.reward_scaling, obs_mean=policy.obs_mean, obs_std=policy.obs_std)
    return dataclasses.replace(critic, **changes)


def test_ppo_refuses_a_critic_fitted_for_other_settings(params):
    from test_ppo import random_policy

    cfg = params.ppo
    policy = random_policy(3, sizes=(18, *cfg.policy_hidden_sizes, 3), activation=cfg.activation)
    PpoRun(cfg=cfg, seed=0, init=policy, num_timesteps=0, critic=critic_for(cfg, policy))  # fits
    with pytest.raises(ValueError, match=r"ppo.discounting is 0.99, the critic was fitted with 0.9"):
        PpoRun(cfg=cfg, seed=0, init=policy, num_timesteps=0, critic=critic_for(cfg, policy, discounting=0.9))
    with pytest.raises(ValueError, match="ppo.value_hidden_sizes"):
        PpoRun(cfg=dataclasses.replace(cfg, value_hidden_sizes=(32,)), seed=0, init=policy, num_timesteps=0, critic=critic_for(cfg, policy))
    with pytest.raises(ValueError, match="another clone's observation normaliser"):
        PpoRun(cfg=cfg, seed=0, init=policy, num_timesteps=0, critic=critic_for(cfg, policy, obs_mean=policy.obs_mean + 1))
    with pytest.raises(ValueError, match="from scratch starts with a fresh critic"):
        PpoRun(cfg=cfg, seed=0, init=None, num_timesteps=0, critic=critic_for(cfg, policy))


def test_brax_reads_the_critic_as_its_value_network(params, mjx_env):
    """Brax's value network with the critic's parameters gives the MLP's output on normalised observations."""
    import jax.numpy as jnp
    from brax.training.acme import running_statistics
    from test_ppo import random_policy

    from walker.activations import activation_fn
    from walker.brax_actor import normalizer_from_policy
    from walker.ppo import network_factory

    cfg = dataclasses.replace(params.ppo, value_hidden_sizes=(8, 8))
    policy = random_policy(3, sizes=(18, *cfg.policy_hidden_sizes, 3), activation=cfg.activation)
    rng = np.random.default_rng(2)
    critic = dataclasses.replace(critic_for(cfg, policy), weights=tuple(rng.normal(size=w.shape).astype(np.float32) * 0.3
                                                                         for w in critic_for(cfg, policy).weights))
    nets = network_factory(cfg)(18, 3, preprocess_observations_fn=running_statistics.normalize)
    obs = rng.normal(size=(16, 18)).astype(np.float32)
    brax_value = nets.value_network.apply(normalizer_from_policy(policy, 10), brax_value_params(critic), jnp.asarray(obs))
    x = (obs - policy.obs_mean) / policy.obs_std
    act = activation_fn(cfg.activation, np)
    for w, b in zip(critic.weights[:-1], critic.biases[:-1]):
        x = act(x @ w + b)
    np.testing.assert_allclose(np.asarray(brax_value), (x @ critic.weights[-1] + critic.biases[-1])[:, 0], rtol=1e-4, atol=1e-4)
