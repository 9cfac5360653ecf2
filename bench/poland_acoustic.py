"""How much earlier incursions become known with acoustic node lines than with the
radars alone: ``poland-2025-09-10`` with its acoustic nodes removed (radar and ADS-B
only) against ``poland-2025-09-10-acoustic`` (same targets, radars and seed; its own
17 nodes plus node lines along the border).

    python bench/poland_acoustic.py [--json] [--radar NAME] [--acoustic NAME]

Each scenario runs end to end (:func:`dronewall.pipeline.run_scenario`: simulator,
tracker, classifier, airspace monitor) into a temporary store. For every true incursion
(target, country) matched to a detected one by the report
(:mod:`dronewall.eval.incursions`), the incursion is known at the time of the first
confirmed track update at or after the detected crossing (the monitor's
``incursion_start`` event carries the interpolated crossing time, which is earlier
than the update that revealed it). Delay = that time minus the true crossing; the gain
is radar-only minus with-nodes (positive: known earlier with the nodes). Also the
detected entry times' errors.
"""

from __future__ import annotations

import argparse
import bisect
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import msgspec

from dronewall.eval.incursions import incursion_records
from dronewall.pipeline import run_scenario
from dronewall.report.build import build_report
from dronewall.sim.loader import load_scenario
from dronewall.sim.scenario import AcousticNodeSpec, Scenario


def _scenario(name: str, radar_only: bool) -> Scenario:
    sc = load_scenario(name)
    if radar_only:
        sensors = [x for x in sc.sensors if not isinstance(x, AcousticNodeSpec)]
        sc = msgspec.structs.replace(sc, sensors=sensors)
    return sc


def announced(
    sc: Scenario, tmp: Path
) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[str, Any]]:
    """(truth target, country) -> when the incursion became known, its delay after the
    true crossing, the detected entry time's error; and the report's summary."""
    run = run_scenario(sc, tmp / f"{sc.name}-{len(sc.sensors)}.sqlite")
    rep = build_report(run)
    states: dict[str, list[float]] = {}
    for tr in run.tracks:
        if tr.status == "confirmed":
            states.setdefault(tr.id, []).append(tr.time)
    detected = {(r.track_id, r.country): r for r in incursion_records(run.events)}
    truth = {(r.track_id, r.country): r for r in incursion_records(run.truth_events)}
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rep["incursions"]:
        if row.get("verdict") != "detected" or row.get("truth_id") is None:
            continue
        d = detected.get((row["track_id"], row["country"]))
        tr = truth.get((row["truth_id"], row["country"]))
        if d is None or tr is None:
            continue
        truth_entry = tr.entry_time
        times = sorted(states.get(row["track_id"], []))
        i = bisect.bisect_left(times, d.entry_time)
        if i == len(times):
            continue
        known = times[i]  # the first update placing the track past the crossing
        key = (row["truth_id"], row["country"])
        if key in out and out[key]["known"] <= known:
            continue
        out[key] = {"known": known, "delay_s": known - truth_entry,
                    "entry_error_s": d.entry_time - truth_entry, "track": row["track_id"]}
    return out, rep["summary"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--radar", default="poland-2025-09-10")
    ap.add_argument("--acoustic", default="poland-2025-09-10-acoustic")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as d:
        base, s_base = announced(_scenario(args.radar, True), Path(d))
        nodes, s_nodes = announced(_scenario(args.acoustic, False), Path(d))
    rows = []
    for key in sorted(set(base) | set(nodes)):
        a, b = base.get(key), nodes.get(key)
        rows.append({
            "target": key[0], "country": key[1],
            "delay_radar_only_s": a and round(a["delay_s"], 2),
            "delay_with_nodes_s": b and round(b["delay_s"], 2),
            "earlier_s": round(a["known"] - b["known"], 2) if a and b else None,
            "entry_error_radar_only_s": a and a["entry_error_s"],
            "entry_error_with_nodes_s": b and b["entry_error_s"],
        })
    gains = [r["earlier_s"] for r in rows if r["earlier_s"] is not None]
    result = {
        "radar_only": {k: s_base.get(k) for k in ("truth_incursions", "detected", "missed",
                                                   "false", "median_entry_error_s")},
        "with_nodes": {k: s_nodes.get(k) for k in ("truth_incursions", "detected", "missed",
                                                   "false", "median_entry_error_s")},
        "delay_radar_only_s_median": statistics.median(
            [r["delay_radar_only_s"] for r in rows if r["delay_radar_only_s"] is not None]
        ) if rows else None,
        "delay_with_nodes_s_median": statistics.median(
            [r["delay_with_nodes_s"] for r in rows if r["delay_with_nodes_s"] is not None]
        ) if rows else None,
        "earlier_s": {
            "median": statistics.median(gains) if gains else None,
            "mean": statistics.fmean(gains) if gains else None,
            "max": max(gains) if gains else None,
            "min": min(gains) if gains else None,
            "n": len(gains),
        },
        "incursions": rows,
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
