"""Stage `bench`: native MuJoCo against batched MJX, the env step and PPO training on this machine, for the walker
(the humanoid's figures are the humanoid pipeline's stage `bench`)."""

from __future__ import annotations

from typing import Any

from walker.io import write_json
from walker.passive.bench import throughput
from walker.passive.config import Params
from walker.plots import bench_throughput

PARAMS = ("walker", "fsm", "ppo", "bench.batch_sizes", "bench.physics_steps", "bench.gait_episodes", "bench.repeats",
          "bench.native_threads", "bench.ppo_env_steps")


def run(params: Params, out_json: str, out_plot: str) -> dict[str, Any]:
    """``results/bench.json`` and the walker's throughput plot."""
    result = throughput(params)
    write_json(result, out_json)
    bench_throughput(result, out_plot)
    return result
