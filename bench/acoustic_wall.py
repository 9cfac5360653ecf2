"""Acoustic-only tracking on the ``acoustic-wall`` scenario (or another): GOSPA and
position error of the tracks formed from bearings and TDOAs alone, with the sound's
retardation modelled and ignored.

    python bench/acoustic_wall.py [SCENARIO] [--json]

GOSPA: :func:`dronewall.eval.gospa.gospa_timeline` every 1 s over the whole scenario
(the module's defaults for c and p; horizontal; confirmed tracks extrapolated between
updates), and again counting a target only while it is within ``hearing_m`` (slant) of
some node (``gospa_in_coverage``: far from the line no microphone can hear it, and
the overall figure is then mostly "missed" that no acoustic system could avoid).
``hearing_m`` is, per target, the slant range at which the calibrated fast model
(:class:`dronewall.acoustic.fastmode.FastAcousticModel`) gives a node Pd 0.5 for the
target's signature and source level in rural night (``--hearing-m`` overrides it).
Position error: horizontal distance of each confirmed track state to the truth of the
target the track followed (:func:`dronewall.eval.incursions.associate_tracks`) at the
state's time. Wall time is the tracker's alone (CPU, this process).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import numpy as np

from dronewall.eval.gospa import gospa_timeline, interpolate, truth_paths
from dronewall.eval.incursions import associate_tracks
from dronewall.fusion import Tracker, TrackerConfig
from dronewall.geo.frames import LocalFrame
from dronewall.model import Track
from dronewall.pipeline import frame_origin
from dronewall.sim import load_scenario
from dronewall.sim.simulator import simulate


def hearing_ranges(trajectories: dict[str, Any]) -> dict[str, float]:
    """Per target id, the slant range (m) at which a node hears it with Pd 0.5."""
    from dronewall.acoustic.fastmode import FastAcousticModel
    from dronewall.sim.acoustic_nodes import signature_for

    model = FastAcousticModel.load()
    return {
        tid: model.range_at_pd(signature_for(tr.target_type, tr.family, tr.source_level_db))
        for tid, tr in trajectories.items()
    }


def evaluate(name: str, retardation: bool, hearing_m: float | None = None) -> dict[str, object]:
    sc = load_scenario(name)
    sim = simulate(sc)
    hearing = (
        hearing_ranges(sim.trajectories)
        if hearing_m is None
        else dict.fromkeys(sim.trajectories, hearing_m)
    )
    frame = LocalFrame(*frame_origin(sim.sensors))
    dets = sim.detections
    tracker = Tracker(frame, TrackerConfig(acoustic_retardation=retardation))
    t0 = time.process_time()
    out: list[Track] = []
    for a in range(0, len(dets), 5000):
        out += tracker.process(dets[a : a + 5000])
    out += tracker.finish(sim.end)
    cpu = time.process_time() - t0
    truth = sim.truth_states(1.0)
    tl = gospa_timeline(truth, out, frame, sim.start, sim.end, step_s=1.0)
    # the same, counting a target only while some node can hear it (slant range within
    # hearing_m): what an acoustic line can possibly see
    nodes = np.stack([frame.to_enu(s.position.lat, s.position.lon, s.position.alt)
                      for s in sim.sensors if s.kind == "acoustic"])
    pos = np.stack([frame.to_enu(s.lat, s.lon, s.alt) for s in truth])
    near = np.array([float(np.min(np.linalg.norm(nodes - q, axis=1))) for q in pos])
    heard = [s for s, r in zip(truth, near, strict=True) if r <= hearing[s.target_id]]
    tl_cov = gospa_timeline(heard, out, frame, sim.start, sim.end, step_s=1.0)
    owner = associate_tracks(out, truth, frame)
    tp = truth_paths(truth, frame)
    errs = []
    for tr in out:
        target = owner.get(tr.id)
        if tr.status != "confirmed" or target is None:
            continue
        tt, tx = tp[target]
        at = interpolate(tt, tx, np.array([tr.time]))[0]
        if np.isnan(at[0]):
            continue
        est = frame.to_enu(tr.lat, tr.lon, tr.alt)
        errs.append(float(np.hypot(*(np.asarray(est)[:2] - at[:2]))))
    e = np.array(errs)
    st = tracker.stats
    return {
        "scenario": name,
        "retardation": retardation,
        "detections": len(dets),
        "detections_by_kind": {
            "bearing": st.get("detections_bearing", 0), "tdoa": st.get("detections_tdoa", 0),
            "other": len(dets) - st.get("detections_bearing", 0) - st.get("detections_tdoa", 0),
        },
        "targets": len(sc.targets),
        "sensors": len(sc.sensors),
        "gospa": {k: round(v, 1) for k, v in tl.mean().items()},
        "gospa_in_coverage": {k: round(v, 1) for k, v in tl_cov.mean().items()},
        "hearing_m": {k: round(v) for k, v in sorted(hearing.items())},
        "tracks": len({t.id for t in out}),
        "tracks_following_a_target": len({v for v in owner.values() if v is not None}),
        "position_error_m": {
            "median": round(float(np.median(e)), 1) if len(e) else None,
            "mean": round(float(e.mean()), 1) if len(e) else None,
            "p90": round(float(np.percentile(e, 90)), 1) if len(e) else None,
        },
        "acoustic_initiations": st["acoustic_initiations"],
        "tracker_cpu_s": round(cpu, 2),
        "scenario_s": sim.end - sim.start,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario", nargs="?", default="acoustic-wall")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--hearing-m", type=float, default=None,
                    help="one hearing range for every target (default: per target, the "
                    "fast model's Pd-0.5 slant range)")
    args = ap.parse_args(argv)
    with_r = evaluate(args.scenario, True, args.hearing_m)
    without = evaluate(args.scenario, False, args.hearing_m)
    gain = {
        "gospa_with": with_r["gospa"]["gospa_mean"],  # type: ignore[index]
        "gospa_without": without["gospa"]["gospa_mean"],  # type: ignore[index]
        "gospa_in_coverage_with": with_r["gospa_in_coverage"]["gospa_mean"],  # type: ignore[index]
        "gospa_in_coverage_without": without["gospa_in_coverage"]["gospa_mean"],  # type: ignore[index]
        "median_error_with_m": with_r["position_error_m"]["median"],  # type: ignore[index]
        "median_error_without_m": without["position_error_m"]["median"],  # type: ignore[index]
    }
    result = {"with_retardation": with_r, "without_retardation": without,
              "retardation_gain": gain}
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(k, json.dumps(v, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
