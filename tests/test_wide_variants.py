"""The wide runs changed one way at a time (walker.wide_variants, walker.passive.braking, stages wide_variant*): the
braking cost on hand-made speeds, the variants' block and its errors, and the comparison table on hand-made json."""

from __future__ import annotations

from pathlib import Path

import jax.numpy as jnp
import numpy as np
import pytest
from brax.envs.base import Env, State

from walker.config import ConfigError
from walker.passive.braking import METRIC, OverspeedCost, braking_shaping, overspeed
from walker.passive.task import OBS_VX
from walker.wide_variants import (
    WideVariant,
    comparison_markdown,
    comparison_rows,
    group_of,
    load_wide_variants,
    speed_kept,
    variant_of,
)

REPO = Path(__file__).resolve().parent.parent


def test_overspeed_charges_only_the_speed_above_the_cap():
    speeds = np.array([-1.0, 0.0, 2.4, 2.5, 2.6, 4.0])
    np.testing.assert_allclose(overspeed(speeds, 2.5), [0.0, 0.0, 0.0, 0.0, 0.1, 1.5], atol=1e-6)


class _ConstantSpeed(Env):
    """A stand-in body: every step reports forward speed ``speed`` in obs[OBS_VX] and reward 1."""

    def __init__(self, speed: float):
        self.speed = speed

    def reset(self, rng):
        return State(pipeline_state=None, obs=jnp.zeros(18), reward=jnp.zeros(()), done=jnp.zeros(()), metrics={"reward/forward": jnp.zeros(())})

    def step(self, state, action):
        obs = jnp.zeros(18).at[OBS_VX].set(self.speed)
        return state.replace(obs=obs, reward=jnp.ones(()), metrics={"reward/forward": jnp.ones(())})

    @property
    def observation_size(self):
        return 18

    @property
    def action_size(self):
        return 3

    @property
    def backend(self):
        return "mjx"


@pytest.mark.parametrize(("speed", "reward"), [(1.0, 1.0), (2.5, 1.0), (3.0, 1.0 - 2.0 * 0.5), (4.5, 1.0 - 2.0 * 2.0)])
def test_the_wrapper_subtracts_the_weighted_overspeed_and_logs_it(speed, reward):
    env = OverspeedCost(_ConstantSpeed(speed), weight=2.0, speed_cap=2.5)
    state = env.reset(None)
    assert set(state.metrics) == {"reward/forward", METRIC} and float(state.metrics[METRIC]) == 0.0  # same keys at reset and step
    state = env.step(state, jnp.zeros(3))
    assert float(state.reward) == pytest.approx(reward)
    assert float(state.metrics[METRIC]) == pytest.approx(reward - 1.0)
    assert env.observation_size == 18  # the rest is the body's


def test_no_braking_weight_means_the_bodys_own_env():
    assert braking_shaping(0.0, 2.5) is None
    assert isinstance(braking_shaping(1.0, 2.5)(_ConstantSpeed(1.0)), OverspeedCost)


def test_the_committed_variants_each_change_something():
    cfg = load_wide_variants(str(REPO / "envelope/params.yaml"))
    assert cfg.variants and all(v.overspeed > 0 or v.boundary_others == "nominal" for v in cfg.variants.values())
    name, variant, seed = variant_of(cfg, f"{next(iter(cfg.variants))}-2")
    assert name in cfg.variants and seed == 2 and variant is cfg.variants[name]


def _write(tmp_path, variants: str) -> str:
    path = tmp_path / "params.yaml"
    path.write_text(f"wide_variants:\n  variants:\n{variants}")
    return str(path)


@pytest.mark.parametrize(("variants", "message"), [
    ("    braked: {overspeed: 1.0, speed_cap: 2.5, boundary_others: middle}\n", "wide_variants.variants.braked.boundary_others"),
    ("    same: {overspeed: 0.0, speed_cap: 2.5, boundary_others: wide}\n", "changes nothing"),
    ("    braked: {overspeed: -1.0, speed_cap: 2.5, boundary_others: wide}\n", "wide_variants.variants.braked.overspeed"),
    ("    Braked: {overspeed: 1.0, speed_cap: 2.5, boundary_others: wide}\n", "lowercase"),
    ("    braked: {overspeed: 1.0, boundary_others: wide}\n", "missing key wide_variants.variants.braked.speed_cap"),
])
def test_a_bad_variant_is_named_before_any_training(tmp_path, variants, message):
    path = _write(tmp_path, variants)
    with pytest.raises(ConfigError, match=message) as err:
        load_wide_variants(path)
    assert path in str(err.value)


def test_a_run_of_no_variant_names_the_variants(tmp_path):
    cfg = load_wide_variants(_write(tmp_path, "    braked: {overspeed: 1.0, speed_cap: 2.5, boundary_others: wide}\n"))
    with pytest.raises(ConfigError, match=r"no variant for run 'fast-0'.*\['braked'\]"):
        variant_of(cfg, "fast-0")


def test_speed_kept_within_30_percent_of_the_nominal_speed():
    assert speed_kept([2.0, 2.6, 1.3, None, 1.4], 2.0) == [True, True, False, None, True]


def _entry(group: str, walking: list[float]) -> dict:
    return {"group": group, "suite": {"walking": min(walking), "success": 1.0}, "nominal": {"speed_mps": 2.0, "cost_of_transport": 0.1},
            "sweeps": {"slope_deg": {"values": [10.0, 18.0], "walking": walking}, "push_impulse_ns": {"values": [-12.0, 0.0], "walking": [0.5, 1.0]}}}


def _record(slope_high: float, variant: str | None = None) -> dict:
    ranges = {"slope_deg_low": 4.0, "slope_deg_high": slope_high, "push_impulse_ns_low": -9.0, "push_impulse_ns_high": 15.0,
              "friction_scale_low": 0.4, "friction_scale_high": 1.4, "torso_mass_scale_low": 0.6, "torso_mass_scale_high": 1.4}
    return {"ranges_widest": ranges, **({"variant": variant} if variant else {})}


def test_the_table_sets_each_variant_against_the_unchanged_runs():
    policies = {"ppo_wide-0": _entry("ppo_wide", [1.0, 0.0]), group_of("braked") + "-0": _entry(group_of("braked"), [1.0, 0.91])}
    training = {"ppo_wide-0": _record(16.0), "ppo_wide_braked-0": _record(19.0, "braked")}
    speeds = {"ppo_wide-0": [2.1, None], "ppo_wide_braked-0": [2.0, 2.4]}
    rows = comparison_rows(policies, training, speeds)
    assert [r["run"] for r in rows] == ["ppo_wide-0", "ppo_wide_braked-0"]
    assert rows[1]["variant"] == "braked" and rows[1]["slope_walking"] == [1.0, 0.91] and rows[1]["widest"]["slope_deg"] == [4.0, 19.0]
    entry = {"run": "ppo_wide_braked-0", "slope_deg": [10.0, 18.0], "push_impulse_ns": [0.0], "walking": [[1.0], [0.91]]}
    md = comparison_markdown(rows, {"braked": WideVariant(1.0, 2.5, "wide")}, {"ppo_wide_braked": entry})
    assert "| braked | 1.00 | 2.50 | wide |" in md
    assert "| ppo_wide-0 | 0.00 | 1.00 | 0.00 | 0.50 | 1.00 |" in md and "| ppo_wide_braked-0 | 0.91 | 1.00 | 0.91 | 0.50 | 1.00 |" in md
    assert "| ppo_wide-0 | 2.00 | 2.10 | – | 1 of 1 |" in md and "| ppo_wide_braked-0 | 2.00 | 2.00 | 2.40 | 2 of 2 |" in md
    assert "| ppo_wide_braked-0 | 0.100 | [4.0, 19.0] |" in md
    assert "| 18 deg | 0.91 |" in md
