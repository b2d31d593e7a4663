"""Every body plugin (``walker/<body>/plugin.py``'s ``BODY``) through the same checks: the contract of
:class:`walker.plugin.Body` that the shared machinery relies on. A new body adds its plugin to :data:`test_dvc_deps.BODY_PLUGINS`."""

from __future__ import annotations

import importlib
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from test_dvc_deps import BODY_PLUGINS

from walker.conditions import CONDITION_KEYS

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module", params=BODY_PLUGINS, ids=lambda m: m.split(".")[1])
def body(request):
    return importlib.import_module(request.param).BODY


@pytest.fixture(scope="module")
def block(body):
    return body.load_block(REPO / body.params_file)


@pytest.fixture(scope="module")
def mjx_env(body, block):
    return body.mjx_env(block)


@pytest.fixture(scope="module")
def jit_reset(mjx_env):
    return jax.jit(mjx_env.reset)


def test_the_plugin_says_what_it_loads(body, block):
    assert block.model_file in body.data_files and all((REPO / f).is_file() for f in body.data_files)
    assert (REPO / body.model_module).is_file()
    assert body.block_key in __import__("yaml").safe_load((REPO / body.params_file).read_text())


def test_the_native_env_is_a_gymnasium_env_of_the_mjx_envs_sizes(body, block, mjx_env):
    env = body.native_env(block)
    try:
        check_env(env, skip_render_check=True)
        obs, _ = env.reset(seed=0)
        assert obs.shape == (mjx_env.observation_size,) and env.action_space.shape == (mjx_env.action_size,)
        env.model.camera(body.camera)  # raises KeyError if the videos' camera is missing
    finally:
        env.close()


def test_the_start_comes_from_the_key(jit_reset, mjx_env):
    a, b, c = (jit_reset(jax.random.PRNGKey(k)) for k in (0, 0, 1))
    np.testing.assert_array_equal(np.asarray(a.obs), np.asarray(b.obs))
    assert not np.array_equal(np.asarray(a.obs), np.asarray(c.obs))
    assert np.asarray(a.obs).shape == (mjx_env.observation_size,) and np.isfinite(np.asarray(a.obs)).all()
    qpos, qvel = mjx_env.start_state(jax.random.PRNGKey(0))  # eagerly: equal to the compiled reset's to float32 rounding
    np.testing.assert_allclose(np.asarray(qpos), np.asarray(a.pipeline_state.qpos), atol=1e-6)
    np.testing.assert_allclose(np.asarray(qvel), np.asarray(a.pipeline_state.qvel), atol=1e-6)


def test_the_torso_mass_scale_scales_the_torso_only_in_mjx_and_native(body, block, mjx_env, jit_reset):
    state = jit_reset(jax.random.PRNGKey(0))
    masses = np.asarray(mjx_env.sys.body_mass)
    torso = mjx_env.sys.mj_model.body(body.torso).id
    drawn = {name: state.info[key] for name, key in CONDITION_KEYS.items()}
    one = float(mjx_env.total_mass(mjx_env.set_conditions(state, {**drawn, "torso_mass_scale": jnp.float32(1.0)})))
    heavier = float(mjx_env.total_mass(mjx_env.set_conditions(state, {**drawn, "torso_mass_scale": jnp.float32(1.5)})))
    assert one == pytest.approx(masses.sum(), rel=1e-5)
    assert heavier - one == pytest.approx(0.5 * masses[torso], rel=1e-5)
    env = body.native_env(block)
    try:
        before = env.model.body_mass.copy()
        env.reset(seed=0, options={"torso_mass_scale": 1.5})
        assert np.flatnonzero(~np.isclose(env.model.body_mass, before)).tolist() == [torso]
        assert env.model.body_mass[torso] == pytest.approx(1.5 * before[torso])
    finally:
        env.close()
