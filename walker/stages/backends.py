"""Stage `backends`: the walker on MJX and on Brax's generalized, positional and spring pipelines (results/backends.md).

For each backend: physics throughput, the FSM gait's drift from native MuJoCo, the
FSM's and the best MJX-trained PPO policy's success; then a short PPO run on
``backends.train_pipeline`` (from the BC clone, block ``ppo``'s bc settings) and its
policy evaluated where it trained, in MJX and in native MuJoCo on ``walker``'s model.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from walker.backend_table import MJX, BackendsParams, backend_env, backends_markdown, drift_row, evaluation_sets, success_row, throughput_row
from walker.config import ConfigError
from walker.critic import load_critic
from walker.io import atomic_dir, write_json, write_text
from walker.passive.bench import gait_sample
from walker.passive.env import PassiveWalkerEnv
from walker.passive.native import PolicyController, native_rollouts
from walker.policy import POLICY_FILENAME, PolicyFile, load_policy, save_policy
from walker.ppo import PpoRun
from walker.ppo import train as ppo_train
from walker.protocol import episode_metrics, horizon_steps, mean_metrics
from walker.rollout import start_states

PARAMS = ("walker", "fsm", "evaluate", "ppo", "seeds", "bench.physics_steps", "bench.gait_episodes", "bench.repeats",
          "bench.drift_seconds", "bench.drift_cases", {"physics/params.yaml": ("backends",)})


def best_ppo_run(ppo_results_dir: str, seeds: tuple[int, ...]) -> str:
    """The ``bc-<seed>`` PPO run with the highest final walking success on the suite (ties: lowest seed)."""
    scores = {}
    for seed in seeds:
        path = Path(ppo_results_dir) / f"bc-{seed}.json"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: not found; stage backends evaluates the MJX-trained PPO runs (run `dvc repro ppo`)")
        scores[f"bc-{seed}"] = json.loads(path.read_text())["walking_suite_final"]
    return max(scores, key=lambda name: (scores[name], -int(name.split("-")[1])))


def run(params: BackendsParams, ppo_results_dir: str, ppo_models_dir: str, bc_dir: str, critic_dir: str, out_json: str, out_md: str,
        out_models: str) -> dict[str, Any]:
    """The table as JSON and markdown; the short run's policy in ``out_models``/<pipeline>/."""
    warmup = params.ppo.for_variant("bc").critic_warmup_steps
    if params.backends.train_pipeline != "none" and params.backends.train_env_steps <= warmup:
        raise ConfigError(f"backends.train_env_steps ({params.backends.train_env_steps}) must exceed ppo.critic_warmup_steps ({warmup}), "
                          "which the bc variant's runs spend on the critic alone")
    run_name = best_ppo_run(ppo_results_dir, params.seeds)
    ppo_policy = load_policy(Path(ppo_models_dir) / run_name)
    sample = gait_sample(params, params.bench.gait_episodes, params.bench.physics_steps)
    table: dict[str, Any] = {"ppo_policy": f"ppo@{run_name}", "rows": {}}
    for name in (MJX, *params.backends.pipelines):
        start = time.time()
        try:
            env = backend_env(params, name)
        except ConfigError as err:  # a pipeline that cannot represent the model is a row that says why
            table["rows"][name] = {"model": params.backends.model_file, "error": str(err)}
            continue
        row: dict[str, Any] = {"model": env.cfg.model_file, "timestep_s": env.cfg.timestep, "substeps": env.cfg.n_substeps}
        row["throughput"] = throughput_row(env, sample, params.backends.batch_sizes, params.bench.repeats)
        row["drift"] = drift_row(params, env, params.bench.drift_cases, params.bench.drift_seconds)
        row["fsm"] = success_row(params, env, None, "fsm")
        row["ppo"] = success_row(params, env, ppo_policy, run_name)
        row["wall_clock_s"] = time.time() - start
        table["rows"][name] = row
        print(f"[backends] {name}: FSM suite {row['fsm']['suite']['success']:.2f}, PPO suite {row['ppo']['suite']['success']:.2f}, "
              f"drift x {row['drift']['x_m']:.3f} m, {row['wall_clock_s']:.0f} s", flush=True)
    with atomic_dir(out_models) as models_tmp:
        if params.backends.train_pipeline != "none":
            table["training"] = _train_on_backend(params, bc_dir, critic_dir, models_tmp)
    write_json(table, out_json)
    write_text(backends_markdown(table, params), out_md)
    return table


def _train_on_backend(params: BackendsParams, bc_dir: str, critic_dir: str, models_dir: Path) -> dict[str, Any]:
    """PPO from the BC clone on ``backends.train_pipeline``; its policy evaluated there, on MJX and in native MuJoCo."""
    name = params.backends.train_pipeline
    cfg = dataclasses.replace(params.ppo.for_variant("bc"), num_timesteps=params.backends.train_env_steps)
    base = backend_env(params, name)  # built once: trained on with the variant's randomization, scored as it is
    env = type(base)(base.sys, dataclasses.replace(base.cfg, randomization=cfg.randomization))
    init = load_policy(bc_dir, env.observation_size, env.action_size)
    critic = load_critic(critic_dir) if cfg.critic_init == "offline" else None
    seed = params.seeds[0]
    start = time.time()
    policy, env_steps = ppo_train(env, PpoRun(cfg=cfg, seed=seed, init=init, num_timesteps=cfg.num_timesteps, critic=critic),
                                  on_eval=lambda step, policy: None,
                                  on_progress=lambda step, m: print(f"[backends] PPO on {name}: {step} env steps", flush=True))
    wall = time.time() - start
    policy = dataclasses.replace(policy, metadata={"source": "ppo", "backend": name, "seed": seed, "env_steps": int(env_steps)})
    save_policy(policy, models_dir / name / POLICY_FILENAME)
    mjx_env = backend_env(params, MJX)
    on_backend = success_row(params, base, policy, f"ppo trained on {name}")["suite"]
    on_mjx = success_row(params, mjx_env, policy, f"ppo trained on {name}")["suite"]
    return {"backend": name, "env_steps": int(env_steps), "wall_clock_s": wall, "seed": seed,
            "on_backend": on_backend, "on_mjx": on_mjx, "native": _native_suite(params, mjx_env, policy)}


def _native_suite(params: BackendsParams, mjx_env: PassiveWalkerEnv, policy: PolicyFile) -> dict[str, Any]:
    """``policy`` in native MuJoCo on ``walker``'s own model, over the table's suite episodes and their start states on
    ``mjx_env`` (the MJX env of ``walker``)."""
    w, ev = params.walker, params.evaluate
    conditions, seed = evaluation_sets(params)["suite"]
    qpos, qvel = start_states(mjx_env, seed, len(conditions))
    batch = native_rollouts(w, PolicyController(policy), conditions.as_array(), qpos, qvel, ev.native_workers, horizon_steps(w, ev))
    body = mjx_env.foot_model
    m = episode_metrics(batch.obs, batch.alive, batch.fell, batch.x, batch.work, batch.mass, w.control_dt, ev, body)
    out = mean_metrics(m)
    out["nonfinite_episodes"] = int((~np.isfinite(batch.x).all(axis=0)).sum())
    return out
