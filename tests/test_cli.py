"""The `walker` command."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from walker.cli import main

REPO = Path(__file__).resolve().parent.parent


def test_params_command_validates(capsys):
    assert main(["params", "--params", str(REPO / "params.yaml")]) == 0
    assert "walker.timestep" in capsys.readouterr().out


def test_params_command_reports_bad_file(tmp_path, capsys):
    bad = tmp_path / "params.yaml"
    bad.write_text((REPO / "params.yaml").read_text().replace("timestep: 0.005", "timestep: -1"))
    assert main(["params", "--params", str(bad)]) == 2
    assert "walker.timestep: -1.0 is out of range" in capsys.readouterr().err


def test_fsm_command_walks(capsys):
    assert main(["fsm", "--params", str(REPO / "params.yaml"), "--seed", "1"]) == 0
    assert capsys.readouterr().out.startswith("walked after 10.00 s")


def test_policy_command_describes_and_rejects(tmp_path, capsys):
    from tests.test_policy import random_policy
    from walker.policy import save_policy

    save_policy(random_policy(sizes=(18, 32, 3)), tmp_path / "m" / "policy.walker")
    assert main(["policy", str(tmp_path / "m")]) == 0
    assert "18 -> 32 -> 3, activation tanh" in capsys.readouterr().out
    (tmp_path / "junk.walker").write_bytes(b"x" * 100)
    assert main(["policy", str(tmp_path / "junk.walker")]) == 2
    assert "junk.walker: not a walker policy file" in capsys.readouterr().err


@pytest.mark.slow
def test_evaluate_command_runs_the_fsm_natively(capsys):
    import json

    from walker.cli import main

    assert main(["evaluate", "--policy", "fsm", "--native", "--params", str(REPO / "params.yaml")]) == 0
    out = capsys.readouterr().out
    result = json.loads(out[out.index("{\n"):])  # the result is the last thing printed
    assert result["physics"] == "native MuJoCo" and result["set"] == "nominal"
    assert result["success"] >= 0.9 and result["walking"] >= 0.9 and result["distance_m"] > 10.0 and result["cost_of_transport"] > 0
    assert result["episode_seconds"] == 20.0 and result["gait_alternations_hz"] > 1.0


def test_evaluate_command_names_a_missing_policy(tmp_path, capsys):
    from walker.cli import main

    assert main(["evaluate", "--policy", str(tmp_path / "nope"), "--params", str(REPO / "params.yaml")]) == 2
    assert str(tmp_path / "nope") in capsys.readouterr().err


def _info(params: Path, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), **(extra_env or {})}
    return subprocess.run([sys.executable, "-m", "walker.cli", "info", "--params", str(params)], env=env, capture_output=True, text=True)


def test_info_reports_versions_devices_rendering_and_params(tmp_path):
    proc = _info(REPO / "params.yaml")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for key in ("jax: ", "mujoco: ", "brax: ", "dvc: ", "jax devices: cpu", "mujoco rendering: ", "params (", "): valid",
                "transfer check compares: MJX (mujoco-mjx "):
        assert key in out, key
    bad = tmp_path / "params.yaml"
    bad.write_text((REPO / "params.yaml").read_text().replace("timestep: 0.005", "timestep: -1"))
    proc = _info(bad)
    assert proc.returncode == 1 and "INVALID" in proc.stdout and "walker.timestep: -1.0 is out of range" in proc.stdout
    assert "jax: " in proc.stdout  # the rest of the report is still there


@pytest.mark.skipif(platform.machine() != "x86_64", reason="OpenBLAS core names are for x86-64")
def test_info_names_the_openblas_kernel_that_the_results_depend_on():
    forced = _info(REPO / "params.yaml", {"OPENBLAS_CORETYPE": "Haswell"}).stdout
    assert "openblas kernel: Haswell (OPENBLAS_CORETYPE=Haswell)" in forced, forced


def test_share_gpu_memory_defaults_and_respects_the_user():
    code = "from walker.runtime import share_gpu_memory; import os; share_gpu_memory(); print(os.environ.get('XLA_PYTHON_CLIENT_PREALLOCATE'))"
    env = {k: v for k, v in os.environ.items() if not k.startswith("XLA_")}
    env["PYTHONPATH"] = str(REPO)
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.strip() == "false"
    env["XLA_PYTHON_CLIENT_MEM_FRACTION"] = "0.3"
    assert subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout.strip() == "None"
