"""Brax SAC on our env (walker.sac): the demonstrations in the replay buffer, seeding from the clone, the step grid."""

from __future__ import annotations

import dataclasses

import jax
import numpy as np
import pytest

from tests.test_policy import random_policy
from walker.config import ConfigError
from walker.demos import dataset_from_rollouts
from walker.passive import task
from walker.policy import apply
from walker.sac import DemoMixedQueue, SacRun, demo_transitions, train


@pytest.fixture(scope="module")
def demos(fsm_trajectories, fixture_conditions):
    keep = ~np.asarray(fsm_trajectories.fell, bool).any(axis=0)
    return dataset_from_rollouts(fsm_trajectories, keep, fixture_conditions)


@pytest.fixture(scope="module")
def tiny_sac(params):
    return dataclasses.replace(params.sac, num_envs=4, batch_size=8, grad_updates_per_step=2, q_hidden_sizes=(16,), devices=1,
                               variant_overrides=None)


def test_demo_transitions_carry_the_envs_reward_for_their_step(demos, params, mjx_env):
    """Each buffered demo transition's reward is the env's reward for that step: its terms recomputed from the
    transition's next observation and action (what the env's step computes them from) sum to it."""
    tr = demo_transitions(demos)
    assert len(tr.reward) == len(demos.reward) - len(np.unique(demos.episode))  # every step but each episode's last
    rows = np.random.default_rng(0).choice(len(tr.reward), 64, replace=False)
    for i in rows:
        terms = task.weighted_terms(task.reward_terms(tr.next_observation[i], tr.action[i], params.walker, mjx_env.geom, np), params.walker.reward.weights)
        np.testing.assert_allclose(sum(terms.values()), tr.reward[i], rtol=1e-5, atol=1e-5)
    same = demos.episode[1:] == demos.episode[:-1]
    np.testing.assert_array_equal(tr.next_observation, demos.obs[1:][same])
    assert (tr.discount == 1).all() and (tr.extras["state_extras"]["truncation"] == 0).all()


def test_the_mixed_queue_keeps_the_demos_and_samples_both_halves(demos):
    tr = demo_transitions(demos)
    dummy = jax.tree.map(lambda x: x[0], tr)
    queue = DemoMixedQueue(64, dummy, 16, demos=tr, demo_fraction=0.5)
    state = queue.init(jax.random.PRNGKey(0))
    assert int(queue.size(state)) == 0 and queue.demo_count == len(tr.reward)
    online = jax.tree.map(lambda x: np.full_like(x[:8], -7.0), tr)  # marked rows
    state = queue.insert(state, online)
    assert int(queue.size(state)) == 8
    state, batch = queue.sample(state)
    obs = np.asarray(batch.observation)
    from_online = (obs == -7.0).all(axis=1)
    assert (from_online.reshape(4, 4).sum(axis=1) == 2).all()  # half and half in every quarter: Brax cuts a sample into batches
    demo_obs = {row.tobytes() for row in tr.observation}
    assert all(row.tobytes() in demo_obs for row in obs[~from_online])


@pytest.mark.slow
def test_sac_is_scored_on_the_grid_and_a_seeded_run_starts_as_the_clone(mjx_env, tiny_sac, demos):
    clone = random_policy(3, sizes=(18, *tiny_sac.policy_hidden_sizes, 3), activation=tiny_sac.activation)
    seen: dict[int, object] = {}
    run = SacRun(cfg=tiny_sac, seed=0, num_timesteps=16, eval_every_steps=8, init=clone, demos=demo_transitions(demos))
    policy, steps = train(mjx_env, run, lambda step, p: seen.setdefault(step, p))
    assert sorted(seen) == [0, 8, 16] and steps == 16
    obs = np.asarray(demos.obs[:32])
    np.testing.assert_allclose(apply(seen[0], obs, np), apply(clone, obs, np), atol=1e-6)  # the clone, before any update
    assert not np.allclose(apply(policy, obs, np), apply(clone, obs, np), atol=1e-6)  # then trained


def test_sac_refuses_a_grid_its_envs_do_not_divide(tiny_sac):
    with pytest.raises(ConfigError, match="sac.num_envs"):
        SacRun(cfg=dataclasses.replace(tiny_sac, num_envs=3), seed=0, num_timesteps=16, eval_every_steps=8)
