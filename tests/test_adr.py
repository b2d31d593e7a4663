"""Automatic domain randomisation: the range update rule, the boundary episodes, and ranges that reach the compiled env."""

from __future__ import annotations

import numpy as np
import pytest

from walker.adr import (
    ADR_FACTORS,
    RANGES_KEY,
    SIDES,
    adr_wrap_env_fn,
    as_record,
    boundary_conditions,
    boundary_success,
    from_record,
    nominal_factors,
    ranges_updater,
    update_ranges,
)

START = np.array([[8.0, 15.0], [-3.0, 3.0], [0.6, 1.2], [0.8, 1.2]])
LIMITS = np.array([[4.0, 20.0], [-15.0, 15.0], [0.4, 1.4], [0.6, 1.4]])
STEP = np.array([1.0, 1.5, 0.05, 0.05])


def _update(ranges, success):
    return update_ranges(ranges, np.asarray(success, float), START, LIMITS, STEP, upper=0.8, lower=0.5)


def test_a_boundary_widens_at_or_above_the_upper_threshold():
    success = np.full((4, 2), 0.6)  # between the thresholds: hold
    success[0] = [0.8, 1.0]  # slope: both ends widen
    success[1, 1] = 0.95  # push: only the high end
    new = _update(START, success)
    np.testing.assert_allclose(new[0], [7.0, 16.0])
    np.testing.assert_allclose(new[1], [-3.0, 4.5])
    np.testing.assert_allclose(new[2:], START[2:])


def test_a_boundary_narrows_below_the_lower_threshold_but_never_inside_the_start():
    wide = np.array([[6.0, 18.0], [-9.0, 9.0], [0.5, 1.3], [0.8, 1.2]])
    success = np.array([[0.2, 0.49], [0.5, 0.7], [0.0, 0.0], [0.0, 0.0]])
    new = _update(wide, success)
    np.testing.assert_allclose(new[0], [7.0, 17.0])  # inward by one step
    np.testing.assert_allclose(new[1], [-9.0, 9.0])  # 0.5 is not below the lower threshold: hold
    np.testing.assert_allclose(new[2], [0.55, 1.25])
    np.testing.assert_allclose(new[3], START[3])  # already at the start box: stays there


def test_widening_stops_at_the_hard_limits():
    near = np.array([[4.5, 19.5], [-15.0, 14.0], [0.4, 1.4], [0.62, 1.38]])
    new = _update(near, np.ones((4, 2)))
    np.testing.assert_allclose(new, LIMITS)


def test_an_unmeasured_boundary_holds():
    success = np.full((4, 2), np.nan)
    np.testing.assert_allclose(_update(START, success), START)


def test_boundary_episodes_pin_one_factor_and_draw_the_rest_from_the_ranges(params):
    ranges = np.array([[6.0, 17.0], [-6.0, 4.5], [0.5, 1.3], [0.7, 1.25]])
    cases = 5
    c = boundary_conditions(ranges, cases, np.random.default_rng(0), params.ppo.randomization)
    assert len(c) == len(ADR_FACTORS) * len(SIDES) * cases
    columns = {f: getattr(c, f) for f in ADR_FACTORS}
    for i, f in enumerate(ADR_FACTORS):
        for j in range(2):
            block = slice((2 * i + j) * cases, (2 * i + j + 1) * cases)
            np.testing.assert_allclose(columns[f][block], ranges[i, j], rtol=1e-6)
            for k, other in enumerate(ADR_FACTORS):
                assert np.all((columns[other][block] >= ranges[k, 0] - 1e-6) & (columns[other][block] <= ranges[k, 1] + 1e-6))
    walking = np.zeros(len(c))
    walking[:cases] = 1.0  # every slope-low episode walks
    walking[3 * cases:3 * cases + 2] = 1.0  # two of push-high's
    success = boundary_success(walking, cases)
    assert success[0, 0] == 1.0 and success[1, 1] == pytest.approx(0.4) and success.sum() == pytest.approx(1.4)


def test_nominal_boundary_episodes_hold_every_other_factor_nominal(params):
    ranges = np.array([[6.0, 17.0], [-6.0, 4.5], [0.5, 1.3], [0.7, 1.25]])
    cases = 3
    nominal = nominal_factors(params.walker.slope_deg)
    assert nominal.tolist() == pytest.approx([params.walker.slope_deg, 0.0, 1.0, 1.0])
    c = boundary_conditions(ranges, cases, np.random.default_rng(0), params.ppo.randomization, "nominal", nominal)
    columns = {f: getattr(c, f) for f in ADR_FACTORS}
    for i, f in enumerate(ADR_FACTORS):
        for j in range(2):
            block = slice((2 * i + j) * cases, (2 * i + j + 1) * cases)
            np.testing.assert_allclose(columns[f][block], ranges[i, j], rtol=1e-6)  # the boundary under test
            for k, other in enumerate(ADR_FACTORS):
                if k != i:
                    np.testing.assert_allclose(columns[other][block], nominal[k], rtol=1e-6)  # everything else nominal
    # "wide" draws the same episodes as before the option existed: the same generator calls in the same order
    wide = boundary_conditions(ranges, cases, np.random.default_rng(0), params.ppo.randomization)
    again = boundary_conditions(ranges, cases, np.random.default_rng(0), params.ppo.randomization, "wide", nominal)
    for f in (*ADR_FACTORS, "push_time_s"):
        np.testing.assert_array_equal(getattr(wide, f), getattr(again, f))
    with pytest.raises(ValueError, match="nominal value"):
        boundary_conditions(ranges, cases, np.random.default_rng(0), params.ppo.randomization, "nominal")
    with pytest.raises(ValueError, match="'wide' or 'nominal'"):
        boundary_conditions(ranges, cases, np.random.default_rng(0), params.ppo.randomization, "middle", nominal)


def test_records_round_trip():
    assert set(as_record(START)) == {f"{f}_{s}" for f in ADR_FACTORS for s in SIDES}
    np.testing.assert_array_equal(from_record(as_record(START, "x/"), "x/"), START)


@pytest.mark.slow
def test_training_episodes_draw_from_the_ranges_in_the_env_state_without_recompiling(mjx_env, params):
    import jax
    import jax.numpy as jnp

    rand = params.ppo.randomization
    wrap = adr_wrap_env_fn(mjx_env, START, (rand.push_time_s.low, rand.push_time_s.high), rand.push_duration_s)
    env = wrap(mjx_env, episode_length=1)  # every step ends its episode: the next state is a new episode's
    reset, step = jax.jit(env.reset), jax.jit(env.step)
    keys = jax.random.split(jax.random.PRNGKey(0), 64)
    names = {"slope_deg": "slope_deg", "push_impulse_ns": "push_impulse", "friction_scale": "friction_scale", "torso_mass_scale": "torso_mass_scale"}

    def drawn(state):
        return np.stack([np.asarray(state.info[names[f]]) for f in ADR_FACTORS])  # (F, 64)

    state = reset(keys)
    first = drawn(state)
    assert np.all((first >= START[:, :1] - 1e-5) & (first <= START[:, 1:] + 1e-5))
    assert np.all(first.std(axis=1) > 0)  # spread over the ranges, not one value
    pinned = np.array([[17.0, 17.0], [-9.0, -9.0], [0.45, 0.45], [1.3, 1.3]])
    ranges = [pinned]
    state = step(ranges_updater(lambda: ranges[0])(state), jnp.zeros((64, env.action_size)))
    np.testing.assert_allclose(drawn(state), np.repeat(pinned[:, :1], 64, axis=1), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(state.info[RANGES_KEY]), np.broadcast_to(pinned, (64, 4, 2)), rtol=1e-6)
    state = step(ranges_updater(lambda: ranges[0])(state), jnp.zeros((64, env.action_size)))
    compiled = step._cache_size()  # (the first call's state came from reset, with other weak types than a step's)
    ranges[0] = START
    state = step(ranges_updater(lambda: ranges[0])(state), jnp.zeros((64, env.action_size)))
    again = drawn(state)
    assert np.all((again >= START[:, :1] - 1e-5) & (again <= START[:, 1:] + 1e-5)) and np.all(again.std(axis=1) > 0)
    assert step._cache_size() == compiled  # the new ranges came in as data
