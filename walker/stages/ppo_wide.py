"""Stage `ppo_wide@<seed>`: PPO from `ppo@bc-<seed>` under automatic domain randomisation (:mod:`walker.adr`).

Every ``adr.update_every_steps`` env steps (and at the start) the current policy walks
``adr.boundary_cases`` episodes at each of the 8 range boundaries; the ranges then move
by :func:`walker.adr.update_ranges` and training goes on under the new ones.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from walker.adr import (
    ADR_FACTORS,
    adr_wrap_env_fn,
    as_record,
    boundary_conditions,
    boundary_success,
    limits_array,
    nominal_factors,
    ranges_array,
    ranges_updater,
    steps_array,
    update_ranges,
)
from walker.blocks import PpoConfig
from walker.critic import CRITIC_FILENAME, CriticFile, load_critic
from walker.passive.backends import make_env
from walker.passive.config import Params
from walker.passive.system import load_system
from walker.policy import POLICY_FILENAME, PolicyFile, load_policy, save_policy
from walker.ppo import PpoRun
from walker.ppo import train as ppo_train
from walker.protocol import horizon_steps, measure
from walker.rollout import learned_policy, make_rollout, policy_arrays
from walker.scored_run import run_in_dirs

PARAMS = ("walker", "evaluate.seed", "evaluate.episode_seconds", "evaluate.min_speed_mps", "evaluate.steady", "evaluate.gait",
          "evaluate.rollout_batch", "evaluate.rollout_devices", "ppo", "adr")


def wide_config(params: Params) -> PpoConfig:
    """Block ``ppo`` for the bc variant, with the run length, update interval and BC weight of block ``adr``."""
    adr = params.adr
    return dataclasses.replace(
        params.ppo.for_variant("bc"), num_timesteps=adr.num_timesteps, eval_every_steps=adr.update_every_steps,
        bc_coef=adr.bc_coef, critic_warmup_steps=0,
    )


def load_start(ppo_dir: str, obs_size: int, action_size: int) -> tuple[PolicyFile, CriticFile]:
    """The BC-seeded PPO run's policy and critic; a missing file names the stage that makes it."""
    critic_path = Path(ppo_dir) / CRITIC_FILENAME
    if not critic_path.is_file():
        raise FileNotFoundError(f"{critic_path}: not found; ppo_wide starts from a PPO run's policy and critic (run `dvc repro ppo`)")
    return load_policy(ppo_dir, obs_size, action_size), load_critic(ppo_dir)


EnvTransform = Callable[[Any], Any]
"""the body's MJX env -> the env PPO trains on (a Brax wrapper that reshapes the reward, say); the boundary
episodes always measure the body's own env"""


def run(params: Params, seed: int, system_file: str, ppo_dir: str, out_dir: str, out_json: str, live_dir: str,
        shaping: EnvTransform | None = None, boundary_others: str = "wide", name: str | None = None) -> dict:
    """One wide run; the model folder, the dvclive folder and the metrics appear only when it finished. The envelope
    study's variants change it in two ways only: ``shaping`` wraps the env PPO trains on, and ``boundary_others``
    ("wide": the other factors drawn from their current ranges, this stage's own; "nominal": held nominal) is how
    :func:`walker.adr.boundary_conditions` draws the boundary episodes; ``name`` labels the logs (default wide-<seed>)."""
    return run_in_dirs(lambda model_dir, live: _train(params, seed, system_file, ppo_dir, model_dir, live, shaping, boundary_others,
                                                      name or f"wide-{seed}"),
                       out_dir, live_dir, out_json)


def _train(params: Params, seed: int, system_file: str, ppo_dir: str, out_dir: Path, live_dir: Path, shaping: EnvTransform | None,
           boundary_others: str, name: str) -> dict:
    from dvclive import Live  # heavy import, only in the training stages

    start_time = time.time()
    w, ev, adr = params.walker, params.evaluate, params.adr
    cfg = wide_config(params)
    reward = dataclasses.replace(w.reward, preset=adr.reward_preset)
    body = make_env(load_system(system_file, w), dataclasses.replace(w, randomization=cfg.randomization, reward=reward))
    init, critic = load_start(ppo_dir, body.observation_size, body.action_size)
    start, limits, step = ranges_array(cfg.randomization), limits_array(adr), steps_array(adr)
    current = [start]  # the ranges in float64; training reads them in float32 from its env state, set before each epoch
    rand = cfg.randomization
    wrap = adr_wrap_env_fn(body, start, (rand.push_time_s.low, rand.push_time_s.high), rand.push_duration_s)
    rollout = make_rollout(body, learned_policy(init), horizon_steps(w, ev))
    rng = np.random.default_rng([ev.seed, seed, 23])  # the boundary episodes' conditions, a new draw at every update
    history: list[dict] = []
    eval_s = [0.0]
    sps: list[float] = []

    with Live(str(live_dir), save_dvc_exp=False, dvcyaml=None) as live:

        def on_eval(env_steps: int, policy: PolicyFile) -> None:
            t0 = time.time()
            ranges = current[0]
            conditions = boundary_conditions(ranges, adr.boundary_cases, rng, rand, boundary_others, nominal_factors(w.slope_deg))
            _, m = measure(rollout, conditions, ev.seed + 10 + len(history), w, ev, f"{name}: boundaries at {env_steps} steps",
                           body.foot_model, policy_arrays(policy))
            success = boundary_success(m.walking, adr.boundary_cases)
            succeeded = boundary_success(m.success, adr.boundary_cases)  # why a boundary holds: falls, or no fall but no walk
            updated = update_ranges(ranges, success, start, limits, step, adr.upper, adr.lower)
            current[0] = updated
            eval_s[0] += time.time() - t0
            history.append({"env_steps": env_steps, **as_record(ranges), **as_record(success, "walking_at_"), **as_record(succeeded, "success_at_")})
            live.step = env_steps
            for key, value in {**as_record(ranges, "adr/"), **as_record(success, "boundary/")}.items():
                live.log_metric(key, value)
            shown = ", ".join(f"{f} [{ranges[i, 0]:.2f}, {ranges[i, 1]:.2f}] ({success[i, 0]:.2f}, {success[i, 1]:.2f})"
                              for i, f in enumerate(ADR_FACTORS))
            print(f"[ppo_wide {name}] {env_steps} env steps: ranges (walking at low, high boundary): {shown}; {time.time() - start_time:.0f} s", flush=True)

        def on_progress(env_steps: int, metrics: dict) -> None:
            rate = float(metrics.get("training/sps", 0.0))
            sps.append(rate)
            print(f"[ppo_wide {name}] {env_steps}/{cfg.num_timesteps} env steps, {rate:.0f} steps/s while training", flush=True)

        run_cfg = PpoRun(cfg=cfg, seed=seed, init=init, num_timesteps=cfg.num_timesteps, critic=critic)
        trained_env = body if shaping is None else shaping(body)
        policy, env_steps = ppo_train(trained_env, run_cfg, on_eval, on_progress, wrap_env_fn=wrap, update_env_state=ranges_updater(lambda: current[0]))

    trained = [h for h in history if h["env_steps"] < env_steps]  # the last record's ranges came after training ended
    lows = np.array([[h[f"{f}_low"] for f in ADR_FACTORS] for h in trained]).min(axis=0)
    highs = np.array([[h[f"{f}_high"] for f in ADR_FACTORS] for h in trained]).max(axis=0)
    widest = np.stack([lows, highs], axis=1)
    metrics = {
        "seed": seed,
        "start_policy": str(ppo_dir),
        "env_steps": int(env_steps),
        "wall_clock_s": time.time() - start_time,
        "boundary_eval_wall_clock_s": eval_s[0],
        "train_steps_per_s": float(np.mean(sps)) if sps else None,
        "ranges_start": as_record(start),
        "ranges_final": {k: trained[-1][k] for k in as_record(start)},
        "ranges_widest": as_record(widest),
        "limits": as_record(limits),
        "boundary_others": boundary_others,
        "history": history,
    }
    policy = dataclasses.replace(policy, metadata={"source": "ppo_wide", "seed": seed, "env_steps": int(env_steps), "start": str(ppo_dir)})
    save_policy(policy, Path(out_dir) / POLICY_FILENAME)
    print(f"[ppo_wide {name}] final ranges {metrics['ranges_final']} in {metrics['wall_clock_s']:.0f} s", flush=True)
    return metrics
