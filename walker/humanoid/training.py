"""One PPO run of the humanoid's curriculum: Brax PPO (:mod:`walker.ppo`, the walker's seeded-PPO machinery) on a
reward preset, from scratch or seeded from any upstream policy file (the curriculum's walk runs start from
the stand policy), scored on the task's pushed set on a fixed grid of env steps, logged with dvclive."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np

from walker.humanoid.config import HumanoidParams
from walker.humanoid.env import HumanoidEnv
from walker.humanoid.protocol import task_scorer
from walker.io import atomic_dir, write_json
from walker.policy import POLICY_FILENAME, load_policy, save_policy
from walker.ppo import PpoRun
from walker.ppo import train as ppo_train
from walker.runtime import track_compiles
from walker.scored_run import steps_to_reach

VARIANTS = ("curriculum", "scratch")
"""A walk run starts from the stand policy (curriculum) or fresh (scratch); the stand run is always fresh."""


def train_run(hp: HumanoidParams, task: str, variant: str, seed: int, seed_dir: str | None, out_dir: str, out_json: str, live_dir: str) -> dict:
    """One PPO run of ``task``; the model folder, the dvclive folder and the metrics appear only when it finished.

    ``seed_dir`` holds the policy a curriculum run starts from (None for scratch).
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown humanoid PPO variant '{variant}'; choose one of {list(VARIANTS)}")
    if (variant == "curriculum") != (seed_dir is not None):
        raise ValueError("a curriculum run needs the policy it starts from (seed_dir); a scratch run none")
    cfg = hp.ppo(task)
    env = HumanoidEnv(hp.humanoid.for_task(task, cfg.randomization))
    init = load_policy(Path(seed_dir), env.observation_size, env.action_size) if seed_dir is not None else None
    compiles = track_compiles()
    with atomic_dir(live_dir) as live_tmp, atomic_dir(out_dir) as model_tmp:
        metrics = _train(hp, env, task, variant, seed, init, model_tmp, live_tmp)
    metrics.update(compile_s=compiles.compile_s, compile_cache_hits=compiles.cache_hits, compile_cache_misses=compiles.cache_misses)
    write_json(metrics, out_json)
    return metrics


def _train(hp: HumanoidParams, env: HumanoidEnv, task: str, variant: str, seed: int, init, out_dir: Path, live_dir: Path) -> dict:
    from dvclive import Live  # heavy import, only in the training stages

    start = time.time()
    cfg, ev = hp.ppo(task), hp.evaluate
    name = f"{task}@{variant}-{seed}"
    score = task_scorer(env, task, ev, f"humanoid {name}")
    history: list[tuple[int, float, float, float]] = []  # (env steps, success, walking, mean return)
    sps: list[float] = []
    scoring_s = [0.0]

    with Live(str(live_dir), save_dvc_exp=False, dvcyaml=None) as live:

        def on_eval(step: int, policy) -> None:
            t0 = time.time()
            s = score(step, policy)
            scoring_s[0] += time.time() - t0
            history.append((step, s.success, s.walking, s.episode_return))
            live.step = step
            live.log_metric("eval/success", s.success)
            live.log_metric("eval/walking", s.walking)
            live.log_metric("eval/episode_return", s.episode_return)
            live.log_metric("eval/episode_length", s.episode_length)
            live.log_metric("wall_clock_s", time.time() - start)
            print(f"[humanoid {name}] {step} env steps: {task} success {s.success:.3f} (walking {s.walking:.3f}), return {s.episode_return:.1f}, "
                  f"length {s.episode_length:.0f}, {time.time() - start:.0f} s", flush=True)

        def on_progress(step: int, metrics: dict) -> None:
            rate = float(metrics.get("training/sps", 0.0))
            sps.append(rate)
            eta = (cfg.num_timesteps - step) / rate if rate > 0 else float("nan")
            print(f"[humanoid {name}] {step}/{cfg.num_timesteps} env steps, {rate:.0f} steps/s while training, ETA {eta:.0f} s", flush=True)

        policy, env_steps = ppo_train(env, PpoRun(cfg=cfg, seed=seed, init=init, num_timesteps=cfg.num_timesteps), on_eval, on_progress)

    final = history[-1]
    metrics = {
        "task": task,
        "variant": variant,
        "seed": seed,
        "env_steps": int(env_steps),
        "wall_clock_s": time.time() - start,
        "eval_wall_clock_s": scoring_s[0],
        "train_steps_per_s": float(np.mean(sps[1:] or sps)) if sps else None,
        "success_start": history[0][1],
        "success_final": final[1],
        "walking_final": final[2],
        "return_final": final[3],
        "success_threshold": ev.success_threshold,
        # None: never reached within env_steps (censored), not "reached at the budget"
        "steps_to_success_threshold": steps_to_reach([(n, s) for n, s, _, _ in history], ev.success_threshold),
        "history": [{"env_steps": n, "success": s, "walking": w, "return": r} for n, s, w, r in history],
    }
    policy = dataclasses.replace(policy, metadata={"source": "humanoid ppo", "task": task, "variant": variant, "seed": seed, "env_steps": int(env_steps)})
    save_policy(policy, Path(out_dir) / POLICY_FILENAME)
    print(f"[humanoid {name}] {metrics}", flush=True)
    return metrics
