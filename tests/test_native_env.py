"""The native MuJoCo gymnasium env, and its agreement with the MJX env."""

from __future__ import annotations

import gymnasium
import jax
import numpy as np
from gymnasium.utils.env_checker import check_env

import walker
from tests.conftest import native_fsm_rollout
from walker.passive import task


def test_gymnasium_make_and_check_env():
    env = gymnasium.make(walker.ENV_ID)
    try:
        check_env(env.unwrapped, skip_render_check=True)
        obs, _ = env.reset(seed=0)
        assert obs.shape == (task.OBS_SIZE,) and obs.dtype == np.float32
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert np.isfinite(obs).all() and np.isfinite(reward)
        assert {f"reward/{n}" for n in task.REWARD_TERMS} <= set(info)
    finally:
        env.close()


def test_native_fsm_walks_ten_seconds_without_nans(native_env, params):
    obs, x, fell = native_fsm_rollout(native_env, params, params.walker.episode_steps, seed=3)
    assert fell is None
    assert np.isfinite(obs).all()
    assert x[-1] - x[0] > 10.0


def test_native_same_seed_same_trajectory(native_env, params):
    a = native_fsm_rollout(native_env, params, 100, seed=11)[0]
    b = native_fsm_rollout(native_env, params, 100, seed=11)[0]
    c = native_fsm_rollout(native_env, params, 100, seed=12)[0]
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_native_forced_fall_terminates(native_env):
    native_env.reset(seed=0, options={"qpos": np.array([0, -0.7, 0, 0, 0.3, 0.0]), "qvel": np.zeros(6)})
    assert native_env.step(np.zeros(3))[2] is True
    native_env.reset(seed=0)
    assert native_env.step(np.zeros(3))[2] is False


def test_native_conditions_change_the_model(native_env, params):
    native_env.reset(seed=0, options={"slope_deg": 15.0, "friction_scale": 0.5, "torso_mass_scale": 1.2})
    m = native_env.model
    nominal_friction, nominal_mass, _ = native_env._nominal
    g = m.opt.gravity
    np.testing.assert_allclose(np.degrees(np.arctan2(g[0], -g[2])), 15.0, rtol=1e-6)
    assert m.geom("floor").friction[0] == 0.5 * nominal_friction[m.geom("floor").id, 0]
    torso = native_env.geom.torso_body
    np.testing.assert_allclose(m.body_mass[torso], 1.2 * nominal_mass[torso])
    native_env.reset(seed=0)  # nominal again
    np.testing.assert_allclose(np.degrees(np.arctan2(m.opt.gravity[0], -m.opt.gravity[2])), params.walker.slope_deg, rtol=1e-6)
    assert m.body_mass[torso] == nominal_mass[torso]


def test_fsm_agrees_between_mjx_and_native(jit_env, fsm_trajectories, native_env, params):
    """Same start, same FSM, 2 s: torso x, height and pitch agree.

    Tolerances: both envs use the same MJCF, timestep, integrator and solver
    settings, but MJX runs in float32 and its Newton solver and contact code
    are separate implementations, so the states differ by ~1e-6 per step;
    touchdowns (hybrid events) amplify that. We allow 2 cm in x and height and
    0.02 rad in pitch over 2 s (100 control steps, ~4 touchdowns): an order
    of magnitude above what we measure, and an order below what a real
    mismatch (a different slope, friction, gain or action scaling) produces.
    """
    from tests.conftest import ROLLOUT_SEED

    reset, _ = jit_env
    keys = jax.random.split(jax.random.PRNGKey(ROLLOUT_SEED), 4)
    start = reset(keys[0]).pipeline_state  # episode 0 of the fixture rollout: nominal conditions
    steps = 100
    obs, x, fell = native_fsm_rollout(
        native_env, params, steps, seed=0, options={"qpos": np.asarray(start.qpos), "qvel": np.asarray(start.qvel)}
    )
    assert fell is None
    mjx_obs = fsm_trajectories.obs[: steps + 1, 0]
    mjx_x = fsm_trajectories.x[: steps + 1, 0]
    np.testing.assert_allclose(x, mjx_x, atol=0.02)
    np.testing.assert_allclose(obs[:, task.OBS_HEIGHT], mjx_obs[:, task.OBS_HEIGHT], atol=0.02)
    np.testing.assert_allclose(obs[:, task.OBS_PITCH], mjx_obs[:, task.OBS_PITCH], atol=0.02)


def test_policy_file_drives_the_native_env(native_env):
    from tests.test_policy import random_policy
    from walker.passive.native import PolicyController, run_episode

    episode = run_episode(native_env, PolicyController(random_policy(sizes=(18, 16, 3))), 20, seed=0)
    assert episode.obs.shape[1] == 18 and len(episode.obs) == len(episode.x) == len(episode.work) + 1 > 1
    assert np.isfinite(episode.obs).all() and (episode.work >= 0).all()


def test_native_rollouts_replay_the_mjx_cases(mjx_env, fsm_trajectories, fixture_conditions, params):
    """The transfer check's plumbing: the same starts and conditions as the MJX rollout give the same outcomes,
    and splitting the episodes across worker processes changes nothing."""
    from tests.conftest import ROLLOUT_SEED
    from walker.passive.native import FsmController, native_rollouts
    from walker.protocol import episode_metrics
    from walker.rollout import start_states

    qpos, qvel = start_states(mjx_env, ROLLOUT_SEED, len(fixture_conditions))
    np.testing.assert_allclose(fsm_trajectories.x[0], qpos[:, 0], atol=1e-6)
    controller = FsmController(params.fsm, mjx_env.geom)
    steps = len(fsm_trajectories.alive)
    one = native_rollouts(params.walker, controller, fixture_conditions.as_array(), qpos, qvel, workers=1, steps=steps)
    two = native_rollouts(params.walker, controller, fixture_conditions.as_array(), qpos, qvel, workers=2, steps=steps)
    for field in ("obs", "alive", "fell", "x", "work", "mass"):
        np.testing.assert_array_equal(getattr(one, field), getattr(two, field))
    w, ev = params.walker, params.evaluate
    native = episode_metrics(one.obs, one.alive, one.fell, one.x, one.work, one.mass, w.control_dt, ev, mjx_env.foot_model)
    t = fsm_trajectories
    mjx = episode_metrics(t.obs, t.alive, t.fell, t.x, t.work, t.mass, w.control_dt, ev, mjx_env.foot_model)
    assert native.success.tolist() == mjx.success.tolist()
    # the nominal episode walks in both; a pushed or steep one can sit at a walking bound, where float32 and
    # float64 trajectories that have parted after a few touchdowns land on different sides (docs/protocol.md)
    assert native.walking[0] and mjx.walking[0]
    np.testing.assert_allclose(one.work[:, 0].sum(), t.work[:, 0].sum(), rtol=0.02)  # the same integrated work, nominal
    np.testing.assert_allclose(one.mass, t.mass, rtol=1e-5)
    # The nominal episode matches closely over the whole 10 s. On 14 deg the FSM keeps speeding up, touchdown
    # timing amplifies float32-vs-float64 differences, and distances drift apart (28 vs 33 m) though both walk.
    np.testing.assert_allclose(native.distance_m[0], mjx.distance_m[0], rtol=0.01)
    np.testing.assert_allclose(native.cost_of_transport[0], mjx.cost_of_transport[0], rtol=0.02)


def test_randomized_native_env_draws_a_new_condition_every_reset(params):
    """randomize=True (how the peer trains): every reset draws a condition from walker.randomization; options still win."""
    import pytest

    from walker.passive.native import PassiveWalkerNativeEnv

    env = PassiveWalkerNativeEnv(params.walker, randomize=True)
    env.reset(seed=0)
    slopes, pushes = set(), set()
    for _ in range(5):
        env.reset()
        g = env.model.opt.gravity
        slopes.add(round(float(np.degrees(np.arctan2(g[0], -g[2]))), 6))
        pushes.add(env._push[0])
    rand = params.walker.randomization
    assert len(slopes) == 5 and all(rand.slope_deg.low <= s <= rand.slope_deg.high for s in slopes)
    assert len(pushes) == 5 and all(rand.push_impulse_ns.low <= p <= rand.push_impulse_ns.high for p in pushes)
    env.reset(options={"slope_deg": 3.0})
    assert np.degrees(np.arctan2(env.model.opt.gravity[0], -env.model.opt.gravity[2])) == pytest.approx(3.0)
