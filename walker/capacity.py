"""The capacity sweep: PPO from scratch at one network size, scored on the robustness suite.

A separate pipeline (``capacity/dvc.yaml``), not part of the default ``dvc repro``:
each run trains with block ``ppo``'s settings but ``capacity``'s network sizes
and budget, and records final success, training speed and peak memory.
"""

from __future__ import annotations

import dataclasses
import resource
import time
from typing import Sequence

from walker import task
from walker.config import ConfigError, Params, PpoConfig
from walker.env import PassiveWalkerEnv
from walker.evaluate import learned_policy, make_rollout, measure, policy_arrays, protocol_sets
from walker.io import write_json
from walker.ppo import PpoRun, planned_env_steps
from walker.ppo import train as ppo_train
from walker.system import load_system

EVALS = 3
"""evaluation points: start, middle, end; the middle one splits training into two
epochs, so the second epoch's speed excludes compiling"""


def mlp_parameters(sizes: Sequence[int]) -> int:
    """Weights and biases of a dense network with layer widths ``sizes`` (input first, output last)."""
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))


def network_config(params: Params, name: str) -> PpoConfig:
    """Block ``ppo`` with network ``name``'s widths and the sweep's budget."""
    cap = params.capacity
    if name not in cap.networks:
        raise ConfigError(f"capacity.networks: no network '{name}'; defined: {sorted(cap.networks)}")
    net = cap.networks[name]
    return dataclasses.replace(
        params.ppo,
        policy_hidden_sizes=net.policy_hidden_sizes,
        value_hidden_sizes=net.value_hidden_sizes,
        num_timesteps=cap.num_timesteps,
        num_evals=EVALS,
        critic_warmup_steps=0,  # scratch runs have no clone to warm a critic under
    )


def run_capacity(params: Params, name: str, system_file: str, out_json: str) -> dict:
    """One capacity-sweep run (stage ``capacity@<name>``): writes ``out_json`` and returns it."""
    start = time.time()
    w, ev = params.walker, params.evaluate
    cfg = network_config(params, name)
    env = PassiveWalkerEnv(load_system(system_file, w), dataclasses.replace(w, randomization=cfg.randomization))
    suite, suite_seed = protocol_sets(w, ev)["suite"]
    rollouts, scores, rates = {}, [], []

    def on_eval(step: int, policy) -> None:
        if not rollouts:
            rollouts["suite"] = make_rollout(env, learned_policy(policy), w.episode_steps)
        traj, m = measure(rollouts["suite"], suite, suite_seed, w, ev, f"capacity {name}: suite at {step} steps", policy_arrays(policy))
        scores.append((step, float(m.success.mean()), float(traj.episode_return().mean())))
        print(f"[capacity {name}] {step} env steps: suite success {scores[-1][1]:.3f}, return {scores[-1][2]:.1f}", flush=True)

    def on_progress(step: int, metrics: dict) -> None:
        rates.append(float(metrics.get("training/sps", 0.0)))
        print(f"[capacity {name}] {step}/{planned_env_steps(cfg, seeded=False)} env steps, {rates[-1]:.0f} steps/s", flush=True)

    _, env_steps = ppo_train(env, PpoRun(cfg=cfg, seed=params.capacity.seed, init=None, num_timesteps=cfg.num_timesteps), on_eval, on_progress)
    result = {
        "network": name,
        "policy_hidden_sizes": list(cfg.policy_hidden_sizes),
        "value_hidden_sizes": list(cfg.value_hidden_sizes),
        "policy_parameters": mlp_parameters([task.OBS_SIZE, *cfg.policy_hidden_sizes, 2 * task.ACTION_SIZE]),
        "value_parameters": mlp_parameters([task.OBS_SIZE, *cfg.value_hidden_sizes, 1]),
        "env_steps": int(env_steps),
        "success_suite_final": scores[-1][1],
        "eval_return_final": scores[-1][2],
        "train_steps_per_s": rates[-1],  # the second epoch: no compilation in it
        "wall_clock_s": time.time() - start,
        "host_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }
    write_json(result, out_json)
    return result
