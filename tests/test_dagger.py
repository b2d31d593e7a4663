"""DAgger: the learner drives, the expert labels, and the training targets are the expert's actions."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from walker.dagger import expert_labelled_pairs, round_seed
from walker.rollout import Trajectories


def _trajectories(T: int = 5, n: int = 3) -> Trajectories:
    rng = np.random.default_rng(0)
    alive = np.ones((T, n), bool)
    alive[3:, 1] = False  # episode 1 fell at step 3
    return Trajectories(
        obs=rng.normal(size=(T, n, 18)).astype(np.float32),
        action=np.full((T, n, 3), 0.5, np.float32),        # the learner's own actions
        alive=alive,
        x=np.zeros((T + 1, n)), work=np.zeros((T, n)), mass=np.ones(n), fell=np.zeros((T, n), bool),
        label=rng.uniform(-1, 1, (T, n, 3)).astype(np.float32),  # the expert's
    )


def test_targets_are_the_labellers_actions_on_visited_states_only():
    traj = _trajectories()
    mean, std = np.zeros(18, np.float32), np.full(18, 2.0, np.float32)
    x, y = expert_labelled_pairs(traj, mean, std, action_limit=0.9)
    assert len(x) == len(y) == traj.alive.sum() == 15 - 2
    np.testing.assert_array_equal(y, np.clip(traj.label[traj.alive], -0.9, 0.9))
    np.testing.assert_array_equal(x, traj.obs[traj.alive] / 2.0)
    assert not np.any(np.all(y == 0.5, axis=1)), "a target equal to the learner's action"


def test_rollouts_without_a_labeller_are_refused():
    traj = _trajectories()
    from dataclasses import replace

    with pytest.raises(ValueError, match="labeller"):
        expert_labelled_pairs(replace(traj, label=None), np.zeros(18), np.ones(18), 0.9)


def test_round_seeds_differ_and_repeat():
    assert round_seed(0, 0) != round_seed(0, 1) and round_seed(0, 1) == round_seed(0, 1)


@pytest.mark.slow
def test_labels_in_a_real_rollout_come_from_the_fsm_not_the_learner(params, mjx_env, fixture_conditions):
    """A random learner drives the MJX walker; replaying the FSM (NumPy) on the states it visited gives the labels."""
    from walker.bc import init_mlp, to_policy_file
    from walker.passive.expert import fsm_policy
    from walker.passive.native import FsmController
    from walker.rollout import learned_policy, make_rollout, policy_arrays, run_rollouts

    steps = 25
    learner = to_policy_file(init_mlp((18, 8, 3), "tanh", jax.random.PRNGKey(3)), np.zeros(18, np.float32), np.ones(18, np.float32))
    rollout = make_rollout(mjx_env, learned_policy(learner), steps, labeller=fsm_policy(params.fsm, mjx_env))
    traj = run_rollouts(rollout, fixture_conditions, 11, batch=4, label="test dagger", params=policy_arrays(learner))
    for i in range(traj.obs.shape[1]):
        fsm = FsmController(params.fsm, mjx_env.geom)
        fsm.reset(traj.obs[0, i])
        replayed = np.array([fsm.act(traj.obs[t, i]) for t in range(steps)])
        np.testing.assert_allclose(traj.label[:, i], replayed, atol=1e-4)
    assert np.abs(traj.label - traj.action).max() > 0.1, "labels equal the learner's actions"
    _, y = expert_labelled_pairs(traj, np.zeros(18), np.ones(18), params.bc.action_limit)
    np.testing.assert_array_equal(y, np.clip(traj.label[traj.alive], -params.bc.action_limit, params.bc.action_limit))
