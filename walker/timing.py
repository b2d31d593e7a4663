"""Where a stage's time goes: wall clock, compile time and the env steps it simulated, and the per-stage table.

A stage's process records what it simulates as ``jax.monitoring`` scalars
(:func:`record_env_steps`: the rollout engine, PPO training, native MuJoCo), the
same bus JAX reports its compilations on, so the shared machinery needs no
global counter of its own. The stage's entry point wraps its work in
:func:`stage_timing`, which sums both and writes one small JSON per stage. The
``timing`` stage turns those into a table with, for each stage, the physics time
its simulated steps would take at ``bench``'s measured rates: the ratio of wall
clock to that is how far the stage is from being limited by physics
(docs/benchmarks.md).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from pathlib import Path
from typing import Any, Iterator

ENV_STEP_KINDS = ("training", "rollout", "native")
"""What an env step was simulated for: PPO's training batches, MJX rollouts (scoring, evaluation, demos,
boundary tests; padding included), native MuJoCo episodes."""
_EVENT = "/walker/env_steps/"


def record_env_steps(control_steps: int, kind: str) -> None:
    """Report ``control_steps`` env (control) steps simulated for ``kind`` (one of :data:`ENV_STEP_KINDS`)."""
    if kind not in ENV_STEP_KINDS:
        raise ValueError(f"unknown env-step kind '{kind}'; choose one of {ENV_STEP_KINDS}")
    import jax

    jax.monitoring.record_scalar(_EVENT + kind, float(control_steps))


@dataclasses.dataclass
class StageLog:
    """What one stage's process spent, filled in while it runs."""

    stage: str
    wall_clock_s: float = 0.0
    compile_s: float = 0.0
    """XLA compile time (programs loaded from the persistent cache cost nothing here)"""
    compile_cache_hits: int = 0
    compile_cache_misses: int = 0
    env_steps: dict[str, float] = dataclasses.field(default_factory=lambda: {k: 0.0 for k in ENV_STEP_KINDS})
    """control steps simulated, by kind"""


@contextlib.contextmanager
def stage_timing(stage: str, out_json: str | None) -> Iterator[StageLog]:
    """Record the enclosed work of stage ``stage`` and, when it finishes without an error, write it to ``out_json``
    (None: record only). Listens on ``jax.monitoring`` for the rest of the process."""
    import jax

    from walker.io import write_json

    log = StageLog(stage)

    def on_scalar(event: str, value: float, **kwargs: object) -> None:
        if event.startswith(_EVENT):
            log.env_steps[event[len(_EVENT):]] += value

    def on_duration(event: str, duration: float, **kwargs: object) -> None:
        if event == "/jax/core/compile/backend_compile_duration":
            log.compile_s += duration

    def on_event(event: str, **kwargs: object) -> None:
        if event == "/jax/compilation_cache/cache_hits":
            log.compile_cache_hits += 1
        elif event == "/jax/compilation_cache/cache_misses":
            log.compile_cache_misses += 1

    jax.monitoring.register_scalar_listener(on_scalar)
    jax.monitoring.register_event_duration_secs_listener(on_duration)
    jax.monitoring.register_event_listener(on_event)
    start = time.time()
    yield log
    log.wall_clock_s = time.time() - start
    if out_json is not None:
        write_json(dataclasses.asdict(log), out_json)


def physics_seconds(record: dict[str, Any], substeps: int, mjx_rate: float, native_rate: float) -> float:
    """Seconds the stage's simulated steps take at ``bench``'s physics rates (physics steps/s, MJX and native);
    a control step is ``substeps`` physics steps."""
    steps = record["env_steps"]
    mjx = (steps["training"] + steps["rollout"]) * substeps
    return mjx / mjx_rate + steps["native"] * substeps / native_rate


def timing_table(records: list[dict[str, Any]], substeps: int, bench: dict[str, Any]) -> dict[str, Any]:
    """The per-stage table (stages in the given order) and the pipeline's totals, from :func:`stage_timing`'s
    records and ``results/bench.json`` (its ``mjx_physics_steps_per_s`` and ``native_physics_steps_per_s``)."""
    mjx_rate, native_rate = float(bench["mjx_physics_steps_per_s"]), float(bench["native_physics_steps_per_s"])
    rows = []
    for r in records:
        physics = physics_seconds(r, substeps, mjx_rate, native_rate)
        rows.append({
            "stage": r["stage"], "wall_clock_s": r["wall_clock_s"], "compile_s": r["compile_s"],
            "compile_cache_hits": r["compile_cache_hits"], "compile_cache_misses": r["compile_cache_misses"],
            **{f"physics_steps_{k}": v * substeps for k, v in r["env_steps"].items()},
            "physics_s": physics, "wall_to_physics": r["wall_clock_s"] / physics if physics > 0 else None,
        })
    wall = sum(r["wall_clock_s"] for r in rows)
    physics = sum(r["physics_s"] for r in rows)
    return {
        "stages": rows,
        "total": {
            "wall_clock_s": wall, "compile_s": sum(r["compile_s"] for r in rows), "physics_s": physics,
            "wall_to_physics": wall / physics if physics > 0 else None,
            **{f"physics_steps_{k}": sum(r[f"physics_steps_{k}"] for r in rows) for k in ENV_STEP_KINDS},
        },
        "mjx_physics_steps_per_s": mjx_rate,
        "native_physics_steps_per_s": native_rate,
        "device": bench.get("device"),
    }


def timing_markdown(table: dict[str, Any]) -> str:
    """The table of :func:`timing_table` as markdown (millions of physics steps, seconds)."""
    def row(name: str, r: dict[str, Any]) -> str:
        ratio = "" if r["wall_to_physics"] is None else f"{r['wall_to_physics']:.1f}"
        steps = " | ".join(f"{r[f'physics_steps_{k}'] / 1e6:.1f}" for k in ENV_STEP_KINDS)
        return f"| {name} | {r['wall_clock_s']:.0f} | {r['compile_s']:.0f} | {steps} | {r['physics_s']:.0f} | {ratio} |"

    lines = [
        f"Physics rates from `results/bench.json` ({table['device']}): MJX {table['mjx_physics_steps_per_s']:,.0f}, "
        f"native {table['native_physics_steps_per_s']:,.0f} physics steps/s.",
        "",
        "| stage | wall clock (s) | compiling (s) | physics steps, training (M) | rollouts (M) | native (M) | physics at bench's rate (s) | wall / physics |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [row(r["stage"], r) for r in table["stages"]]
    lines.append(row("**total**", table["total"]))
    return "\n".join(lines) + "\n"


def read_records(folder: str, stage_order: list[str]) -> list[dict[str, Any]]:
    """Every ``<stage>.json`` of ``folder``, in pipeline order: by the position of the stage's name (before any
    ``@``) in ``stage_order`` (names not listed last), then by name."""
    records = [json.loads(p.read_text()) for p in sorted(Path(folder).glob("*.json"))]
    if not records:
        raise FileNotFoundError(f"{folder}: no stage timing records (run the pipeline's stages first)")

    def rank(record: dict[str, Any]) -> tuple[int, str]:
        base = record["stage"].split("@")[0]
        return (stage_order.index(base) if base in stage_order else len(stage_order), record["stage"])

    return sorted(records, key=rank)
