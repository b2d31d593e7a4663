"""Throughput machinery shared by every body: native MuJoCo against batched MJX on the same model, and an env's step.

Every measurement replays a body's :class:`GaitSample`: start states and per-physics-step
controls the body records from its own gait (the walker: native FSM episodes,
:mod:`walker.passive.bench`; the humanoid: an open-loop march, :mod:`walker.humanoid.bench`),
so both simulators see feet touching down and lifting off rather than a body lying on the
floor. Native MuJoCo runs them through ``mujoco.rollout`` on all cores; MJX runs them
batched, the batch split into one shard per JAX device. On a CPU the entry point first asks
XLA for one host device per core (:func:`walker.runtime.use_all_cpu_cores`): a single XLA
CPU device runs a vmapped step on one core, so without the split MJX would get half of what
native MuJoCo gets on this 2-core machine. Shared code: it never imports a body.
"""

from __future__ import annotations

import dataclasses
import math
import os
import resource
import time
from collections.abc import Sequence
from typing import Any, Callable

import jax
import jax.numpy as jnp
import mujoco
import numpy as np
from jax.sharding import Mesh, PartitionSpec
from mujoco import mjx, rollout

BATCH_AXIS = "batch"


@dataclasses.dataclass(frozen=True)
class GaitSample:
    """Start states and open-loop controls of ``n`` episodes of a body's gait, ``T`` physics steps long."""

    qpos: np.ndarray
    """(n, nq) start positions"""
    qvel: np.ndarray
    """(n, nv) start velocities"""
    ctrl: np.ndarray
    """(n, T, nu) actuator controls, one row per physics step (held over each control period)"""


@dataclasses.dataclass(frozen=True)
class Timing:
    """A batched measurement: best of the repeats, after a first (compiling) call."""

    steps_per_s: float
    first_call_s: float
    """the first call, compilation included (MJX) or thread-pool start (native)"""


def best_rate(run: Callable[[], Any], steps: int, repeats: int) -> Timing:
    """Steps per second of ``run`` (``steps`` per call): the first call compiles, then the best of ``repeats``."""
    start = time.perf_counter()
    run()
    first = time.perf_counter() - start
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return Timing(steps / best, first)


def native_physics(model: mujoco.MjModel, sample: GaitSample, threads: int, repeats: int) -> Timing:
    """Physics steps/s of ``mujoco.rollout`` over the sample on ``threads`` threads."""
    spec = mujoco.mjtState.mjSTATE_FULLPHYSICS
    data = mujoco.MjData(model)
    init = np.empty((len(sample.qpos), mujoco.mj_stateSize(model, spec)))
    for i, (q, v) in enumerate(zip(sample.qpos, sample.qvel)):
        mujoco.mj_resetData(model, data)
        data.qpos[:], data.qvel[:] = q, v
        mujoco.mj_getState(model, data, init[i], spec)
    datas = [mujoco.MjData(model) for _ in range(threads)]
    with rollout.Rollout(nthread=threads) as runner:
        return best_rate(lambda: runner.rollout(model, datas, init, sample.ctrl), sample.ctrl[:, :, 0].size, repeats)


def shard_count(batch: int) -> int:
    """How many devices a batch is split over: all of them when they divide it evenly, else one."""
    n = jax.device_count()
    return n if batch % n == 0 else 1


def sharded(fn: Callable[..., Any], shards: int, in_specs: tuple, out_specs: Any) -> Callable[..., Any]:
    """``jax.jit(fn)``, with the batch split into one shard per device when ``shards`` > 1."""
    if shards == 1:
        return jax.jit(fn)
    mesh = Mesh(np.array(jax.devices()[:shards]), (BATCH_AXIS,))
    # each device runs its own solver loops: a vmapped while-loop under plain jit
    # would synchronise every iteration across the shards
    return jax.jit(jax.shard_map(fn, mesh=mesh, in_specs=in_specs, out_specs=out_specs, check_vma=False))


def tile(sample: GaitSample, batch: int) -> tuple[jax.Array, jax.Array, jax.Array]:
    """The sample repeated to ``batch`` episodes: qpos, qvel (batch, 6) and ctrl (T, batch, 3)."""
    idx = np.arange(batch) % len(sample.qpos)
    ctrl = np.swapaxes(sample.ctrl[idx], 0, 1)
    return (jnp.asarray(sample.qpos[idx], jnp.float32), jnp.asarray(sample.qvel[idx], jnp.float32), jnp.asarray(ctrl, jnp.float32))


def mjx_physics(model: mujoco.MjModel, sample: GaitSample, batch: int, repeats: int) -> Timing:
    """Physics steps/s of ``mjx.step`` on ``batch`` environments replaying the sample."""
    mx = mjx.put_model(model)

    def run(qpos, qvel, ctrl):
        data = jax.vmap(lambda q, v: mjx.make_data(mx).replace(qpos=q, qvel=v))(qpos, qvel)

        def physics_step(d, u):
            return jax.vmap(mjx.step, in_axes=(None, 0))(mx, d.replace(ctrl=u)), None

        data, _ = jax.lax.scan(physics_step, data, ctrl)
        return data.qpos

    b = PartitionSpec(BATCH_AXIS)
    fn = sharded(run, shard_count(batch), (b, b, PartitionSpec(None, BATCH_AXIS)), b)
    args = tile(sample, batch)
    return best_rate(lambda: jax.block_until_ready(fn(*args)), batch * sample.ctrl.shape[1], repeats)


def mjx_by_batch(
    model: mujoco.MjModel, sample: GaitSample, batch_sizes: Sequence[int], repeats: int, log: Callable[[str], None], label: str = "",
) -> dict[str, dict[str, float]]:
    """MJX physics steps/s, shards and first-call seconds at each batch size (``by_batch`` of a bench result, keyed by
    the size as a string); ``label`` names the body in the log lines."""
    by_batch = {}
    for batch in batch_sizes:
        t = mjx_physics(model, sample, batch, repeats)
        by_batch[str(batch)] = {"mjx_physics_steps_per_s": t.steps_per_s, "shards": shard_count(batch), "compile_s": t.first_call_s}
        log(f"[bench] {label}mjx batch {batch}: {t.steps_per_s:,.0f} physics steps/s (first call {t.first_call_s:.1f} s)")
    return by_batch


def env_control(env: Any, sample: GaitSample, batch: int, repeats: int) -> Timing:
    """Control steps/s of ``PassiveWalkerEnv.step`` (physics, push, observation, reward, done) on ``batch`` envs."""
    n_sub = env.cfg.n_substeps
    scale = jnp.asarray(env.geom.ctrl_scale, jnp.float32)
    qpos, qvel, ctrl = tile(sample, batch)
    actions = ctrl[::n_sub] / scale  # the controls back as actions in [-1, 1]
    keys = jax.random.split(jax.random.PRNGKey(0), batch)

    def run(keys, actions):
        state = jax.vmap(env.reset)(keys)

        def control_step(s, a):
            return jax.vmap(env.step)(s, a), None

        state, _ = jax.lax.scan(control_step, state, actions)
        return state.obs

    b = PartitionSpec(BATCH_AXIS)
    fn = sharded(run, shard_count(batch), (b, PartitionSpec(None, BATCH_AXIS)), b)
    return best_rate(lambda: jax.block_until_ready(fn(keys, actions)), batch * actions.shape[0], repeats)


def peak_memory_mb() -> dict[str, float]:
    """Peak resident memory of this process and, where JAX reports it, peak device memory (MB)."""
    out = {"host_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}
    stats = jax.devices()[0].memory_stats() or {}
    if "peak_bytes_in_use" in stats:
        out["device_peak_mb"] = stats["peak_bytes_in_use"] / 2**20
    return out


def device_description() -> str:
    """What ran the JAX side, e.g. ``cpu x2 (2 cores)`` or ``gpu: NVIDIA H100 80GB HBM3``."""
    devices = jax.devices()
    if devices[0].platform == "cpu":
        return f"cpu x{len(devices)} ({os.cpu_count()} cores)"
    return f"{devices[0].platform}: {devices[0].device_kind} x{len(devices)}"


def max_gap(a: np.ndarray, b: np.ndarray) -> float:
    """Largest absolute difference over time and components, averaged over episodes (axis 1)."""
    gap = np.abs(a - b).reshape(a.shape[0], a.shape[1], -1)
    return float(gap.max(axis=(0, 2)).mean())


def native_threads(configured: int) -> int:
    """Threads of the native ``mujoco.rollout``: ``configured``, or every core for 0."""
    return configured or os.cpu_count() or 1


