"""Capacity-sweep stage `train@<network>` (capacity/dvc.yaml): PPO from scratch at one network size."""

from __future__ import annotations

import dataclasses
import resource
import time

from walker.capacity import CAPACITY_PARAMS_FILE, CapacityConfig, mlp_parameters, network_config
from walker.io import write_json
from walker.passive.backends import make_env
from walker.passive.config import Params
from walker.passive.system import load_system
from walker.ppo import PpoRun
from walker.ppo import train as ppo_train
from walker.protocol import suite_scorer

PARAMS = ("walker", "evaluate.seed", "evaluate.nominal_cases", "evaluate.suite_cases", "evaluate.episode_seconds", "evaluate.min_speed_mps", "evaluate.steady",
          "evaluate.gait", "evaluate.suite", "evaluate.rollout_batch", "evaluate.rollout_devices",
          "ppo", {CAPACITY_PARAMS_FILE: ("capacity.networks.${key}", "capacity.num_timesteps", "capacity.seed")})


def run(params: Params, cap: CapacityConfig, name: str, system_file: str, out_json: str) -> dict:
    """One capacity-sweep run: final suite success, training speed and peak memory -> ``out_json``."""
    start = time.time()
    w, ev = params.walker, params.evaluate
    cfg = network_config(params, cap, name)
    env = make_env(load_system(system_file, w), dataclasses.replace(w, randomization=cfg.randomization))
    score = suite_scorer(env, w, ev, f"capacity {name}")
    scores, rates = [], []

    def on_eval(step: int, policy) -> None:
        s = score(step, policy)
        scores.append((step, s.success, s.episode_return))
        print(f"[capacity {name}] {step} env steps: suite success {s.success:.3f}, return {s.episode_return:.1f}", flush=True)

    def on_progress(step: int, metrics: dict) -> None:
        rates.append(float(metrics.get("training/sps", 0.0)))
        print(f"[capacity {name}] {step}/{cfg.num_timesteps} env steps, {rates[-1]:.0f} steps/s", flush=True)

    _, env_steps = ppo_train(env, PpoRun(cfg=cfg, seed=cap.seed, init=None, num_timesteps=cfg.num_timesteps), on_eval, on_progress)
    result = {
        "network": name,
        "policy_hidden_sizes": list(cfg.policy_hidden_sizes),
        "value_hidden_sizes": list(cfg.value_hidden_sizes),
        "policy_parameters": mlp_parameters([env.observation_size, *cfg.policy_hidden_sizes, 2 * env.action_size]),
        "value_parameters": mlp_parameters([env.observation_size, *cfg.value_hidden_sizes, 1]),
        "env_steps": int(env_steps),
        "success_suite_final": scores[-1][1],
        "eval_return_final": scores[-1][2],
        "train_steps_per_s": rates[-1],  # the second epoch: no compilation in it
        "wall_clock_s": time.time() - start,
        "host_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }
    write_json(result, out_json)
    return result
