"""The walker on Brax's own pipelines: the shape and determinism tests the MJX env passes, the push, and clear failures."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from walker.config import ConfigError
from walker.passive import task
from walker.passive.config import BRAX_PIPELINES


def backend_walker(params, backends, name: str):
    """``walker`` params for Brax pipeline ``name`` as stage ``backends`` sets them (its model, timestep and iterations)."""
    setting = backends.pipelines[name]
    return dataclasses.replace(
        params.walker, backend=name, model_file=backends.model_file, timestep=setting.timestep,
        solver_iterations=setting.solver_iterations,
    )


_BUILT: dict[str, tuple] = {}
"""each Brax pipeline's env with its jitted reset and step, built once per process: the tests below share their traces"""


def built_backend(params, backends, name: str) -> tuple:
    """(env, jitted reset, jitted step) of the walker on Brax pipeline ``name``."""
    if name not in _BUILT:
        from walker.passive.backends import make_env
        from walker.passive.system import build_system

        w = backend_walker(params, backends, name)
        env = make_env(build_system(w), w)
        _BUILT[name] = env, jax.jit(env.reset), jax.jit(env.step)
    return _BUILT[name]


# every test on a Brax pipeline's env is slow: it compiles that pipeline on the walker
@pytest.fixture(scope="module", params=[pytest.param(name, marks=pytest.mark.slow) for name in BRAX_PIPELINES])
def backend_env(request, params, backends_config):
    return built_backend(params, backends_config, request.param)


def test_reset_and_step_shapes_and_metrics(backend_env):
    env, reset, step = backend_env
    state = reset(jax.random.PRNGKey(0))
    assert state.obs.shape == (task.OBS_SIZE,)
    action = jnp.array([0.5, -0.2, 0.1])
    nxt = step(state, action)
    assert nxt.obs.shape == (task.OBS_SIZE,) and nxt.reward.shape == () and nxt.done.shape == ()
    total = sum(float(nxt.metrics[f"reward/{n}"]) for n in task.REWARD_TERMS)
    np.testing.assert_allclose(float(nxt.reward), total, rtol=1e-5)
    np.testing.assert_allclose(nxt.obs[task.OBS_PREV_ACTION], action, rtol=1e-6)
    assert float(nxt.metrics["positive_work"]) > 0.0  # the hip servo moves the leg
    assert float(nxt.metrics["x_position"]) == pytest.approx(float(nxt.pipeline_state.q[0]))
    assert float(nxt.info["time"]) == pytest.approx(env.cfg.control_dt)


def test_same_key_same_trajectory_other_key_another(backend_env):
    _, reset, step = backend_env

    def run(seed):
        state = reset(jax.random.PRNGKey(seed))
        for _ in range(5):
            state = step(state, jnp.array([0.3, 0.0, -0.5]))
        return np.asarray(state.obs)

    a, b, c = run(3), run(3), run(4)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_reset_starts_where_the_mjx_env_starts(backend_env, jit_env):
    _, reset, _ = backend_env
    key = jax.random.PRNGKey(5)
    np.testing.assert_allclose(reset(key).obs, jit_env[0](key).obs, atol=1e-5)


@pytest.mark.slow  # compiles Brax's generalized pipeline on the walker
def test_push_adds_the_expected_momentum(params, backends_config):
    """3 N s along the ramp over 0.1 s: the generalized walker gains about impulse / mass, as on MJX."""
    env, reset, step = built_backend(params, backends_config, "generalized")
    start = reset(jax.random.PRNGKey(2))
    conditions = {"slope_deg": 11.5, "friction_scale": 1.0, "torso_mass_scale": 1.0, "push_time_s": 0.04, "push_duration_s": 0.1}
    vx = []
    for impulse in (0.0, 3.0):
        state = env.set_conditions(start, {**conditions, "push_impulse_ns": impulse})
        for _ in range(8):  # 0.16 s: the window [0.04, 0.14] s
            state = step(state, jnp.zeros(task.ACTION_SIZE))
        vx.append(float(state.obs[task.OBS_VX]))
    gained = vx[1] - vx[0]
    assert 0.2 < gained < 0.6, (gained, 3.0 / float(env.total_mass(start)))


@pytest.mark.parametrize("name", BRAX_PIPELINES)
def test_the_mjx_model_fails_by_name_on_brax_pipelines(params, name):
    from walker.passive.system import build_system

    with pytest.raises(ConfigError) as err:
        build_system(dataclasses.replace(params.walker, backend=name))
    message = str(err.value)
    assert message.startswith(f"walker.backend: Brax's '{name}' pipeline cannot represent")
    for what in ("integrator is implicitfast", "stacks 3 joints", "'leg_left' is welded"):
        assert what in message


def test_make_env_gives_mjx_for_mjx(params, mjx_env):
    from walker.passive.backends import make_env
    from walker.passive.brax_env import BraxPipelineWalkerEnv

    env = make_env(mjx_env.sys, params.walker)
    assert env.backend == "mjx" and not isinstance(env, BraxPipelineWalkerEnv)
