"""The walker's throughput and solver benchmarks (``walker bench``; stages ``bench`` and ``solvers``).

The walker's gait sample is recorded from native FSM episodes (:func:`gait_sample`); the
timing machinery is shared (:mod:`walker.bench`).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable

import jax
import numpy as np

from walker.bench import (
    GaitSample,
    device_description,
    env_control,
    max_gap,
    mjx_by_batch,
    mjx_physics,
    native_physics,
    native_threads,
    peak_memory_mb,
)
from walker.blocks import SolverSetting
from walker.passive.config import Params, WalkerConfig
from walker.passive.env import PassiveWalkerEnv
from walker.passive.expert import fsm_policy
from walker.passive.model import load_mj_model
from walker.passive.native import FsmController, PassiveWalkerNativeEnv, run_episode
from walker.passive.system import build_system
from walker.passive.task import OBS_HIP, OBS_PITCH
from walker.ppo import PpoRun, training_steps_per_s
from walker.rollout import make_rollout, nominal_conditions, run_rollouts, start_states


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


def native_fsm_gait(params: Params, w: WalkerConfig, qpos: np.ndarray, qvel: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
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
    x_native, angles_native = native_fsm_gait(params, w, qpos, qvel, steps)
    x_ref, angles_ref = native_fsm_gait(params, with_solver(w, reference), qpos, qvel, steps)
    mjx_angles = traj.obs[:, :, [OBS_PITCH, OBS_HIP]]
    return {
        "mjx_vs_native_x_m": max_gap(traj.x, x_native),
        "mjx_vs_native_angle_rad": max_gap(mjx_angles, angles_native),
        "setting_vs_reference_x_m": max_gap(x_native, x_ref),
        "setting_vs_reference_angle_rad": max_gap(angles_native, angles_ref),
    }


def throughput(params: Params, log: Callable[[str], None] = print) -> dict[str, Any]:
    """The benchmark: native and MJX physics by batch size, the env's control steps and PPO training.

    Returns the ``results/bench.json`` mapping (keys: docs/design.md, "Results contract").
    """
    b, w = params.bench, params.walker
    model = load_mj_model(w)
    sample = gait_sample(params, b.gait_episodes, b.physics_steps)
    threads = native_threads(params.bench.native_threads)
    native = native_physics(model, sample, threads, b.repeats)
    log(f"[bench] native mujoco.rollout, {threads} threads: {native.steps_per_s:,.0f} physics steps/s")
    by_batch = mjx_by_batch(model, sample, b.batch_sizes, b.repeats, log)
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
        native = native_physics(model, sample, native_threads(params.bench.native_threads), b.repeats)
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
