"""What each DVC stage does, as functions of validated params and paths (scripts in pipeline/ call these)."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import jax
import numpy as np

from walker.bc import clip_targets, fit, fit_normaliser, init_mlp, split_by_episode, to_policy_file, validation_loss
from walker.config import Params
from walker.demos import dataset_from_rollouts, load_dataset, save_dataset
from walker.env import PassiveWalkerEnv
from walker.evaluate import (
    fsm_policy,
    learned_policy,
    make_rollout,
    measure,
    policy_arrays,
    protocol_sets,
    random_conditions,
    run_rollouts,
)
from walker.io import write_json
from walker.policy import POLICY_FILENAME, load_policy, save_policy
from walker.ppo import PpoRun
from walker.ppo import train as ppo_train
from walker.system import load_system
from walker.task import ACTION_SIZE, OBS_SIZE


def run_demos(params: Params, system_file: str, out_npz: str, out_json: str) -> dict:
    """Record FSM demonstrations and measure the expert on the nominal set and the suite."""
    start = time.time()
    w, ev, dm = params.walker, params.evaluate, params.demos
    env = PassiveWalkerEnv(load_system(system_file, w), w)
    policy = fsm_policy(params.fsm, env)
    rollout = make_rollout(env, policy, w.episode_steps)

    demo_conditions = random_conditions(dm.episodes, dm.seed, w.randomization)
    traj, demo_metrics = measure(rollout, demo_conditions, dm.seed, w, ev, "demos")
    dataset = dataset_from_rollouts(traj, demo_metrics, demo_conditions)
    save_dataset(dataset, out_npz)

    sets = protocol_sets(w, ev)
    _, nominal = measure(rollout, *sets["nominal"], w, ev, "nominal")
    _, suite = measure(rollout, *sets["suite"], w, ev, "suite")
    metrics = {
        "pairs": int(dataset.obs.shape[0]),
        "episodes": int(dataset.condition.shape[0]),
        "episodes_recorded": int(dm.episodes),
        "expert_success_randomized": float(demo_metrics.success.mean()),
        "expert_success_nominal": float(nominal.success.mean()),
        "expert_distance_m_nominal": float(nominal.distance_m.mean()),
        "expert_speed_mps_nominal": float(nominal.speed_mps.mean()),
        "expert_cost_of_transport_nominal": float(np.nanmean(nominal.cost_of_transport)),
        "expert_success_suite": float(suite.success.mean()),
    }
    write_json(metrics, out_json)  # no wall-clock time here: the file must be reproducible bit for bit
    print(f"[demos] {metrics} in {time.time() - start:.0f} s", flush=True)
    return metrics


def _expert_distance(demos_json: str) -> float:
    """The FSM's mean nominal distance from the `demos` stage's metrics (same nominal set as ours)."""
    path = Path(demos_json)
    try:
        return float(json.loads(path.read_text())["expert_distance_m_nominal"])
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: expert metrics not found (run `dvc repro demos`)") from None
    except (KeyError, ValueError, TypeError) as err:
        raise ValueError(f"{path}: no usable expert_distance_m_nominal ({err!r}); rerun `dvc repro demos`") from err


def _round_seed(seed: int, round_index: int) -> int:
    """An independent 31-bit seed per DAgger round."""
    return int(np.random.SeedSequence([seed, round_index]).generate_state(1)[0] % 2**31)


def run_bc(
    params: Params, system_file: str, demos_file: str, demos_json: str, out_dir: str, out_json: str, live_dir: str
) -> dict:
    """Clone the FSM (plus ``bc.dagger_rounds`` DAgger rounds), check it closed-loop, write the policy file."""
    from dvclive import Live  # heavy import, only in this stage

    start = time.time()
    w, ev, cfg = params.walker, params.evaluate, params.bc
    expert_distance = _expert_distance(demos_json)
    ds = load_dataset(demos_file)
    train, val = split_by_episode(ds.episode, cfg.val_fraction, cfg.seed)
    obs_mean, obs_std = fit_normaliser(ds.obs[train])
    normalise = lambda obs: (obs - obs_mean) / obs_std  # noqa: E731
    targets = clip_targets(ds.action, cfg.action_limit)
    x_train, y_train = normalise(ds.obs[train]), targets[train]
    x_val, y_val = normalise(ds.obs[val]), targets[val]
    print(f"[bc] {len(x_train)} training pairs, {len(x_val)} validation pairs (split by episode)", flush=True)

    key, init_key = jax.random.split(jax.random.PRNGKey(cfg.seed))
    model = init_mlp((OBS_SIZE, *cfg.hidden_sizes, ACTION_SIZE), cfg.activation, init_key)
    env = PassiveWalkerEnv(load_system(system_file, w), w)
    expert = fsm_policy(params.fsm, env)
    rollout = make_rollout(env, learned_policy(to_policy_file(model, obs_mean, obs_std)), w.episode_steps, labeller=expert)
    sets = protocol_sets(w, ev)

    with Live(live_dir, save_dvc_exp=False, dvcyaml=None) as live:

        def log_epoch(epoch: int, train_loss: float, val_loss: float) -> None:
            live.log_metric("train/loss", train_loss)
            live.log_metric("val/loss", val_loss)
            live.next_step()
            if epoch % 10 == 0:
                print(f"[bc] epoch {epoch}: train {train_loss:.5f}, validation {val_loss:.5f}", flush=True)

        key, sub = jax.random.split(key)
        model = fit(model, x_train, y_train, x_val, y_val, cfg, cfg.epochs, sub, log_epoch).model
        for round_index in range(cfg.dagger_rounds + 1):
            arrays = policy_arrays(to_policy_file(model, obs_mean, obs_std))
            nominal_traj, nominal = measure(rollout, *sets["nominal"], w, ev, f"bc round {round_index}: nominal", arrays)
            _, suite = measure(rollout, *sets["suite"], w, ev, f"bc round {round_index}: suite", arrays)
            closed_loop = {
                "success_nominal": float(nominal.success.mean()),
                "success_suite": float(suite.success.mean()),
                "distance_ratio_to_expert": float(nominal.distance_m.mean() / expert_distance),
            }
            for name, value in closed_loop.items():
                live.log_metric(f"closed_loop/{name}", value)
            print(f"[bc] round {round_index}: {closed_loop}", flush=True)
            if round_index == cfg.dagger_rounds:
                break
            seed = _round_seed(cfg.seed, round_index)
            conditions = random_conditions(cfg.dagger_episodes, seed, w.randomization)
            traj = run_rollouts(rollout, conditions, seed, ev.rollout_batch, f"dagger round {round_index + 1}", arrays)
            visited = traj.alive  # (T, n): states before a fall, labelled by the FSM running alongside
            x_train = np.concatenate([x_train, normalise(traj.obs[visited])])
            y_train = np.concatenate([y_train, clip_targets(traj.label[visited], cfg.action_limit)])
            print(f"[bc] dagger round {round_index + 1}: +{int(visited.sum())} labelled pairs, {len(x_train)} in all", flush=True)
            key, sub = jax.random.split(key)
            model = fit(model, x_train, y_train, x_val, y_val, cfg, cfg.dagger_epochs, sub, log_epoch).model

    policy = to_policy_file(
        model, obs_mean, obs_std,
        metadata={"source": "bc", "loss": cfg.loss, "dagger_rounds": cfg.dagger_rounds, "seed": cfg.seed},
    )
    agreement = nominal_traj.alive[..., None] * (nominal_traj.action - nominal_traj.label) ** 2
    metrics = {
        "val_loss": validation_loss(model, x_val, y_val, cfg.loss, cfg.huber_delta),
        "val_mse": validation_loss(model, x_val, y_val, "mse"),
        **closed_loop,
        "distance_m_nominal": float(nominal.distance_m.mean()),
        "expert_distance_m_nominal": expert_distance,
        "expert_action_mse_nominal": float(agreement.sum() / (3 * nominal_traj.alive.sum())),
        "training_pairs": int(len(x_train)),
    }
    save_policy(policy, Path(out_dir) / POLICY_FILENAME)
    write_json(metrics, out_json)
    print(f"[bc] {metrics} in {time.time() - start:.0f} s", flush=True)
    return metrics


PPO_VARIANTS = ("bc", "scratch")


def steps_to_reach(history: list[tuple[int, float]], threshold: float) -> int | None:
    """First env-step count at which the success rate reached ``threshold`` (None if never)."""
    return next((step for step, success in history if success >= threshold), None)


def run_ppo(
    params: Params, variant: str, seed: int, system_file: str, bc_dir: str, out_dir: str, out_json: str, live_dir: str
) -> dict:
    """One PPO run (`bc`: actor and normaliser from the cloned policy; `scratch`: fresh), evaluated on the suite."""
    from dvclive import Live  # heavy import, only in the training stages

    if variant not in PPO_VARIANTS:
        raise ValueError(f"unknown PPO variant '{variant}'; choose one of {list(PPO_VARIANTS)}")
    start = time.time()
    w, ev, cfg = params.walker, params.evaluate, params.ppo
    init = load_policy(bc_dir) if variant == "bc" else None
    env = PassiveWalkerEnv(load_system(system_file, w), dataclasses.replace(w, randomization=cfg.randomization))
    suite, suite_seed = protocol_sets(w, ev)["suite"]
    name = f"{variant}-{seed}"
    history: list[tuple[int, float]] = []
    last: dict = {}
    rollouts: dict = {}
    sps: list[float] = []

    with Live(live_dir, save_dvc_exp=False, dvcyaml=None) as live:

        def on_eval(step: int, policy) -> None:
            if "suite" not in rollouts:  # compiled once; later evaluations only swap the parameters
                rollouts["suite"] = make_rollout(env, learned_policy(policy), w.episode_steps)
            traj, m = measure(rollouts["suite"], suite, suite_seed, w, ev, f"ppo {name}: suite at {step} steps", policy_arrays(policy))
            last.update(
                policy=policy,
                step=step,
                success=float(m.success.mean()),
                ret=float(traj.episode_return().mean()),
                length=float(m.steps_alive.mean()),
            )
            history.append((step, last["success"]))
            live.step = step
            live.log_metric("eval/success_suite", last["success"])
            live.log_metric("eval/episode_return", last["ret"])
            live.log_metric("eval/episode_length", last["length"])
            live.log_metric("wall_clock_s", time.time() - start)
            print(f"[ppo {name}] {step} env steps: suite success {last['success']:.3f}, return {last['ret']:.1f}, "
                  f"length {last['length']:.0f}, {time.time() - start:.0f} s", flush=True)

        def on_progress(step: int, metrics: dict) -> None:
            rate = float(metrics.get("training/sps", 0.0))
            sps.append(rate)
            total = cfg.num_timesteps
            eta = (total - step) / rate if rate > 0 else float("nan")
            std = metrics.get("training/policy_dist_mean_std")
            spread = f", action spread {float(std):.3f}" if std is not None else ""
            print(f"[ppo {name}] {step}/{total} env steps, {rate:.0f} steps/s while training{spread}, ETA {eta:.0f} s", flush=True)

        run = PpoRun(cfg=cfg, seed=seed, init=init, num_timesteps=cfg.num_timesteps)
        policy, env_steps = ppo_train(env, run, on_eval, on_progress)

    metrics = {
        "variant": variant,
        "seed": seed,
        "env_steps": int(env_steps),
        "wall_clock_s": time.time() - start,
        "train_steps_per_s": float(np.mean(sps)) if sps else None,
        "success_suite_start": history[0][1],
        "success_suite_final": last["success"],
        "eval_return_final": last["ret"],
        "episode_length_final": last["length"],
        "steps_to_success_0_8": steps_to_reach(history, 0.8),
    }
    policy = dataclasses.replace(policy, metadata={"source": "ppo", "variant": variant, "seed": seed, "env_steps": int(env_steps)})
    save_policy(policy, Path(out_dir) / POLICY_FILENAME)
    write_json(metrics, out_json)
    print(f"[ppo {name}] {metrics}", flush=True)
    return metrics
