"""Stage `evaluate`: every policy (FSM, clone, each PPO and SAC run) on the protocol's sets in MJX, and on the suite
in native MuJoCo -> results/summary.json (the results contract) and results/evaluation.json (the details)."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from walker.blocks import GaitCriterion
from walker.gait import GAIT_FIELDS, is_walking
from walker.io import write_json
from walker.passive.backends import make_env
from walker.passive.config import Params
from walker.passive.env import PassiveWalkerEnv
from walker.passive.expert import fsm_policy
from walker.passive.native import FsmController, PolicyController, native_rollouts
from walker.passive.system import load_system
from walker.passive.task import OBS_HIP, OBS_HIP_VELOCITY
from walker.policy import PolicyFile, load_policy
from walker.protocol import (
    EpisodeMetrics,
    envelope_map_conditions,
    episode_metrics,
    horizon_steps,
    mean_metrics,
    measure,
    measure_sets,
    protocol_sets,
    sweep_sets,
)
from walker.rollout import learned_policy, make_rollout, policy_arrays, start_states
from walker.summary import LEARNERS, RACE_GROUPS, best_run, group_row, summary

PARAMS = ("walker", "fsm", "evaluate", "seeds")

GAIT_SECONDS = 3.0
"""length of the gait phase portrait (s): several steps of one nominal episode"""


@dataclasses.dataclass(frozen=True)
class EvaluatedPolicy:
    """One policy the evaluate stage measures: its summary group, its name and its file (None for the FSM)."""

    group: str
    name: str
    policy: PolicyFile | None


def policies_to_evaluate(params: Params, bc_dir: str, model_dirs: Mapping[str, str], wide_dir: str, obs_size: int, action_size: int
                         ) -> list[EvaluatedPolicy]:
    """The FSM, the clone, every run of every learner (``model_dirs[learner]``) and seed, and every wide (ADR) run;
    every file is loaded (and checked) up front."""
    load = lambda path: load_policy(path, obs_size, action_size)  # noqa: E731
    out = [EvaluatedPolicy("fsm", "fsm", None), EvaluatedPolicy("bc", "bc", load(bc_dir))]
    for learner, variants in LEARNERS.items():
        for variant in variants:
            for seed in params.seeds:
                out.append(EvaluatedPolicy(f"{learner}_{variant}", f"{learner}_{variant}-{seed}", load(Path(model_dirs[learner]) / f"{variant}-{seed}")))
    for seed in params.seeds:
        out.append(EvaluatedPolicy("ppo_wide", f"ppo_wide-{seed}", load(Path(wide_dir) / f"wide-{seed}")))
    return out


def read_race_results(params: Params, results_dirs: Mapping[str, str]) -> dict[str, list[dict]]:
    """``<results_dirs[learner]>/<variant>-<seed>.json`` of every run, by race group (``<learner>_<variant>``)."""
    runs: dict[str, list[dict]] = {}
    for learner, variants in LEARNERS.items():
        for variant in variants:
            for seed in params.seeds:
                path = Path(results_dirs[learner]) / f"{variant}-{seed}.json"
                if not path.is_file():
                    raise FileNotFoundError(f"{path}: {learner} results not found (run `dvc repro {learner}`)")
                runs.setdefault(f"{learner}_{variant}", []).append(json.loads(path.read_text()))
    return runs


def pre_env_steps(demos_json: str, bc_json: str) -> dict[str, int]:
    """Env steps each race group's curriculum spent before its learner started: the FSM demos and the DAgger rollouts
    for PPO from BC and SAC with the demos (its actor is the clone, its buffer the demos), none for the scratch runs."""
    for path in (demos_json, bc_json):
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path}: not found (run `dvc repro demos bc`)")
    demos, bc = json.loads(Path(demos_json).read_text()), json.loads(Path(bc_json).read_text())
    curriculum = int(demos["env_steps"]) + int(bc["dagger_env_steps"])
    return {group: curriculum if side == "curriculum" else 0 for group, side in RACE_GROUPS.items()}


PERCENTILES = (5, 25, 50, 75, 95)


def gait_distribution(m: EpisodeMetrics, crit: GaitCriterion) -> dict[str, Any]:
    """One set's gait over its episodes: per gait metric the :data:`PERCENTILES` (over the episodes that define it;
    None if none does), and the fraction of episodes that succeed and meet every walking bound but the step
    length (what docs/protocol.md weighs the step-length bound with)."""
    out: dict[str, Any] = {"percentiles": list(PERCENTILES)}
    for name in GAIT_FIELDS:
        values = np.asarray(getattr(m.gait, name), float)
        values = values[np.isfinite(values)]
        out[name] = np.percentile(values, PERCENTILES).round(4).tolist() if values.size else None
    but_step = m.success & is_walking(m.gait, crit.min_alternations_hz, crit.max_flight_fraction, crit.max_stance_slip_mps, -np.inf)
    out["walking_but_step_length"] = float((but_step & ~m.walking).mean())
    return out


def evaluate_policies(
    params: Params, env: PassiveWalkerEnv, policies: list[EvaluatedPolicy], map_groups: Sequence[str] = (),
) -> tuple[dict[str, dict], dict[str, dict]]:
    """Every policy on the nominal set, the suite and the sweeps in MJX, and on the suite in native MuJoCo
    (evaluation.json's ``policies`` entries by name); then the best run (by suite walking) of each of ``map_groups``
    on the slope x push map (``envelope_map`` entries by group). One compiled rollout per kind of policy file."""
    start = time.time()
    w, ev = params.walker, params.evaluate
    steps = horizon_steps(w, ev)
    rollouts: dict[tuple, Any] = {}

    def rollout_for(policy: PolicyFile | None):
        kind = None if policy is None else (policy.squash, policy.activation, tuple(a.shape for a in policy.weights))
        if kind not in rollouts:
            controller = fsm_policy(params.fsm, env) if policy is None else learned_policy(policy)
            rollouts[kind] = make_rollout(env, controller, steps)
        return rollouts[kind]

    sets, sweeps = protocol_sets(w, ev), sweep_sets(w, ev)
    suite, suite_seed = sets["suite"]
    suite_qpos, suite_qvel = start_states(env, suite_seed, len(suite))
    body = env.foot_model
    gait_steps = int(GAIT_SECONDS * w.control_hz)
    details: dict[str, dict] = {}
    for p in policies:
        rollout = rollout_for(p.policy)
        arrays = () if p.policy is None else policy_arrays(p.policy)
        # the nominal set, the suite and the sweeps in one stream of chunks: only the last chunk is padded
        measured = measure_sets(rollout, [sets["nominal"], (suite, suite_seed)] + [(c, seed) for _, c, seed in sweeps.values()],
                                w, ev, f"evaluate {p.name}: nominal, suite, sweeps", body, arrays)
        (nominal_traj, nominal), (_, suite_m), *swept = measured
        entry = {
            "group": p.group,
            "nominal": mean_metrics(nominal),
            "suite": mean_metrics(suite_m),
            "sweeps": {},
            "gait": {
                "hip": nominal_traj.obs[:gait_steps, 0, OBS_HIP].round(4).tolist(),
                "hip_velocity": nominal_traj.obs[:gait_steps, 0, OBS_HIP_VELOCITY].round(4).tolist(),
                "dt": w.control_dt,
            },
        }
        for (quantity, (values, _, _)), (_, m) in zip(sweeps.items(), swept):
            entry["sweeps"][quantity] = {
                "values": values.tolist(),
                "success": m.success.reshape(len(values), -1).mean(axis=1).tolist(),
                "walking": m.walking.reshape(len(values), -1).mean(axis=1).tolist(),
            }
        controller = FsmController(params.fsm, env.geom) if p.policy is None else PolicyController(p.policy)
        t0 = time.time()
        native = native_rollouts(w, controller, suite.as_array(), suite_qpos, suite_qvel, ev.native_workers, steps)
        native_m = episode_metrics(native.obs, native.alive, native.fell, native.x, native.work, native.mass, w.control_dt, ev, body)
        entry["suite_native"] = mean_metrics(native_m)
        entry["suite_cases_same_outcome"] = float((native_m.success == suite_m.success).mean())
        entry["suite_cases_same_walking"] = float((native_m.walking == suite_m.walking).mean())
        entry["suite_gait_distribution"] = gait_distribution(suite_m, ev.gait)
        details[p.name] = entry
        print(
            f"[evaluate] {p.name}: nominal {entry['nominal']['success']:.3f}, suite {entry['suite']['success']:.3f} (MJX) "
            f"{entry['suite_native']['success']:.3f} (native, {time.time() - t0:.0f} s), walking on the suite "
            f"{entry['suite']['walking']:.3f} (MJX) {entry['suite_native']['walking']:.3f} (native), {time.time() - start:.0f} s so far",
            flush=True,
        )

    by_name = {p.name: p for p in policies}
    slopes, pushes, grid = envelope_map_conditions(w, ev)
    maps: dict[str, dict] = {}
    for group in map_groups:
        name = best_run(details, group, "walking")
        p = by_name[name]
        arrays = () if p.policy is None else policy_arrays(p.policy)
        _, m = measure(rollout_for(p.policy), grid, ev.seed + 6, w, ev, f"evaluate {name}: slope x push map", body, arrays)
        shape = (len(slopes), len(pushes), -1)
        maps[group] = {
            "run": name, "slope_deg": slopes.tolist(), "push_impulse_ns": pushes.tolist(),
            "success": m.success.reshape(shape).mean(axis=2).round(4).tolist(),
            "walking": m.walking.reshape(shape).mean(axis=2).round(4).tolist(),
        }
        print(f"[evaluate] {name}: slope x push map, walking in {float(m.walking.mean()):.3f} of {len(m.walking)} episodes", flush=True)
    return details, maps


def run(
    params: Params, system_file: str, bc_dir: str, ppo_dir: str, sac_dir: str, wide_dir: str, ppo_results_dir: str, sac_results_dir: str,
    demos_json: str, bc_json: str, out_summary: str, out_details: str,
) -> dict:
    """Every policy on the protocol's sets -> the summary (with the race of the learners) and the details."""
    start = time.time()
    w, ev = params.walker, params.evaluate
    env = make_env(load_system(system_file, w), w)
    policies = policies_to_evaluate(params, bc_dir, {"ppo": ppo_dir, "sac": sac_dir}, wide_dir, env.observation_size, env.action_size)
    race_runs = read_race_results(params, {"ppo": ppo_results_dir, "sac": sac_results_dir})
    pre_steps = pre_env_steps(demos_json, bc_json)
    details, maps = evaluate_policies(params, env, policies, ev.envelope_map.groups)
    per_group: dict[str, list[dict]] = {}
    for e in details.values():
        per_group.setdefault(e["group"], []).append(group_row(e))
    result = summary(per_group, race_runs, pre_steps, ev.success_threshold)
    write_json({"policies": details, "envelope_map": maps, "suite_cases": ev.suite_cases, "nominal_cases": ev.nominal_cases,
                "episode_seconds": ev.episode_seconds}, out_details)
    write_json(result, out_summary)
    print(f"[evaluate] {json.dumps(result)} in {time.time() - start:.0f} s", flush=True)
    return result
