"""Which part of the evaluation protocol moves a policy's score: the suite under three protocol variants.

Usage: python scripts/protocol_ablation.py REV[,REV...] [OUT_JSON]
  e.g. python scripts/protocol_ablation.py 1816b05,4c16a72 ablation.json

Scores the FSM and the committed policies of each git revision (``models/bc`` and ``models/ppo/*``, read
with ``git show``, so the working tree is left alone) on the robustness suite in MJX with today's code and
params, under: 10 s episodes without the steady-speed rule (the protocol before issue 18, on today's model),
20 s without it, and 20 s with it (today's protocol). Prints one line per policy and variant (success and
walking success) and writes them all to OUT_JSON if given. docs/protocol.md has the committed figures.
"""

import dataclasses
import json
import subprocess
import sys
import tempfile
from pathlib import Path

POLICIES = ("bc", "ppo/bc-0", "ppo/bc-1", "ppo/bc-2", "ppo/scratch-0", "ppo/scratch-1", "ppo/scratch-2")


def policy_files(rev: str, into: Path) -> dict[str, Path]:
    """``{"REV:name": folder}`` of the policy files committed at ``rev``."""
    out = {}
    for name in POLICIES:
        folder = into / rev / name
        folder.mkdir(parents=True)
        blob = subprocess.run(["git", "show", f"{rev}:models/{name}/policy.walker"], capture_output=True, check=True).stdout
        (folder / "policy.walker").write_bytes(blob)
        out[f"{rev}:{name}"] = folder
    return out


if __name__ == "__main__":
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()
    quiet_logs()
    from walker.passive.config import load_params

    params = load_params("params.yaml")
    configure_jax()
    from walker.passive.backends import make_env
    from walker.passive.expert import fsm_policy
    from walker.passive.system import build_system
    from walker.passive.task import ACTION_SIZE, OBS_SIZE
    from walker.policy import load_policy
    from walker.protocol import horizon_steps, mean_metrics, measure, protocol_sets
    from walker.rollout import learned_policy, make_rollout, policy_arrays

    revs = sys.argv[1].split(",")
    w, ev0 = params.walker, params.evaluate
    no_steady = dataclasses.replace(ev0.steady, max_speed_change=10.0)  # a 1000 % change per window: never binding
    variants = {
        "10 s, no steady rule": dataclasses.replace(ev0, episode_seconds=10.0, steady=no_steady),
        "20 s, no steady rule": dataclasses.replace(ev0, episode_seconds=20.0, steady=no_steady),
        "20 s + steady (today)": dataclasses.replace(ev0, episode_seconds=20.0),
    }
    env = make_env(build_system(w), w)
    with tempfile.TemporaryDirectory() as tmp:
        policies = {"fsm": None}
        for rev in revs:
            policies.update({key: load_policy(folder, OBS_SIZE, ACTION_SIZE) for key, folder in policy_files(rev, Path(tmp)).items()})
        learned_shape = next(p for p in policies.values() if p is not None)
        results: dict[str, dict[str, dict]] = {}
        for variant, ev in variants.items():
            conditions, seed = protocol_sets(w, ev)["suite"]
            steps = horizon_steps(w, ev)
            rollouts = {"fsm": make_rollout(env, fsm_policy(params.fsm, env), steps),
                        "learned": make_rollout(env, learned_policy(learned_shape), steps)}
            for key, policy in policies.items():
                rollout = rollouts["fsm" if policy is None else "learned"]
                arrays = () if policy is None else policy_arrays(policy)
                _, m = measure(rollout, conditions, seed, w, ev, "suite", env.foot_model, arrays)
                scores = mean_metrics(m)
                results.setdefault(key, {})[variant] = {"success": scores["success"], "walking": scores["walking"]}
                print(f"{variant:22s} {key:24s} success {scores['success']:.3f}  walking {scores['walking']:.3f}", flush=True)
    if len(sys.argv) > 2:
        Path(sys.argv[2]).write_text(json.dumps(results, indent=1))
