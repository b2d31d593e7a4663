"""Throughput benchmarks: native MuJoCo against batched MJX on the same model, the env, and PPO.

Every measurement replays the FSM gait: start states and per-physics-step
controls recorded from native FSM episodes (:func:`gait_sample`), so both
simulators see feet touching down and lifting off rather than a walker lying
on the floor. Native MuJoCo runs them through ``mujoco.rollout`` on all cores;
MJX runs them batched, the batch split into one shard per JAX device. On a
CPU the entry point first asks XLA for one host device per core
(:func:`walker.runtime.use_all_cpu_cores`): a single XLA CPU device runs a
vmapped step on one core, so without the split MJX would get half of what
native MuJoCo gets on this 2-core machine.
"""

from __future__ import annotations

import dataclasses
import math
import os
import resource
import time
from typing import Any, Callable

import jax
import jax.numpy as jnp
import mujoco
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec
from mujoco import mjx, rollout

from walker.config import Params, SolverSetting, WalkerConfig
from walker.passive.env import PassiveWalkerEnv
from walker.passive.expert import fsm_policy
from walker.passive.model import load_mj_model
from walker.passive.native import FsmController, PassiveWalkerNativeEnv, run_episode
from walker.passive.system import build_system
from walker.passive.task import OBS_HIP, OBS_PITCH
from walker.ppo import PpoRun, training_steps_per_s
from walker.rollout import make_rollout, nominal_conditions, run_rollouts, start_states

BATCH_AXIS = "batch"


@dataclasses.dataclass(frozen=True)
class GaitSample:
    """Start states and open-loop controls of ``n`` FSM episodes, ``T`` physics steps long."""

    qpos: np.ndarray
    """(n, 6) start positions"""
    qvel: np.ndarray
    """(n, 6) start velocities"""
    ctrl: np.ndarray
    """(n, T, 3) actuator controls, one row per physics step (held over each control period)"""


@dataclasses.dataclass(frozen=True)
class Timing:
    """A batched measurement: best of the repeats, after a first (compiling) call."""

    steps_per_s: float
    first_call_s: float
    """the first call, compilation included (MJX) or thread-pool start (native)"""


def with_solver(w: WalkerConfig, setting: SolverSetting) -> WalkerConfig:
    """``w`` with another constraint solver and iteration counts."""
    return dataclasses.replace(w, solver=setting.solver, solver_iterations=setting.iterations, ls_iterations=setting.ls_iterations)


def gait_sample(params: Params, n: int, physics_steps: int) -> GaitSample:
    """Record ``n`` native FSM episodes (start seeds 0..n-1) for ``physics_steps`` steps."""
    w = params.walker
    env = PassiveWalkerNativeEnv(w)
    controller = FsmController(params.fsm, env.geom)
    control_steps = math.ceil(physics_steps / w.n_substeps)
    qpos, qvel, ctrl = [], [], []
    for seed in range(n):
        obs, _ = env.reset(seed=seed)
        controller.reset(obs)
        qpos.append(env.data.qpos.copy())
        qvel.append(env.data.qvel.copy())
        episode = []
        for _ in range(control_steps):
            obs, *_ = env.step(controller.act(obs))
            episode += [env.data.ctrl.copy()] * w.n_substeps
        ctrl.append(np.array(episode[:physics_steps]))
    env.close()
    return GaitSample(np.array(qpos), np.array(qvel), np.array(ctrl))


def _best_rate(run: Callable[[], Any], steps: int, repeats: int) -> Timing:
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
        return _best_rate(lambda: runner.rollout(model, datas, init, sample.ctrl), sample.ctrl[:, :, 0].size, repeats)


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
    return _best_rate(lambda: jax.block_until_ready(fn(*args)), batch * sample.ctrl.shape[1], repeats)


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
    return _best_rate(lambda: jax.block_until_ready(fn(keys, actions)), batch * actions.shape[0], repeats)


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


def _native_fsm_gait(params: Params, w: WalkerConfig, qpos: np.ndarray, qvel: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Native FSM episodes from given starts: torso x (steps+1, n) and (pitch, hip) (steps, n, 2).

    An episode that falls early is held at its last state, so the drift it shows is the fall's.
    """
    env = PassiveWalkerNativeEnv(w)
    controller = FsmController(params.fsm, env.geom)
    xs, angles = [], []
    for q, v in zip(qpos, qvel):
        ep = run_episode(env, controller, steps, options={"qpos": q, "qvel": v})
        pad = steps + 1 - len(ep.x)
        xs.append(np.pad(ep.x, (0, pad), mode="edge"))
        angles.append(np.pad(ep.obs[:, [OBS_PITCH, OBS_HIP]], ((0, pad), (0, 0)), mode="edge")[:steps])
    env.close()
    return np.stack(xs, axis=1), np.stack(angles, axis=1)


def _max_gap(a: np.ndarray, b: np.ndarray) -> float:
    """Largest absolute difference over time and components, averaged over episodes (axis 1)."""
    gap = np.abs(a - b).reshape(a.shape[0], a.shape[1], -1)
    return float(gap.max(axis=(0, 2)).mean())


def fsm_drift(params: Params, setting: SolverSetting, reference: SolverSetting, cases: int, seconds: float) -> dict[str, float]:
    """How far the closed-loop FSM gait drifts over ``seconds``, from the same nominal starts.

    ``mjx_vs_native_*``: MJX against native MuJoCo, both with ``setting`` (what MJX changes).
    ``setting_vs_reference_*``: native MuJoCo with ``setting`` against the converged
    ``reference`` solver (what the setting's few iterations change). Each is the
    largest gap over time, averaged over the episodes: torso x in m, leg angles in rad.
    """
    w = with_solver(params.walker, setting)
    steps = round(seconds * w.control_hz)
    env = PassiveWalkerEnv(build_system(w), w)
    seed = params.evaluate.seed
    rollout_fn = make_rollout(env, fsm_policy(params.fsm, env), steps)
    traj = run_rollouts(rollout_fn, nominal_conditions(cases, w), seed, cases, label=f"drift {setting.solver}")
    qpos, qvel = start_states(env, seed, cases)
    x_native, angles_native = _native_fsm_gait(params, w, qpos, qvel, steps)
    x_ref, angles_ref = _native_fsm_gait(params, with_solver(w, reference), qpos, qvel, steps)
    mjx_angles = traj.obs[:, :, [OBS_PITCH, OBS_HIP]]
    return {
        "mjx_vs_native_x_m": _max_gap(traj.x, x_native),
        "mjx_vs_native_angle_rad": _max_gap(mjx_angles, angles_native),
        "setting_vs_reference_x_m": _max_gap(x_native, x_ref),
        "setting_vs_reference_angle_rad": _max_gap(angles_native, angles_ref),
    }


def native_threads(params: Params) -> int:
    return params.bench.native_threads or os.cpu_count() or 1


def throughput(params: Params, log: Callable[[str], None] = print) -> dict[str, Any]:
    """The benchmark: native and MJX physics by batch size, the env's control steps and PPO training.

    Returns the ``results/bench.json`` mapping (keys: docs/design.md, "Results contract").
    """
    b, w = params.bench, params.walker
    model = load_mj_model(w)
    sample = gait_sample(params, b.gait_episodes, b.physics_steps)
    threads = native_threads(params)
    native = native_physics(model, sample, threads, b.repeats)
    log(f"[bench] native mujoco.rollout, {threads} threads: {native.steps_per_s:,.0f} physics steps/s")
    by_batch = {}
    for batch in b.batch_sizes:
        t = mjx_physics(model, sample, batch, b.repeats)
        by_batch[str(batch)] = {"mjx_physics_steps_per_s": t.steps_per_s, "shards": shard_count(batch), "compile_s": t.first_call_s}
        log(f"[bench] mjx batch {batch}: {t.steps_per_s:,.0f} physics steps/s (first call {t.first_call_s:.1f} s)")
    best = max(by_batch, key=lambda k: by_batch[k]["mjx_physics_steps_per_s"])
    env = PassiveWalkerEnv(build_system(w), w)
    ctrl = env_control(env, sample, int(best), b.repeats)
    log(f"[bench] env batch {best}: {ctrl.steps_per_s:,.0f} control steps/s")
    ppo_env = PassiveWalkerEnv(env.sys, dataclasses.replace(w, randomization=params.ppo.randomization))
    ppo_cfg = params.ppo.for_variant("bc")  # the settings of the curriculum's runs
    ppo_rate = training_steps_per_s(ppo_env, PpoRun(ppo_cfg, seed=0, init=None, num_timesteps=b.ppo_env_steps))
    devices = min(ppo_cfg.devices, jax.local_device_count())
    native_ctrl = native.steps_per_s / w.n_substeps  # control steps/s: what an env step costs natively
    log(f"[bench] ppo training ({ppo_cfg.num_envs} envs, {devices} devices): {ppo_rate:,.0f} env steps/s, "
        f"{ppo_rate / native_ctrl:.2f} of native MuJoCo's {native_ctrl:,.0f} control steps/s")
    mjx_best = by_batch[best]["mjx_physics_steps_per_s"]
    return {
        "device": device_description(),
        "native_threads": threads,
        "native_physics_steps_per_s": native.steps_per_s,
        "mjx_physics_steps_per_s": mjx_best,
        "mjx_best_batch": int(best),
        "ratio_mjx_to_native": mjx_best / native.steps_per_s,
        "env_ctrl_steps_per_s": ctrl.steps_per_s,
        "env_batch": int(best),
        "ppo_env_steps_per_s": ppo_rate,
        "ppo_fraction_of_native": ppo_rate / native_ctrl,
        "native_ctrl_steps_per_s": native_ctrl,
        "ppo_num_envs": ppo_cfg.num_envs,
        "ppo_devices": devices,
        "solver": dataclasses.asdict(SolverSetting(w.solver, w.solver_iterations, w.ls_iterations)),
        "physics_steps_per_call": b.physics_steps,
        "by_batch": by_batch,
        **peak_memory_mb(),
    }


def solver_table(params: Params, log: Callable[[str], None] = print) -> dict[str, dict[str, float]]:
    """For each ``bench.solvers`` setting: native and MJX physics steps/s and the FSM gait's drift."""
    b = params.bench
    sample = gait_sample(params, b.gait_episodes, b.physics_steps)
    rows = {}
    for name, setting in b.solvers.items():
        model = load_mj_model(with_solver(params.walker, setting))
        native = native_physics(model, sample, native_threads(params), b.repeats)
        mjx_rate = mjx_physics(model, sample, b.solver_batch, b.repeats)
        drift = fsm_drift(params, setting, b.reference_solver, b.drift_cases, b.drift_seconds)
        rows[name] = {
            **dataclasses.asdict(setting),
            "native_physics_steps_per_s": native.steps_per_s,
            "mjx_physics_steps_per_s": mjx_rate.steps_per_s,
            "ratio_mjx_to_native": mjx_rate.steps_per_s / native.steps_per_s,
            **drift,
        }
        log(f"[solvers] {name}: native {native.steps_per_s:,.0f}/s, mjx {mjx_rate.steps_per_s:,.0f}/s, "
            f"drift mjx-native {drift['mjx_vs_native_x_m']:.3f} m, setting-reference {drift['setting_vs_reference_x_m']:.3f} m")
    return rows


def solver_markdown(rows: dict[str, dict[str, float]], params: Params) -> str:
    """``results/solvers.md``: the solver table, with which row ``params.yaml`` uses."""
    w, b = params.walker, params.bench
    head = (
        f"# MJX solver settings ({b.drift_seconds:g} s of FSM gait from {b.drift_cases} nominal starts; "
        f"MJX batch {b.solver_batch}; reference: native {b.reference_solver.solver} "
        f"{b.reference_solver.iterations}x{b.reference_solver.ls_iterations})\n\n"
        "| setting | native steps/s | MJX steps/s | MJX / native | MJX vs native: x (m) | angle (rad) "
        "| setting vs reference: x (m) | angle (rad) | in params.yaml |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n"
    )
    lines = []
    for name, r in rows.items():
        used = (r["solver"], r["iterations"], r["ls_iterations"]) == (w.solver, w.solver_iterations, w.ls_iterations)
        lines.append(
            f"| {name} | {r['native_physics_steps_per_s']:,.0f} | {r['mjx_physics_steps_per_s']:,.0f} | "
            f"{r['ratio_mjx_to_native']:.2f} | {r['mjx_vs_native_x_m']:.4f} | {r['mjx_vs_native_angle_rad']:.4f} | "
            f"{r['setting_vs_reference_x_m']:.4f} | {r['setting_vs_reference_angle_rad']:.4f} | {'yes' if used else ''} |"
        )
    return head + "\n".join(lines) + "\n"
