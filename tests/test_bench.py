"""`walker bench --humanoid` on tiny sizes (it runs and writes what docs/design.md promises; its speed is not tested),
and the capacity sweep's pure helpers. The walker's `bench` (every key of results/bench.json, its plot), `solvers`
and `capacity` stages run in tests/test_pipeline.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def humanoid_params(tmp_path_factory) -> Path:
    humanoid = yaml.safe_load((REPO / "humanoid" / "params.yaml").read_text())
    humanoid["bench"].update(batch_sizes=[2], physics_steps=4, repeats=1, ppo_env_steps=0)
    path = tmp_path_factory.mktemp("bench") / "humanoid.yaml"
    path.write_text(yaml.safe_dump(humanoid, sort_keys=False))
    return path


def _walker(args: list[str], cwd: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("XLA_FLAGS", None)
    proc = subprocess.run([sys.executable, "-m", "walker.cli", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


@pytest.mark.slow
def test_humanoid_bench_reads_only_its_own_params(humanoid_params):
    """`walker bench --humanoid`: the humanoid's physics from humanoid/params.yaml alone (no walker params read)."""
    out = humanoid_params.parent / "humanoid_bench.json"
    _walker(["bench", "--humanoid", "--humanoid-params", str(humanoid_params), "--params", "missing.yaml", "--out", str(out)], humanoid_params.parent)
    result = json.loads(out.read_text())
    assert set(result["by_batch"]) == {"2"} and result["native_physics_steps_per_s"] > 0 and result["device"]
    assert result["ratio_mjx_to_native"] == pytest.approx(result["mjx_physics_steps_per_s"] / result["native_physics_steps_per_s"])


def test_use_all_cpu_cores_keeps_an_explicit_flag():
    code = "from walker.runtime import use_all_cpu_cores; import os; print(use_all_cpu_cores(), os.environ['XLA_FLAGS'])"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("XLA_FLAGS", None)
    fresh = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
    assert fresh == [str(os.cpu_count()), f"--xla_force_host_platform_device_count={os.cpu_count()}"]
    env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=3"
    kept = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
    assert kept == ["3", "--xla_force_host_platform_device_count=3"]


def test_mlp_parameters_counts_weights_and_biases():
    from walker.capacity import mlp_parameters

    assert mlp_parameters([18, 64, 64, 6]) == 18 * 64 + 64 + 64 * 64 + 64 + 64 * 6 + 6


def test_capacity_network_names_an_unknown_network(params):
    from walker.capacity import load_capacity, network_config
    from walker.config import ConfigError

    cap = load_capacity()
    cfg = network_config(params, cap, "medium")
    assert cfg.policy_hidden_sizes == cap.networks["medium"].policy_hidden_sizes
    assert cfg.num_timesteps == cap.num_timesteps and cfg.critic_warmup_steps == 0
    with pytest.raises(ConfigError, match="capacity.networks: no network 'huge'"):
        network_config(params, cap, "huge")
