"""GOSPA against hand-computed values, and its time series."""

import itertools

import numpy as np
import pytest

from dronewall.eval.gospa import extrapolate, gospa, interpolate


def test_perfect_estimate_is_zero():
    x = np.array([[0.0, 0.0], [1000.0, 0.0]])
    assert gospa(x, x.copy()).total == 0.0


def test_hand_computed_parts():
    truth = np.array([[0.0, 0.0], [10_000.0, 0.0]])
    est = np.array([[300.0, 400.0], [50_000.0, 0.0], [60_000.0, 0.0]])
    g = gospa(truth, est, c=2000.0, p=1)
    assert g.localisation == pytest.approx(500.0)
    assert g.missed == pytest.approx(1000.0)  # one target unassigned: c/2
    assert g.false == pytest.approx(2000.0)  # two false tracks
    assert g.total == pytest.approx(3500.0)


def test_empty_sets():
    z = np.zeros((0, 2))
    assert gospa(z, z).total == 0.0
    assert gospa(np.zeros((3, 2)), z, c=100.0).total == pytest.approx(150.0)


def test_assignment_is_optimal_against_brute_force():
    rng = np.random.default_rng(1)
    for _ in range(20):
        truth = rng.uniform(0, 5000, (4, 2))
        est = rng.uniform(0, 5000, (3, 2))
        c, p = 2000.0, 2.0
        best = min(
            sum(min(np.linalg.norm(truth[i] - est[j]), c) ** p for i, j in zip(perm, range(3),
                                                                              strict=False))
            + c**p / 2 * (4 - 3)
            for perm in itertools.permutations(range(4), 3)
        )
        assert gospa(truth, est, c, p).total == pytest.approx(best ** (1 / p))


def test_interpolate_and_extrapolate():
    t = np.array([0.0, 10.0])
    x = np.array([[0.0, 0.0, 0.0], [100.0, 0.0, 0.0]])
    got = interpolate(t, x, np.array([-1.0, 5.0, 11.0]))
    assert np.isnan(got[0, 0]) and got[1, 0] == pytest.approx(50.0) and np.isnan(got[2, 0])
    v = np.array([[10.0, 0, 0], [10.0, 0, 0]])
    ex = extrapolate(t, x, v, np.array([-1.0, 5.0, 10.0]))
    assert np.isnan(ex[0, 0]) and ex[1, 0] == pytest.approx(50.0) and ex[2, 0] == 100.0
