"""Stage `bench`: native MuJoCo against batched MJX, the env step and PPO training on this machine, for the walker
and (entry ``humanoid``) the humanoid."""

from __future__ import annotations

from typing import Any

from walker.bench import native_threads, throughput
from walker.config import Params
from walker.humanoid.bench import humanoid_throughput
from walker.humanoid.config import HUMANOID_PARAMS_FILE, load_humanoid_params
from walker.io import write_json
from walker.plots import bench_throughput

PARAMS = ("walker", "fsm", "ppo", "bench.batch_sizes", "bench.physics_steps", "bench.gait_episodes", "bench.repeats",
          "bench.native_threads", "bench.ppo_env_steps", {HUMANOID_PARAMS_FILE: ("humanoid", "evaluate.seed", "stand", "bench")})


def run(params: Params, out_json: str, out_plot: str, humanoid_params: str = HUMANOID_PARAMS_FILE) -> dict[str, Any]:
    """``results/bench.json`` (the humanoid's figures under ``humanoid``) and the walker's throughput plot."""
    hp = load_humanoid_params(humanoid_params)  # validate before any computation
    result = throughput(params)
    result["humanoid"] = humanoid_throughput(hp, native_threads(params))
    write_json(result, out_json)
    bench_throughput(result, out_plot)
    return result
