"""`walker bench` on tiny sizes (it runs and writes what docs/design.md promises; its speed is not tested),
and the capacity sweep's pure helpers. The `solvers` and `capacity` stages run in tests/test_pipeline.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
BENCH_KEYS = (
    "native_physics_steps_per_s", "mjx_physics_steps_per_s", "mjx_best_batch", "ratio_mjx_to_native",
    "env_ctrl_steps_per_s", "ppo_env_steps_per_s", "ppo_fraction_of_native", "device", "by_batch",
)


@pytest.fixture(scope="module")
def tiny_params(tmp_path_factory) -> Path:
    data = yaml.safe_load((REPO / "params.yaml").read_text())
    data["bench"].update(
        batch_sizes=[1, 4], physics_steps=8, gait_episodes=2, repeats=1, ppo_env_steps=80,
    )
    data["ppo"].update(num_envs=4, batch_size=4, num_minibatches=2, unroll_length=5, value_hidden_sizes=[16], critic_warmup_steps=0)
    path = tmp_path_factory.mktemp("bench") / "params.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    humanoid = yaml.safe_load((REPO / "humanoid" / "params.yaml").read_text())
    humanoid["bench"].update(batch_sizes=[2], physics_steps=4, repeats=1, ppo_env_steps=0)
    (path.parent / "humanoid.yaml").write_text(yaml.safe_dump(humanoid, sort_keys=False))
    return path


def _walker(args: list[str], cwd: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("XLA_FLAGS", None)
    proc = subprocess.run([sys.executable, "-m", "walker.cli", *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


@pytest.mark.slow
def test_bench_command_writes_every_key(tiny_params):
    out, plot = tiny_params.parent / "bench.json", tiny_params.parent / "bench.png"
    _walker(["bench", "--params", str(tiny_params), "--out", str(out), "--plot", str(plot)], tiny_params.parent)
    result = json.loads(out.read_text())
    assert "humanoid" not in result  # the humanoid's figures are its own pipeline's (walker bench --humanoid)
    assert set(BENCH_KEYS) <= set(result)
    assert set(result["by_batch"]) == {"1", "4"}
    cores = os.cpu_count() or 1
    assert result["by_batch"]["4"]["shards"] == (cores if 4 % cores == 0 else 1)  # one CPU device per core
    rates = [result[k] for k in ("native_physics_steps_per_s", "mjx_physics_steps_per_s", "env_ctrl_steps_per_s", "ppo_env_steps_per_s")]
    assert all(r > 0 for r in rates)
    best = result["by_batch"][str(result["mjx_best_batch"])]["mjx_physics_steps_per_s"]
    assert best == max(b["mjx_physics_steps_per_s"] for b in result["by_batch"].values()) == result["mjx_physics_steps_per_s"]
    assert result["ratio_mjx_to_native"] == pytest.approx(best / result["native_physics_steps_per_s"])
    assert result["device"].startswith(("cpu", "gpu", "tpu")) and result["host_peak_rss_mb"] > 0
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_humanoid_bench_reads_only_its_own_params(tiny_params):
    """`walker bench --humanoid`: the humanoid's physics from humanoid/params.yaml alone (no walker params read)."""
    out = tiny_params.parent / "humanoid_bench.json"
    humanoid_params = tiny_params.parent / "humanoid.yaml"
    _walker(["bench", "--humanoid", "--humanoid-params", str(humanoid_params), "--params", "missing.yaml", "--out", str(out)], tiny_params.parent)
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
