"""Gating and global nearest neighbour."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import chi2

from dronewall.fusion.association import chi2_gate, gnn, speed_pregate
from dronewall.fusion.kalman import innovations
from dronewall.fusion.motion import ConstantVelocity


def test_chi2_gate_is_the_quantile() -> None:
    g = chi2_gate(0.999)
    assert abs(g - 16.266) < 1e-3
    assert abs(chi2.cdf(g, 3) - 0.999) < 1e-12


def test_gnn_picks_the_globally_cheapest_assignment() -> None:
    # track 0 is closest to detection 0, but giving it detection 0 leaves track 1 with
    # nothing (or much worse); the global optimum crosses over.
    rows = np.array([0, 0, 1])
    cols = np.array([0, 1, 0])
    cost = np.array([1.0, 2.0, 1.5])
    miss = np.array([10.0, 10.0, 10.0])
    sel = gnn(rows, cols, cost, miss)
    assert sorted(zip(rows[sel].tolist(), cols[sel].tolist(), strict=True)) == [(0, 1), (1, 0)]


def test_gnn_prefers_leaving_a_track_unassigned_to_a_bad_pair() -> None:
    # the same conflict, but track 0's alternative costs more than missing it
    rows = np.array([0, 0, 1])
    cols = np.array([0, 1, 0])
    cost = np.array([1.0, 9.0, 1.5])
    miss = np.array([5.0, 5.0, 5.0])
    sel = gnn(rows, cols, cost, miss)
    assert sorted(zip(rows[sel].tolist(), cols[sel].tolist(), strict=True)) == [(0, 0)]


def test_gnn_no_conflict_takes_everything_and_each_once() -> None:
    rows = np.array([3, 5, 7])
    cols = np.array([2, 0, 1])
    assert gnn(rows, cols, np.ones(3), np.ones(3) * 9).tolist() == [0, 1, 2]
    rng = np.random.default_rng(0)
    rows = rng.integers(0, 6, 40)
    cols = rng.integers(0, 8, 40)
    key = np.unique(rows * 8 + cols)
    rows, cols = np.divmod(key, 8)
    sel = gnn(rows, cols, rng.random(len(rows)), np.full(len(rows), 5.0))
    assert len(set(rows[sel].tolist())) == len(sel) == len(set(cols[sel].tolist()))


def _total(rows: np.ndarray, cost: np.ndarray, miss: np.ndarray, sel: np.ndarray) -> float:
    """Cost of an assignment: chosen pairs plus, per unassigned track, its miss cost."""
    miss_of = {}
    for r, m in zip(rows.tolist(), miss.tolist(), strict=True):
        miss_of[r] = min(miss_of.get(r, math.inf), m)
    used = set(rows[sel].tolist())
    return float(cost[sel].sum()) + sum(m for r, m in miss_of.items() if r not in used)


def test_gnn_equals_brute_force_on_random_small_problems() -> None:
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(200):
        n, m = (int(v) for v in rng.integers(2, 6, 2))
        rows, cols = np.nonzero(rng.random((n, m)) < rng.uniform(0.2, 0.8))
        if len(rows) < 2:
            continue
        cost = rng.normal(0.0, 3.0, len(rows))
        # as in the tracker: a gated pair never costs more than missing its track
        miss = cost + rng.exponential(3.0, len(rows))
        sel = gnn(rows, cols, cost, miss)
        assert len(set(rows[sel].tolist())) == len(sel) == len(set(cols[sel].tolist()))
        per_row = [[None, *np.flatnonzero(rows == r).tolist()] for r in np.unique(rows)]
        best = math.inf
        for choice in itertools.product(*per_row):
            pick = np.array([c for c in choice if c is not None], dtype=np.intp)
            if len(set(cols[pick].tolist())) == len(pick):
                best = min(best, _total(rows, cost, miss, pick))
        assert _total(rows, cost, miss, sel) == pytest.approx(best, abs=1e-9)
        checked += 1
    assert checked > 150


def test_speed_pregate_keeps_reachable_detections_only() -> None:
    pos = np.array([[0.0, 0.0, 1000.0], [50_000.0, 0.0, 1000.0]])
    t = np.array([0.0, 0.0])
    spread = np.array([300.0, 300.0])
    z = np.array([[2_000.0, 0.0, 1000.0], [9_000.0, 0.0, 1000.0], [50_500.0, 0.0, 900.0]])
    tz = np.array([10.0, 10.0, 10.0])
    zspread = np.array([200.0, 200.0, 200.0])
    rows, cols = speed_pregate(pos, t, spread, z, tz, zspread, max_speed=400.0)
    # 2 km in 10 s: reachable; 9 km in 10 s (900 m/s): not; the second track's own one
    assert sorted(zip(rows.tolist(), cols.tolist(), strict=True)) == [(0, 0), (1, 2)]


def test_mahalanobis_gate_separates_near_and_far_detections() -> None:
    model = ConstantVelocity(2.0, 0.5)
    x = np.array([[0.0, 0.0, 1000.0, 100.0, 0.0, 0.0]])
    p = np.diag([50.0**2] * 3 + [5.0**2] * 3)[None]
    t = np.array([0.0])
    truth = np.array([1000.0, 0.0, 1000.0])  # where it is after 10 s
    z = truth + np.array([[60.0, -40.0, 10.0], [3000.0, 0.0, 0.0]])
    r = np.broadcast_to(np.eye(3) * 100.0**2, (2, 3, 3)).copy()
    tz = np.array([10.0, 10.0])
    inn = innovations(model, x, p, t, z, r, tz, np.array([0, 0]), np.array([0, 1]))
    gamma = chi2_gate(0.999)
    assert inn.d2[0] < gamma < inn.d2[1]
