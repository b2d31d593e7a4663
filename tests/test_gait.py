"""Gait metrics on hand-made contact sequences: a walk, a run, a shuffle that never alternates, a sliding stance."""

from __future__ import annotations

import numpy as np

from walker.gait import gait_metrics, is_walking, stance_foot

DT = 0.02
STEP = 25  # control steps per step of the gait: 0.5 s


def _walk(T: int = 200, speed: float = 1.0, flight: int = 0, slide: float = 0.0, swap: bool = True, step_m: float = 0.5):
    """Feet heights and positions (T, 1, 2): each foot planted (height -0.002) for one step while the other swings
    (height 0.05) and lands ``step_m`` ahead; ``flight`` steps of each stance both feet are up; a planted foot
    moves at ``slide`` m/s; without ``swap`` the same (left) foot lands every time and the right one drags."""
    height = np.full((T, 1, 2), 0.05)
    x = np.zeros((T, 1, 2))
    planted_x = [0.0, -step_m / 2]
    for t in range(T):
        k, phase = divmod(t, STEP)
        foot = k % 2 if swap else 0
        if phase == 0 and t > 0:
            planted_x[foot] = planted_x[1 - foot] + step_m if swap else planted_x[foot] + step_m
        planted_x[foot] += slide * DT if phase else 0.0
        if phase < STEP - flight:
            height[t, 0, foot] = -0.002
        if not swap:
            height[t, 0, 1] = -0.002  # the other foot drags along the ground
            planted_x[1] += speed * DT
        x[t, 0] = planted_x
    alive = np.ones((T, 1), bool)
    return height, x, alive, np.array([speed])


def _metrics(height, x, alive, speed):
    return gait_metrics(height, x, alive, speed, DT, contact_height=0.0, leg_length=1.0, g=10.0)


CRITERION = dict(min_alternations_hz=0.5, max_flight_fraction=0.25, max_stance_slip_mps=0.4, min_step_length_m=0.25)


def test_a_walk_alternates_keeps_a_foot_down_and_plants_it():
    g = _metrics(*_walk())
    assert g.alternations_hz[0] == 7 / (200 * DT)  # handovers at steps 25, 50, ..., 175: 7 in 4 s
    assert g.flight_fraction[0] == 0.0 and g.stance_slip_mps[0] == 0.0
    np.testing.assert_allclose(g.step_length_m[0], 0.5)
    np.testing.assert_allclose(g.duty_factor[0], 0.5)
    np.testing.assert_allclose(g.froude[0], 1.0 / 10.0)
    assert is_walking(g, **CRITERION).tolist() == [True]


def test_a_run_has_flight_and_fails_the_walking_bound():
    g = _metrics(*_walk(flight=10))  # 10 of every 25 steps with both feet up
    np.testing.assert_allclose(g.flight_fraction[0], 0.4, atol=0.01)
    assert g.duty_factor[0] < 0.5
    assert is_walking(g, **CRITERION).tolist() == [False]


def test_a_shuffle_that_never_alternates():
    g = _metrics(*_walk(swap=False))
    assert g.alternations_hz[0] == 0.0
    assert is_walking(g, **CRITERION).tolist() == [False]


def test_a_sliding_stance_foot():
    g = _metrics(*_walk(slide=0.8))
    np.testing.assert_allclose(g.stance_slip_mps[0], 0.8, rtol=0.05)
    assert g.alternations_hz[0] > 1.0  # it alternates, but the planted foot slides
    assert is_walking(g, **CRITERION).tolist() == [False]


def test_steps_after_a_fall_do_not_count():
    height, x, alive, speed = _walk()
    alive[100:] = False
    height[100:] = 1.0  # whatever happens after the fall
    g = _metrics(height, x, alive, speed)
    assert g.alternations_hz[0] == 3 / (100 * DT)  # handovers at 25, 50, 75
    assert g.flight_fraction[0] == 0.0


def test_a_bounce_or_a_grazing_trailing_foot_is_no_change_of_stance():
    h = np.array([[-0.02, 0.05], [0.001, 0.05], [-0.02, 0.03], [-0.02, -0.001], [-0.01, -0.02], [0.02, -0.03], [-0.001, -0.03]])
    # 1: the stance foot bounces off (flight): stance stays; 3: the other foot touches but is higher: stays;
    # 4: it is lower: handover; 6: the old foot grazes the ground behind, higher: no handover back
    assert stance_foot(h[:, None, :], 0.0)[:, 0].tolist() == [0, 0, 0, 0, 1, 1, 1]
