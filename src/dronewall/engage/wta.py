"""Weapon-target assignment over candidate shots: an exact MILP and a greedy baseline.

A candidate c is one effector unit u(c) firing at one track t(c) in one time slot, with
single-shot kill probability pk_c, cost_c (USD) and expected casualties Ec_c. Each track
has a threat value V_t (USD). Per planning round a track gets at most one shot
(shoot-look-shoot: the next round sees whether it survived) and a unit at most cap_u
shots (its free fire channels, limited by its magazine). With x_c ∈ {0, 1}:

    minimise   Σ_t V_t (1 - Σ_{c∈t} pk_c x_c)  +  Σ_c (w_cost cost_c + w_ec Ec_c) x_c
    s.t.       Σ_{c∈t} x_c <= 1  for every track,   Σ_{c∈u} x_c <= cap_u  for every unit

The constant Σ_t V_t aside, this is maximising Σ_c g_c x_c with the gain
g_c = V_t pk_c - w_cost cost_c - w_ec Ec_c; candidates with g_c <= 0 are never worth a shot
and are dropped first. Solved with scipy.optimize.milp (HiGHS). The greedy baseline takes
candidates by decreasing gain while the constraints allow; :func:`solve_brute` enumerates
every assignment (tests, small cases only).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array, vstack

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass
class Problem:
    """Candidates (gain, track index, unit index) and unit capacities."""

    gain: FloatArray
    track: IntArray
    unit: IntArray
    capacity: IntArray  # per unit

    @classmethod
    def from_terms(cls, value: FloatArray, pk: FloatArray, cost: FloatArray, ec: FloatArray,
                   track: IntArray, unit: IntArray, capacity: IntArray,
                   w_cost: float = 1.0, w_ec: float = 1.0e7) -> Problem:
        gain = value[track] * pk - w_cost * cost - w_ec * ec
        return cls(gain, np.asarray(track), np.asarray(unit), np.asarray(capacity))


def _feasible(p: Problem, chosen: NDArray[np.bool_]) -> bool:
    t_ok = np.bincount(p.track[chosen], minlength=1).max(initial=0) <= 1
    u = np.bincount(p.unit[chosen], minlength=len(p.capacity))
    return bool(t_ok and (u <= p.capacity).all())


def solve_milp(p: Problem, time_limit_s: float = 10.0) -> NDArray[np.bool_]:
    """The optimal set of candidates (boolean mask)."""
    n = len(p.gain)
    chosen = np.zeros(n, dtype=bool)
    idx = np.flatnonzero(p.gain > 0)
    if idx.size == 0:
        return chosen
    # Exact reduction: candidates of one (track, unit) pair have the same constraint
    # column, so at most the best of them can be in an optimum; keep only that one.
    pair = p.track[idx] * (int(p.unit.max()) + 1) + p.unit[idx]
    order = np.lexsort((-p.gain[idx], pair))
    first = np.r_[True, pair[order][1:] != pair[order][:-1]]
    idx = idx[order[first]]
    tr, un = p.track[idx], p.unit[idx]
    t_ids, t_row = np.unique(tr, return_inverse=True)
    u_ids, u_row = np.unique(un, return_inverse=True)
    cols = np.arange(idx.size)
    a_t = csr_array((np.ones(idx.size), (t_row, cols)), shape=(t_ids.size, idx.size))
    a_u = csr_array((np.ones(idx.size), (u_row, cols)), shape=(u_ids.size, idx.size))
    a = vstack([a_t, a_u]).tocsr()
    ub = np.concatenate([np.ones(t_ids.size), p.capacity[u_ids].astype(float)])
    res = milp(
        c=-p.gain[idx],
        constraints=LinearConstraint(a, -np.inf, ub),
        integrality=np.ones(idx.size),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit_s},
    )
    if res.x is None:
        raise RuntimeError(f"MILP failed: {res.message}")
    chosen[idx[res.x > 0.5]] = True
    return chosen


def solve_greedy(p: Problem) -> NDArray[np.bool_]:
    """Largest gain first, while the track is free and the unit has capacity."""
    chosen = np.zeros(len(p.gain), dtype=bool)
    used_t: set[int] = set()
    used_u = np.zeros(len(p.capacity), dtype=np.int64)
    for c in np.argsort(-p.gain, kind="stable"):
        if p.gain[c] <= 0:
            break
        t, u = int(p.track[c]), int(p.unit[c])
        if t in used_t or used_u[u] >= p.capacity[u]:
            continue
        chosen[c] = True
        used_t.add(t)
        used_u[u] += 1
    return chosen


def solve_brute(p: Problem) -> tuple[NDArray[np.bool_], float]:
    """Exhaustive search (2^n subsets; n <= ~16): the best mask and its total gain."""
    n = len(p.gain)
    best, best_v = np.zeros(n, dtype=bool), 0.0
    for bits in itertools.product((False, True), repeat=n):
        m = np.array(bits, dtype=bool)
        if m.any() and _feasible(p, m):
            v = float(p.gain[m].sum())
            if v > best_v + 1e-9:
                best, best_v = m, v
    return best, best_v


def total_gain(p: Problem, chosen: NDArray[np.bool_]) -> float:
    return float(p.gain[chosen].sum())
