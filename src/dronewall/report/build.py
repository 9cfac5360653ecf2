"""The incident report as one JSON-ready object, from what a run produced.

The same function serves the live run and ``dronewall report FILE`` (a run read back
from its store), so the two reports are equal when the store kept everything.
The object's keys are documented in the README ("Machine-readable output").
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from dronewall.eval.gospa import gospa_timeline
from dronewall.eval.incursions import associate_tracks, compare, incursion_records
from dronewall.geo.borders import country_name
from dronewall.geo.frames import LocalFrame
from dronewall.model import Event
from dronewall.pipeline import RunData
from dronewall.timeutil import iso


def _r(x: float | None, nd: int = 1) -> float | None:
    return None if x is None else round(float(x), nd)


def adiz_records(events: list[Event]) -> list[dict[str, Any]]:
    """ADIZ entries (with their exit, if any) from the event stream."""
    open_: dict[tuple[str, str], dict[str, Any]] = {}
    out: list[dict[str, Any]] = []
    for ev in sorted(events, key=lambda e: e.time):
        key = (ev.track_id or "", ev.zone_id or "")
        if ev.kind == "adiz_entry":
            rec = {
                "track_id": ev.track_id,
                "zone_id": ev.zone_id,
                "zone": ev.details.get("zone_name", ev.zone_id),
                "entry_time": ev.time,
                "exit_time": None,
                "seconds_inside": None,
                "lat": ev.position.lat if ev.position else None,
                "lon": ev.position.lon if ev.position else None,
            }
            open_[key] = rec
            out.append(rec)
        elif ev.kind == "adiz_exit" and key in open_:
            rec = open_.pop(key)
            rec["exit_time"] = ev.time
            rec["seconds_inside"] = ev.time - rec["entry_time"]
    return out


def build_report(run: RunData) -> dict[str, Any]:
    """The report object: scenario, wall_seconds, incursions, adiz_events, summary, ..."""
    meta = run.meta
    frame = LocalFrame(*meta["frame_origin"])
    track_truth = associate_tracks(run.tracks, run.truth, frame)
    detected = incursion_records(run.events)
    truth = incursion_records(run.truth_events)
    cmp = compare(detected, truth, track_truth)
    timeline = gospa_timeline(run.truth, run.tracks, frame, meta["start"], meta["end"])
    g = timeline.mean()
    target_info = meta.get("target_info", {})
    labels: dict[str, Counter[str]] = defaultdict(Counter)
    for tr in run.tracks:
        if tr.status != "tentative" and tr.class_label and tr.class_label != "unknown":
            labels[tr.id][tr.class_label] += 1
    track_class = {tid: c.most_common(1)[0][0] for tid, c in labels.items()}

    incursions = []
    for row in cmp.rows:
        truth_id = row["truth_id"]
        incursions.append(
            {
                "track_id": row["track_id"],
                "classification": track_class.get(row["track_id"]),
                "country": row["country"],
                "country_name": country_name(row["country"]),
                "entry_time": iso(row["entry_time"]),
                "entry_lat": _r(row["entry_lat"], 4),
                "entry_lon": _r(row["entry_lon"], 4),
                "entry_from": row["entry_from"],
                "entry_observed": row["entry_observed"],
                "exit_time": iso(row["exit_time"]),
                "end_reason": row["end_reason"],
                "end_time": iso(row["end_time"]),
                "seconds_inside": _r(row["seconds_inside"]),
                "max_depth_km": _r(row["max_depth_km"]),
                "truth_id": truth_id,
                "truth_type": target_info.get(truth_id, [None])[0] if truth_id else None,
                "truth_fate": target_info.get(truth_id, [None, None, None])[2]
                if truth_id
                else None,
                "entry_error_s": _r(row["entry_error_s"]),
                "inside_error_s": _r(row["inside_error_s"]),
            "entry_point_error_m": _r(row["entry_point_error_m"], 0),
                "verdict": row["verdict"],
            }
        )
    missed = [
        {
            "truth_id": t.track_id,
            "country": t.country,
            "entry_time": iso(t.entry_time),
            "seconds_inside": _r(t.seconds_inside),
            "max_depth_km": _r(t.max_depth_km),
        }
        for t in cmp.missed
    ]
    truth_incursions = [
        {
            "truth_id": t.track_id,
            "truth_type": target_info.get(t.track_id, [None])[0],
            "country": t.country,
            "entry_time": iso(t.entry_time),
            "exit_time": iso(t.exit_time),
            "end_reason": t.end_reason,
            "fate": target_info.get(t.track_id, [None, None, None])[2],
            "seconds_inside": _r(t.seconds_inside),
            "max_depth_km": _r(t.max_depth_km),
            "entry_lat": _r(t.entry_lat, 4),
            "entry_lon": _r(t.entry_lon, 4),
            "entry_from": t.entry_from,
        }
        for t in truth
    ]

    adiz = adiz_records(run.events)
    truth_adiz = adiz_records(run.truth_events)
    for rec in adiz:
        rec["truth_id"] = track_truth.get(rec["track_id"] or "")
    for rec in adiz:
        rec["classification"] = track_class.get(rec["track_id"] or "")
    adiz_events = [
        {
            **rec,
            "entry_time": iso(rec["entry_time"]),
            "exit_time": iso(rec["exit_time"]),
            "seconds_inside": _r(rec["seconds_inside"]),
            "lat": _r(rec["lat"], 4),
            "lon": _r(rec["lon"], 4),
        }
        for rec in adiz
    ]

    per_status: dict[str, set[str]] = defaultdict(set)
    for tr in run.tracks:
        per_status[tr.status].add(tr.id)
    confirmed_ids = per_status["confirmed"] | per_status["lost"]
    clutter = sorted(t for t in confirmed_ids if track_truth.get(t) is None)

    summary = {
        **cmp.summary,
        "median_entry_error_s": _r(cmp.summary["median_entry_error_s"]),
        "max_entry_error_s": _r(cmp.summary["max_entry_error_s"]),
        "median_entry_point_error_m": _r(cmp.summary["median_entry_point_error_m"], 0),
        "gospa_mean": _r(g["gospa_mean"]),
        "gospa_localisation_mean": _r(g["localisation"]),
        "gospa_missed_mean": _r(g["missed"]),
        "gospa_false_mean": _r(g["false"]),
        "tracks_mean": _r(g.get("tracks_mean", 0.0), 2),
        "truth_mean": _r(g.get("truth_mean", 0.0), 2),
        "confirmed_tracks": len(confirmed_ids),
        "tracks_without_truth": len(clutter),
        "adiz_events": len(adiz),
        "truth_adiz_entries": len(truth_adiz),
    }
    return {
        "scenario": meta["scenario"],
        "title": meta.get("title", ""),
        "start": iso(meta["start"]),
        "end": iso(meta["end"]),
        "seed": meta.get("seed"),
        "watch": meta.get("watch", []),
        "wall_seconds": meta.get("wall_seconds"),
        "incursions": incursions,
        "missed_incursions": missed,
        "truth_incursions": truth_incursions,
        "adiz_events": adiz_events,
        "summary": summary,
        "gospa": {
            "c_m": timeline.c,
            "p": timeline.p,
            "alpha": 2,
            "step_s": 10.0,
            "positions": "horizontal (east, north)",
        },
        "counts": {k: run.counts.get(k, 0) for k in sorted(run.counts)},
    }
