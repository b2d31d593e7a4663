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
    episode_metrics,
    protocol_sets,
    random_conditions,
    run_rollouts,
    start_states,
    sweep_sets,
)
from walker.io import atomic_dir, write_json
from walker.policy import POLICY_FILENAME, PolicyFile, load_policy, normalise, save_policy
from walker.ppo import PpoRun, planned_env_steps
from walker.ppo import train as ppo_train
from walker.system import load_system
from walker.task import ACTION_SIZE, OBS_HIP, OBS_HIP_VELOCITY, OBS_SIZE


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
    """Clone the FSM (plus ``bc.dagger_rounds`` DAgger rounds), check it closed-loop, write the policy file.

    The model folder, the dvclive folder and the metrics appear only when everything succeeded.
    """
    with atomic_dir(live_dir) as live_tmp, atomic_dir(out_dir) as model_tmp:
        metrics = _clone(params, system_file, demos_file, demos_json, model_tmp, live_tmp)
    write_json(metrics, out_json)
    return metrics


def _clone(params: Params, system_file: str, demos_file: str, demos_json: str, out_dir: Path, live_dir: Path) -> dict:
    """The work of :func:`run_bc`, writing into (temporary) ``out_dir`` and ``live_dir``."""
    from dvclive import Live  # heavy import, only in this stage

    start = time.time()
    w, ev, cfg = params.walker, params.evaluate, params.bc
    expert_distance = _expert_distance(demos_json)
    ds = load_dataset(demos_file)
    train, val = split_by_episode(ds.episode, cfg.val_fraction, cfg.seed)
    obs_mean, obs_std = fit_normaliser(ds.obs[train])
    targets = clip_targets(ds.action, cfg.action_limit)
    x_train, y_train = normalise(ds.obs[train], obs_mean, obs_std), targets[train]
    x_val, y_val = normalise(ds.obs[val], obs_mean, obs_std), targets[val]
    print(f"[bc] {len(x_train)} training pairs, {len(x_val)} validation pairs (split by episode)", flush=True)

    key, init_key = jax.random.split(jax.random.PRNGKey(cfg.seed))
    model = init_mlp((OBS_SIZE, *cfg.hidden_sizes, ACTION_SIZE), cfg.activation, init_key)
    env = PassiveWalkerEnv(load_system(system_file, w), w)
    expert = fsm_policy(params.fsm, env)
    rollout = make_rollout(env, learned_policy(to_policy_file(model, obs_mean, obs_std)), w.episode_steps, labeller=expert)
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
            x_train = np.concatenate([x_train, normalise(traj.obs[visited], obs_mean, obs_std)])
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
    print(f"[bc] {metrics} in {time.time() - start:.0f} s", flush=True)
    return metrics


PPO_VARIANTS = ("bc", "scratch")


def steps_to_reach(history: list[tuple[int, float]], threshold: float) -> int | None:
    """First env-step count at which the success rate reached ``threshold`` (None if never)."""
    return next((step for step, success in history if success >= threshold), None)


def run_ppo(
    params: Params, variant: str, seed: int, system_file: str, bc_dir: str, out_dir: str, out_json: str, live_dir: str
) -> dict:
    """One PPO run (`bc`: actor and normaliser from the cloned policy; `scratch`: fresh), evaluated on the suite.

    The model folder, the dvclive folder and the metrics appear only when the run finished.
    """
    with atomic_dir(live_dir) as live_tmp, atomic_dir(out_dir) as model_tmp:
        metrics = _train_ppo(params, variant, seed, system_file, bc_dir, model_tmp, live_tmp)
    write_json(metrics, out_json)
    return metrics


def _train_ppo(params: Params, variant: str, seed: int, system_file: str, bc_dir: str, out_dir: Path, live_dir: Path) -> dict:
    """The work of :func:`run_ppo`, writing into (temporary) ``out_dir`` and ``live_dir``."""
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
            total = planned_env_steps(cfg, seeded=init is not None)
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
    print(f"[ppo {name}] {metrics}", flush=True)
    return metrics


@dataclasses.dataclass(frozen=True)
class EvaluatedPolicy:
    """One policy the evaluate stage measures: its summary group, its name and its file (None for the FSM)."""

    group: str
    name: str
    policy: PolicyFile | None


def policies_to_evaluate(params: Params, bc_dir: str, ppo_dir: str) -> list[EvaluatedPolicy]:
    """The FSM, the clone and every PPO run of ``params.seeds``; every file is loaded (and checked) up front."""
    out = [EvaluatedPolicy("fsm", "fsm", None), EvaluatedPolicy("bc", "bc", load_policy(bc_dir))]
    for variant in PPO_VARIANTS:
        for seed in params.seeds:
            out.append(EvaluatedPolicy(f"ppo_{variant}", f"ppo_{variant}-{seed}", load_policy(Path(ppo_dir) / f"{variant}-{seed}")))
    return out


def read_ppo_results(params: Params, results_dir: str) -> dict[str, list[dict]]:
    """``results/ppo/<variant>-<seed>.json`` of every run, by variant."""
    runs: dict[str, list[dict]] = {}
    for variant in PPO_VARIANTS:
        for seed in params.seeds:
            path = Path(results_dir) / f"{variant}-{seed}.json"
            if not path.is_file():
                raise FileNotFoundError(f"{path}: PPO results not found (run `dvc repro ppo`)")
            runs.setdefault(variant, []).append(json.loads(path.read_text()))
    return runs


def _mean_metrics(m) -> dict[str, float]:
    return {
        "success": float(m.success.mean()),
        "distance_m": float(m.distance_m.mean()),
        "speed_mps": float(m.speed_mps.mean()),
        "cost_of_transport": float(np.nanmean(m.cost_of_transport)) if np.isfinite(m.cost_of_transport).any() else None,
        "episodes": int(len(m.success)),
    }


GAIT_SECONDS = 3.0
"""length of the gait phase portrait (s): several steps of one nominal episode"""


def run_evaluate(
    params: Params, system_file: str, bc_dir: str, ppo_dir: str, ppo_results_dir: str, out_summary: str, out_details: str
) -> dict:
    """Every policy on the nominal set, the suite and the sweeps in MJX, and on the suite in native MuJoCo."""
    from walker.native import FsmController, PolicyController, native_rollouts
    from walker.summary import summary

    start = time.time()
    w, ev = params.walker, params.evaluate
    policies = policies_to_evaluate(params, bc_dir, ppo_dir)
    ppo_runs = read_ppo_results(params, ppo_results_dir)
    env = PassiveWalkerEnv(load_system(system_file, w), w)
    fsm_rollout = make_rollout(env, fsm_policy(params.fsm, env), w.episode_steps)
    learned_rollout = make_rollout(env, learned_policy(policies[1].policy), w.episode_steps)  # one compile for every file
    sets, sweeps = protocol_sets(w, ev), sweep_sets(w, ev)
    suite, suite_seed = sets["suite"]
    suite_qpos, suite_qvel = start_states(env, suite_seed, len(suite))
    gait_steps = int(GAIT_SECONDS * w.control_hz)
    details: dict[str, dict] = {}
    for p in policies:
        rollout = fsm_rollout if p.policy is None else learned_rollout
        arrays = () if p.policy is None else policy_arrays(p.policy)
        nominal_traj, nominal = measure(rollout, *sets["nominal"], w, ev, f"evaluate {p.name}: nominal", arrays)
        suite_traj, suite_m = measure(rollout, suite, suite_seed, w, ev, f"evaluate {p.name}: suite", arrays)
        entry = {
            "group": p.group,
            "nominal": _mean_metrics(nominal),
            "suite": _mean_metrics(suite_m),
            "sweeps": {},
            "gait": {
                "hip": nominal_traj.obs[:gait_steps, 0, OBS_HIP].round(4).tolist(),
                "hip_velocity": nominal_traj.obs[:gait_steps, 0, OBS_HIP_VELOCITY].round(4).tolist(),
                "dt": w.control_dt,
            },
        }
        for quantity, (values, conditions, seed) in sweeps.items():
            _, m = measure(rollout, conditions, seed, w, ev, f"evaluate {p.name}: {quantity} sweep", arrays)
            entry["sweeps"][quantity] = {"values": values.tolist(), "success": m.success.reshape(len(values), -1).mean(axis=1).tolist()}
        controller = FsmController(params.fsm, env.geom) if p.policy is None else PolicyController(p.policy)
        t0 = time.time()
        native = native_rollouts(w, controller, suite.as_array(), suite_qpos, suite_qvel, ev.native_workers)
        native_m = episode_metrics(native.alive, native.x, native.work, native.mass, w.control_dt, ev.min_speed_mps)
        entry["suite_native"] = _mean_metrics(native_m)
        entry["suite_cases_same_outcome"] = float((native_m.success == suite_m.success).mean())
        details[p.name] = entry
        print(
            f"[evaluate] {p.name}: nominal {entry['nominal']['success']:.3f}, suite {entry['suite']['success']:.3f} (MJX) "
            f"{entry['suite_native']['success']:.3f} (native, {time.time() - t0:.0f} s), {time.time() - start:.0f} s so far",
            flush=True,
        )

    per_group: dict[str, list[dict]] = {}
    for name, e in details.items():
        per_group.setdefault(e["group"], []).append({
            "success_nominal": e["nominal"]["success"],
            "success_suite": e["suite"]["success"],
            "success_suite_native": e["suite_native"]["success"],
            "distance_m": e["nominal"]["distance_m"],
            "speed_mps": e["nominal"]["speed_mps"],
            "cost_of_transport": e["nominal"]["cost_of_transport"],
        })
    result = summary(per_group, ppo_runs)
    write_json({"policies": details, "suite_cases": len(suite), "nominal_cases": ev.nominal_cases}, out_details)
    write_json(result, out_summary)
    print(f"[evaluate] {json.dumps(result)} in {time.time() - start:.0f} s", flush=True)
    return result


@dataclasses.dataclass(frozen=True)
class VideoJob:
    """One video of the report: which policy, under which push, written where."""

    name: str
    title: str
    policy: PolicyFile | None
    push_ns: float
    out_mp4: str
    out_keyframes: str | None


def _render_job(params: Params, job: VideoJob) -> dict:
    """Record one native episode, write its mp4 (and keyframes); runs in a worker process."""
    from walker.model import geometry, load_mj_model
    from walker.native import FsmController, PolicyController
    from walker.io import write_text
    from walker.render import keyframes_xml, record, write_video

    w, r = params.walker, params.report
    controller = FsmController(params.fsm, geometry(load_mj_model(w))) if job.policy is None else PolicyController(job.policy)
    options = {"push_impulse": job.push_ns, "push_time": r.video_push_time_s} if job.push_ns else {}
    rec = record(w, controller, title=job.title, seconds=r.video_seconds, fps=r.video_fps, width=r.video_width,
                 height=r.video_height, seed=params.evaluate.seed, options=options)
    write_video(rec.frames, job.out_mp4, r.video_fps)
    if job.out_keyframes:
        write_text(keyframes_xml(w, rec, int(round(w.control_hz / r.keyframe_hz))), job.out_keyframes)
    print(f"[report] {job.out_mp4}: {len(rec.frames)} frames, " + (f"fell at {rec.fell_at_s:.2f} s" if rec.fell_at_s else "walked") + f", {rec.distance_m:.1f} m", flush=True)
    return {"video": job.out_mp4, "keyframes": job.out_keyframes, "push_ns": job.push_ns, "fell_at_s": rec.fell_at_s,
            "distance_m": rec.distance_m, "frames": len(rec.frames)}


def best_seed(details: dict, group: str) -> str:
    """The name of the run in ``group`` with the highest MJX suite success (the first one on ties)."""
    runs = [(name, e["suite"]["success"]) for name, e in details.items() if e["group"] == group]
    return max(runs, key=lambda item: item[1])[0]


def run_report(
    params: Params, summary_json: str, details_json: str, ppo_live_dir: str, bc_dir: str, ppo_dir: str,
    plots_dir: str, videos_dir: str,
) -> dict:
    """Plots of the evaluation, and videos (plus MJCF keyframes) of every policy kind, nominal and pushed.

    Both folders are built aside and replace the old ones only when every plot and video is written.
    """
    with atomic_dir(plots_dir) as plots_tmp, atomic_dir(videos_dir) as videos_tmp:
        result = _report(params, summary_json, details_json, ppo_live_dir, bc_dir, ppo_dir, plots_tmp, videos_tmp, Path(videos_dir))
    return result


def _report(
    params: Params, summary_json: str, details_json: str, ppo_live_dir: str, bc_dir: str, ppo_dir: str,
    plots_dir: Path, videos_dir: Path, videos_final: Path,
) -> dict:
    """The work of :func:`run_report`, writing into (temporary) folders; the video index names ``videos_final``."""
    from concurrent.futures import ProcessPoolExecutor
    import multiprocessing

    from walker import plots

    start = time.time()
    summary = json.loads(Path(summary_json).read_text())
    details = json.loads(Path(details_json).read_text())["policies"]
    plots_dir, videos_dir = Path(plots_dir), Path(videos_dir)

    curves = {metric: {f"ppo_{v}": [plots.read_curve(Path(ppo_live_dir) / f"{v}-{s}/plots/metrics/eval/{metric}.tsv") for s in params.seeds]
                       for v in PPO_VARIANTS} for metric in ("success_suite", "episode_return")}
    plots.sample_efficiency(curves, {g: summary[g]["success_suite"] for g in ("fsm", "bc")}, plots_dir / "sample_efficiency.png")
    sweeps = {q: {} for q in ("slope_deg", "push_impulse_ns")}
    for e in details.values():
        for q, data in e["sweeps"].items():
            group = sweeps[q].setdefault(e["group"], {"values": data["values"], "success": []})
            group["success"].append(data["success"])
    ranges = params.ppo.randomization
    plots.robustness(sweeps, {"slope_deg": (ranges.slope_deg.low, ranges.slope_deg.high),
                              "push_impulse_ns": (ranges.push_impulse_ns.low, ranges.push_impulse_ns.high)}, plots_dir / "robustness.png")
    shown = {"fsm": "fsm", "bc": "bc", "ppo_bc": best_seed(details, "ppo_bc"), "ppo_scratch": best_seed(details, "ppo_scratch")}
    labels = {g: plots.POLICY_STYLE[g][0] + (f" (seed {name.rsplit('-', 1)[1]})" if "-" in name else "") for g, name in shown.items()}
    plots.gait({name: {"group": g, "label": labels[g], **details[name]["gait"]} for g, name in shown.items()}, plots_dir / "gait.png")
    per_seed: dict[str, dict[str, list[float]]] = {}
    for e in details.values():
        runs = per_seed.setdefault(e["group"], {"success_nominal": [], "success_suite": [], "success_suite_native": []})
        for key, where in (("success_nominal", "nominal"), ("success_suite", "suite"), ("success_suite_native", "suite_native")):
            runs[key].append(e[where]["success"])
    plots.summary_bars(summary, per_seed, plots_dir / "summary.png")
    print(f"[report] plots in {plots_dir} ({time.time() - start:.0f} s)", flush=True)

    jobs = []
    for group, name in shown.items():
        policy = None if group == "fsm" else load_policy(Path(ppo_dir) / name.removeprefix("ppo_") if group.startswith("ppo") else bc_dir)
        for kind, push in (("nominal", 0.0), ("pushed", params.report.video_push_ns)):
            title = labels[group] + (f", push {push:+g} N s at {params.report.video_push_time_s:g} s" if push else ", nominal ramp")
            keyframes = str(videos_dir / f"{group}_{kind}.keyframes.xml") if group == "ppo_bc" else None
            jobs.append(VideoJob(f"{group}_{kind}", title, policy, push, str(videos_dir / f"{group}_{kind}.mp4"), keyframes))
    workers = max(1, min(params.evaluate.native_workers, len(jobs)))
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        index = list(pool.map(_render_job, [params] * len(jobs), jobs))
    for entry in index:  # name where the files will be, not where they are built
        for key in ("video", "keyframes"):
            if entry[key]:
                entry[key] = str(videos_final / Path(entry[key]).name)
    write_json({"videos": index}, videos_dir / "index.json")
    print(f"[report] {len(jobs)} videos in {videos_dir} ({time.time() - start:.0f} s)", flush=True)
    return {"plots": sorted(p.name for p in plots_dir.glob("*.png")), "videos": index}
