"""summary.json: pooling seeds and sample efficiency, on hand-made numbers."""

from __future__ import annotations

import pytest

from walker.scored_run import steps_to_reach
from walker.summary import SUMMARY_KEYS, censored_median, pooled, race_entry, race_ratio, sample_efficiency, summary


def _run(value: float) -> dict:
    return {key: value for key in SUMMARY_KEYS}


def test_pooled_mean_and_sample_std_over_seeds():
    out = pooled([_run(0.5), _run(0.7), _run(0.9)])
    assert out["success_suite"] == pytest.approx(0.7)
    assert out["success_suite_std"] == pytest.approx(0.2)  # sample std (ddof=1) of 0.5, 0.7, 0.9
    assert "success_suite_std" not in pooled([_run(0.5)])  # one run: no spread to report


def test_pooling_skips_runs_without_a_cost_of_transport():
    """A run where no episode succeeded has no cost of transport (None): the others' mean stands, and a group
    where no run has one (e.g. the `stand` reward preset) still gets a summary."""
    runs = [_run(0.5), {**_run(0.7), "cost_of_transport": None}, _run(0.9)]
    out = pooled(runs)
    assert out["cost_of_transport"] == pytest.approx(0.7) and out["cost_of_transport_std"] == pytest.approx(0.2 * 2**0.5)
    nothing = pooled([{**_run(0.0), "cost_of_transport": None}, {**_run(0.0), "cost_of_transport": None}])
    assert nothing["cost_of_transport"] is None and nothing["cost_of_transport_std"] is None
    assert nothing["success_suite"] == 0.0


def _ppo(success: int | None, walking: int | None = None, budget: int = 1000) -> dict:
    return {"steps_to_success_threshold": success, "steps_to_walking_threshold": walking, "env_steps": budget,
            "wall_clock_s": 10.0, "eval_wall_clock_s": 2.0, "train_steps_per_s": 50.0}


def test_censored_median_never_counts_a_censored_run_as_its_budget():
    assert censored_median([100, 300, None]) == 300  # the censored run is the slowest, not 1000
    assert censored_median([100, None, None]) is None  # the median run never got there: unknown, above the budget
    assert censored_median([100, 300]) == 200
    assert censored_median([100, None]) is None
    assert steps_to_reach([(0, 0.1), (10, 0.85), (20, 0.7), (30, 0.9)], 0.8) == 10
    assert steps_to_reach([(0, 0.1), (10, 0.5)], 0.8) is None


def test_race_ratios_ppo_only_and_charged_with_censoring_explicit():
    runs = {"ppo_bc": [_ppo(100, 300), _ppo(300, None), _ppo(200, 500)], "ppo_scratch": [_ppo(None), _ppo(600), _ppo(800, 900)]}
    out = sample_efficiency(runs, {"ppo_bc": 50, "ppo_scratch": 0}, 0.8)
    s = out["success"]
    assert s["ppo_bc"]["steps"] == [100, 300, 200] and s["ppo_bc"]["median_steps"] == 200 and s["ppo_bc"]["reached"] == 3
    assert s["ppo_bc"]["median_charged_steps"] == 250 and s["ppo_bc"]["charged_steps"] == [150, 350, 250]
    assert s["ppo_scratch"]["median_steps"] == 800 and s["ppo_scratch"]["reached"] == 2
    assert s["ratio_ppo_only"] == {"value": pytest.approx(4.0), "censored": None, "lower_bound": None}
    assert s["ratio_charged"]["value"] == pytest.approx(800 / 250)
    # walking: scratch's median run never reached it -> no ratio, only a lower bound from its budget
    w = out["walking"]
    assert w["ppo_bc"]["median_steps"] == 500 and w["ppo_scratch"]["median_steps"] is None
    assert w["ratio_ppo_only"] == {"value": None, "censored": "baseline", "lower_bound": pytest.approx(1000 / 500)}
    assert w["ratio_charged"]["lower_bound"] == pytest.approx(1000 / 550)
    both = sample_efficiency({"ppo_bc": [_ppo(None)], "ppo_scratch": [_ppo(None)]}, {"ppo_bc": 50}, 0.8)["success"]
    assert both["ratio_ppo_only"] == {"value": None, "censored": "both", "lower_bound": None}
    assert out["threshold"] == 0.8 and out["pre_env_steps"] == {"ppo_bc": 50, "ppo_scratch": 0}


def test_the_best_curriculum_races_the_best_scratch_learner_charged():
    """Every race group gets an entry; ``best`` pairs the curriculum and the scratch learner with the lowest charged
    medians (a censored median loses to any reached one), and training seconds come from each run's rate."""
    runs = {"ppo_bc": [_ppo(300)] * 3, "ppo_scratch": [_ppo(None)] * 3, "sac_demos": [_ppo(100)] * 3, "sac_scratch": [_ppo(600)] * 3}
    out = sample_efficiency(runs, {"ppo_bc": 50, "sac_demos": 400}, 0.8)["success"]
    assert set(runs) <= set(out)
    best = out["best"]
    assert best["curriculum"] == "ppo_bc" and best["scratch"] == "sac_scratch"  # 350 charged beats 500; 600 beats censored
    assert best["ratio_charged"]["value"] == pytest.approx(600 / 350)
    assert out["sac_demos"]["median_training_seconds"] == pytest.approx(100 / 50.0)
    with pytest.raises(ValueError, match="not race groups"):
        sample_efficiency({**runs, "ppo_wide": [_ppo(1)]}, {}, 0.8)


def test_summary_has_every_contract_key():
    per_policy = {"fsm": [_run(0.7)], "bc": [_run(0.7)], "ppo_bc": [_run(0.9), _run(1.0)], "ppo_scratch": [_run(0.1), _run(0.9)]}
    ppo = {g: [_ppo(10)] for g in ("ppo_bc", "ppo_scratch")}
    out = summary(per_policy, ppo, {"ppo_bc": 5, "ppo_scratch": 0}, 0.8)
    for name in per_policy:
        assert set(SUMMARY_KEYS) <= set(out[name])
    assert "success_suite_std" in out["ppo_bc"]
    for criterion in ("success", "walking"):
        assert {"ppo_bc", "ppo_scratch", "ratio_ppo_only", "ratio_charged"} <= set(out["sample_efficiency"][criterion])
    assert out["sample_efficiency"]["walking"]["ratio_ppo_only"]["censored"] == "both"


def test_sample_efficiency_refuses_a_missing_variant():
    with pytest.raises(ValueError, match="scratch"):
        sample_efficiency({"ppo_bc": [_ppo(1)]}, {}, 0.8)


def test_tables_say_censored_not_budget():
    """The race table prints 'not reached (> budget)' and a lower bound, never the budget as a crossing."""
    from walker.tables import peer_markdown, sample_efficiency_table

    runs = {"ppo_bc": [_ppo(100, 300), _ppo(300, None), _ppo(200, 500)], "ppo_scratch": [_ppo(None), _ppo(600), _ppo(None)]}
    out = {"sample_efficiency": sample_efficiency(runs, {"ppo_bc": 50, "ppo_scratch": 0}, 0.8)}
    text = sample_efficiency_table(out)
    assert "not reached (> 1,000)" in text and "1 of 3" in text
    assert "> 5.00 (PPO from scratch's median run never reached the threshold)" in text  # 1000 / 200, PPO only
    race = {"threshold": 0.8}
    for criterion, key in (("success", "steps_to_success_threshold"), ("walking", "steps_to_walking_threshold")):
        entries = {"ppo_bc": race_entry(runs["ppo_bc"], key, 50), "ppo_scratch": race_entry(runs["ppo_scratch"], key),
                   "peer_sb3": race_entry([_ppo(400, None)] * 3, key)}
        race[criterion] = {**entries, "ratio_peer_to_scratch": race_ratio(entries["peer_sb3"], entries["ppo_scratch"], "median_steps"),
                           "ratio_peer_to_bc_charged": race_ratio(entries["peer_sb3"], entries["ppo_bc"], "median_charged_steps")}
    summary_with_peer = {g: _run(0.5) for g in ("fsm", "bc", "ppo_bc", "ppo_scratch", "peer_sb3")}
    text = peer_markdown({**summary_with_peer, "race": race})
    assert "SB3 PPO (peer, defaults)" in text and "none: PPO from scratch's median run never reached the threshold" in text
