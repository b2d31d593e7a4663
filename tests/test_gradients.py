"""Gradients through the physics: the finite-difference VJP against autodiff, finiteness in contact, the estimators' maths."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from walker.gradients import (
    STATE_SIZE,
    cosine,
    distance_objective,
    finite_difference_step,
    parameter_directions,
    relative_spread,
    zeroth_order_gradient,
)

FD_TOLERANCE = 0.02
"""Relative error allowed between the finite-difference VJP and forward-mode autodiff where nothing touches the floor:
central differences at step 1e-3 in float32 carry rounding of about 1e-7 / 1e-3 = 1e-4 per physics step, amplified over
the 12 steps of the horizon; 2 % leaves room for that and no room for a wrong Jacobian (a transposed or missing block
is off by order one)."""


@pytest.fixture(scope="module")
def clone(params):
    """A small deterministic policy with the walker's observation and action sizes (the gradient maths needs no trained one)."""
    from walker.policy import PolicyFile

    rng = np.random.default_rng(0)
    sizes = (18, 16, 3)
    return PolicyFile(
        obs_mean=np.zeros(18, np.float32), obs_std=np.ones(18, np.float32),
        weights=tuple((rng.standard_normal((a, b)) * 0.3).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:])),
        biases=tuple(np.zeros(b, np.float32) for b in sizes[1:]), activation="tanh", squash="tanh",
    )


@pytest.fixture(scope="module")
def gradient_pair(mjx_env, clone, params, apg_params):
    """Forward-mode autodiff and the finite-difference VJP of the 3-control-step distance, as functions of the start."""
    from walker.passive.env import PassiveWalkerEnv

    directions = parameter_directions(clone, 4, seed=0)
    zero = jnp.zeros(directions.shape[0] + STATE_SIZE)
    autodiff = jax.jit(lambda q, v: jax.jacfwd(distance_objective(mjx_env, clone, directions, 3))(zero, q, v))
    fd_env = PassiveWalkerEnv(mjx_env.sys, mjx_env.cfg, physics_step=finite_difference_step(apg_params.gradients.fd_step))
    fd = jax.jit(lambda q, v: jax.grad(distance_objective(fd_env, clone, directions, 3))(zero, q, v))
    return autodiff, fd


@pytest.mark.slow
def test_finite_difference_vjp_matches_autodiff_without_contact(gradient_pair, mjx_env):
    autodiff, fd = gradient_pair
    qpos, qvel = mjx_env.start_state(jax.random.PRNGKey(1))
    qpos = qpos.at[1].add(0.5)  # half a metre up: no foot reaches the ramp within 3 control steps
    a, f = np.asarray(autodiff(qpos, qvel)), np.asarray(fd(qpos, qvel))
    assert np.all(np.isfinite(a)) and np.linalg.norm(a) > 1e-3
    assert np.linalg.norm(f - a) / np.linalg.norm(a) < FD_TOLERANCE, (a, f)


@pytest.mark.slow
def test_both_are_finite_in_contact(gradient_pair, mjx_env):
    autodiff, fd = gradient_pair
    qpos, qvel = mjx_env.start_state(jax.random.PRNGKey(1))  # standing on the ramp, one foot in contact
    a, f = np.asarray(autodiff(qpos, qvel)), np.asarray(fd(qpos, qvel))
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(f))
    assert np.linalg.norm(a) > 0 and np.linalg.norm(f) > 0


@pytest.mark.slow
def test_finite_difference_step_is_mjx_step_forward(mjx_env, jit_env, apg_params):
    from mujoco import mjx

    data = jit_env[0](jax.random.PRNGKey(2)).pipeline_state
    step = finite_difference_step(apg_params.gradients.fd_step)
    np.testing.assert_array_equal(step(mjx_env.sys, data).qpos, mjx.step(mjx_env.sys, data).qpos)


def test_zeroth_order_recovers_a_known_gradient():
    target = jnp.array([1.0, -2.0, 0.5])

    def objective(z, a, b):
        return jnp.dot(target, z) + 0.5 * jnp.sum(z**2) + a + b

    g = zeroth_order_gradient(objective, 3, samples=4000, sigma=0.01)(jax.random.PRNGKey(0), 0.0, 0.0)
    np.testing.assert_allclose(g, target, atol=0.1)  # antithetic pairs cancel the quadratic term exactly
    assert cosine(np.asarray(g), np.asarray(target)) > 0.99


def test_cosine_and_spread():
    assert cosine(np.array([1.0, 0.0]), np.array([2.0, 0.0])) == pytest.approx(1.0)
    assert cosine(np.array([1.0, 0.0]), np.array([0.0, 3.0])) == pytest.approx(0.0)
    assert np.isnan(cosine(np.array([np.nan, 1.0]), np.array([1.0, 1.0])))
    assert relative_spread(np.array([[1.0, 0.0], [1.0, 0.0]])) == pytest.approx(0.0)
    assert relative_spread(np.array([[2.0, 0.0], [0.0, 0.0]])) == pytest.approx(1.0)  # RMS distance 1 from mean (1, 0)
    assert np.isnan(relative_spread(np.array([[np.inf, 0.0], [1.0, 0.0]])))


def test_parameter_directions_are_orthonormal(clone):
    d = parameter_directions(clone, 5, seed=3)
    np.testing.assert_allclose(d @ d.T, np.eye(5), atol=1e-5)
    np.testing.assert_array_equal(d, parameter_directions(clone, 5, seed=3))
