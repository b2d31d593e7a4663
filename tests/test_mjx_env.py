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


@pytest.mark.parametrize("xp", [np, jnp], ids=["numpy", "jax"])
def test_the_flight_term_counts_steps_with_no_foot_on_the_ramp(params, mjx_env, xp):
    import dataclasses

    cfg = params.walker
    grounded = dataclasses.replace(cfg, reward=dataclasses.replace(cfg.reward, preset="walk_grounded"))
    running = dataclasses.replace(cfg, reward=dataclasses.replace(cfg.reward, preset="walk"))
    weight = grounded.reward.weights.flight
    assert weight > 0 and running.reward.weights.flight == 0  # the race's preset charges flight, the old one did not
    obs = np.zeros(task.OBS_SIZE, np.float32)
    obs[task.OBS_HEIGHT] = 1.2
    for left, right, expected in ((0.0, 0.1, 0.0), (0.1, -0.002, 0.0), (0.01, 0.02, -1.0)):
        obs[task.OBS_FOOT_H[0]], obs[task.OBS_FOOT_H[1]] = left, right
        terms = task.reward_terms(xp.asarray(obs), xp.zeros(3), grounded, mjx_env.geom, xp)
        assert float(terms["flight"]) == expected, (left, right)
        assert float(task.weighted_terms(terms, grounded.reward.weights)["flight"]) == weight * expected


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
    from tests.conftest import ROLLOUT_SEED
    from walker.rollout import run_rollouts

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


def test_conditioned_system_changes_only_what_it_claims(mjx_env):
    from walker.passive.env import conditioned_system
    from walker.passive.model import floor_and_feet_geoms

    sys = mjx_env.sys
    sys_v = jax.vmap(conditioned_system, in_axes=(None, 0, 0, 0))(sys, jnp.array([8.0, 15.0]), jnp.array([0.5, 1.5]), jnp.array([0.8, 1.2]))
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


def test_torso_mass_factor_scales_the_torso_and_no_leg(mjx_env, native_env):
    """The left thigh has its own (welded) body: x1.2 on the torso is 5 kg -> 6 kg, and both legs keep 1.1 kg, in MJX
    and in native MuJoCo."""
    from walker.passive.env import conditioned_system

    names = [mjx_env.sys.mj_model.body(i).name for i in range(mjx_env.sys.nbody)]
    mjx_mass = dict(zip(names, np.asarray(conditioned_system(mjx_env.sys, 11.5, 1.0, 1.2).body_mass)))
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
    sys = mjx_env.conditioned_system(state.info)  # the episode's slope, friction and mass
    work = 0.0
    for _ in range(mjx_env.cfg.n_substeps):
        d = jax.jit(mjx.step)(sys, d)
        work += float(np.maximum(np.asarray(d.actuator_force) * np.asarray(d.actuator_velocity), 0).sum()) * mjx_env.cfg.timestep
    assert work > 0
    assert float(nxt.metrics["positive_work"]) == pytest.approx(work, rel=1e-4)


def test_positive_power_counts_only_what_motors_supply():
    from walker.passive.task import positive_power

    assert positive_power(np.array([2.0, -3.0, 4.0]), np.array([1.5, 1.0, -1.0]), np) == pytest.approx(3.0)


def test_reset_draws_condition_and_push_within_ranges(mjx_env, params):
    rand = params.walker.randomization
    info = jax.jit(jax.vmap(mjx_env.reset))(jax.random.split(jax.random.PRNGKey(0), 64)).info
    for key, interval in (("slope_deg", rand.slope_deg), ("friction_scale", rand.friction_scale),
                          ("torso_mass_scale", rand.torso_mass_scale), ("push_impulse", rand.push_impulse_ns),
                          ("push_time", rand.push_time_s)):
        values = np.asarray(info[key])
        assert interval.low - 1e-5 <= values.min() and values.max() <= interval.high + 1e-5, key
        assert len(np.unique(values)) == 64, key


@pytest.mark.slow
def test_every_training_episode_is_a_fresh_draw(mjx_env, params):
    """Under the training wrappers (what Brax PPO runs), an env whose episode ended starts the next one from a new
    start state, push and condition; one that did not keeps its own."""
    from walker.autoreset import wrap_for_training

    env = wrap_for_training(mjx_env, episode_length=3)
    n = 2
    state = jax.jit(env.reset)(jax.random.split(jax.random.PRNGKey(0), n))
    step = jax.jit(env.step)
    keys = ("slope_deg", "friction_scale", "torso_mass_scale", "push_impulse", "push_time")
    episodes = []
    for episode in range(3):
        start = (np.asarray(state.pipeline_state.qpos).copy(), {k: np.asarray(state.info[k]).copy() for k in keys})
        for _ in range(3):
            state = step(state, jnp.zeros((n, task.ACTION_SIZE)))
            if _ < 2:  # the same episode: nothing it runs under changes
                for k in keys:
                    np.testing.assert_array_equal(np.asarray(state.info[k]), start[1][k])
        assert np.asarray(state.done).tolist() == [1.0, 1.0]  # the episode length ends both
        episodes.append(start)
    for (q0, c0), (q1, c1) in zip(episodes, episodes[1:]):
        assert np.all(np.abs(q1 - q0).max(axis=1) > 1e-4)  # new start state in each env
        for k in keys:
            assert np.all(c1[k] != c0[k]), k  # new push and condition in each env
    # the next episode is not the first one again (Brax's own auto-reset would bring it back)
    assert np.all(episodes[2][1]["slope_deg"] != episodes[0][1]["slope_deg"])
    # the reset states are the env's own resets (start state from the key), observed at time 0
    assert float(np.asarray(state.pipeline_state.time).max()) == 0.0
    assert not np.any(np.asarray(state.info["steps"]) > 3)


def test_set_conditions_overrides_what_reset_drew(jit_env, mjx_env):
    from walker.passive.env import CONDITION_KEYS, set_conditions

    reset, step = jit_env
    state = reset(jax.random.PRNGKey(0))
    values = dict(zip(CONDITION_KEYS, (14.0, 0.7, 1.1, 2.5, 3.0, 0.1)))
    changed = set_conditions(state, values)
    for name, key in CONDITION_KEYS.items():
        assert float(changed.info[key]) == pytest.approx(values[name])
    with pytest.raises(KeyError, match="push_time_s"):
        set_conditions(state, {k: v for k, v in values.items() if k != "push_time_s"})
    # the slope reaches the physics: a steeper ramp accelerates the same start differently
    flat = set_conditions(state, {**values, "slope_deg": 2.0})
    assert not np.allclose(step(changed, jnp.zeros(3)).obs, step(flat, jnp.zeros(3)).obs)
