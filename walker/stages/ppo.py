"""Stage `ppo@<variant>-<seed>`: Brax PPO from the cloned policy (`bc`) or from scratch, scored on the suite."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

import numpy as np

from walker.blocks import PPO_VARIANTS
from walker.critic import CRITIC_FILENAME, critic_from_brax, load_critic, save_critic
from walker.io import atomic_dir, write_json
from walker.passive.backends import make_env
from walker.passive.config import Params
from walker.passive.system import load_system
from walker.policy import POLICY_FILENAME, load_policy, save_policy
from walker.ppo import PpoRun, warmup_steps
from walker.ppo import train as ppo_train
from walker.protocol import suite_scorer
from walker.runtime import track_compiles
from walker.summary import steps_to_reach

PARAMS = ("walker", "evaluate.seed", "evaluate.nominal_cases", "evaluate.suite_cases", "evaluate.episode_seconds",
          "evaluate.min_speed_mps", "evaluate.success_threshold", "evaluate.steady", "evaluate.gait", "evaluate.suite", "evaluate.rollout_batch", "evaluate.rollout_devices", "ppo")


def run(params: Params, variant: str, seed: int, system_file: str, bc_dir: str, critic_dir: str, out_dir: str, out_json: str,
        live_dir: str) -> dict:
    """One PPO run, evaluated on the suite; the model folder, the dvclive folder and the metrics
    appear only when the run finished."""
    if variant not in PPO_VARIANTS:
        raise ValueError(f"unknown PPO variant '{variant}'; choose one of {list(PPO_VARIANTS)}")
    import jax

    compiles = track_compiles()
    if jax.process_index() > 0:  # a distributed run: process 0 writes the outputs, the others train alongside
        with tempfile.TemporaryDirectory() as tmp:
            return _train(params, variant, seed, system_file, bc_dir, critic_dir, Path(tmp), Path(tmp))
    with atomic_dir(live_dir) as live_tmp, atomic_dir(out_dir) as model_tmp:
        metrics = _train(params, variant, seed, system_file, bc_dir, critic_dir, model_tmp, live_tmp)
    metrics.update(compile_s=compiles.compile_s, compile_cache_hits=compiles.cache_hits, compile_cache_misses=compiles.cache_misses)
    write_json(metrics, out_json)
    return metrics


def _train(params: Params, variant: str, seed: int, system_file: str, bc_dir: str, critic_dir: str, out_dir: Path, live_dir: Path) -> dict:
    """The work of :func:`run`, writing into (temporary) ``out_dir`` and ``live_dir``."""
    from dvclive import Live  # heavy import, only in the training stages

    start = time.time()
    w, ev, cfg = params.walker, params.evaluate, params.ppo.for_variant(variant)
    env = make_env(load_system(system_file, w), dataclasses.replace(w, randomization=cfg.randomization))
    init = load_policy(bc_dir, env.observation_size, env.action_size) if variant == "bc" else None
    critic = load_critic(critic_dir) if init is not None and cfg.critic_init == "offline" else None
    name = f"{variant}-{seed}"
    score = suite_scorer(env, w, ev, f"ppo {name}")
    history: list[tuple[int, float, float]] = []  # (env steps, suite success, walking success)
    last: dict = {}
    sps: list[float] = []
    scoring_s = [0.0]  # wall clock spent scoring on the suite (not training)

    with Live(live_dir, save_dvc_exp=False, dvcyaml=None) as live:

        def on_eval(step: int, policy) -> None:
            t0 = time.time()
            s = score(step, policy)
            scoring_s[0] += time.time() - t0
            last.update(policy=policy, step=step, success=s.success, walking=s.walking, ret=s.episode_return, length=s.episode_length)
            history.append((step, s.success, s.walking))
            live.step = step
            live.log_metric("eval/success_suite", s.success)
            live.log_metric("eval/walking_suite", s.walking)
            live.log_metric("eval/episode_return", s.episode_return)
            live.log_metric("eval/episode_length", s.episode_length)
            live.log_metric("wall_clock_s", time.time() - start)
            print(f"[ppo {name}] {step} env steps: suite success {s.success:.3f} (walking {s.walking:.3f}), return {s.episode_return:.1f}, "
                  f"length {s.episode_length:.0f}, {time.time() - start:.0f} s", flush=True)

        def on_progress(step: int, metrics: dict) -> None:
            rate = float(metrics.get("training/sps", 0.0))
            sps.append(rate)
            total = cfg.num_timesteps
            eta = (total - step) / rate if rate > 0 else float("nan")
            std = metrics.get("training/policy_dist_mean_std")
            spread = f", action spread {float(std):.3f}" if std is not None else ""
            print(f"[ppo {name}] {step}/{total} env steps, {rate:.0f} steps/s while training{spread}, ETA {eta:.0f} s", flush=True)

        run_cfg = PpoRun(cfg=cfg, seed=seed, init=init, num_timesteps=cfg.num_timesteps, critic=critic)
        final: list = []
        policy, env_steps = ppo_train(env, run_cfg, on_eval, on_progress, final.append)

    metrics = {
        "variant": variant,
        "seed": seed,
        "env_steps": int(env_steps),
        "wall_clock_s": time.time() - start,
        "eval_wall_clock_s": scoring_s[0],
        "train_steps_per_s": float(np.mean(sps)) if sps else None,
        "success_suite_start": history[0][1],
        "success_suite_final": last["success"],
        "walking_suite_final": last["walking"],
        "eval_return_final": last["ret"],
        "episode_length_final": last["length"],
        "success_threshold": ev.success_threshold,
        # None: never reached within env_steps (censored), not "reached at the budget"
        "steps_to_success_threshold": steps_to_reach([(n, s) for n, s, _ in history], ev.success_threshold),
        "steps_to_walking_threshold": steps_to_reach([(n, wk) for n, _, wk in history], ev.success_threshold),
        "warmup_env_steps": warmup_steps(cfg, init is not None),
        "critic_init": ("offline" if critic is not None else "fresh"),
        "history": [{"env_steps": n, "success_suite": s, "walking_suite": wk} for n, s, wk in history],
    }
    policy = dataclasses.replace(policy, metadata={"source": "ppo", "variant": variant, "seed": seed, "env_steps": int(env_steps)})
    save_policy(policy, Path(out_dir) / POLICY_FILENAME)
    normalizer, _, value = final[0]  # the critic too, so a later PPO stage (ppo_wide) can go on from this run without a warm-up
    save_critic(critic_from_brax(value, normalizer, cfg.activation, cfg.discounting, cfg.reward_scaling), Path(out_dir) / CRITIC_FILENAME)
    print(f"[ppo {name}] {metrics}", flush=True)
    return metrics
