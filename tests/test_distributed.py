"""A PPO run across processes (jax.distributed): two CPU processes on this machine, a tiny budget."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_train_together_and_agree_on_the_final_parameters(params, tmp_path):
    import dataclasses

    from walker.passive.system import build_system, save_system

    system = tmp_path / "system.pkl"
    save_system(build_system(dataclasses.replace(params.walker, episode_seconds=0.2)), system)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WALKER_") or k == "WALKER_JAX_CACHE"}
    env.update(WALKER_COORDINATOR=f"127.0.0.1:{free_port()}", WALKER_NUM_PROCESSES="2")
    procs = [
        subprocess.Popen([sys.executable, str(REPO / "tests" / "distributed_worker.py"), str(REPO / "params.yaml"), str(system)],
                         env={**env, "WALKER_PROCESS_ID": str(i)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for i in range(2)
    ]
    outputs = [p.communicate(timeout=600)[0] for p in procs]
    for p, out in zip(procs, outputs):
        assert p.returncode == 0, out[-3000:]
    finals = [next(line for line in out.splitlines() if line.startswith("FINAL")) for out in outputs]
    counts = [next(line for line in out.splitlines() if line.startswith("PROCESSES")) for out in outputs]
    assert all(c.startswith("PROCESSES 2 DEVICES 2 STEPS 80") for c in counts), counts
    assert finals[0] == finals[1]


def test_a_half_given_distributed_setting_is_refused():
    from walker.runtime import init_distributed

    with pytest.raises(ValueError, match="missing.*WALKER_PROCESS_ID"):
        init_distributed({"WALKER_COORDINATOR": "127.0.0.1:1234", "WALKER_NUM_PROCESSES": "2"})
    with pytest.raises(ValueError, match="WALKER_PROCESS_ID \\(2\\)"):
        init_distributed({"WALKER_COORDINATOR": "h:1", "WALKER_NUM_PROCESSES": "2", "WALKER_PROCESS_ID": "2"})
    assert init_distributed({}) == (0, 1)
