"""ADR from PPO from scratch (walker.wide_from_scratch, stages wide_from_scratch*): the start is scratch's best walking
run, checked before any training; the comparison table with the BC wide runs, on hand-made json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from walker.config import ConfigError
from walker.wide_from_scratch import (
    WideFromScratchConfig,
    best_walking_scratch_run,
    check_start,
    comparison_markdown,
    comparison_rows,
    load_wide_from_scratch,
)

REPO = Path(__file__).resolve().parent.parent


def _entry(group: str, walking: float) -> dict:
    return {"group": group, "suite": {"walking": walking, "success": 1.0}, "nominal": {"speed_mps": 2.0, "cost_of_transport": 0.1}}


POLICIES = {"ppo_scratch-0": _entry("ppo_scratch", 0.95), "ppo_scratch-1": _entry("ppo_scratch", 0.0),
            "ppo_scratch-2": _entry("ppo_scratch", 1.0), "ppo_bc-0": _entry("ppo_bc", 1.0)}


def _record(start: str, slope: tuple[float, float]) -> dict:
    ranges = {"slope_deg_low": slope[0], "slope_deg_high": slope[1], "push_impulse_ns_low": -9.0, "push_impulse_ns_high": 15.0,
              "friction_scale_low": 0.4, "friction_scale_high": 1.4, "torso_mass_scale_low": 0.6, "torso_mass_scale_high": 1.4}
    return {"start_policy": start, "ranges_final": ranges, "ranges_widest": {**ranges, "slope_deg_low": slope[0] - 1.0}}


def test_the_start_is_scratchs_best_walking_run():
    assert best_walking_scratch_run(POLICIES) == "scratch-2"
    tie = {**POLICIES, "ppo_scratch-0": _entry("ppo_scratch", 1.0)}
    assert best_walking_scratch_run(tie) == "scratch-0"  # ties go to the lowest seed
    check_start(WideFromScratchConfig(start="scratch-2"), POLICIES)
    with pytest.raises(ConfigError, match=r"wide_from_scratch\.start: 'scratch-0' is not .* set it to 'scratch-2'"):
        check_start(WideFromScratchConfig(start="scratch-0"), POLICIES)
    with pytest.raises(ConfigError, match="not a PPO-from-scratch run"):
        WideFromScratchConfig(start="bc-0")
    assert load_wide_from_scratch(str(REPO / "envelope" / "params.yaml")).start.startswith("scratch-")


def test_the_training_stage_checks_the_start_before_training(tmp_path):
    from walker.passive.config import load_params
    from walker.stages import wide_from_scratch

    evaluation = tmp_path / "evaluation.json"
    evaluation.write_text(json.dumps({"policies": POLICIES}))
    params = load_params(str(REPO / "params.yaml"))
    with pytest.raises(ConfigError, match="set it to 'scratch-2'"):  # no system file, no model: it fails first on the start
        wide_from_scratch.train(params, WideFromScratchConfig(start="scratch-1"), 0, str(tmp_path / "none.pkl"), str(evaluation),
                                str(tmp_path / "models"), *(str(tmp_path / n) for n in ("out", "out.json", "live")))
    with pytest.raises(FileNotFoundError, match="stage evaluate"):
        wide_from_scratch.train(params, WideFromScratchConfig(start="scratch-2"), 0, "none.pkl", str(tmp_path / "none.json"), "m", "o", "j", "l")


def test_the_comparison_lists_bc_runs_first_with_their_ranges():
    policies = {"ppo_wide-0": _entry("ppo_wide", 1.0), "ppo_wide_scratch-0": _entry("ppo_wide_scratch", 0.5)}
    training = {"ppo_wide_scratch-0": _record("models/ppo/scratch-2", (8.0, 20.0)), "ppo_wide-0": _record("models/ppo/bc-0", (6.0, 17.0))}
    rows = comparison_rows(policies, training)
    assert [r["run"] for r in rows] == ["ppo_wide-0", "ppo_wide_scratch-0"]
    assert rows[1]["final"]["slope_deg"] == [8.0, 20.0] and rows[1]["widest"]["slope_deg"] == [7.0, 20.0] and rows[1]["suite_walking"] == 0.5
    grid = {"run": "ppo_wide_scratch-0", "slope_deg": [4.0, 20.0], "push_impulse_ns": [-15.0, 0.0], "walking": [[0.5, 1.0], [0.0, 0.25]]}
    md = comparison_markdown(rows, {"ppo_wide_scratch": grid})
    assert "| ppo_wide_scratch-0 | models/ppo/scratch-2 | 0.500 | 2.00 | 0.100 | [8.00, 20.00] ([7.00, 20.00]) |" in md
    assert "| 20 | 0.00 | 0.25 |" in md
