"""Score detected incursions against the ground-truth ones.

1. Each track is associated with the true target it followed: the target whose
   position is closest in median (horizontal) over the track's states, if that median
   is under ``gate_m``; clutter tracks get none.
2. Each true incursion (target, country) is matched to the detected incursion of a
   track of that target into the same country with the nearest entry time
   (one-to-one, nearest first).
3. Unmatched true incursions are *missed*. An unmatched detected incursion of a track
   that followed a target with a matched incursion overlapping in time is a
   *duplicate* (the same intruder seen as two tracks); any other is *false*.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from dronewall.eval.gospa import interpolate, track_paths, truth_paths
from dronewall.geo.frames import LocalFrame, geodesic_distance
from dronewall.model import Event, Track, TruthState

DEFAULT_GATE_M = 5000.0


@dataclass(frozen=True)
class IncursionRecord:
    """One incursion as reported by its ``incursion_end`` event."""

    track_id: str
    country: str
    entry_time: float
    end_time: float
    exit_time: float | None
    end_reason: str
    seconds_inside: float
    max_depth_km: float
    entry_lat: float
    entry_lon: float
    entry_from: str | None
    entry_observed: bool

    @classmethod
    def from_event(cls, ev: Event) -> IncursionRecord:
        d = ev.details
        return cls(
            track_id=ev.track_id or "",
            country=ev.country or "",
            entry_time=float(d["entry_time"]),
            end_time=float(d.get("end_time", ev.time)),
            exit_time=None if d.get("exit_time") is None else float(d["exit_time"]),
            end_reason=str(d.get("reason", "")),
            seconds_inside=float(d["seconds_inside"]),
            max_depth_km=float(d.get("max_depth_km", 0.0)),
            entry_lat=float(d.get("entry_lat", np.nan)),
            entry_lon=float(d.get("entry_lon", np.nan)),
            entry_from=d.get("entry_from"),
            entry_observed=bool(d.get("entry_observed", True)),
        )


def incursion_records(events: Sequence[Event]) -> list[IncursionRecord]:
    """Incursions from a stream of events (one per ``incursion_end``), by entry time."""
    recs = [IncursionRecord.from_event(e) for e in events if e.kind == "incursion_end"]
    return sorted(recs, key=lambda r: (r.entry_time, r.track_id, r.country))


def associate_tracks(
    tracks: Sequence[Track],
    truth: Sequence[TruthState],
    frame: LocalFrame,
    gate_m: float = DEFAULT_GATE_M,
) -> dict[str, str | None]:
    """Track id -> id of the true target it followed (or None)."""
    tp = truth_paths(truth, frame)
    out: dict[str, str | None] = {}
    for tid, (t, xyz, _v) in track_paths(tracks, frame, confirmed_only=False).items():
        best, best_d = None, gate_m
        for target, (tt, tx) in tp.items():
            at = interpolate(tt, tx, t)
            ok = ~np.isnan(at[:, 0])
            if ok.sum() < max(2, 0.5 * len(t)):
                continue
            d = float(np.median(np.linalg.norm(at[ok, :2] - xyz[ok, :2], axis=1)))
            if d < best_d:
                best, best_d = target, d
        out[tid] = best
    return out


@dataclass
class IncursionComparison:
    rows: list[dict[str, Any]] = field(default_factory=list)  # one per detected incursion
    missed: list[IncursionRecord] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def compare(
    detected: Sequence[IncursionRecord],
    truth: Sequence[IncursionRecord],
    track_truth: dict[str, str | None],
) -> IncursionComparison:
    """Match detected to true incursions and summarise (see module docstring)."""
    pairs = []
    for i, d in enumerate(detected):
        target = track_truth.get(d.track_id)
        for j, t in enumerate(truth):
            if target == t.track_id and d.country == t.country:
                pairs.append((abs(d.entry_time - t.entry_time), i, j))
    pairs.sort()
    match_d: dict[int, int] = {}
    match_t: dict[int, int] = {}
    for _, i, j in pairs:
        if i not in match_d and j not in match_t:
            match_d[i], match_t[j] = j, i
    rows: list[dict[str, Any]] = []
    errors: list[float] = []
    point_errors: list[float] = []
    n_false = n_dup = 0
    for i, d in enumerate(detected):
        row: dict[str, Any] = {
            **asdict(d),
            "truth_id": track_truth.get(d.track_id),
            "entry_error_s": None,
            "inside_error_s": None,
            "entry_point_error_m": None,
            "verdict": "",
        }
        if i in match_d:
            t = truth[match_d[i]]
            row["entry_error_s"] = d.entry_time - t.entry_time
            row["inside_error_s"] = d.seconds_inside - t.seconds_inside
            if d.entry_observed:
                row["entry_point_error_m"] = float(
                    geodesic_distance(d.entry_lat, d.entry_lon, t.entry_lat, t.entry_lon))
                point_errors.append(row["entry_point_error_m"])
            row["truth_end_reason"] = t.end_reason
            row["verdict"] = "detected"
            errors.append(abs(d.entry_time - t.entry_time))
        else:
            overlaps = any(
                truth[j].track_id == row["truth_id"]
                and truth[j].country == d.country
                and d.entry_time <= truth[j].end_time + 60
                and truth[j].entry_time <= d.end_time
                for j in match_t
            )
            row["verdict"] = "duplicate" if overlaps else "false"
            n_dup += overlaps
            n_false += not overlaps
        rows.append(row)
    missed = [t for j, t in enumerate(truth) if j not in match_t]
    summary = {
        "truth_incursions": len(truth),
        "detected": len(match_t),
        "missed": len(missed),
        "false": n_false,
        "duplicates": n_dup,
        "median_entry_error_s": statistics.median(errors) if errors else None,
        "max_entry_error_s": max(errors) if errors else None,
        "median_entry_point_error_m": statistics.median(point_errors) if point_errors else None,
    }
    return IncursionComparison(rows, missed, summary)
