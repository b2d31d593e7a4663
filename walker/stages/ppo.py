"""Stage `ppo@<variant>-<seed>`: Brax PPO from the cloned policy (`bc`) or from scratch, scored on the suite."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from walker.blocks import PPO_VARIANTS
from walker.critic import CRITIC_FILENAME, critic_from_brax, load_critic, save_critic
from walker.passive.backends import make_env
from walker.passive.config import Params
from walker.passive.system import load_system
from walker.policy import POLICY_FILENAME, load_policy, save_policy
from walker.ppo import PpoRun, warmup_steps
from walker.ppo import train as ppo_train
from walker.protocol import suite_scorer
from walker.scored_run import SuiteHistory, run_in_dirs

PARAMS = ("walker", "evaluate.seed", "evaluate.nominal_cases", "evaluate.suite_cases", "evaluate.episode_seconds",
          "evaluate.min_speed_mps", "evaluate.success_threshold", "evaluate.steady", "evaluate.gait", "evaluate.suite", "evaluate.rollout_batch", "evaluate.rollout_devices", "ppo")


def run(params: Params, variant: str, seed: int, system_file: str, bc_dir: str, critic_dir: str, out_dir: str, out_json: str,
        live_dir: str) -> dict:
    """One PPO run, evaluated on the suite; the model folder, the dvclive folder and the metrics
    appear only when the run finished."""
    if variant not in PPO_VARIANTS:
        raise ValueError(f"unknown PPO variant '{variant}'; choose one of {list(PPO_VARIANTS)}")
    return run_in_dirs(lambda model_dir, live: _train(params, variant, seed, system_file, bc_dir, critic_dir, model_dir, live),
                       out_dir, live_dir, out_json)


def _train(params: Params, variant: str, seed: int, system_file: str, bc_dir: str, critic_dir: str, out_dir: Path, live_dir: Path) -> dict:
    """The work of :func:`run`, writing into (temporary) ``out_dir`` and ``live_dir``."""
    from dvclive import Live  # heavy import, only in the training stages

    w, ev, cfg = params.walker, params.evaluate, params.ppo.for_variant(variant)
    env = make_env(load_system(system_file, w), dataclasses.replace(w, randomization=cfg.randomization))
    init = load_policy(bc_dir, env.observation_size, env.action_size) if variant == "bc" else None
    critic = load_critic(critic_dir) if init is not None and cfg.critic_init == "offline" else None
    name = f"{variant}-{seed}"
    with Live(live_dir, save_dvc_exp=False, dvcyaml=None) as live:
        history = SuiteHistory(suite_scorer(env, w, ev, f"ppo {name}"), live, f"ppo {name}", cfg.num_timesteps)
        run_cfg = PpoRun(cfg=cfg, seed=seed, init=init, num_timesteps=cfg.num_timesteps, critic=critic)
        final: list = []
        policy, env_steps = ppo_train(env, run_cfg, history.on_eval, history.on_progress, final.append)

    result = history.result(env_steps, ev.success_threshold)
    metrics = {
        "variant": variant,
        "seed": seed,
        **{k: v for k, v in result.items() if k != "history"},
        "warmup_env_steps": warmup_steps(cfg, init is not None),
        "critic_init": ("offline" if critic is not None else "fresh"),
        "history": result["history"],
    }
    policy = dataclasses.replace(policy, metadata={"source": "ppo", "variant": variant, "seed": seed, "env_steps": int(env_steps)})
    save_policy(policy, Path(out_dir) / POLICY_FILENAME)
    normalizer, _, value = final[0]  # the critic too, so a later PPO stage (ppo_wide) can go on from this run without a warm-up
    save_critic(critic_from_brax(value, normalizer, cfg.activation, cfg.discounting, cfg.reward_scaling), Path(out_dir) / CRITIC_FILENAME)
    print(f"[ppo {name}] {metrics}", flush=True)
    return metrics
