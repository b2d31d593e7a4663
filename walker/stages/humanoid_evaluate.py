"""Stage `evaluate` of the humanoid's pipeline: every policy on its task's pushed set (MJX), the held standing
pose as the baseline, native MuJoCo on the first cases of each set (the transfer check), and the
curriculum-vs-scratch summary over seeds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jax.numpy as jnp
import numpy as np

from walker.humanoid import task
from walker.humanoid.config import HUMANOID_PARAMS_FILE, HumanoidParams
from walker.humanoid.env import HumanoidEnv
from walker.humanoid.native import native_rollouts
from walker.humanoid.protocol import evaluation_set, horizon_steps, task_metrics
from walker.io import write_json
from walker.policy import POLICY_FILENAME, PolicyFile, load_policy
from walker.protocol import mean_metrics
from walker.rollout import Policy, learned_policy, make_rollout, policy_arrays, run_rollouts, start_states

PARAMS = ({HUMANOID_PARAMS_FILE: ("humanoid", "evaluate", "seeds")},)


def held_pose() -> Policy:
    """The baseline: action 0 at every step, i.e. the servos hold the standing pose (a statue)."""
    return Policy(name="held pose", params=(), init=lambda params, obs: (), step=lambda params, carry, obs: (carry, jnp.zeros(task.ACTION_SIZE)))


def _episodes(metrics: Any, conditions: Any) -> dict[str, list]:
    """Per-episode success, walking and push (for the report's robustness plot)."""
    return {"success": metrics.success.astype(int).tolist(), "walking": metrics.walking.astype(int).tolist(),
            "push_impulse_ns": np.round(conditions.push_impulse_ns, 4).tolist(), "friction_scale": np.round(conditions.friction_scale, 4).tolist()}


def evaluate_task(hp: HumanoidParams, task: str, policies: dict[str, PolicyFile | None]) -> tuple[dict, dict]:
    """Each policy (None: the held pose) on the task's set in MJX, and the native check of each on the first
    ``evaluate.native_cases`` episodes; returns (metrics per policy, per-episode records per policy)."""
    ev = hp.evaluate
    env = HumanoidEnv(hp.humanoid.for_task(task))
    conditions, seed = evaluation_set(task, ev)
    steps = horizon_steps(task, env.cfg, ev)
    n_native = min(ev.native_cases, len(conditions))
    native_conditions = conditions.take(np.arange(n_native))
    qpos, qvel = start_states(env, seed, n_native)
    compiled: dict[str, Any] = {}
    results, episodes = {}, {}
    for name, policy in policies.items():
        kind = "held" if policy is None else "learned"
        if kind not in compiled:
            compiled[kind] = make_rollout(env, held_pose() if policy is None else learned_policy(policy), steps)
        params = () if policy is None else policy_arrays(policy)
        traj = run_rollouts(compiled[kind], conditions, seed, ev.rollout_batch, f"humanoid {task}: {name}", params, ev.rollout_devices)
        m = task_metrics(traj, task, env.cfg, ev, env.foot_model)
        native_traj = native_rollouts(env.cfg, policy, native_conditions, qpos, qvel, steps)
        native = task_metrics(native_traj, task, env.cfg, ev, env.foot_model)
        results[name] = {
            **mean_metrics(m),
            "no_fall": float(no_fall(traj.fell).mean()),
            "episode_return": float(traj.episode_return().mean()),
            "native": {"episodes": n_native, "success": float(native.success.mean()), "walking": float(native.walking.mean()),
                       "no_fall": float(no_fall(native_traj.fell).mean()), "mjx_no_fall_same_episodes": float(no_fall(traj.fell)[:n_native].mean()),
                       "mjx_success_same_episodes": float(m.success[:n_native].mean()),
                       "distance_m": float(native.distance_m.mean()), "mjx_distance_m_same_episodes": float(m.distance_m[:n_native].mean())},
        }
        episodes[name] = _episodes(m, conditions)
        print(f"[humanoid evaluate] {task} {name}: success {m.success.mean():.3f} walking {m.walking.mean():.3f} "
              f"distance {m.distance_m.mean():.2f} m; native {native.success.mean():.3f} on {n_native}", flush=True)
    return results, episodes


def no_fall(fell: np.ndarray) -> np.ndarray:
    """(n,) bool: no fall in any control step; fell (T, n). For walk runs this is what remains of success when
    they do not move fast enough."""
    return ~np.asarray(fell, bool).any(axis=0)


def spread(values: list[float | None]) -> dict[str, Any]:
    """Mean, min and max over seeds of the values that exist, and how many are missing (None: never reached)."""
    present = [v for v in values if v is not None]
    return {"mean": float(np.mean(present)) if present else None, "min": min(present) if present else None,
            "max": max(present) if present else None, "values": values, "missing": len(values) - len(present)}


def curriculum_summary(hp: HumanoidParams, walk: dict[str, dict], runs: dict[str, dict], stand_run: dict) -> dict:
    """Curriculum vs scratch over seeds: final success, walking, distance, speed, and env steps to the threshold
    (walk steps, and for the curriculum also with the stand run's steps added)."""
    out: dict[str, Any] = {"success_threshold": hp.evaluate.success_threshold, "stand_env_steps": stand_run["env_steps"]}
    for variant in ("curriculum", "scratch"):
        names = [f"{variant}-{s}" for s in hp.seeds]
        steps = [runs[n]["steps_to_success_threshold"] for n in names]
        group = {key: spread([walk[n][key] for n in names]) for key in ("success", "walking", "no_fall", "distance_m", "speed_mps")}
        group["steps_to_success_threshold"] = spread(steps)
        if variant == "curriculum":
            group["steps_to_success_threshold_with_stand"] = spread([None if s is None else s + stand_run["env_steps"] for s in steps])
        out[variant] = group
    c, s = out["curriculum"]["steps_to_success_threshold"]["mean"], out["scratch"]["steps_to_success_threshold"]["mean"]
    out["steps_ratio_scratch_over_curriculum"] = None if c is None or s is None or c == 0 else s / c
    return out


def run(hp: HumanoidParams, stand_dir: str, walk_dirs: list[str], runs_dir: str, out_json: str, episodes_json: str) -> dict:
    """Evaluate the stand policy (against the held pose) and every walk run; write the metrics and the per-episode records."""
    stand_policy = load_policy(Path(stand_dir) / POLICY_FILENAME)
    stand, stand_episodes = evaluate_task(hp, "stand", {"held_pose": None, "stand": stand_policy})
    walk_policies = {Path(d).name: load_policy(Path(d) / POLICY_FILENAME) for d in walk_dirs}
    walk, walk_episodes = evaluate_task(hp, "walk", walk_policies)
    runs = {p.stem: json.loads(p.read_text()) for p in Path(runs_dir).glob("*.json")}
    out = {"stand": stand, "walk": walk, "summary": curriculum_summary(hp, walk, {k.removeprefix("walk@"): v for k, v in runs.items()}, runs["stand"])}
    write_json(out, out_json)
    write_json({"stand": stand_episodes, "walk": walk_episodes}, episodes_json)
    return out
