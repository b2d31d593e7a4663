"""The Brax/MJX environment: shapes, determinism, termination, randomisation, pushes."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from walker.passive import task


def test_reset_and_step_shapes_and_metrics(jit_env):
    reset, step = jit_env
    state = reset(jax.random.PRNGKey(0))
    assert state.obs.shape == (task.OBS_SIZE,)
    nxt = step(state, jnp.zeros(task.ACTION_SIZE))
    assert nxt.obs.shape == (task.OBS_SIZE,)
    assert nxt.reward.shape == () and nxt.done.shape == ()
    for name in task.REWARD_TERMS:
        assert f"reward/{name}" in nxt.metrics
    total = sum(float(nxt.metrics[f"reward/{n}"]) for n in task.REWARD_TERMS)
    np.testing.assert_allclose(float(nxt.reward), total, rtol=1e-5)
    # the previous action is part of the next observation
    action = jnp.array([0.5, -0.2, 0.1])
    np.testing.assert_allclose(step(state, action).obs[task.OBS_PREV_ACTION], action, rtol=1e-6)


def test_forced_fall_terminates(jit_env):
    reset, step = jit_env
    state = reset(jax.random.PRNGKey(1))
    data = state.pipeline_state
    sunk = state.replace(pipeline_state=data.replace(qpos=data.qpos.at[1].set(-0.7)))  # hip at 0.6 m
    assert float(step(sunk, jnp.zeros(3)).done) == 1.0
    tilted = state.replace(pipeline_state=data.replace(qpos=data.qpos.at[2].set(1.3)))
    assert float(step(tilted, jnp.zeros(3)).done) == 1.0
    assert float(step(state, jnp.zeros(3)).done) == 0.0


def test_reset_noise_comes_from_the_key(jit_env):
    reset, _ = jit_env
    a, b, c = (reset(jax.random.PRNGKey(k)).obs for k in (3, 3, 4))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_long_fsm_rollout_has_no_nans_and_walks(fsm_trajectories):
    t = fsm_trajectories
    assert t.obs.shape == (500, 4, task.OBS_SIZE) and t.action.shape == (500, 4, 3)
    assert np.isfinite(t.obs).all() and np.isfinite(t.action).all()
    assert np.all(np.abs(t.action) <= 1.0)
    # the nominal episode walks the whole 10 s
    assert t.alive[:, 0].all()
    assert t.x[-1, 0] - t.x[0, 0] > 10.0


def test_same_key_same_trajectory(fsm_rollout, fixture_conditions, fsm_trajectories):
    from walker.rollout import run_rollouts
    from tests.conftest import ROLLOUT_SEED

    again = run_rollouts(fsm_rollout, fixture_conditions, ROLLOUT_SEED, batch=4, label="test")
    np.testing.assert_array_equal(again.obs, fsm_trajectories.obs)
    np.testing.assert_array_equal(again.x, fsm_trajectories.x)


def test_conditions_change_the_trajectory(fsm_trajectories):
    x = fsm_trajectories.x
    # episodes 1 (14 deg), 2 (pushed) and 3 (slippery) start like episode 0 but end elsewhere
    for i in (1, 2, 3):
        assert abs(x[-1, i] - x[-1, 0]) > 0.1, i


def test_push_adds_the_expected_momentum(fsm_trajectories, params):
    obs = fsm_trajectories.obs
    dt = params.walker.control_dt
    before, after = int(round(1.0 / dt)), int(round(1.1 / dt)) + 1  # push from 1.0 s for 0.1 s
    gained = (obs[after, 2, task.OBS_VX] - obs[before, 2, task.OBS_VX]) - (
        obs[after, 0, task.OBS_VX] - obs[before, 0, task.OBS_VX]
    )
    total_mass = fsm_trajectories.mass[2]
    # 3 N s on ~7.3 kg is ~0.41 m/s; the legs and ground contact take part of it
    assert 0.2 < gained < 0.6, (gained, 3.0 / total_mass)


def test_condition_system_changes_only_what_it_claims(mjx_env):
    from walker.passive.env import condition_system
    from walker.passive.model import floor_and_feet_geoms

    sys = mjx_env.sys
    sys_v, in_axes = condition_system(sys, jnp.array([8.0, 15.0]), jnp.array([0.5, 1.5]), jnp.array([0.8, 1.2]))
    g = np.asarray(sys_v.opt.gravity)
    np.testing.assert_allclose(np.degrees(np.arctan2(g[:, 0], -g[:, 2])), [8.0, 15.0], rtol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(g, axis=1), np.linalg.norm(sys.opt.gravity), rtol=1e-6)
    geoms = floor_and_feet_geoms(sys.mj_model)
    friction = np.asarray(sys_v.geom_friction)
    np.testing.assert_allclose(friction[:, geoms, 0], np.asarray(sys.geom_friction)[geoms, 0][None] * [[0.5], [1.5]], rtol=1e-6)
    others = np.setdiff1d(np.arange(sys.ngeom), geoms)
    np.testing.assert_array_equal(friction[:, others], np.broadcast_to(np.asarray(sys.geom_friction)[others], (2, len(others), 3)))
    mass = np.asarray(sys_v.body_mass)
    torso = mjx_env.geom.torso_body
    np.testing.assert_allclose(mass[:, torso], np.asarray(sys.body_mass)[torso] * np.array([0.8, 1.2]), rtol=1e-6)
    legs = np.delete(mass, torso, axis=1)
    np.testing.assert_array_equal(legs, np.broadcast_to(np.delete(np.asarray(sys.body_mass), torso), legs.shape))
    assert in_axes.body_mass == 0 and in_axes.opt.gravity == 0 and in_axes.dof_damping is None


def test_torso_mass_factor_scales_the_torso_and_no_leg(mjx_env, native_env):
    """The left thigh has its own (welded) body: x1.2 on the torso is 5 kg -> 6 kg, and both legs keep 1.1 kg, in MJX
    and in native MuJoCo."""
    from walker.passive.env import condition_system

    names = [mjx_env.sys.mj_model.body(i).name for i in range(mjx_env.sys.nbody)]
    sys_v, _ = condition_system(mjx_env.sys, jnp.array([11.5]), jnp.array([1.0]), jnp.array([1.2]))
    mjx_mass = dict(zip(names, np.asarray(sys_v.body_mass)[0]))
    native_env.reset(seed=0, options={"torso_mass_scale": 1.2})
    native_mass = {name: native_env.model.body(name).mass[0] for name in names}
    for mass in (mjx_mass, native_mass):
        assert mass["torso"] == pytest.approx(6.0)
        assert mass["leg_left"] + mass["foot_left"] == pytest.approx(1.1)
        assert mass["leg_right"] + mass["foot_right"] == pytest.approx(1.1)
    native_env.reset(seed=0)


def test_positive_work_is_integrated_over_every_substep(mjx_env, jit_env):
    """The env's positive_work equals the positive actuator power summed over its 4 physics substeps times the
    timestep, computed by stepping MJX by hand from the same state with the same controls."""
    from mujoco import mjx

    from walker.passive import task

    reset, step = jit_env
    state = reset(jax.random.PRNGKey(0))
    action = jnp.array([0.8, -0.5, 0.3])
    nxt = step(state, action)
    d = state.pipeline_state.replace(ctrl=task.action_to_ctrl(action, mjx_env.geom, jnp))
    work = 0.0
    for _ in range(mjx_env.cfg.n_substeps):
        d = jax.jit(mjx.step)(mjx_env.sys, d)
        work += float(np.maximum(np.asarray(d.actuator_force) * np.asarray(d.actuator_velocity), 0).sum()) * mjx_env.cfg.timestep
    assert work > 0
    assert float(nxt.metrics["positive_work"]) == pytest.approx(work, rel=1e-4)


def test_positive_power_counts_only_what_motors_supply():
    from walker.passive.task import positive_power

    assert positive_power(np.array([2.0, -3.0, 4.0]), np.array([1.5, 1.0, -1.0]), np) == pytest.approx(3.0)


def test_randomization_fn_draws_within_ranges(mjx_env, params):
    from walker.passive.env import randomization_fn

    rand = params.walker.randomization
    sys_v, _ = randomization_fn(mjx_env.sys, jax.random.split(jax.random.PRNGKey(0), 64), rand)
    g = np.asarray(sys_v.opt.gravity)
    slope = np.degrees(np.arctan2(g[:, 0], -g[:, 2]))
    assert rand.slope_deg.low - 1e-4 <= slope.min() and slope.max() <= rand.slope_deg.high + 1e-4
    assert slope.std() > 0.5
    scale = np.asarray(sys_v.body_mass)[:, mjx_env.geom.torso_body] / float(mjx_env.sys.body_mass[mjx_env.geom.torso_body])
    assert rand.torso_mass_scale.low - 1e-6 <= scale.min() and scale.max() <= rand.torso_mass_scale.high + 1e-6
    assert len(np.unique(scale)) == 64


def test_brax_training_wrapper_accepts_the_randomization_fn(mjx_env, params):
    """Brax's own training wrapper (used by PPO) runs the env with per-env randomised systems."""
    import functools

    from brax.envs.wrappers import training

    from walker.passive.env import randomization_fn

    n = 3
    rand_fn = functools.partial(
        randomization_fn, rng=jax.random.split(jax.random.PRNGKey(2), n), rand=params.walker.randomization
    )
    env = training.wrap(mjx_env, episode_length=params.walker.episode_steps, randomization_fn=rand_fn)
    state = jax.jit(env.reset)(jax.random.split(jax.random.PRNGKey(0), n))
    state = jax.jit(env.step)(state, jnp.zeros((n, task.ACTION_SIZE)))
    assert state.obs.shape == (n, task.OBS_SIZE)
    assert np.isfinite(np.asarray(state.obs)).all()
    # different gravity per env -> different accelerations after one step
    assert len(np.unique(np.round(np.asarray(state.obs[:, task.OBS_VX]), 6))) == n
