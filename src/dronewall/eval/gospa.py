"""GOSPA: how far a set of track estimates is from the set of true targets.

The Generalised Optimal Sub-Pattern Assignment metric (Rahmathullah, García-Fernández,
Svensson, FUSION 2017) with alpha = 2::

    d(X, Y) = ( min_assignment  sum_{(i,j)} min(d(x_i, y_j), c)^p
                + c^p / 2 * (|X| + |Y| - 2 |assignment|) )^(1/p)

It splits into a localisation part (assigned pairs closer than ``c``), a missed-target
part and a false-track part. We use p = 1 so the parts add up to the total, and
``c`` = 2 km by default: a track more than 2 km from a target counts as missed plus
false, which for air surveillance at radar ranges of 100-300 km is the scale at which
an operator would no longer call it the same object. Positions are horizontal (east,
north): long-range radars measure height coarsely, and the airspace picture is 2-D.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment

from dronewall.geo.frames import LocalFrame
from dronewall.model import Track, TruthState

DEFAULT_C_M = 2000.0
DEFAULT_P = 1.0
DEFAULT_STEP_S = 10.0


@dataclass(frozen=True)
class Gospa:
    total: float
    localisation: float
    missed: float
    false: float
    n_truth: int
    n_tracks: int


def gospa(
    truth: NDArray[np.float64],
    est: NDArray[np.float64],
    c: float = DEFAULT_C_M,
    p: float = DEFAULT_P,
) -> Gospa:
    """GOSPA (alpha = 2) between point sets ``truth`` (m, d) and ``est`` (n, d)."""
    m, n = len(truth), len(est)
    half = c**p / 2.0
    if m == 0 or n == 0:
        return Gospa((half * (m + n)) ** (1 / p), 0.0, half * m, half * n, m, n)
    dist = np.linalg.norm(truth[:, None, :] - est[None, :, :], axis=-1)
    cost = np.minimum(dist, c) ** p
    rows, cols = linear_sum_assignment(cost)
    ok = dist[rows, cols] < c
    n_ok = int(ok.sum())
    loc = float(cost[rows, cols][ok].sum())
    missed = half * (m - n_ok)
    false = half * (n - n_ok)
    return Gospa((loc + missed + false) ** (1 / p), loc, missed, false, m, n)


@dataclass(frozen=True)
class GospaTimeline:
    times: NDArray[np.float64]
    total: NDArray[np.float64]
    localisation: NDArray[np.float64]
    missed: NDArray[np.float64]
    false: NDArray[np.float64]
    n_truth: NDArray[np.int64]
    n_tracks: NDArray[np.int64]
    c: float
    p: float

    def mean(self) -> dict[str, float]:
        if len(self.times) == 0:
            return {"gospa_mean": 0.0, "localisation": 0.0, "missed": 0.0, "false": 0.0}
        return {
            "gospa_mean": float(self.total.mean()),
            "localisation": float(self.localisation.mean()),
            "missed": float(self.missed.mean()),
            "false": float(self.false.mean()),
            "tracks_mean": float(self.n_tracks.mean()),
            "truth_mean": float(self.n_truth.mean()),
        }


def truth_paths(
    truth: Sequence[TruthState], frame: LocalFrame
) -> dict[str, tuple[NDArray[np.float64], NDArray[np.float64]]]:
    """Per target: times and ENU positions (k, 3) of its truth states, time-sorted."""
    by: dict[str, list[TruthState]] = defaultdict(list)
    for s in truth:
        by[s.target_id].append(s)
    out = {}
    for tid, states in by.items():
        states.sort(key=lambda s: s.time)
        t = np.array([s.time for s in states])
        enu = frame.to_enu(
            [s.lat for s in states], [s.lon for s in states], [s.alt for s in states]
        )
        out[tid] = (t, enu.reshape(-1, 3))
    return out


def track_paths(
    tracks: Sequence[Track], frame: LocalFrame, *, confirmed_only: bool = True
) -> dict[str, tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]]:
    """Per track: times, ENU positions (k, 3) and frame-ENU velocities (k, 3)."""
    by: dict[str, list[Track]] = defaultdict(list)
    for tr in tracks:
        if confirmed_only and tr.status == "tentative":
            continue
        by[tr.id].append(tr)
    out = {}
    for tid, states in by.items():
        states.sort(key=lambda s: s.time)
        lat = np.array([s.lat for s in states])
        lon = np.array([s.lon for s in states])
        enu = frame.to_enu(lat, lon, [s.alt for s in states]).reshape(-1, 3)
        v_local = np.array([[s.ve, s.vn, s.vu] for s in states])
        rot = frame.local_rotation(lat, lon)  # frame -> local; transpose back
        v_frame = np.einsum("kji,kj->ki", rot, v_local)
        out[tid] = (np.array([s.time for s in states]), enu, v_frame)
    return out


def interpolate(
    t: NDArray[np.float64], xyz: NDArray[np.float64], at: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Linear interpolation of a path at times ``at``; NaN outside its time span."""
    out = np.full((len(at), xyz.shape[1]), np.nan)
    inside = (at >= t[0]) & (at <= t[-1])
    if inside.any():
        for k in range(xyz.shape[1]):
            out[inside, k] = np.interp(at[inside], t, xyz[:, k])
    return out


def extrapolate(
    t: NDArray[np.float64],
    xyz: NDArray[np.float64],
    v: NDArray[np.float64],
    at: NDArray[np.float64],
) -> NDArray[np.float64]:
    """A track's estimate at times ``at``: its latest state before, moved on at its
    velocity (what the picture showed then); NaN before its first or after its last."""
    out = np.full((len(at), 3), np.nan)
    idx = np.searchsorted(t, at, side="right") - 1
    ok = (idx >= 0) & (at <= t[-1])
    i = idx[ok]
    out[ok] = xyz[i] + v[i] * (at[ok] - t[i])[:, None]
    return out


def gospa_timeline(
    truth: Sequence[TruthState],
    tracks: Sequence[Track],
    frame: LocalFrame,
    start: float,
    end: float,
    *,
    step_s: float = DEFAULT_STEP_S,
    c: float = DEFAULT_C_M,
    p: float = DEFAULT_P,
) -> GospaTimeline:
    """GOSPA every ``step_s`` between ``start`` and ``end`` between confirmed tracks and
    the targets flying at that time (horizontal positions)."""
    times = np.arange(start, end + 1e-9, step_s)
    tp = truth_paths(truth, frame)
    truth_at = [interpolate(t, x, times)[:, :2] for t, x in tp.values()]
    track_at = [
        extrapolate(t, x, v, times)[:, :2] for t, x, v in track_paths(tracks, frame).values()
    ]
    tr_stack = np.stack(truth_at, axis=1) if truth_at else np.zeros((len(times), 0, 2))
    es_stack = np.stack(track_at, axis=1) if track_at else np.zeros((len(times), 0, 2))
    cols = {k: np.zeros(len(times)) for k in ("total", "localisation", "missed", "false")}
    n_truth = np.zeros(len(times), dtype=np.int64)
    n_tracks = np.zeros(len(times), dtype=np.int64)
    for k in range(len(times)):
        x = tr_stack[k][~np.isnan(tr_stack[k, :, 0])]
        y = es_stack[k][~np.isnan(es_stack[k, :, 0])]
        g = gospa(x, y, c, p)
        cols["total"][k], cols["localisation"][k] = g.total, g.localisation
        cols["missed"][k], cols["false"][k] = g.missed, g.false
        n_truth[k], n_tracks[k] = g.n_truth, g.n_tracks
    return GospaTimeline(
        times,
        cols["total"],
        cols["localisation"],
        cols["missed"],
        cols["false"],
        n_truth,
        n_tracks,
        c,
        p,
    )
