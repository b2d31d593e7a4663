"""Evaluation metrics on hand-made trajectories with known answers."""

from __future__ import annotations

import numpy as np

from walker.protocol import episode_metrics


def test_success_distance_speed_and_cost_of_transport():
    T, dt = 100, 0.02  # 2 s
    alive = np.ones((T, 3), bool)
    alive[50:, 1] = False  # episode 1 falls after 50 steps (1 s)
    x = np.zeros((T + 1, 3))
    x[:, 0] = np.linspace(0, 2.0, T + 1)  # 1 m/s
    x[:, 1] = np.linspace(0, 2.0, T + 1)  # 1 m/s until it falls at x = 1 m
    x[:, 2] = np.linspace(0, 0.4, T + 1)  # 0.2 m/s: too slow
    work = np.full((T, 3), 0.1)  # 0.1 J per step
    mass = np.array([5.0, 5.0, 5.0])
    m = episode_metrics(alive, x, work, mass, dt, min_speed=0.3, g=10.0)
    assert m.success.tolist() == [True, False, False]
    np.testing.assert_allclose(m.distance_m, [2.0, 1.0, 0.4])
    np.testing.assert_allclose(m.speed_mps, [1.0, 1.0, 0.2])
    # 10 J over 2 m for 50 N of weight: 0.1; the fallen one did 5 J over 1 m: 0.1
    np.testing.assert_allclose(m.cost_of_transport, [10.0 / (50 * 2.0), 5.0 / (50 * 1.0), 10.0 / (50 * 0.4)])
    assert m.steps_alive.tolist() == [100, 50, 100]


def test_no_progress_has_undefined_cost_of_transport():
    alive = np.ones((10, 1), bool)
    x = np.zeros((11, 1))
    m = episode_metrics(alive, x, np.ones((10, 1)), np.array([7.0]), 0.02, 0.3)
    assert np.isnan(m.cost_of_transport[0]) and not m.success[0]


def test_native_batch_padding_scores_like_the_mjx_layout(params):
    """A native episode that falls is padded (x held, no work after the fall) and scores as MJX's layout does."""
    from walker.passive.native import NativeBatch

    T, dt = 4, 0.5
    alive = np.array([[1, 1], [1, 1], [1, 0], [1, 0]], bool)  # episode 1 fell during step 1
    x = np.array([[0.0, 0.0], [0.5, 0.5], [1.0, 0.8], [1.5, 0.8], [2.0, 0.8]])
    work = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 0.0], [1.0, 0.0]])
    batch = NativeBatch(alive, x, work, np.array([2.0, 2.0]))
    m = episode_metrics(batch.alive, batch.x, batch.work, batch.mass, dt, min_speed=0.3, g=10.0)
    assert m.success.tolist() == [True, False]
    np.testing.assert_allclose(m.distance_m, [2.0, 0.8])
    np.testing.assert_allclose(m.speed_mps, [1.0, 0.8])
    np.testing.assert_allclose(m.cost_of_transport, [4.0 / (20 * 2.0), 4.0 / (20 * 0.8)])
