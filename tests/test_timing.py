"""Where a stage's time goes: the env-step records, one stage's log, and the per-stage table against bench's rates."""

from __future__ import annotations

import json

import pytest

from walker.timing import ENV_STEP_KINDS, read_records, record_env_steps, stage_timing, timing_markdown, timing_table

BENCH = {"mjx_physics_steps_per_s": 400_000.0, "native_physics_steps_per_s": 100_000.0, "device": "cpu x2"}


def _record(stage: str, wall: float, training: float = 0.0, rollout: float = 0.0, native: float = 0.0) -> dict:
    return {"stage": stage, "wall_clock_s": wall, "compile_s": 1.0, "compile_cache_hits": 0, "compile_cache_misses": 1,
            "env_steps": {"training": training, "rollout": rollout, "native": native}}


def test_a_stage_log_sums_what_its_process_simulated_and_writes_only_when_done(tmp_path):
    out = tmp_path / "t.json"
    with stage_timing("demos", str(out)) as log:
        record_env_steps(100, "rollout")
        record_env_steps(20, "native")
        record_env_steps(30, "rollout")
        assert not out.exists()
    written = json.loads(out.read_text())
    assert written["stage"] == "demos" and written["env_steps"] == {"training": 0.0, "rollout": 130.0, "native": 20.0}
    assert written["wall_clock_s"] >= 0 and log.env_steps["rollout"] == 130.0
    with pytest.raises(ValueError, match="unknown env-step kind 'physics'"):
        record_env_steps(1, "physics")


def test_the_table_prices_each_stage_at_the_bench_rates():
    records = [_record("ppo@bc-0", 100.0, training=1e6, rollout=1e6), _record("evaluate", 30.0, rollout=1e6, native=1e6)]
    table = timing_table(records, substeps=4, bench=BENCH)
    ppo, evaluate = table["stages"]
    assert ppo["physics_steps_training"] == 4e6 and ppo["physics_s"] == pytest.approx(8e6 / 4e5)  # 20 s of MJX physics
    assert ppo["wall_to_physics"] == pytest.approx(5.0)
    assert evaluate["physics_s"] == pytest.approx(4e6 / 4e5 + 4e6 / 1e5)  # native at its own rate
    assert table["total"]["wall_clock_s"] == 130.0 and table["total"]["physics_s"] == pytest.approx(70.0)
    assert set(f"physics_steps_{k}" for k in ENV_STEP_KINDS) <= set(table["total"])
    markdown = timing_markdown(table)
    assert "| ppo@bc-0 | 100 | 1 | 4.0 | 4.0 | 0.0 | 20 | 5.0 |" in markdown and "| **total** |" in markdown
    no_physics = timing_table([_record("report", 5.0)], substeps=4, bench=BENCH)["stages"][0]
    assert no_physics["wall_to_physics"] is None and "| report | 5 |" in timing_markdown(timing_table([_record("report", 5.0)], 4, BENCH))


def test_records_come_back_in_pipeline_order(tmp_path):
    for stage in ("evaluate", "ppo@scratch-0", "ppo@bc-0", "system", "timing_extra"):
        (tmp_path / f"{stage}.json").write_text(json.dumps(_record(stage, 1.0)))
    order = [r["stage"] for r in read_records(str(tmp_path), ["system", "ppo", "evaluate"])]
    assert order == ["system", "ppo@bc-0", "ppo@scratch-0", "evaluate", "timing_extra"]
    with pytest.raises(FileNotFoundError, match="no stage timing records"):
        read_records(str(tmp_path / "missing"), [])
