"""Where a walk exists (walker.walkable, stage `walkable`): the search's pieces, the body found by name, the FSM with
its thresholds as data, and a tiny search that finds the known nominal gait at the nominal slope."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import ROLLOUT_SEED

from walker.config import ConfigError, Interval
from walker.plugin import body_names, load_body
from walker.walkable import (
    WalkableConfig,
    cem_update,
    check_search,
    finalists,
    load_walkable,
    search_points,
)

REPO = Path(__file__).resolve().parent.parent

TINY = {"slopes_deg": (11.5,), "push_impulses_ns": (-3.0,), "search": {"step_angle": Interval(0.1, 0.6), "speed_gain": Interval(0.0, 1.0)},
        "population": 2, "elites": 1, "generations": 1, "episodes": 4, "finalists": 2, "selection_episodes": 4, "validation_episodes": 4, "initial_spread": 0.2,
        "min_spread": 0.03, "walkable_fraction": 0.75, "seed": 0}


@pytest.fixture(scope="module")
def problem():
    return load_body("passive").expert_problem(REPO / "params.yaml")


@pytest.fixture(scope="module")
def tiny_stage(tmp_path_factory):
    """Stage ``walkable`` run on the tiny search: its output folder."""
    from walker.stages import walkable

    out = tmp_path_factory.mktemp("walkable")
    walkable.run(WalkableConfig(**TINY), "passive", str(REPO / "params.yaml"), str(out / "w.json"), str(out / "w.md"), str(out / "w.png"))
    return out


@pytest.fixture(scope="module")
def tiny_result(tiny_stage):
    return json.loads((tiny_stage / "w.json").read_text())


def test_the_committed_study_block_loads_and_names_tunable_parameters(problem):
    cfg = load_walkable(REPO / "envelope" / "params.yaml")
    check_search(cfg, problem)
    assert len(search_points(cfg, problem.block.slope_deg)) == len(cfg.slopes_deg) + len(cfg.push_impulses_ns)


def test_bodies_are_found_by_name():
    assert {"passive", "humanoid"} <= set(body_names())
    assert load_body("passive").name == "passive"
    with pytest.raises(ValueError, match="unknown body 'biped'.*passive"):
        load_body("biped")
    with pytest.raises(ValueError, match="no scripted expert"):
        load_body("humanoid").expert_problem()


def test_a_search_over_a_parameter_the_expert_lacks_or_outside_its_range_is_refused(problem):
    unknown = WalkableConfig(**{**TINY, "search": {"hip_gain": Interval(0.0, 1.0)}})
    with pytest.raises(ConfigError, match="walkable.search.hip_gain: not a tunable parameter"):
        check_search(unknown, problem)
    wide = WalkableConfig(**{**TINY, "search": {"knee_retract": Interval(0.1, 0.5)}})
    with pytest.raises(ConfigError, match=r"walkable.search.knee_retract: \[0.1, 0.5\] is outside its valid range"):
        check_search(wide, problem)
    with pytest.raises(ConfigError, match="elites"):
        WalkableConfig(**{**TINY, "elites": 3})
    with pytest.raises(ConfigError, match=r"walkable.finalists \(3\) must not exceed .* = 2\)"):
        WalkableConfig(**{**TINY, "finalists": 3})


def test_finalists_are_the_best_of_the_whole_search():
    unit = np.arange(10.0).reshape(5, 2)
    np.testing.assert_array_equal(finalists(np.array([0.2, 0.9, 0.5, 0.9, 0.1]), unit, 3), unit[[1, 3, 2]])  # ties: earlier first


def test_cem_refits_to_the_elites_with_a_floor():
    unit = np.array([[0.1, 0.5], [0.9, 0.5], [0.2, 0.5], [0.5, 0.5]])
    mean, spread = cem_update(unit, np.array([3.0, 0.0, 2.0, 3.0]), elites=2, min_spread=0.05)
    np.testing.assert_allclose(mean, [0.3, 0.5])  # candidates 0 and 3 (the tie goes to the earlier)
    np.testing.assert_allclose(spread, [0.2, 0.05])


@pytest.mark.slow
def test_the_tunable_fsm_at_the_params_files_values_acts_as_the_fsm(params, mjx_env, fsm_trajectories, fixture_conditions):
    from walker.passive.tunable_fsm import tunable_fsm_policy
    from walker.rollout import make_rollout, run_rollouts

    policy = tunable_fsm_policy(params.fsm, mjx_env.geom)
    traj = run_rollouts(make_rollout(mjx_env, policy, fsm_trajectories.action.shape[0]), fixture_conditions, ROLLOUT_SEED, batch=4,
                        label="test", params=policy.params)
    np.testing.assert_array_equal(traj.action, fsm_trajectories.action)
    np.testing.assert_array_equal(traj.x, fsm_trajectories.x)
    moved = dataclasses.replace(params.fsm, step_angle=0.45)
    assert not np.array_equal(run_rollouts(make_rollout(mjx_env, policy, 50), fixture_conditions, ROLLOUT_SEED, batch=4, label="test",
                                           params={**policy.params, "step_angle": np.float32(moved.step_angle)}).action,
                              fsm_trajectories.action[:50]), "the params are read, not baked in"


@pytest.mark.slow
def test_a_tiny_search_finds_the_nominal_gait_at_the_nominal_slope(tiny_result):
    nominal = tiny_result["points"][0]
    assert nominal["slope_deg"] == 11.5 and nominal["push_impulse_ns"] == 0.0
    assert nominal["expert"]["walking"] >= 0.75 and nominal["tuned"]["walking"] >= 0.75 and nominal["walkable"]
    assert tiny_result["steepest_walkable_slope_deg"] == 11.5
    assert set(nominal["tuned"]["params"]) == {"step_angle", "speed_gain"}
    assert len(nominal["best_score_per_generation"]) == 1
    assert len(nominal["finalists_selection_walking"]) == 2 and nominal["chosen_finalist"] in (0, 1)


@pytest.mark.slow
def test_the_stage_writes_its_table_and_plot(tiny_stage, tiny_result):
    assert tiny_result["body"] == "passive" and tiny_result["wall_clock_s"] > 0
    assert "| 11.5 | +0 |" in (tiny_stage / "w.md").read_text() and "| 11.5 | -3 |" in (tiny_stage / "w.md").read_text()
    assert (tiny_stage / "w.png").stat().st_size > 10_000
