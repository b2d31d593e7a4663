"""Entry points quiet the start-up noise that reads like errors, and nothing more."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = (
    "from walker.runtime import quiet_logs; quiet_logs(); "
    "import os, warnings, mujoco.mjx; from brax.io import mjcf; "
    "print('level', os.environ['TF_CPP_MIN_LOG_LEVEL']); "
    "warnings.warn('an unrelated warning')"
)


def _run(env_changes: dict[str, str]) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env.update(env_changes)
    return subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=300)


def test_warp_probe_and_xla_warnings_are_quiet_but_other_warnings_are_not():
    proc = _run({})
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout + proc.stderr
    assert "Failed to import warp" not in out and "Failed to import mujoco_warp" not in out
    assert "level 2" in proc.stdout
    assert "an unrelated warning" in proc.stderr  # only the named messages are filtered


@pytest.mark.parametrize("level", ["0", "3"])
def test_the_users_log_level_wins(level):
    proc = _run({"TF_CPP_MIN_LOG_LEVEL": level})
    assert f"level {level}" in proc.stdout, proc.stderr


COLD_WARM = """
import hashlib, json
from walker.runtime import configure_jax, prepare_process, track_compiles
prepare_process()
from walker.passive.config import load_params
params = load_params("params.yaml")
configure_jax()
log = track_compiles()
import numpy as np
from walker.passive.env import PassiveWalkerEnv
from walker.passive.expert import fsm_policy
from walker.passive.system import build_system
from walker.rollout import make_rollout, nominal_conditions, run_rollouts
env = PassiveWalkerEnv(build_system(params.walker), params.walker)
rollout = make_rollout(env, fsm_policy(params.fsm, env), 25)
traj = run_rollouts(rollout, nominal_conditions(2, params.walker), 3, batch=2, label="cold-warm")
digest = hashlib.sha256(np.ascontiguousarray(traj.obs).tobytes() + np.ascontiguousarray(traj.work).tobytes()).hexdigest()
print(json.dumps({"digest": digest, "hits": log.cache_hits, "misses": log.cache_misses}))
"""


@pytest.mark.slow
def test_a_warm_compilation_cache_gives_the_bits_of_a_cold_one(tmp_path):
    """The suite and the pipeline share the persistent compilation cache; what it loads computes what a fresh
    compile computes (an MJX rollout of the expert, compiled into an empty cache, then loaded from it)."""
    env = dict(os.environ, WALKER_JAX_CACHE=str(tmp_path / "cache"))
    repo = Path(__file__).resolve().parent.parent
    runs = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", COLD_WARM], cwd=repo, capture_output=True, text=True, env=env, timeout=600)
        assert proc.returncode == 0, proc.stderr[-3000:]
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    cold, warm = runs
    assert cold["hits"] == 0 and cold["misses"] > 0, cold
    assert warm["hits"] > 0, warm
    assert warm["digest"] == cold["digest"]
