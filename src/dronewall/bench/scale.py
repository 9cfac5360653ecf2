"""Scale benchmark: can one core track 1,000 simultaneous targets fed 50,000 detections
per second of scenario time faster than real time?

    dronewall bench scale [--targets 1000] [--rate 50000] [--seconds 30] [--seed 1]

The load: ``targets`` constant-velocity targets (30-250 m/s, 100-10,000 m) over a
400 km x 400 km area; ``rate / targets`` position sensors (ENU plots, σ 50 m, 1 s
scans, phases spread over the second, each seeing every target with Pd 0.98) plus
one false plot per sensor scan. Detections are made one second at a time and fed to the
tracker as they come (so memory holds one second of input, as a live feed would).

Printed as one JSON object: wall time of the tracker's calls alone and of the whole
run (generation included), real-time factor (scenario seconds / tracker wall), the same
on the process's CPU time (``real_time_factor_cpu``: all its threads counted, so it is
what one core delivers even when other work shares the machine), detections
per second tracked, peak RSS of the process (MiB), and the tracker's counters. Peak
RSS is the process's (``ru_maxrss``): interpreter, numpy, the input second and the
tracker.
"""

from __future__ import annotations

import json
import resource
import time

import click
import numpy as np

from dronewall.fusion import Tracker, TrackerConfig
from dronewall.geo.frames import LocalFrame
from dronewall.model.messages import Detection, EnuPosition, GeoPoint, Track

ORIGIN = (52.0, 21.0)
T0 = 1_700_000_000.0
HALF_SIDE_M = 200_000.0
SIGMA_M = 50.0


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_scale(
    targets: int, rate: int, seconds: int, seed: int, every_update: bool = False
) -> dict[str, object]:
    """Run the scale benchmark; returns the JSON-ready result."""
    rng = np.random.default_rng(seed)
    n_sensors = max(1, round(rate / targets))
    speed = rng.uniform(30.0, 250.0, targets)
    heading = rng.uniform(0.0, 2 * np.pi, targets)
    vel = np.stack([speed * np.sin(heading), speed * np.cos(heading), np.zeros(targets)], 1)
    pos0 = np.concatenate(
        [rng.uniform(-HALF_SIDE_M, HALF_SIDE_M, (targets, 2)),
         rng.uniform(100.0, 10_000.0, (targets, 1))], axis=1
    )
    origin = GeoPoint(lat=ORIGIN[0], lon=ORIGIN[1], alt=0.0)
    frame = LocalFrame(ORIGIN[0], ORIGIN[1])
    tracker = Tracker(frame, TrackerConfig(output_every_update=every_update))
    var = SIGMA_M**2
    cov = [[var, 0.0, 0.0], [0.0, var, 0.0], [0.0, 0.0, var]]
    phases = (np.arange(n_sensors) + 0.5) / n_sensors
    ids = [f"s{k:03d}" for k in range(n_sensors)]
    track_wall = 0.0
    track_cpu = 0.0
    n_dets = 0
    n_msgs = 0
    confirmed: set[str] = set()
    t_start = time.perf_counter()
    for sec in range(seconds):
        batch: list[tuple[float, Detection]] = []
        for k in range(n_sensors):
            t = sec + float(phases[k])
            seen = rng.random(targets) < 0.98
            p = pos0[seen] + vel[seen] * t + rng.normal(0.0, SIGMA_M, (int(seen.sum()), 3))
            clutter = np.concatenate(
                [rng.uniform(-HALF_SIDE_M, HALF_SIDE_M, (1, 2)), rng.uniform(0, 10_000, (1, 1))],
                axis=1,
            )
            p = np.concatenate([p, clutter])
            tt = T0 + t
            sid = ids[k]
            for j, (e, n, u) in enumerate(p.tolist()):
                batch.append((tt, Detection(
                    id=f"{sid}:{sec}:{j}", sensor_id=sid, time=tt, frame=sec,
                    measurement=EnuPosition(e=e, n=n, u=u, origin=origin), covariance=cov,
                )))
        dets = [d for _, d in batch]
        n_dets += len(dets)
        t0, c0 = time.perf_counter(), time.process_time()
        out: list[Track] = tracker.process(dets)
        track_wall += time.perf_counter() - t0
        track_cpu += time.process_time() - c0
        n_msgs += len(out)
        confirmed.update(tr.id for tr in out)
    t0, c0 = time.perf_counter(), time.process_time()
    out = tracker.finish(T0 + seconds)
    track_wall += time.perf_counter() - t0
    track_cpu += time.process_time() - c0
    n_msgs += len(out)
    total = time.perf_counter() - t_start
    stats = tracker.stats
    return {
        "targets": targets,
        "sensors": n_sensors,
        "scenario_s": seconds,
        "detections": n_dets,
        "detections_per_scenario_s": n_dets / seconds,
        "tracker_wall_s": round(track_wall, 2),
        "total_wall_s": round(total, 2),
        "tracker_cpu_s": round(track_cpu, 2),
        "real_time_factor": round(seconds / track_wall, 2),
        "real_time_factor_cpu": round(seconds / track_cpu, 2),
        "det_per_s": round(n_dets / track_wall),
        "peak_rss_mib": round(_rss_mib(), 1),
        "track_messages": n_msgs,
        "tracks_confirmed": stats["tracks_confirmed"],
        "tracks_confirmed_live_at_end": len(confirmed),
        "frames": stats["frames"],
        "output": "every update" if every_update else "latest state per track per second",
    }


@click.command("scale")
@click.option("--targets", default=1000, show_default=True, help="simultaneous targets")
@click.option("--rate", default=50_000, show_default=True,
              help="detections per second of scenario time (sets the number of sensors)")
@click.option("--seconds", default=30, show_default=True, help="scenario length, s")
@click.option("--seed", default=1, show_default=True)
@click.option("--every-update/--latest", default=False, show_default=True,
              help="one Track message per update, or each track's latest state per call")
def scale(targets: int, rate: int, seconds: int, seed: int, every_update: bool) -> None:
    """Track TARGETS targets at RATE detections/s on one core; print wall time,
    real-time factor, detections/s and peak RSS as JSON."""
    if targets < 1 or rate < 1 or seconds < 1:
        raise click.BadParameter("targets, rate and seconds must be positive")
    click.echo(json.dumps(run_scale(targets, rate, seconds, seed, every_update)))


if __name__ == "__main__":
    scale()
