"""One process of the two-process PPO test (tests/test_distributed.py): a tiny Brax PPO run through walker.ppo.train.

Usage: python tests/distributed_worker.py PARAMS_FILE SYSTEM_PICKLE (built with walker.episode_seconds 0.2).
Reads WALKER_COORDINATOR, WALKER_NUM_PROCESSES, WALKER_PROCESS_ID; prints ``PROCESSES <count>`` and
``FINAL <sha256 of the final policy's arrays>``.
"""

import dataclasses
import hashlib
import os
import sys

if __name__ == "__main__":
    os.environ["XLA_FLAGS"] = os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=1"
    from walker.runtime import configure_jax, init_distributed, prepare_process, quiet_logs

    prepare_process()
    quiet_logs()
    configure_jax()
    index, count = init_distributed()
    import jax
    import numpy as np

    from walker.passive.config import load_params
    from walker.passive.env import PassiveWalkerEnv
    from walker.passive.system import load_system
    from walker.ppo import PpoRun, train

    params = load_params(sys.argv[1])
    w = dataclasses.replace(params.walker, episode_seconds=0.2)
    cfg = dataclasses.replace(params.ppo, num_envs=4, batch_size=4, num_minibatches=2, unroll_length=5, num_timesteps=80,
                              eval_every_steps=40, critic_warmup_steps=0, value_hidden_sizes=(8,), variant_overrides=None)
    # from the system stage's pickle, as pipeline/ppo.py does (MJX's put_model would place it on process 0's device)
    env = PassiveWalkerEnv(load_system(sys.argv[2], w), dataclasses.replace(w, randomization=cfg.randomization))
    policy, steps = train(env, PpoRun(cfg=cfg, seed=0, init=None, num_timesteps=cfg.num_timesteps), lambda step, p: None)
    digest = hashlib.sha256(b"".join(np.asarray(a, np.float32).tobytes() for a in (*policy.weights, *policy.biases))).hexdigest()
    print(f"PROCESSES {jax.process_count()} DEVICES {jax.device_count()} STEPS {steps}", flush=True)
    print(f"FINAL {digest}", flush=True)
