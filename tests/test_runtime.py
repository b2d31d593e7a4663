"""Entry points quiet the start-up noise that reads like errors, and nothing more."""

from __future__ import annotations

import os
import subprocess
import sys

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
