"""Stage `demos`: FSM rollouts in the MJX env -> demonstration dataset, and the expert's protocol metrics."""

from __future__ import annotations

import time

from walker.demos import dataset_from_rollouts, save_dataset, worth_copying
from walker.io import write_json
from walker.passive.backends import make_env
from walker.passive.config import Params
from walker.passive.expert import fsm_policy
from walker.passive.system import load_system
from walker.protocol import horizon_steps, mean_metrics, measure, protocol_sets
from walker.rollout import make_rollout, random_conditions

PARAMS = ("walker", "fsm", "demos", "evaluate.seed", "evaluate.nominal_cases", "evaluate.suite_cases", "evaluate.episode_seconds",
          "evaluate.min_speed_mps", "evaluate.steady", "evaluate.gait", "evaluate.suite", "evaluate.rollout_batch", "evaluate.rollout_devices")


def run(params: Params, system_file: str, out_npz: str, out_json: str) -> dict:
    """Record FSM demonstrations and measure the expert on the nominal set and the suite."""
    start = time.time()
    w, ev, dm = params.walker, params.evaluate, params.demos
    env = make_env(load_system(system_file, w), w)
    expert = fsm_policy(params.fsm, env)
    # demonstrations are training-length episodes; the expert's protocol metrics use the protocol's horizon
    demo_rollout = make_rollout(env, expert, w.episode_steps)
    demo_conditions = random_conditions(dm.episodes, dm.seed, w.randomization)
    traj, _ = measure(demo_rollout, demo_conditions, dm.seed, w, ev, "demos", env.foot_model)
    kept = worth_copying(traj, ev.min_speed_mps, w.control_dt)
    dataset = dataset_from_rollouts(traj, kept, demo_conditions)
    save_dataset(dataset, out_npz)

    rollout = make_rollout(env, expert, horizon_steps(w, ev))
    sets = protocol_sets(w, ev)
    _, nominal = measure(rollout, *sets["nominal"], w, ev, "nominal", env.foot_model)
    _, suite = measure(rollout, *sets["suite"], w, ev, "suite", env.foot_model)
    metrics = {
        "pairs": int(dataset.obs.shape[0]),
        "episodes": int(dataset.condition.shape[0]),
        "episodes_recorded": int(dm.episodes),
        # every recorded episode up to its fall, kept or not: charged to the curriculum in the race against scratch
        "env_steps": int(traj.alive.sum()),
        "expert_kept_randomized": float(kept.mean()),
        "expert_success_nominal": float(nominal.success.mean()),
        "expert_distance_m_nominal": float(nominal.distance_m.mean()),
        "expert_speed_mps_nominal": float(nominal.speed_mps.mean()),
        "expert_cost_of_transport_nominal": mean_metrics(nominal)["cost_of_transport"],
        "expert_walking_nominal": float(nominal.walking.mean()),
        "expert_success_suite": float(suite.success.mean()),
        "expert_walking_suite": float(suite.walking.mean()),
    }
    write_json(metrics, out_json)  # no wall-clock time here: the file must be reproducible bit for bit
    print(f"[demos] {metrics} in {time.time() - start:.0f} s", flush=True)
    return metrics
