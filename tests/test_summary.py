"""summary.json: pooling seeds and sample efficiency, on hand-made numbers."""

from __future__ import annotations

import pytest

from walker.summary import SUMMARY_KEYS, pooled, sample_efficiency, summary


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


def test_sample_efficiency_counts_a_run_that_never_reached_as_its_budget():
    runs = {
        "bc": [{"steps_to_success_0_8": 100, "env_steps": 1000}, {"steps_to_success_0_8": 300, "env_steps": 1000}],
        "scratch": [{"steps_to_success_0_8": None, "env_steps": 1000}, {"steps_to_success_0_8": 600, "env_steps": 1000}],
    }
    out = sample_efficiency(runs)
    assert out["ppo_bc_steps_to_0_8"] == 200 and out["ppo_scratch_steps_to_0_8"] == 800
    assert out["ratio"] == pytest.approx(4.0)
    assert out["ppo_bc_runs_reached_0_8"] == 2 and out["ppo_scratch_runs_reached_0_8"] == 1


def test_summary_has_every_contract_key():
    per_policy = {"fsm": [_run(0.7)], "bc": [_run(0.7)], "ppo_bc": [_run(0.9), _run(1.0)], "ppo_scratch": [_run(0.1), _run(0.9)]}
    ppo = {v: [{"steps_to_success_0_8": 10, "steps_to_walking_0_8": None, "env_steps": 100}] for v in ("bc", "scratch")}
    out = summary(per_policy, ppo)
    for name in per_policy:
        assert set(SUMMARY_KEYS) <= set(out[name])
    assert "success_suite_std" in out["ppo_bc"]
    assert {"ppo_bc_steps_to_0_8", "ppo_scratch_steps_to_0_8", "ratio"} <= set(out["sample_efficiency"])
    assert out["sample_efficiency"]["walking_ratio"] == 1.0 and out["sample_efficiency"]["walking_ppo_bc_runs_reached_0_8"] == 0


def test_sample_efficiency_refuses_a_missing_variant():
    with pytest.raises(ValueError, match="scratch"):
        sample_efficiency({"bc": [{"steps_to_success_0_8": 1, "env_steps": 2}]})
