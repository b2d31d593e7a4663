"""How much of the walkable envelope each policy covers (walker.coverage, stage `coverage`): existence per sweep point
from the search, the expert or a learned policy, each run's count, and the stage's outputs, on hand-made json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from walker.config import ConfigError
from walker.coverage import (
    CoverageConfig,
    check_groups,
    coverage,
    existence,
    load_coverage,
)

REPO = Path(__file__).resolve().parent.parent
SLOPES = [8.0, 14.0, 18.0, 20.0, 22.0]
PUSHES = [-12.0, -6.0, 6.0]


def _policy(group: str, slope_walking: list[float], push_walking: list[float], suite: float = 1.0) -> dict:
    return {"group": group, "suite": {"walking": suite},
            "sweeps": {"slope_deg": {"values": SLOPES, "walking": slope_walking, "success": slope_walking},
                       "push_impulse_ns": {"values": PUSHES, "walking": push_walking, "success": push_walking}}}


def _point(slope: float, push: float, walking: float, walkable: bool) -> dict:
    return {"slope_deg": slope, "push_impulse_ns": push, "walkable": walkable, "tuned": {"walking": walking}, "expert": {"walking": 0.0}}


# slopes: 8 the expert walks (not searched), 14 the search makes walkable, 18 searched and nothing walks,
# 20 searched, only a learned policy walks, 22 not searched and nothing walks.
# pushes: -12 searched, not walkable, -6 the expert walks, +6 only a learned policy walks.
EVALUATION = {"policies": {"fsm": _policy("fsm", [1.0, 0.0, 0.0, 0.0, 0.0], [0.5, 1.0, 0.2]),
                           "ppo_wide-0": _policy("ppo_wide", [1.0, 0.95, 0.1, 1.0, 0.0], [0.3, 0.8, 1.0], suite=0.99),
                           "ppo_wide-1": _policy("ppo_wide", [0.5, 0.2, 0.0, 0.3, 0.0], [0.0, 1.0, 0.4], suite=0.7)}}
WALKABLE = {"walkable_fraction": 0.9,
            "points": [_point(14.0, 0.0, 1.0, True), _point(18.0, 0.0, 0.2, False), _point(20.0, 0.0, 0.0, False),
                       _point(11.5, -12.0, 0.88, False)]}


def test_existence_names_who_shows_a_walk_at_each_sweep_point():
    slopes = existence(WALKABLE, EVALUATION["policies"], "slope_deg", "fsm")
    assert [r["witness"] for r in slopes] == ["expert", "search", None, "learned", None]
    assert [r["status"] for r in slopes] == ["walk exists", "walk exists", "none found", "walked by a learned policy", "not searched"]
    assert slopes[3]["learned"] == ["ppo_wide-0"] and slopes[1]["search_walking"] == 1.0 and slopes[0]["search_walking"] is None
    pushes = existence(WALKABLE, EVALUATION["policies"], "push_impulse_ns", "fsm")
    assert [r["status"] for r in pushes] == ["none found", "walk exists", "walked by a learned policy"]


def test_a_run_covers_the_walkable_points_it_walks_at_the_fraction():
    result = coverage(EVALUATION, WALKABLE, "fsm")
    wide0, wide1 = result["runs"]["ppo_wide-0"], result["runs"]["ppo_wide-1"]
    # walkable (search or expert): slope 8, slope 14, push -6; 0.95 >= 0.9 counts, 0.8 does not
    assert (wide0["covered_points"], wide0["walkable_points"]) == (2, 3)
    assert wide0["misses"] == [{"factor": "push_impulse_ns", "value": -6.0, "walking": 0.8}]
    # every point some controller walks adds the learned witnesses (slope 20, push +6)
    assert (wide0["covered_points_any"], wide0["walked_points_any"]) == (4, 5)
    assert (wide1["covered_points"], wide1["covered_points_any"]) == (1, 1) and wide1["suite_walking"] == 0.7
    assert result["search_push_slope_deg"] == [11.5]


def test_the_stage_writes_its_table_and_plot(tmp_path):
    from walker.stages import coverage as stage

    evaluation, walkable = tmp_path / "evaluation.json", tmp_path / "walkable.json"
    evaluation.write_text(json.dumps(EVALUATION))
    walkable.write_text(json.dumps(WALKABLE))
    study = tmp_path / "study.json"  # the envelope study's own runs, in the evaluation's shape, with a map
    grid = {"slope_deg": [8.0, 14.0], "push_impulse_ns": [-6.0, 0.0], "walking": [[1.0, 0.5], [0.25, 0.0]], "success": [[1.0, 1.0], [1.0, 0.0]]}
    study.write_text(json.dumps({"policies": {"ppo_wide_scratch-0": _policy("ppo_wide_scratch", [1.0, 1.0, 0.0, 0.0, 0.0], [1.0, 0.95, 1.0])},
                                 "envelope_map": {"ppo_wide_scratch": {"run": "ppo_wide_scratch-0", **grid}}}))
    out = tmp_path / "out"
    stage.run(CoverageConfig(expert="fsm", plot_groups=("fsm", "ppo_wide", "ppo_wide_scratch")), [str(evaluation), str(study)], str(walkable),
              str(out / "c.json"), str(out / "c.md"), str(out / "c.png"))
    runs = json.loads((out / "c.json").read_text())["runs"]
    assert runs["ppo_wide-0"]["covered_points"] == 2 and runs["ppo_wide_scratch-0"]["covered_points"] == 3
    md = (out / "c.md").read_text()
    # the study's run walks the -12 N s push, which the search found no walk at: one more point some controller walks
    assert "| ppo_wide-0 | 2 of 3 | 4 of 6 | 0.990 | -6 N s (0.80) |" in md
    assert md.index("| ppo_wide-0 |") < md.index("| ppo_wide_scratch-0 | 3 of 3 |")  # the study's groups after the main ones
    assert "~~0.80~~" in md and "**0.95**" in md
    assert (out / "c.png").stat().st_size > 10_000
    with pytest.raises(FileNotFoundError, match="stage walkable"):
        stage.run(CoverageConfig(expert="fsm", plot_groups=("fsm",)), [str(evaluation)], str(tmp_path / "none.json"), *(str(out / n) for n in ("a", "b", "c")))
    with pytest.raises(ValueError, match=r"policies \['fsm', 'ppo_wide-0', 'ppo_wide-1'\] appear in two evaluation files"):
        stage.run(CoverageConfig(expert="fsm", plot_groups=("fsm",)), [str(evaluation), str(evaluation)], str(walkable), *(str(out / n) for n in ("a", "b", "c")))


def test_config_errors_name_the_key():
    assert "ppo_wide" in load_coverage(str(REPO / "envelope" / "params.yaml")).plot_groups
    with pytest.raises(ConfigError, match=r"coverage\.plot_groups\[1\]: 'sac_big'"):
        check_groups(CoverageConfig(expert="fsm", plot_groups=("fsm", "sac_big")), EVALUATION)
    with pytest.raises(ConfigError, match=r"coverage\.expert: 'expert'"):
        check_groups(CoverageConfig(expert="expert", plot_groups=("fsm",)), EVALUATION)
    with pytest.raises(ConfigError, match="coverage.plot_groups"):
        CoverageConfig(expert="fsm", plot_groups=())


def test_the_wide_runs_variants_are_counted_and_drawn_after_the_other_groups(tmp_path):
    from walker.coverage import group_order, group_style
    from walker.stages import coverage as stage

    assert group_order(["ppo_wide_braked_nominal", "ppo_wide", "ppo_wide_braked", "ppo_wide_scratch", "fsm"]) == [
        "fsm", "ppo_wide", "ppo_wide_scratch", "ppo_wide_braked", "ppo_wide_braked_nominal"]
    variants = ["ppo_wide_braked", "ppo_wide_braked_nominal"]
    assert group_style("ppo_wide_braked_nominal", variants)[0] == "PPO wide, braked_nominal (ADR)"
    assert group_style("ppo_wide_braked", variants)[1] != group_style("ppo_wide_braked_nominal", variants)[1]
    with pytest.raises(KeyError, match="ppo_wide_fast"):
        group_style("ppo_wide_fast", variants)  # a group no evaluation file holds
    evaluation, walkable, study = tmp_path / "evaluation.json", tmp_path / "walkable.json", tmp_path / "variants.json"
    evaluation.write_text(json.dumps(EVALUATION))
    walkable.write_text(json.dumps(WALKABLE))
    study.write_text(json.dumps({"policies": {"ppo_wide_braked-0": _policy("ppo_wide_braked", [1.0, 1.0, 0.0, 1.0, 0.0], [0.2, 0.95, 1.0])}}))
    out = tmp_path / "out"
    stage.run(CoverageConfig(expert="fsm", plot_groups=("fsm", "ppo_wide", "ppo_wide_braked")), [str(evaluation), str(study)], str(walkable),
              str(out / "c.json"), str(out / "c.md"), str(out / "c.png"))
    md = (out / "c.md").read_text()
    assert md.index("| ppo_wide-1 |") < md.index("| ppo_wide_braked-0 | 3 of 3 |")
    assert (out / "c.png").stat().st_size > 10_000
