"""What each DVC stage does, as functions of validated params and paths (scripts in pipeline/ call these)."""

from __future__ import annotations

import time

import numpy as np

from walker.config import Params
from walker.demos import dataset_from_rollouts, save_dataset
from walker.env import PassiveWalkerEnv
from walker.evaluate import (
    episode_metrics,
    fsm_policy,
    make_rollout,
    nominal_conditions,
    random_conditions,
    run_rollouts,
    suite_conditions,
)
from walker.io import write_json
from walker.system import load_system


def run_demos(params: Params, system_file: str, out_npz: str, out_json: str) -> dict:
    """Record FSM demonstrations and measure the expert on the nominal set and the suite."""
    start = time.time()
    w, ev, dm = params.walker, params.evaluate, params.demos
    env = PassiveWalkerEnv(load_system(system_file, w), w)
    policy = fsm_policy(params.fsm, env)
    rollout = make_rollout(env, policy, w.episode_steps)
    batch = ev.rollout_batch

    def measure(conditions, seed, label):
        traj = run_rollouts(rollout, conditions, seed, batch, label)
        return traj, episode_metrics(traj.alive, traj.x, traj.work, traj.mass, w.control_dt, ev.min_speed_mps)

    demo_conditions = random_conditions(dm.episodes, dm.seed, w.randomization)
    traj, demo_metrics = measure(demo_conditions, dm.seed, "demos")
    dataset = dataset_from_rollouts(traj, demo_metrics, demo_conditions)
    save_dataset(dataset, out_npz)

    _, nominal = measure(nominal_conditions(dm.nominal_episodes, w), dm.seed + 1, "nominal")
    _, suite = measure(suite_conditions(ev), ev.seed, "suite")
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
