"""Shared fixtures: the compiled MJX env and one batched FSM rollout are built once per session."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    """The numerics of the pipeline's entry points (walker.numerics): the ISA pin and the LAPACK-free linear algebra;
    and their persistent compilation cache (``$WALKER_JAX_CACHE`` or ``~/.cache/walker/jax``), so a rerun of the
    suite loads what an earlier one compiled. Cold and warm caches give the same bits
    (``tests/test_runtime.py::test_a_warm_compilation_cache_gives_the_bits_of_a_cold_one``)."""
    from walker.numerics import blas_free_linalg, pin_cpu_isa
    from walker.runtime import enable_compilation_cache

    pin_cpu_isa()
    blas_free_linalg()
    enable_compilation_cache()


FIRST = "tests/test_pipeline.py"
"""the longest unit of work (the nested pipelines, minutes): collected first, so one xdist worker starts it at once"""


def pytest_collection_modifyitems(config, items):
    """The nested pipelines first, then every other test in its usual order (a stable sort). With
    ``--dist loadfile --no-loadscope-reorder`` (pyproject's addopts) xdist hands out files in this order."""
    items.sort(key=lambda item: item.nodeid.split("::")[0] != FIRST)


@pytest.fixture(scope="session")
def params():
    from walker.passive.config import load_params

    return load_params(REPO / "params.yaml")


@pytest.fixture(scope="session")
def apg_params(params):
    """params.yaml with the APG runs' blocks of physics/params.yaml (``apg``, and ``gradients`` for its finite differences)."""
    from walker.apg import ApgParams
    from walker.config import load_study

    return load_study(ApgParams, params, REPO / "physics" / "params.yaml")


@pytest.fixture(scope="session")
def backends_config(params):
    """Block ``backends`` of physics/params.yaml, checked against params.yaml."""
    from walker.backend_table import BackendsParams
    from walker.config import load_study

    return load_study(BackendsParams, params, REPO / "physics" / "params.yaml").backends


@pytest.fixture(scope="session")
def mjx_env(params):
    from walker.passive.env import PassiveWalkerEnv
    from walker.passive.system import build_system

    return PassiveWalkerEnv(build_system(params.walker), params.walker)


@pytest.fixture(scope="session")
def jit_env(mjx_env):
    import jax

    return jax.jit(mjx_env.reset), jax.jit(mjx_env.step)


ROLLOUT_STEPS = 500  # 10 s at 50 Hz
ROLLOUT_SEED = 7


@pytest.fixture(scope="session")
def fixture_conditions(params):
    """Four episodes: nominal, steeper, pushed forward at 1 s, and slippery."""
    from walker.rollout import nominal_conditions

    nominal = nominal_conditions(4, params.walker)
    slope = nominal.slope_deg.copy()
    slope[1] = 14.0
    impulse = nominal.push_impulse_ns.copy()
    push_time = nominal.push_time_s.copy()
    impulse[2], push_time[2] = 3.0, 1.0
    friction = nominal.friction_scale.copy()
    friction[3] = 0.1
    return dataclasses.replace(
        nominal, slope_deg=slope, push_impulse_ns=impulse, push_time_s=push_time, friction_scale=friction
    )


@pytest.fixture(scope="session")
def fsm_rollout(params, mjx_env):
    from walker.passive.expert import fsm_policy
    from walker.rollout import make_rollout

    return make_rollout(mjx_env, fsm_policy(params.fsm, mjx_env), ROLLOUT_STEPS)


@pytest.fixture(scope="session")
def fsm_trajectories(fsm_rollout, fixture_conditions):
    from walker.rollout import run_rollouts

    return run_rollouts(fsm_rollout, fixture_conditions, ROLLOUT_SEED, batch=4, label="test")


@pytest.fixture(scope="session")
def native_env(params):
    from walker.passive.native import PassiveWalkerNativeEnv

    env = PassiveWalkerNativeEnv(params.walker)
    yield env
    env.close()


def native_fsm_rollout(env, params, steps, **reset_kwargs):
    """Run the FSM in the native env; returns (obs (T+1, 18), x (T+1,), terminated step or None)."""
    from walker.passive.native import FsmController, run_episode

    episode = run_episode(env, FsmController(params.fsm, env.geom), steps, **reset_kwargs)
    return episode.obs, episode.x, episode.fell_at
