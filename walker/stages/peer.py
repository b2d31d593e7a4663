"""Stage `peer@<seed>` (peer/dvc.yaml): Stable-Baselines3 PPO with its defaults, scored like our PPO runs.

Same env (``walker/PassiveWalker-v0``, native MuJoCo, a fresh condition and push
every episode from ``ppo.randomization``), same budget (``ppo.num_timesteps``),
same step grid (``ppo.eval_every_steps``) and the same suite scorer (MJX) as the
``ppo`` stage, so its steps to ``evaluate.success_threshold`` race ours.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

from walker.io import atomic_dir, write_json
from walker.passive.backends import make_env
from walker.passive.config import Params
from walker.passive.system import load_system
from walker.peer import PEER_PARAMS_FILE, PeerConfig, train_sb3_ppo
from walker.policy import POLICY_FILENAME, PolicyFile, save_policy
from walker.protocol import suite_scorer
from walker.scored_run import steps_to_reach

PARAMS = ("walker", "evaluate.seed", "evaluate.nominal_cases", "evaluate.suite_cases", "evaluate.episode_seconds",
          "evaluate.min_speed_mps", "evaluate.success_threshold", "evaluate.steady", "evaluate.gait", "evaluate.suite",
          "evaluate.rollout_batch", "evaluate.rollout_devices", "ppo.num_timesteps", "ppo.eval_every_steps", "ppo.randomization", {PEER_PARAMS_FILE: ("peer",)})


def run(params: Params, peer: PeerConfig, seed: int, system_file: str, out_dir: str, out_json: str, live_dir: str) -> dict:
    """One SB3 PPO run; the model folder, the dvclive folder and the metrics appear only when it finished."""
    with atomic_dir(live_dir) as live_tmp, atomic_dir(out_dir) as model_tmp:
        metrics = _train(params, peer, seed, system_file, model_tmp, live_tmp)
    write_json(metrics, out_json)
    return metrics


def _train(params: Params, peer: PeerConfig, seed: int, system_file: str, out_dir: Path, live_dir: Path) -> dict:
    from dvclive import Live

    start = time.time()
    w, ev, cfg = params.walker, params.evaluate, params.ppo
    train_walker = dataclasses.replace(w, randomization=cfg.randomization)
    env = make_env(load_system(system_file, w), train_walker)
    score = suite_scorer(env, w, ev, f"peer sb3-{seed}")
    history: list[tuple[int, float, float]] = []
    last: dict = {}
    with Live(str(live_dir), save_dvc_exp=False, dvcyaml=None) as live:

        def on_eval(step: int, policy: PolicyFile) -> None:
            s = score(step, policy)
            history.append((step, s.success, s.walking))
            last.update(success=s.success, walking=s.walking, ret=s.episode_return, length=s.episode_length)
            live.step = step
            for name, value in (("success_suite", s.success), ("walking_suite", s.walking), ("episode_return", s.episode_return),
                                ("episode_length", s.episode_length)):
                live.log_metric(f"eval/{name}", value)
            live.log_metric("wall_clock_s", time.time() - start)
            print(f"[peer sb3-{seed}] {step} env steps: suite success {s.success:.3f} (walking {s.walking:.3f}), "
                  f"{time.time() - start:.0f} s", flush=True)

        policy, train_s = train_sb3_ppo(train_walker, seed, cfg.num_timesteps, cfg.eval_every_steps, peer.num_envs, on_eval)
    wall = time.time() - start
    metrics = {
        "variant": "sb3", "seed": seed, "env_steps": cfg.num_timesteps, "wall_clock_s": wall, "eval_wall_clock_s": wall - train_s,
        "train_steps_per_s": cfg.num_timesteps / train_s,
        "success_suite_start": history[0][1], "success_suite_final": last["success"], "walking_suite_final": last["walking"],
        "eval_return_final": last["ret"], "episode_length_final": last["length"], "success_threshold": ev.success_threshold,
        "steps_to_success_threshold": steps_to_reach([(n, s) for n, s, _ in history], ev.success_threshold),
        "steps_to_walking_threshold": steps_to_reach([(n, wk) for n, _, wk in history], ev.success_threshold),
        "warmup_env_steps": 0,
        "history": [{"env_steps": n, "success_suite": s, "walking_suite": wk} for n, s, wk in history],
    }
    save_policy(policy, Path(out_dir) / POLICY_FILENAME)
    print(f"[peer sb3-{seed}] {metrics}", flush=True)
    return metrics
