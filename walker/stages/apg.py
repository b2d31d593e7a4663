"""Stage `apg@<method>`: Brax's analytic policy gradient through the walker's physics, against PPO at equal wall clock.

``autodiff`` differentiates MJX in reverse mode, which its constraint solver allows at
one iteration only, so that run trains on the walker with a one-iteration solver;
``finite_difference`` trains on ``walker``'s own solver with the finite-difference VJP
around each physics step (:func:`walker.gradients.finite_difference_step`). Both train
from scratch on PPO's randomisation (``ppo.randomization``) and are scored on the
suite on ``walker``'s physics, like every PPO run.

Equal wall clock: each run's steady training rate (Brax's ``training/sps`` after the
compiling epoch) gives its training time; PPO from scratch at the rate the bench
measured (``results/bench.json``) would have taken ``time x rate`` env steps in that
time, and its suite success there is read off its evaluation history (mean over seeds).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import time
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from brax.envs.base import State, Wrapper

from walker.activations import activation_fn
from walker.apg import APG_METHODS, ApgParams
from walker.autoreset import wrap_for_training
from walker.blocks import SolverSetting
from walker.brax_actor import check_finite, policy_from_brax
from walker.errors import TrainingDiverged
from walker.gradients import finite_difference_step, with_solver
from walker.io import atomic_dir, write_json
from walker.passive.env import PassiveWalkerEnv
from walker.passive.system import load_system
from walker.policy import POLICY_FILENAME, save_policy
from walker.protocol import suite_scorer
from walker.runtime import track_compiles

PARAMS = ("walker", "evaluate.seed", "evaluate.nominal_cases", "evaluate.suite_cases", "evaluate.episode_seconds",
          "evaluate.min_speed_mps", "evaluate.success_threshold", "evaluate.steady", "evaluate.gait", "evaluate.suite",
          "evaluate.rollout_batch", "evaluate.rollout_devices", "ppo.randomization", "ppo.activation", "ppo.devices", "seeds",
          {"physics/params.yaml": ("apg", "gradients.fd_step")})

NUM_EVALS = 5
"""Brax APG's evaluations, the first before training: the updates run in four epochs, each logged."""


def training_env(params: ApgParams, method: str, system_file: str) -> PassiveWalkerEnv:
    """The env APG differentiates for ``method`` (see the module docstring)."""
    if method not in APG_METHODS:
        raise ValueError(f"unknown APG method '{method}'; choose one of {list(APG_METHODS)}")
    w = dataclasses.replace(params.walker, randomization=params.ppo.randomization)
    sys = load_system(system_file, params.walker)
    if method == "autodiff":
        return PassiveWalkerEnv(with_solver(sys, SolverSetting(solver=w.solver, iterations=1, ls_iterations=w.ls_iterations)), w)
    return PassiveWalkerEnv(sys, w, physics_step=finite_difference_step(params.gradients.fd_step))


class MetricsKept(Wrapper):
    """Keeps metrics a wrapper put in the state across ``step`` (Brax's evaluator adds ``reward``; the walker's env
    returns a fresh metrics dict each step, and Brax's episode scan needs the same keys in and out)."""

    def step(self, state: State, action: jax.Array) -> State:
        nxt = self.env.step(state, action)
        return nxt.replace(metrics={**state.metrics, **nxt.metrics})


def ppo_at_equal_time(params: ApgParams, ppo_results_dir: str, bench_file: str, seconds: float) -> dict[str, Any]:
    """PPO from scratch after ``seconds`` of steady training: env steps at the bench's rate, suite scores from each
    seed's history (linear between its evaluations; its final score once ``seconds`` is past its budget)."""
    rate = float(json.loads(Path(bench_file).read_text())["ppo_env_steps_per_s"])
    steps = seconds * rate
    success, walking = [], []
    for seed in params.seeds:
        path = Path(ppo_results_dir) / f"scratch-{seed}.json"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: not found; stage apg compares with PPO from scratch (run `dvc repro ppo`)")
        history = json.loads(path.read_text())["history"]
        grid = np.array([h["env_steps"] for h in history], float)
        success.append(float(np.interp(steps, grid, [h["success_suite"] for h in history])))
        walking.append(float(np.interp(steps, grid, [h["walking_suite"] for h in history])))
    return {"ppo_env_steps_per_s": rate, "env_steps": steps, "success_suite": success, "walking_suite": walking,
            "budget_env_steps": params.ppo.num_timesteps}


def run(params: ApgParams, method: str, system_file: str, ppo_results_dir: str, bench_file: str, out_dir: str, out_json: str) -> dict:
    """One APG run: its policy in ``out_dir``, its suite scores and the PPO comparison in ``out_json``."""
    compiles = track_compiles()
    with atomic_dir(out_dir) as model_tmp:
        metrics = _train(params, method, system_file, ppo_results_dir, bench_file, model_tmp)
    metrics.update(compile_s=compiles.compile_s)
    write_json(metrics, out_json)
    return metrics


def _train(params: ApgParams, method: str, system_file: str, ppo_results_dir: str, bench_file: str, out_dir: Path) -> dict:
    from brax.training.agents.apg import networks as apg_networks
    from brax.training.agents.apg import train as apg_train

    cfg, w = params.apg, params.walker
    env = training_env(params, method, system_file)
    factory = functools.partial(apg_networks.make_apg_networks, hidden_layer_sizes=tuple(cfg.hidden_sizes),
                                activation=activation_fn(params.ppo.activation, jnp), layer_norm=False)
    progress: list[dict[str, float]] = []

    updates_per_epoch = round(cfg.policy_updates / (NUM_EVALS - 1))  # as Brax's APG splits the updates
    steps_per_epoch = updates_per_epoch * cfg.num_envs * cfg.horizon_length

    def on_progress(epoch: int, metrics: dict) -> None:
        step = epoch * steps_per_epoch
        row = {"env_steps": int(step), **{k: float(v) for k, v in metrics.items() if np.ndim(v) == 0}}
        progress.append(row)
        print(f"[apg {method}] {step} env steps: eval return {row.get('eval/episode_reward', float('nan')):.1f}, "
              f"{row.get('training/sps', float('nan')):.0f} env steps/s, grad norm {row.get('training/grad_norm', float('nan')):.3g}", flush=True)

    start = time.time()
    _, (normalizer, policy_params, *_), _ = apg_train.train(
        environment=env, episode_length=cfg.episode_length, policy_updates=cfg.policy_updates, horizon_length=cfg.horizon_length,
        num_envs=cfg.num_envs, num_evals=NUM_EVALS, num_eval_envs=16, learning_rate=cfg.learning_rate, max_gradient_norm=cfg.max_gradient_norm,
        seed=cfg.seed, normalize_observations=True, network_factory=factory, wrap_env_fn=wrap_for_training,
        max_devices_per_host=params.ppo.devices, progress_fn=on_progress, eval_env=MetricsKept(env),
    )
    wall = time.time() - start
    env_steps = (NUM_EVALS - 1) * steps_per_epoch
    rates = [p["training/sps"] for p in progress if "training/sps" in p]
    steady_rate = rates[-1] if rates else float("nan")
    policy = policy_from_brax(normalizer, policy_params, params.ppo.activation,
                              {"source": "apg", "method": method, "seed": cfg.seed, "env_steps": env_steps})
    finite = True
    try:
        check_finite((normalizer, policy_params), f"apg {method}")
    except TrainingDiverged:  # a diverged run is a result: record it, score nothing
        finite = False
    save_policy(policy, out_dir / POLICY_FILENAME)
    score = suite_scorer(PassiveWalkerEnv(load_system(system_file, w), w), w, params.evaluate, f"apg {method}")(env_steps, policy) if finite else None
    train_seconds = env_steps / steady_rate
    out = {
        "method": method,
        "env_steps": env_steps,
        "wall_clock_s": wall,
        "steady_env_steps_per_s": steady_rate,
        "train_wall_clock_s": train_seconds,
        "finite": finite,
        "suite": {"success": score.success, "walking": score.walking, "episode_return": score.episode_return,
                  "episode_length": score.episode_length} if score else None,
        "progress": progress,
        "ppo_scratch_at_equal_time": ppo_at_equal_time(params, ppo_results_dir, bench_file, train_seconds),
    }
    print(f"[apg {method}] {out['suite']}, {train_seconds:.0f} s of steady training; PPO from scratch in that time: "
          f"{out['ppo_scratch_at_equal_time']['walking_suite']} walking", flush=True)
    return out
