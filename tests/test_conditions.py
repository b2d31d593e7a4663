"""The conditions every body's episode runs under (walker.conditions): one rule for MJX and native MuJoCo."""

from __future__ import annotations

import jax
import numpy as np

from walker.conditions import CONDITION_KEYS, condition_native_model, conditioned_system, draw_conditions, nominal_of, push_force


def test_mjx_and_native_conditioning_agree_for_any_ids(params):
    """The same slope, friction and torso-mass rule on a System and on an MjModel, given a body's ids."""
    from brax.io import mjcf

    from walker.passive.model import floor_and_feet_geoms, load_mj_model

    model = load_mj_model(params.walker)
    sys = mjcf.load_model(model)
    torso, geoms = model.body("torso").id, floor_and_feet_geoms(model)
    mjx_sys = conditioned_system(sys, 13.0, 0.7, 1.15, torso=torso, friction_geoms=geoms)
    nominal = nominal_of(model)
    condition_native_model(model, nominal, 13.0, 0.7, 1.15, torso=torso, friction_geoms=geoms)
    np.testing.assert_allclose(np.asarray(mjx_sys.opt.gravity), model.opt.gravity, rtol=1e-5, atol=1e-5)
    for name in ("geom_friction", "body_mass", "body_inertia"):
        np.testing.assert_allclose(np.asarray(getattr(mjx_sys, name)), getattr(model, name), rtol=1e-6, err_msg=name)
    condition_native_model(model, nominal, params.walker.slope_deg, 1.0, 1.0, torso=torso, friction_geoms=geoms)
    np.testing.assert_array_equal(model.body_mass, nominal[1])  # back to nominal: nothing compounds


def test_draws_stay_in_the_box_and_fill_every_condition(params):
    rand = params.ppo.randomization
    drawn = jax.vmap(lambda k: draw_conditions(k, rand))(jax.random.split(jax.random.PRNGKey(0), 512))
    assert set(drawn) == set(CONDITION_KEYS.values())
    for name, key in CONDITION_KEYS.items():
        values = np.asarray(drawn[key])
        if name == "push_duration_s":
            assert np.all(values == np.float32(rand.push_duration_s))
            continue
        box = getattr(rand, name)
        assert box.low <= values.min() and values.max() <= box.high and values.std() > 0, name


def test_push_acts_only_inside_its_window():
    times = np.array([0.0, 0.99, 1.0, 1.05, 1.099, 1.1, 2.0])
    force = push_force(times, 3.0, 1.0, 0.1, np)
    np.testing.assert_allclose(force, [0.0, 0.0, 30.0, 30.0, 30.0, 0.0, 0.0])
