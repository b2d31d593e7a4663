"""The `walker` command.

  walker params [--params FILE]        validate a params file and list every key with its doc
  walker fsm [--seed N] [--slope DEG]  run the FSM expert in the native MuJoCo env and report the episode
  walker policy PATH                   check a policy file (or model folder) and describe it
"""

from __future__ import annotations

import argparse
import sys

from walker.config import ConfigError, Params, describe, load_params


def _cmd_params(args: argparse.Namespace) -> int:
    load_params(args.params)
    print(f"{args.params}: valid")
    for line in describe(Params):
        print(f"  {line}")
    return 0


def _cmd_fsm(args: argparse.Namespace) -> int:
    from walker.native import FsmController, PassiveWalkerNativeEnv, run_episode

    params = load_params(args.params)
    env = PassiveWalkerNativeEnv(params.walker)
    options = {} if args.slope is None else {"slope_deg": args.slope}
    _, x, fell_at = run_episode(env, FsmController(params.fsm, env.geom), params.walker.episode_steps, seed=args.seed, options=options)
    env.close()
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="walker", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("params", help="validate params.yaml and list its keys")
    p.add_argument("--params", default="params.yaml")
    p.set_defaults(func=_cmd_params)
    f = sub.add_parser("fsm", help="run the FSM expert once in native MuJoCo")
    f.add_argument("--params", default="params.yaml")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--slope", type=float, default=None, help="slope in degrees (default: walker.slope_deg)")
    f.set_defaults(func=_cmd_fsm)
    pol = sub.add_parser("policy", help="check and describe a policy file")
    pol.add_argument("path", help="a policy file, or a model folder such as models/bc")
    pol.set_defaults(func=_cmd_policy)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as err:
        print(f"walker: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
