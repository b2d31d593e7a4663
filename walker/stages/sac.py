"""Stage `sac@<variant>-<seed>`: Brax SAC from scratch (`scratch`) or from the clone with the FSM's demonstrations
in its replay buffer (`demos`), scored on the suite on PPO's step grid (:mod:`walker.sac`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from walker.blocks import SAC_VARIANTS
from walker.demos import load_dataset
from walker.passive.backends import make_env
from walker.passive.config import Params
from walker.passive.system import load_system
from walker.policy import POLICY_FILENAME, load_policy, save_policy
from walker.protocol import suite_scorer
from walker.sac import SacRun, demo_transitions
from walker.sac import train as sac_train
from walker.scored_run import SuiteHistory, run_in_dirs

PARAMS = ("walker", "evaluate.seed", "evaluate.nominal_cases", "evaluate.suite_cases", "evaluate.episode_seconds",
          "evaluate.min_speed_mps", "evaluate.success_threshold", "evaluate.steady", "evaluate.gait", "evaluate.suite", "evaluate.rollout_batch",
          "evaluate.rollout_devices", "ppo.eval_every_steps", "ppo.randomization", "sac")


def run(params: Params, variant: str, seed: int, system_file: str, bc_dir: str, demos_file: str, out_dir: str, out_json: str,
        live_dir: str) -> dict:
    """One SAC run, scored on the suite; the model folder, the dvclive folder and the metrics appear only when it finished."""
    if variant not in SAC_VARIANTS:
        raise ValueError(f"unknown SAC variant '{variant}'; choose one of {list(SAC_VARIANTS)}")
    return run_in_dirs(lambda model_dir, live: _train(params, variant, seed, system_file, bc_dir, demos_file, model_dir, live),
                       out_dir, live_dir, out_json)


def _train(params: Params, variant: str, seed: int, system_file: str, bc_dir: str, demos_file: str, out_dir: Path, live_dir: Path) -> dict:
    from dvclive import Live  # heavy import, only in the training stages

    w, ev, cfg = params.walker, params.evaluate, params.sac.for_variant(variant)
    env = make_env(load_system(system_file, w), dataclasses.replace(w, randomization=params.ppo.randomization))  # PPO's training ranges
    seeded = variant == "demos"
    init = load_policy(bc_dir, env.observation_size, env.action_size) if seeded else None
    demos = demo_transitions(load_dataset(demos_file)) if seeded else None
    name = f"{variant}-{seed}"
    sac_run = SacRun(cfg=cfg, seed=seed, num_timesteps=cfg.num_timesteps, eval_every_steps=params.ppo.eval_every_steps, init=init, demos=demos)
    with Live(str(live_dir), save_dvc_exp=False, dvcyaml=None) as live:
        history = SuiteHistory(suite_scorer(env, w, ev, f"sac {name}"), live, f"sac {name}", cfg.num_timesteps)
        policy, env_steps = sac_train(env, sac_run, history.on_eval, history.on_progress)

    result = history.result(env_steps, ev.success_threshold)
    metrics = {
        "learner": "sac",
        "variant": variant,
        "seed": seed,
        **{k: v for k, v in result.items() if k != "history"},
        "demo_transitions": 0 if demos is None else int(len(demos.reward)),
        "updates_per_env_step": cfg.grad_updates_per_step / cfg.num_envs,
        "history": result["history"],
    }
    policy = dataclasses.replace(policy, metadata={"source": "sac", "variant": variant, "seed": seed, "env_steps": int(env_steps)})
    save_policy(policy, Path(out_dir) / POLICY_FILENAME)
    print(f"[sac {name}] {metrics}", flush=True)
    return metrics
