"""The FSM expert: pure, vmappable, the same in NumPy and JAX, and its phase logic."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from walker.passive import task
from walker.passive.fsm import fsm_init, fsm_step


def test_vmapped_jax_matches_numpy(fsm_trajectories, params, mjx_env):
    obs = fsm_trajectories.obs[:60, 0]  # a real sequence of observations, (60, 18)
    geom = mjx_env.geom
    np_state = fsm_init(obs[0], np)
    np_actions, np_states = [], []
    for o in obs:
        np_states.append(np_state)
        np_state, a = fsm_step(np_state, o, params.fsm, geom, np)
        np_actions.append(a)
    batched = jax.vmap(lambda s, o: fsm_step(s, o, params.fsm, geom, jnp))(jnp.asarray(np.array(np_states)), jnp.asarray(obs))
    np.testing.assert_array_equal(np.asarray(batched[0][:-1]), np.array(np_states)[1:])
    np.testing.assert_allclose(np.asarray(batched[1]), np.array(np_actions), atol=1e-6)


def test_phase_switches_alternate_legs(fsm_trajectories):
    prev = fsm_trajectories.obs[:, 0, task.OBS_PREV_ACTION][:, 0]  # hip command of the nominal episode
    # touchdowns flip the hip command's side of the stance leg; a walking gait has many
    hip_obs = fsm_trajectories.obs[:, 0, task.OBS_HIP]
    crossings = np.sum(np.diff(np.sign(hip_obs)) != 0)
    assert crossings >= 10
    assert np.all(np.abs(prev) <= 1.0)


def test_touchdown_swaps_roles_and_retracts_new_swing_knee(params, mjx_env):
    geom = mjx_env.geom
    obs = np.zeros(task.OBS_SIZE, np.float32)
    obs[task.OBS_PITCH] = 0.3  # left leg behind
    obs[task.OBS_HIP] = -0.6  # right leg at -0.3: it leads by 0.6 rad
    obs[task.OBS_FOOT_H[0]] = 0.0
    obs[task.OBS_FOOT_H[1]] = 0.0  # right foot on the ground
    state = np.array([0, 0, 0], np.int32)  # right leg swinging, knees extended
    new_state, action = fsm_step(state, obs, params.fsm, geom, np)
    assert new_state.tolist() == [1, 1, 0]  # left swings now, its knee retracts
    assert action[1] < 0 and action[2] == 0
    # a foot still in the air does not switch
    obs[task.OBS_FOOT_H[1]] = 0.2
    assert fsm_step(state, obs, params.fsm, geom, np)[0].tolist() == [0, 0, 0]


def test_swing_knee_extends_once_leg_leads(params, mjx_env):
    geom = mjx_env.geom
    obs = np.zeros(task.OBS_SIZE, np.float32)
    obs[task.OBS_FOOT_H[0]] = 0.1
    obs[task.OBS_PITCH] = 0.0
    state = np.array([1, 1, 0], np.int32)  # left swings with its knee retracted
    obs[task.OBS_HIP] = 0.1  # left leads by 0.1 rad: not yet
    assert fsm_step(state, obs, params.fsm, geom, np)[0][1] == 1
    obs[task.OBS_HIP] = params.fsm.extend_split + 0.05
    assert fsm_step(state, obs, params.fsm, geom, np)[0][1] == 0


def test_placement_grows_with_speed(params, mjx_env):
    geom = mjx_env.geom
    obs = np.zeros(task.OBS_SIZE, np.float32)
    obs[task.OBS_FOOT_H[0]] = obs[task.OBS_FOOT_H[1]] = 0.1
    state = np.array([1, 0, 0], np.int32)
    slow, fast = obs.copy(), obs.copy()
    slow[task.OBS_VX], fast[task.OBS_VX] = 1.0, 1.5
    hip_slow = fsm_step(state, slow, params.fsm, geom, np)[1][0]
    hip_fast = fsm_step(state, fast, params.fsm, geom, np)[1][0]
    assert hip_fast > hip_slow  # phase 1: a larger hip angle puts the left foot further ahead
