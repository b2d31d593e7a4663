"""The protocol's per-episode metrics on hand-made trajectories with known answers."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from walker.gait import FootModel
from walker.protocol import episode_metrics, is_steady, mean_metrics

# hand-made observations carry each foot's height (columns 0, 1) and position ahead of the torso (2, 3)
FEET = FootModel(feet=lambda obs, x: (obs[..., 0:2], x[..., None] + obs[..., 2:4]), leg_length=1.0)


@pytest.fixture()
def ev(params):
    return dataclasses.replace(params.evaluate, min_speed_mps=0.3)


def _args(obs, alive, fell, x, work, mass, dt, ev):
    return episode_metrics(obs, alive, fell, x, work, mass, dt, ev, FEET, g=10.0)


def test_success_distance_speed_and_cost_of_transport(ev):
    T, dt = 100, 0.02  # 2 s
    alive = np.ones((T, 3), bool)
    alive[50:, 1] = False  # episode 1 falls in step 49
    fell = np.zeros((T, 3), bool)
    fell[49, 1] = True
    x = np.zeros((T + 1, 3))
    x[:, 0] = np.linspace(0, 2.0, T + 1)  # 1 m/s
    x[:, 1] = np.linspace(0, 2.0, T + 1)  # 1 m/s until it falls at x = 1 m
    x[:, 2] = np.linspace(0, 0.4, T + 1)  # 0.2 m/s: too slow
    work = np.full((T, 3), 0.1)  # 0.1 J per step
    mass = np.array([5.0, 5.0, 5.0])
    m = _args(np.zeros((T, 3, 4)), alive, fell, x, work, mass, dt, ev)
    assert m.success.tolist() == [True, False, False]
    np.testing.assert_allclose(m.distance_m, [2.0, 1.0, 0.4])
    np.testing.assert_allclose(m.speed_mps, [1.0, 1.0, 0.2])
    # 10 J over 2 m for 50 N of weight: 0.1; the fallen one did 5 J over 1 m: 0.1
    np.testing.assert_allclose(m.cost_of_transport, [10.0 / (50 * 2.0), 5.0 / (50 * 1.0), 10.0 / (50 * 0.4)])
    assert m.steps_alive.tolist() == [100, 50, 100]
    means = mean_metrics(m)  # cost of transport over the successful episode only
    assert means["cost_of_transport"] == pytest.approx(0.1) and means["cost_of_transport_episodes"] == 1


def test_a_fall_in_the_last_step_is_a_fall(ev):
    T, dt = 50, 0.02
    alive = np.ones((T, 1), bool)  # it was up before every step ...
    fell = np.zeros((T, 1), bool)
    fell[-1] = True  # ... and fell during the last one
    x = np.linspace(0, 1.0, T + 1)[:, None]
    m = _args(np.zeros((T, 1, 4)), alive, fell, x, np.zeros((T, 1)), np.ones(1), dt, ev)
    assert m.success.tolist() == [False] and m.walking.tolist() == [False]


def test_a_runaway_that_survives_the_horizon_is_no_success(ev):
    T, dt = 1000, 0.02  # 20 s
    t = np.arange(T + 1) * dt
    steady_x = 2.5 * t
    runaway_x = 2.5 * t + 0.5 * 0.09 * t**2  # speeding up by 0.09 m/s^2 (the replayed runaways: 3.4 -> 4.3 m/s in 10 s)
    x = np.stack([steady_x, runaway_x], axis=1)
    alive, fell = np.ones((T, 2), bool), np.zeros((T, 2), bool)
    m = _args(np.zeros((T, 2, 4)), alive, fell, x, np.zeros((T, 2)), np.ones(2), dt, ev)
    assert m.success.tolist() == [True, False]
    assert is_steady(x, dt, ev.steady.window_s, ev.steady.max_speed_change).tolist() == [True, False]


def test_walking_needs_success_and_a_walking_gait(ev):
    T, dt = 1000, 0.02
    x = np.repeat(np.linspace(0, 20.0, T + 1)[:, None], 2, axis=1)  # 1 m/s, steady
    obs = np.zeros((T, 2, 4))
    for t in range(T):  # episode 0 walks: one foot planted at a time, 0.5 m steps; episode 1 hops (both up half the time)
        k, phase = divmod(t, 25)
        stance = k % 2
        planted = k * 0.5  # where the stance foot landed (world x)
        swing_from = planted - 0.5  # the other foot left from there and lands at planted + 0.5 at the next handover
        obs[t, 0, stance], obs[t, 0, 1 - stance] = -0.002, 0.05
        obs[t, 0, 2 + stance] = planted - x[t, 0]
        obs[t, 0, 3 - stance] = swing_from + phase / 25 * 1.0 - x[t, 0]
        obs[t, 1, :2] = -0.002 if t % 20 < 10 else 0.05
    m = _args(obs, np.ones((T, 2), bool), np.zeros((T, 2), bool), x, np.zeros((T, 2)), np.ones(2), dt, ev)
    assert m.success.tolist() == [True, True]
    assert m.walking.tolist() == [True, False]
    np.testing.assert_allclose(m.gait.step_length_m[0], 0.5)
    assert m.gait.flight_fraction[1] == pytest.approx(0.5)


def test_no_progress_has_undefined_cost_of_transport(ev):
    m = _args(np.zeros((10, 1, 4)), np.ones((10, 1), bool), np.zeros((10, 1), bool), np.zeros((11, 1)), np.ones((10, 1)), np.array([7.0]), 0.02, ev)
    assert np.isnan(m.cost_of_transport[0]) and not m.success[0]
    assert mean_metrics(m)["cost_of_transport"] is None and mean_metrics(m)["cost_of_transport_episodes"] == 0


def test_native_batch_padding_scores_like_the_mjx_layout(ev):
    """A native episode that falls is padded (x and obs held, no work after the fall) and scores as MJX's layout does."""
    from walker.passive.native import NativeBatch

    T, dt = 4, 0.5
    alive = np.array([[1, 1], [1, 1], [1, 0], [1, 0]], bool)  # episode 1 fell during step 1
    fell = np.array([[0, 0], [0, 1], [0, 0], [0, 0]], bool)
    x = np.array([[0.0, 0.0], [0.5, 0.5], [1.0, 0.8], [1.5, 0.8], [2.0, 0.8]])
    work = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 0.0], [1.0, 0.0]])
    batch = NativeBatch(np.zeros((T, 2, 4)), alive, fell, x, work, np.array([2.0, 2.0]))
    m = _args(batch.obs, batch.alive, batch.fell, batch.x, batch.work, batch.mass, dt, dataclasses.replace(ev, steady=dataclasses.replace(ev.steady, max_speed_change=1.0)))
    assert m.success.tolist() == [True, False]
    np.testing.assert_allclose(m.distance_m, [2.0, 0.8])
    np.testing.assert_allclose(m.speed_mps, [1.0, 0.8])
    np.testing.assert_allclose(m.cost_of_transport, [4.0 / (20 * 2.0), 4.0 / (20 * 0.8)])


def test_demos_keep_episodes_without_a_fall_that_move_even_if_not_yet_steady():
    """Demo selection: no fall (the last step included) and progress; a start-up acceleration is fine."""
    from walker.demos import worth_copying
    from walker.rollout import Trajectories

    T, dt = 500, 0.02
    t = np.arange(T + 1) * dt
    x = np.stack([1.0 * t + 0.05 * t**2, 1.0 * t, 0.1 * t], axis=1)  # speeding up; steady; too slow
    fell = np.zeros((T, 3), bool)
    x = np.concatenate([x, x[:, 1:2]], axis=1)
    fell = np.concatenate([fell, np.eye(1, T, T - 1, dtype=bool).T], axis=1)  # a fourth: falls in the last step
    traj = Trajectories(obs=np.zeros((T, 4, 4)), action=np.zeros((T, 4, 3)), alive=np.ones((T, 4), bool), x=x,
                        work=np.zeros((T, 4)), mass=np.ones(4), fell=fell)
    assert worth_copying(traj, 0.3, dt).tolist() == [True, True, False, False]


def test_gait_distribution_counts_the_episodes_that_miss_only_the_step_length(ev):
    """An episode that succeeds and meets every walking bound but takes steps just under the bound is counted
    apart (the near misses docs/protocol.md weighs the 0.5 m bound with); the percentiles span the episodes."""
    from walker.gait import GaitMetrics
    from walker.protocol import EpisodeMetrics
    from walker.stages.evaluate import gait_distribution

    n = 4
    crit = ev.gait
    gait = GaitMetrics(
        alternations_hz=np.full(n, 2.0), duty_factor=np.full(n, 0.5), flight_fraction=np.array([0.0, 0.0, 0.9, 0.0]),
        stance_slip_mps=np.full(n, 0.1), step_length_m=np.array([0.9, crit.min_step_length_m - 0.01, 0.2, np.nan]), froude=np.full(n, 0.5),
    )
    success = np.array([True, True, True, False])
    walking = success & (gait.flight_fraction <= crit.max_flight_fraction) & (np.nan_to_num(gait.step_length_m) >= crit.min_step_length_m)
    m = EpisodeMetrics(success, walking, np.ones(n), np.ones(n), np.ones(n), np.full(n, 10), gait)
    out = gait_distribution(m, crit)
    assert out["walking_but_step_length"] == 0.25  # episode 1 only: episode 2 also flies, episode 3 fell
    assert out["step_length_m"][0] == pytest.approx(np.percentile([0.9, 0.49, 0.2], 5)) and len(out["froude"]) == 5
