"""The `walker` command.

  walker params [--params FILE]        validate a params file and list every key with its doc
  walker info [--params FILE]          versions, JAX devices, rendering backend, params validity (for bug reports)
  walker fsm [--seed N] [--slope DEG]  run the FSM expert in the native MuJoCo env and report the episode
  walker policy PATH                   check a policy file (or model folder) and describe it
  walker evaluate --policy PATH|fsm [--suite] [--native]
                                       run the evaluation protocol (nominal set, or the robustness suite) on one policy
  walker render --policy PATH|fsm --out FILE.mp4 [--push N_S --at SECONDS] [--slope DEG] [--keyframes FILE.xml]
                                       render one native-MuJoCo episode to a video (and MJCF keyframes)
  walker bench [--out FILE.json] [--plot FILE.png]
                                       native MuJoCo against batched MJX, the env and PPO (sizes: params `bench`)
  walker bench --humanoid [--out FILE.json]
                                       the humanoid's physics and PPO (humanoid/params.yaml `bench`)
  walker bench --solvers [--out FILE.json] [--table FILE.md]
                                       the solver settings in `bench.solvers`: speed and drift from native MuJoCo
  walker serve [--folder results/web] [--port N] [--open]
                                       serve the browser viewer on localhost and print its URL
"""

from __future__ import annotations

import argparse
import sys

from walker.config import ConfigError, describe
from walker.passive.config import Params, load_params


def _cmd_params(args: argparse.Namespace) -> int:
    load_params(args.params)
    print(f"{args.params}: valid")
    for line in describe(Params):
        print(f"  {line}")
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    from walker.info import info_lines

    valid, lines = info_lines(args.params)
    print("\n".join(lines))
    return 0 if valid else 1


def _cmd_fsm(args: argparse.Namespace) -> int:
    from walker.passive.native import FsmController, PassiveWalkerNativeEnv, run_episode

    params = load_params(args.params)
    env = PassiveWalkerNativeEnv(params.walker)
    options = {} if args.slope is None else {"slope_deg": args.slope}
    episode = run_episode(env, FsmController(params.fsm, env.geom), params.walker.episode_steps, seed=args.seed, options=options)
    env.close()
    x, fell_at = episode.x, episode.fell_at
    seconds = (len(x) - 1) * params.walker.control_dt
    distance = x[-1] - x[0]
    print(f"{'walked' if fell_at is None else 'fell'} after {seconds:.2f} s: {distance:.2f} m, {distance / seconds:.2f} m/s")
    return 0 if fell_at is None else 1


def _cmd_policy(args: argparse.Namespace) -> int:
    from walker.policy import PolicyFileError, load_policy

    try:
        policy = load_policy(args.path)
    except PolicyFileError as err:
        print(f"walker: error: {err}", file=sys.stderr)
        return 2
    sizes = " -> ".join(str(n) for n in (policy.obs_size, *policy.hidden_sizes, policy.action_size))
    print(f"{args.path}: valid policy file")
    print(f"  layers: {sizes}, activation {policy.activation}, squash {policy.squash}")
    print(f"  metadata: {policy.metadata}")
    return 0


def _load_policy_arg(path: str):
    """``fsm`` -> None (the FSM expert); anything else is a policy file or model folder."""
    from walker.passive.task import ACTION_SIZE, OBS_SIZE
    from walker.policy import load_policy

    return None if path == "fsm" else load_policy(path, OBS_SIZE, ACTION_SIZE)


def _cmd_evaluate(args: argparse.Namespace) -> int:
    import json

    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()  # before jax and mujoco are imported
    params = load_params(args.params)
    policy = _load_policy_arg(args.policy)
    configure_jax()
    from walker.passive.backends import make_env
    from walker.passive.expert import fsm_policy
    from walker.passive.native import FsmController, PolicyController, native_rollouts
    from walker.passive.system import build_system
    from walker.protocol import episode_metrics, horizon_steps, mean_metrics, measure, protocol_sets
    from walker.rollout import learned_policy, make_rollout, policy_arrays, start_states

    w, ev = params.walker, params.evaluate
    env = make_env(build_system(w), w)
    set_name = "suite" if args.suite else "nominal"
    conditions, seed = protocol_sets(w, ev)[set_name]
    steps, body = horizon_steps(w, ev), env.foot_model
    if args.native:
        qpos, qvel = start_states(env, seed, len(conditions))
        controller = FsmController(params.fsm, env.geom) if policy is None else PolicyController(policy)
        batch = native_rollouts(w, controller, conditions.as_array(), qpos, qvel, ev.native_workers, steps)
        m = episode_metrics(batch.obs, batch.alive, batch.fell, batch.x, batch.work, batch.mass, w.control_dt, ev, body)
    else:
        rollout = make_rollout(env, fsm_policy(params.fsm, env) if policy is None else learned_policy(policy), steps)
        _, m = measure(rollout, conditions, seed, w, ev, f"{set_name}", body, () if policy is None else policy_arrays(policy))
    result = {
        "policy": args.policy,
        "set": set_name,
        "physics": "native MuJoCo" if args.native else "MJX",
        "episode_seconds": ev.episode_seconds,
        **mean_metrics(m),
    }
    print(json.dumps(result, indent=2))
    return 0


def _cmd_render(args: argparse.Namespace) -> int:
    from walker.runtime import select_gl_backend

    backend = select_gl_backend()  # before anything imports mujoco
    params = load_params(args.params)
    if (args.push is None) != (args.at is None):
        raise ConfigError("--push and --at go together: the impulse (N s) and when it starts (s)")
    policy = _load_policy_arg(args.policy)
    from walker.io import write_text
    from walker.passive.model import geometry, load_mj_model
    from walker.passive.native import FsmController, PolicyController
    from walker.passive.render import keyframes_xml, record
    from walker.render import write_video

    w, r = params.walker, params.report
    options: dict = {} if args.slope is None else {"slope_deg": args.slope}
    if args.push is not None:
        options.update(push_impulse=args.push, push_time=args.at)
    controller = FsmController(params.fsm, geometry(load_mj_model(w))) if policy is None else PolicyController(policy)
    title = "FSM expert" if policy is None else f"policy {args.policy}"
    rec = record(w, controller, title=title, seconds=args.seconds or r.video_seconds, fps=r.video_fps,
                 width=r.video_width, height=r.video_height, seed=args.seed, options=options)
    write_video(rec.frames, args.out, r.video_fps)
    print(f"{args.out}: {len(rec.frames)} frames at {r.video_fps} fps ({backend} rendering); "
          + (f"fell at {rec.fell_at_s:.2f} s" if rec.fell_at_s is not None else "walked") + f", {rec.distance_m:.2f} m")
    if args.keyframes:
        write_text(keyframes_xml(w, rec, int(round(w.control_hz / r.keyframe_hz)), options.get("slope_deg")), args.keyframes)
        print(f"{args.keyframes}: MJCF with keyframes (python -m mujoco.viewer --mjcf {args.keyframes})")
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    import json
    import os

    from walker.runtime import configure_jax, prepare_process, quiet_logs

    if args.humanoid and (args.solvers or args.plot or args.table):
        raise SystemExit("walker bench --humanoid: --solvers, --plot and --table are the walker's (leave them out)")
    prepare_process()  # XLA flags (ISA pin, a device per core): before JAX starts
    quiet_logs()
    from walker.io import write_json, write_text

    if args.humanoid:
        from walker.humanoid.bench import humanoid_throughput
        from walker.humanoid.config import load_humanoid_params

        hp = load_humanoid_params(args.humanoid_params)  # validate before any computation
        configure_jax()
        result = humanoid_throughput(hp, os.cpu_count() or 1)
    else:
        params = load_params(args.params)  # validate before any computation
        from walker.passive import bench

        configure_jax()
        if args.solvers:
            result = bench.solver_table(params)
            if args.table:
                write_text(bench.solver_markdown(result, params), args.table)
        else:
            result = bench.throughput(params)
            if args.plot:
                from walker.plots import bench_throughput

                bench_throughput(result, args.plot)
    if args.out:
        write_json(result, args.out)
    print(json.dumps(result, indent=2, sort_keys=True))
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    import time

    from walker.runtime import quiet_logs

    quiet_logs()  # the URL is the first line printed (tests and scripts read it)
    from walker.web import serving

    with serving(args.folder, args.port) as url:
        print(f"serving {args.folder} at {url}", flush=True)
        print(f"open {url} in a browser (Chrome, Firefox, Safari); Ctrl-C stops", flush=True)
        if args.open:
            import webbrowser

            webbrowser.open(url)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            print("stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="walker", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("params", help="validate params.yaml and list its keys")
    p.add_argument("--params", default="params.yaml")
    p.set_defaults(func=_cmd_params)
    i = sub.add_parser("info", help="what a bug report needs: versions, devices, rendering, params validity")
    i.add_argument("--params", default="params.yaml")
    i.set_defaults(func=_cmd_info)
    f = sub.add_parser("fsm", help="run the FSM expert once in native MuJoCo")
    f.add_argument("--params", default="params.yaml")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--slope", type=float, default=None, help="slope in degrees (default: walker.slope_deg)")
    f.set_defaults(func=_cmd_fsm)
    pol = sub.add_parser("policy", help="check and describe a policy file")
    pol.add_argument("path", help="a policy file, or a model folder such as models/bc")
    pol.set_defaults(func=_cmd_policy)
    e = sub.add_parser("evaluate", help="the evaluation protocol on one policy (MJX, or native MuJoCo)")
    e.add_argument("--policy", required=True, help="a policy file or model folder, or 'fsm' for the expert")
    e.add_argument("--suite", action="store_true", help="the robustness suite (default: the nominal set)")
    e.add_argument("--native", action="store_true", help="native MuJoCo with the NumPy policy runner (default: batched MJX)")
    e.add_argument("--params", default="params.yaml")
    e.set_defaults(func=_cmd_evaluate)
    r = sub.add_parser("render", help="render one native-MuJoCo episode to an mp4")
    r.add_argument("--policy", required=True, help="a policy file or model folder, or 'fsm' for the expert")
    r.add_argument("--out", required=True, help="the mp4 to write")
    r.add_argument("--push", type=float, default=None, metavar="N_S", help="push impulse on the torso (N s, + = downhill)")
    r.add_argument("--at", type=float, default=None, metavar="SECONDS", help="when the push starts (s)")
    r.add_argument("--slope", type=float, default=None, help="slope in degrees (default: walker.slope_deg)")
    r.add_argument("--seconds", type=float, default=None, help="simulated seconds (default: report.video_seconds)")
    r.add_argument("--seed", type=int, default=0, help="seed of the start-state noise")
    r.add_argument("--keyframes", default=None, metavar="FILE.xml", help="also write the rollout as MJCF keyframes")
    r.add_argument("--params", default="params.yaml")
    r.set_defaults(func=_cmd_render)
    b = sub.add_parser("bench", help="throughput: native MuJoCo against batched MJX, the env and PPO training")
    b.add_argument("--solvers", action="store_true", help="the solver table instead (bench.solvers)")
    b.add_argument("--out", default=None, help="also write the result as JSON")
    b.add_argument("--plot", default=None, metavar="FILE.png", help="throughput against batch size (not with --solvers)")
    b.add_argument("--table", default=None, metavar="FILE.md", help="the solver table as markdown (with --solvers)")
    b.add_argument("--params", default="params.yaml")
    b.add_argument("--humanoid", action="store_true", help="the humanoid's physics instead (humanoid/params.yaml `bench`)")
    b.add_argument("--humanoid-params", default="humanoid/params.yaml", help="the humanoid's params (with --humanoid)")
    b.set_defaults(func=_cmd_bench)
    s = sub.add_parser("serve", help="serve the browser viewer (built by `dvc repro web`) on localhost")
    s.add_argument("--folder", default="results/web", help="the viewer folder (default: results/web)")
    s.add_argument("--port", type=int, default=0, help="port (default: a free one, printed)")
    s.add_argument("--open", action="store_true", help="also open it in the default browser")
    s.set_defaults(func=_cmd_serve)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except Exception as err:
        from walker.policy import PolicyFileError  # imported late: it imports mujoco, which `render` must configure first

        if not isinstance(err, (ConfigError, PolicyFileError)):
            raise
        print(f"walker: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
