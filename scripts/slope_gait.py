"""Why a policy does or does not walk on a ramp: success, walking and the gait metrics per slope.

Usage: python scripts/slope_gait.py POLICY_DIR[,POLICY_DIR...] SLOPES [CASES]
  e.g. python scripts/slope_gait.py models/ppo/bc-0,models/ppo_wide/wide-0 4,6,12,15,16,17,18

Each slope: CASES (default 32) nominal starts, no push, nominal friction and mass, evaluate.episode_seconds
long, scored by the protocol (walker.protocol.measure), with the fraction that falls. A gait that survives but is not a walk shows
which bound it breaks (flight fraction, stance-foot slip, step length, alternations: docs/protocol.md).
"""

import dataclasses
import sys

import numpy as np

if __name__ == "__main__":
    from walker.runtime import configure_jax, prepare_process, quiet_logs

    prepare_process()
    quiet_logs()
    from walker.passive.backends import make_env
    from walker.passive.config import load_params
    from walker.passive.system import load_system
    from walker.policy import load_policy
    from walker.protocol import horizon_steps, measure
    from walker.rollout import learned_policy, make_rollout, nominal_conditions, policy_arrays

    configure_jax()
    paths, slopes = sys.argv[1].split(","), [float(s) for s in sys.argv[2].split(",")]
    cases = int(sys.argv[3]) if len(sys.argv) > 3 else 32
    params = load_params()
    w, ev = params.walker, params.evaluate
    env = make_env(load_system("data/system.pkl", w), w)
    conditions = dataclasses.replace(nominal_conditions(cases * len(slopes), w), slope_deg=np.repeat(np.array(slopes, np.float32), cases))
    rollout = None
    for path in paths:
        policy = load_policy(path, env.observation_size, env.action_size)
        rollout = rollout or make_rollout(env, learned_policy(policy), horizon_steps(w, ev))
        _, m = measure(rollout, conditions, ev.seed + 3, w, ev, path, env.foot_model, policy_arrays(policy))
        g = m.gait
        for i, slope in enumerate(slopes):
            at = slice(i * cases, (i + 1) * cases)
            fell = (m.steps_alive[at] < horizon_steps(w, ev)).mean()  # a fall ends the episode early
            print(f"{path} {slope:g} deg: fell {fell:.2f}, success {m.success[at].mean():.2f}, walking {m.walking[at].mean():.2f}, "
                  f"speed {np.nanmean(m.speed_mps[at]):.2f} m/s, flight fraction {np.nanmean(g.flight_fraction[at]):.2f}, "
                  f"alternations {np.nanmean(g.alternations_hz[at]):.2f}/s, stance slip {np.nanmean(g.stance_slip_mps[at]):.2f} m/s, "
                  f"step {np.nanmean(g.step_length_m[at]):.2f} m", flush=True)
