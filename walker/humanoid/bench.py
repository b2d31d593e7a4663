"""The humanoid's physics throughput: native MuJoCo against batched MJX on the same model (``walker bench --humanoid``).

Both replay the same sample: start states drawn as the env draws them and an open-loop
"march" (each servo's target a slow sinusoid of ``0.3 * humanoid.action_scale``) held for
``bench.physics_steps`` steps, so the feet stay on the floor and the solver sees the contacts
of a standing humanoid. The timing machinery is the walker's (:mod:`walker.bench`).
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any, Callable

import jax
import jax.numpy as jnp
import mujoco
import numpy as np
from mujoco import mjx

from walker.bench import GaitSample, device_description, mjx_by_batch, mjx_physics, native_physics
from walker.humanoid import task
from walker.humanoid.config import HumanoidParams, HumanoidPhysicsSetting
from walker.humanoid.env import HumanoidEnv
from walker.humanoid.model import load_humanoid_model
from walker.ppo import PpoRun, training_steps_per_s


def march_sample(hp: HumanoidParams, n: int, physics_steps: int) -> GaitSample:
    """``n`` start states and a (n, physics_steps, 21) open-loop control sequence (see the module docstring)."""
    env = HumanoidEnv(hp.humanoid)
    qpos, qvel = jax.vmap(env.start_state)(jax.random.split(jax.random.PRNGKey(hp.evaluate.seed), n))
    t = np.arange(physics_steps)[None, :, None] * hp.humanoid.timestep
    phase = np.arange(n)[:, None, None] + np.arange(task.ACTION_SIZE)[None, None, :]
    ctrl = 0.3 * hp.humanoid.action_scale * np.sin(2 * np.pi * 1.0 * t + phase)
    return GaitSample(np.asarray(qpos, np.float64), np.asarray(qvel, np.float64), ctrl)


def humanoid_throughput(hp: HumanoidParams, native_threads: int, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Native and MJX physics steps/s of the humanoid by batch size, their ratio, and (if ``bench.ppo_env_steps``)
    PPO's env steps/s with the stand settings: ``results/humanoid/bench.json`` (the humanoid pipeline's stage ``bench``)."""
    b = hp.bench
    model = load_humanoid_model(hp.humanoid)
    sample = march_sample(hp, max(b.batch_sizes), b.physics_steps)
    threads = b.native_threads or native_threads
    native = native_physics(model, sample, threads, b.repeats)
    log(f"[bench] humanoid native mujoco.rollout, {threads} threads: {native.steps_per_s:,.0f} physics steps/s")
    by_batch = mjx_by_batch(model, sample, b.batch_sizes, b.repeats, log, label="humanoid ")
    best = max(by_batch, key=lambda k: by_batch[k]["mjx_physics_steps_per_s"])
    mjx_best = by_batch[best]["mjx_physics_steps_per_s"]
    out = {
        "device": device_description(),
        "native_threads": threads,
        "native_physics_steps_per_s": native.steps_per_s,
        "mjx_physics_steps_per_s": mjx_best,
        "mjx_best_batch": int(best),
        "ratio_mjx_to_native": mjx_best / native.steps_per_s,
        "timestep": hp.humanoid.timestep,
        "solver": {"solver": hp.humanoid.solver, "iterations": hp.humanoid.solver_iterations, "ls_iterations": hp.humanoid.ls_iterations},
        "physics_steps_per_call": b.physics_steps,
        "by_batch": by_batch,
    }
    if b.ppo_env_steps:
        env = HumanoidEnv(hp.humanoid.for_task("stand", hp.stand.randomization))
        rate = training_steps_per_s(env, PpoRun(hp.stand, seed=0, init=None, num_timesteps=b.ppo_env_steps))
        out["ppo_env_steps_per_s"] = rate
        log(f"[bench] humanoid ppo training ({hp.stand.num_envs} envs): {rate:,.0f} env steps/s")
    return out


def with_setting(model: mujoco.MjModel, setting: HumanoidPhysicsSetting) -> mujoco.MjModel:
    """A copy of ``model`` with the setting's timestep, solver iterations and colliding geoms."""
    model = copy.deepcopy(model)
    model.opt.timestep = setting.timestep
    model.opt.iterations = setting.solver_iterations
    model.opt.ls_iterations = setting.ls_iterations
    if setting.collisions == "all":  # the stock humanoid: every body geom collides with the floor and the other limbs
        floor = model.geom("floor").id
        body = np.arange(model.ngeom) != floor
        model.geom_contype[body] = 1
        model.geom_conaffinity[body] = 1
    return model


def held_controls(sample: GaitSample, timestep: float, base_timestep: float, steps: int) -> np.ndarray:
    """The sample's controls resampled to another timestep (each held for the same simulated time): (n, steps, 21)."""
    idx = np.minimum((np.arange(steps) * timestep / base_timestep).astype(int), sample.ctrl.shape[1] - 1)
    return sample.ctrl[:, idx]


def native_trajectory(model: mujoco.MjModel, qpos: np.ndarray, qvel: np.ndarray, ctrl: np.ndarray) -> np.ndarray:
    """Torso positions (n, T, 3) of native MuJoCo replaying ctrl (n, T, 21) from the given starts."""
    n, steps = ctrl.shape[:2]
    out = np.zeros((n, steps, 3))
    data = mujoco.MjData(model)
    for i in range(n):
        mujoco.mj_resetData(model, data)
        data.qpos[:], data.qvel[:] = qpos[i], qvel[i]
        for t in range(steps):
            data.ctrl[:] = ctrl[i, t]
            mujoco.mj_step(model, data)
            out[i, t] = data.qpos[:3]
    return out


def mjx_trajectory(model: mujoco.MjModel, qpos: np.ndarray, qvel: np.ndarray, ctrl: np.ndarray) -> np.ndarray:
    """Torso positions (n, T, 3) of MJX replaying ctrl (n, T, 21) from the given starts."""
    mx = mjx.put_model(model)

    def episode(q, v, u):
        def physics_step(d, c):
            d = mjx.step(mx, d.replace(ctrl=c))
            return d, d.qpos[:3]

        _, pos = jax.lax.scan(physics_step, mjx.make_data(mx).replace(qpos=q, qvel=v), u)
        return pos

    return np.asarray(jax.jit(jax.vmap(episode))(jnp.asarray(qpos, jnp.float32), jnp.asarray(qvel, jnp.float32), jnp.asarray(ctrl, jnp.float32)))


def tuning_table(hp: HumanoidParams, native_threads: int, log: Callable[[str], None] = print) -> dict[str, dict[str, float]]:
    """For each ``bench.tuning`` setting: MJX physics steps/s at ``bench.tuning_batch`` and of native MuJoCo, and the
    torso's largest drift over ``bench.drift_seconds`` of the march (``bench.drift_cases`` starts) from native MuJoCo
    with the same setting (MJX's own error) and from native MuJoCo converged (``bench.reference``'s solver iterations)."""
    b = hp.bench
    base = load_humanoid_model(hp.humanoid)
    rows = {}
    for name, setting in b.tuning.items():
        model = with_setting(base, setting)
        steps = int(round(b.drift_seconds / setting.timestep))
        speed_sample = march_sample(hp, b.tuning_batch, b.physics_steps)
        mjx_rate = mjx_physics(model, speed_sample, b.tuning_batch, b.repeats)
        native_rate = native_physics(model, speed_sample, b.native_threads or native_threads, b.repeats)
        drift_sample = march_sample(hp, b.drift_cases, int(round(b.drift_seconds / hp.humanoid.timestep)))
        ctrl = held_controls(drift_sample, setting.timestep, hp.humanoid.timestep, steps)
        native = native_trajectory(model, drift_sample.qpos, drift_sample.qvel, ctrl)
        reference = dataclasses.replace(setting, solver_iterations=b.reference_iterations, ls_iterations=b.reference_iterations)
        converged = native_trajectory(with_setting(base, reference), drift_sample.qpos, drift_sample.qvel, ctrl)
        mjx_pos = mjx_trajectory(model, drift_sample.qpos, drift_sample.qvel, ctrl)
        rows[name] = {
            **dataclasses.asdict(setting),
            "mjx_physics_steps_per_s": mjx_rate.steps_per_s,
            "mjx_compile_s": mjx_rate.first_call_s,
            "native_physics_steps_per_s": native_rate.steps_per_s,
            "mjx_simulated_s_per_s": mjx_rate.steps_per_s * setting.timestep,
            "mjx_vs_native_m": float(np.abs(mjx_pos - native).max()),
            "native_vs_converged_m": float(np.abs(native - converged).max()),
            "mjx_vs_native_1s_m": float(np.abs(mjx_pos - native)[:, : int(round(1.0 / setting.timestep))].max()),
            "fell_in_native": int((native[:, -1, 2] < hp.humanoid.min_height).sum()),
        }
        log(f"[bench] humanoid tuning {name}: {rows[name]}")
    return rows


def tuning_markdown(rows: dict[str, dict[str, float]], hp: HumanoidParams) -> str:
    """The tuning table as Markdown (results/humanoid/tuning.md)."""
    b = hp.bench
    lines = [
        "# Humanoid physics settings on this machine (generated by humanoid/dvc.yaml stage tuning)", "",
        f"MJX at batch {b.tuning_batch} and native MuJoCo ({b.native_threads or 'all'} threads) replaying a march; drift: the torso's "
        f"largest gap over {b.drift_seconds:g} s ({b.drift_cases} starts; over the first 1 s in brackets).", "",
        "| setting | collisions | timestep (s) | iterations | MJX steps/s | MJX simulated s/s | native steps/s | MJX compile (s) | MJX vs native (m) | native vs converged (m) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['collisions']} | {r['timestep']:g} | {r['solver_iterations']}/{r['ls_iterations']} | {r['mjx_physics_steps_per_s']:,.0f} | "
            f"{r['mjx_simulated_s_per_s']:,.0f} | {r['native_physics_steps_per_s']:,.0f} | {r['mjx_compile_s']:.0f} | "
            f"{r['mjx_vs_native_m']:.3f} ({r['mjx_vs_native_1s_m']:.3f}) | {r['native_vs_converged_m']:.3f} |"
        )
    return "\n".join(lines) + "\n"
