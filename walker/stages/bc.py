"""Stage `bc`: behaviour cloning of the FSM plus DAgger rounds -> policy file, metrics, training curves."""

from __future__ import annotations

import json
import time
from pathlib import Path

import jax
import numpy as np

from walker.bc import clip_targets, fit, fit_normaliser, init_mlp, split_by_episode, to_policy_file, validation_loss
from walker.critic import Episodes, save_episodes
from walker.dagger import dagger
from walker.demos import load_dataset
from walker.io import atomic_dir, write_json
from walker.passive.backends import make_env
from walker.passive.config import Params
from walker.passive.expert import fsm_policy
from walker.passive.system import load_system
from walker.policy import POLICY_FILENAME, PolicyFile, normalise, save_policy
from walker.protocol import horizon_steps, measure, protocol_sets
from walker.rollout import learned_policy, make_rollout, policy_arrays

PARAMS = ("walker", "fsm", "evaluate.seed", "evaluate.nominal_cases", "evaluate.suite_cases", "evaluate.episode_seconds",
          "evaluate.min_speed_mps", "evaluate.steady", "evaluate.gait", "evaluate.suite", "evaluate.rollout_batch", "evaluate.rollout_devices", "bc")


def expert_distance(demos_json: str) -> float:
    """The FSM's mean nominal distance from the `demos` stage's metrics (same nominal set as ours)."""
    path = Path(demos_json)
    try:
        return float(json.loads(path.read_text())["expert_distance_m_nominal"])
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: expert metrics not found (run `dvc repro demos`)") from None
    except (KeyError, ValueError, TypeError) as err:
        raise ValueError(f"{path}: no usable expert_distance_m_nominal ({err!r}); rerun `dvc repro demos`") from err


def run(params: Params, system_file: str, demos_file: str, demos_json: str, out_dir: str, out_json: str, live_dir: str,
        out_visits: str) -> dict:
    """Clone the FSM (plus ``bc.dagger_rounds`` DAgger rounds), check it closed-loop, write the policy file and
    the DAgger rounds' episodes with their rewards (``out_visits``, for the offline critic).

    The model folder, the dvclive folder and the metrics appear only when everything succeeded.
    """
    with atomic_dir(live_dir) as live_tmp, atomic_dir(out_dir) as model_tmp:
        metrics, visits = _clone(params, system_file, demos_file, demos_json, model_tmp, live_tmp)
    save_episodes(visits, out_visits)
    write_json(metrics, out_json)
    return metrics


def _clone(params: Params, system_file: str, demos_file: str, demos_json: str, out_dir: Path, live_dir: Path) -> tuple[dict, Episodes]:
    """The work of :func:`run`, writing into (temporary) ``out_dir`` and ``live_dir``."""
    from dvclive import Live  # heavy import, only in this stage

    start = time.time()
    w, ev, cfg = params.walker, params.evaluate, params.bc
    expert_m = expert_distance(demos_json)
    ds = load_dataset(demos_file)
    train, val = split_by_episode(ds.episode, cfg.val_fraction, cfg.seed)
    obs_mean, obs_std = fit_normaliser(ds.obs[train])
    targets = clip_targets(ds.action, cfg.action_limit)
    x_train, y_train = normalise(ds.obs[train], obs_mean, obs_std), targets[train]
    x_val, y_val = normalise(ds.obs[val], obs_mean, obs_std), targets[val]
    print(f"[bc] {len(x_train)} training pairs, {len(x_val)} validation pairs (split by episode)", flush=True)

    env = make_env(load_system(system_file, w), w)
    key, init_key = jax.random.split(jax.random.PRNGKey(cfg.seed))
    model = init_mlp((env.observation_size, *cfg.hidden_sizes, env.action_size), cfg.activation, init_key)
    expert = fsm_policy(params.fsm, env)
    learner = learned_policy(to_policy_file(model, obs_mean, obs_std))
    check_rollout = make_rollout(env, learner, horizon_steps(w, ev), labeller=expert)  # the protocol's episodes
    dagger_rollout = make_rollout(env, learner, w.episode_steps, labeller=expert)  # training-length episodes
    sets = protocol_sets(w, ev)

    with Live(live_dir, save_dvc_exp=False, dvcyaml=None) as live:
        epochs_total = cfg.epochs + cfg.dagger_rounds * cfg.dagger_epochs

        def log_epoch(epoch: int, train_loss: float, val_loss: float) -> None:
            live.log_metric("train/loss", train_loss)
            live.log_metric("val/loss", val_loss)
            live.next_step()
            if epoch % 10 == 0:
                done = live.step
                eta = (time.time() - start) / done * (epochs_total - done)  # rough: the closed-loop checks count too
                print(f"[bc] epoch {done}/{epochs_total}: train {train_loss:.5f}, validation {val_loss:.5f}, "
                      f"{time.time() - start:.0f} s elapsed, ETA {eta:.0f} s", flush=True)

        def closed_loop_check(round_index: int, policy: PolicyFile) -> tuple:
            arrays = policy_arrays(policy)
            nominal_traj, nominal = measure(check_rollout, *sets["nominal"], w, ev, f"bc round {round_index}: nominal", env.foot_model, arrays)
            _, suite = measure(check_rollout, *sets["suite"], w, ev, f"bc round {round_index}: suite", env.foot_model, arrays)
            closed_loop = {
                "success_nominal": float(nominal.success.mean()),
                "success_suite": float(suite.success.mean()),
                "walking_suite": float(suite.walking.mean()),
                "distance_ratio_to_expert": float(nominal.distance_m.mean() / expert_m),
            }
            for name, value in closed_loop.items():
                live.log_metric(f"closed_loop/{name}", value)
            print(f"[bc] round {round_index}: {closed_loop}", flush=True)
            return nominal_traj, nominal, closed_loop

        key, sub = jax.random.split(key)
        model = fit(model, x_train, y_train, x_val, y_val, cfg, cfg.epochs, sub, log_epoch).model
        result = dagger(model, x_train, y_train, x_val, y_val, obs_mean, obs_std, cfg, dagger_rollout, w.randomization,
                        ev.rollout_batch, key, check=closed_loop_check, on_epoch=log_epoch, devices=ev.rollout_devices)

    model = result.model
    nominal_traj, nominal, closed_loop = result.checks[-1]
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
        "expert_distance_m_nominal": expert_m,
        "expert_action_mse_nominal": float(agreement.sum() / (env.action_size * nominal_traj.alive.sum())),
        "training_pairs": int(len(result.x_train)),
        "dagger_env_steps": result.env_steps,  # charged to the curriculum in the race against scratch (results/summary.json)
    }
    save_policy(policy, Path(out_dir) / POLICY_FILENAME)
    print(f"[bc] {metrics} in {time.time() - start:.0f} s", flush=True)
    empty = Episodes(np.zeros((0, env.observation_size), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(0, bool))
    return metrics, result.visits if result.visits is not None else empty
