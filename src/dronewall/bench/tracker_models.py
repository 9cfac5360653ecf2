"""Tracker choices side by side: motion `cv` vs `imm` on turning targets, association
`gnn` vs `jpda` on dense scenes.

    python -m dronewall.bench.tracker_models [--seeds 3] [--json]

1. Turns: a drone at 60 m/s flies 60 s straight, a 180° turn at 1.5, 3, 6 or 10 °/s,
   then 60 s straight; one sensor plots it every 2 s with σ = 50 m. RMS horizontal error
   of the confirmed track in the turn and on the straight legs (after 20 s), per motion
   model, over ``--seeds`` seeds.
2. Density: the Stone Soup benchmark's generator (:mod:`dronewall.bench.tracker_scenario`)
   with the area and the false alarms changed, tracked with the benchmark's settings and
   each association; mean GOSPA (c = 500 m, p = 1) and its parts.

Prints a table; with ``--json`` one JSON object at the end. CPU seconds are the
tracker's calls and scoring together.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from typing import Any

import numpy as np

import dronewall.bench.tracker_runners as runners
import dronewall.bench.tracker_scenario as scenario
from dronewall.fusion import Tracker, TrackerConfig
from dronewall.geo.frames import LocalFrame
from dronewall.model.messages import Detection, EnuPosition, GeoPoint, Track

FRAME = LocalFrame(52.0, 21.0)
ORIGIN = GeoPoint(lat=52.0, lon=21.0, alt=0.0)
T0 = 1e9


def turn_errors(motion: str, rate_deg: float, seed: int) -> tuple[list[float], list[float]]:
    """Horizontal errors (m) in the turn and out of it (after 20 s of settling) for one
    run of the turning drone described in the module docstring."""
    rng = np.random.default_rng(seed)
    w, v = np.radians(rate_deg), 60.0
    turn = np.pi / w
    tracker = Tracker(FRAME, TrackerConfig(motion=motion))
    cov = (np.eye(3) * 2500.0).tolist()
    truth: dict[float, tuple[np.ndarray, bool]] = {}
    out: list[Track] = []
    for k, t in enumerate(np.arange(0.0, 120.0 + turn, 2.0)):
        if t < 60.0:
            p = np.array([v * t, 0.0])
        elif t < 60.0 + turn:
            a = w * (t - 60.0)
            p = np.array([v * 60.0 + v / w * np.sin(a), v / w * (1.0 - np.cos(a))])
        else:
            p = np.array([v * 60.0 - v * (t - 60.0 - turn), 2.0 * v / w])
        z = np.append(p, 500.0) + rng.normal(0.0, 50.0, 3)
        truth[T0 + t] = (p, 60.0 <= t < 60.0 + turn)
        out += tracker.process([Detection(
            id=f"d{k}", sensor_id="s", time=T0 + t, frame=k, covariance=cov,
            measurement=EnuPosition(e=z[0], n=z[1], u=z[2], origin=ORIGIN))])
    turning: list[float] = []
    straight: list[float] = []
    for trk in [*out, *tracker.finish()]:
        if trk.status == "confirmed" and trk.time >= T0 + 20.0:
            p_true, in_turn = truth[trk.time]
            e, n, _ = FRAME.to_enu(trk.lat, trk.lon, trk.alt)
            (turning if in_turn else straight).append(float(np.hypot(e - p_true[0],
                                                                     n - p_true[1])))
    return turning, straight


def rms(v: list[float]) -> float:
    return round(float(np.sqrt(np.mean(np.square(v)))), 1) if v else float("nan")


def turns(seeds: int) -> list[dict[str, Any]]:
    rows = []
    for rate in (1.5, 3.0, 6.0, 10.0):
        row: dict[str, Any] = {"turn_rate_deg_s": rate}
        for motion in ("cv", "imm"):
            turning: list[float] = []
            straight: list[float] = []
            for seed in range(seeds):
                a, b = turn_errors(motion, rate, seed)
                turning += a
                straight += b
            row[motion] = {"rms_turn_m": rms(turning), "rms_straight_m": rms(straight)}
        rows.append(row)
    return rows


DENSE = (  # (targets, scans, square side m, false alarms per scan)
    (10, 300, 100_000.0, 10.0),
    (100, 120, 20_000.0, 10.0),
    (50, 120, 5_000.0, 20.0),
)


def density(seeds: int) -> list[dict[str, Any]]:
    rows = []
    for n, scans, side, clutter in DENSE:
        for seed in range(1, seeds + 1):
            scn = scenario.generate(n, scans, seed, side_m=side, clutter_mean=clutter)
            row: dict[str, Any] = {"targets": n, "scans": scans, "side_m": side,
                                   "false_per_scan": clutter, "seed": seed}
            for assoc in ("gnn", "jpda"):
                config = dataclasses.replace(runners.dronewall_config(), association=assoc)
                c0 = time.process_time()
                _, est, _ = runners.run_dronewall(scn, config)
                score = runners.score(scn.truth, est)
                row[assoc] = {k: round(float(v), 1) for k, v in score.items()}
                row[assoc]["cpu_s"] = round(time.process_time() - c0, 2)
            rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    t = turns(args.seeds)
    print("turn rate  | CV turn / straight (m) | IMM turn / straight (m)")
    for r in t:
        print(f"{r['turn_rate_deg_s']:>5} °/s  | {r['cv']['rms_turn_m']:>6} / "
              f"{r['cv']['rms_straight_m']:<6}       | {r['imm']['rms_turn_m']:>6} / "
              f"{r['imm']['rms_straight_m']}")
    d = density(min(args.seeds, 2))
    print("\ntargets side    false seed | GNN GOSPA (loc/miss/false)      | JPDA GOSPA (...)")
    for r in d:
        g, j = r["gnn"], r["jpda"]
        print(f"{r['targets']:>7} {r['side_m'] / 1e3:>4.0f} km {r['false_per_scan']:>5} "
              f"{r['seed']:>4} | {g['gospa_mean']:>7} ({g['localisation']}/{g['missed']}/"
              f"{g['false']}) | {j['gospa_mean']:>7} ({j['localisation']}/{j['missed']}/"
              f"{j['false']})")
    if args.json:
        print(json.dumps({"turns": t, "density": d}))


if __name__ == "__main__":
    main()
