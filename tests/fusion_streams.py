"""A detection stream shaped like the Poland demo, for the tracker's stream test and its
benchmark (``bench/tracker_throughput.py``): 8 radars at 10 s revolutions, ~30 targets
alive, 3 clutter plots per scan per radar, 4 aircraft with ADS-B at 1 Hz.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))  # the synthetic generator lives beside it

from dronewall.fusion import Tracker
from dronewall.geo.frames import LocalFrame
from test_fusion_synth import SimRadar, SimTarget, Stream, generate


def demo_stream(hours: float, seed: int = 7, alive: int = 30, adsb: int = 4) -> Stream:
    """8 radars along a 700 km line, targets crossing the region."""
    frame = LocalFrame(52.0, 21.0)
    rng = np.random.default_rng(seed)
    radars = [
        SimRadar(
            f"radar{i}",
            50.5 + 0.45 * i,
            23.2 - 0.12 * i,
            period_s=10.0,
            pd=0.9,
            clutter_per_scan=3.0,
            max_range_m=200_000.0,
            phase_s=float(rng.uniform(0, 10)),
        )
        for i in range(8)
    ]
    duration = hours * 3600.0
    targets = []
    mean_life = 1800.0
    n_total = int(alive * duration / mean_life) + alive
    for k in range(n_total):
        life = float(rng.uniform(0.5, 1.5) * mean_life)
        t0 = float(rng.uniform(-life, duration))
        speed = float(rng.choice([30.0, 60.0, 120.0, 220.0]))
        heading = rng.uniform(0, 2 * np.pi)
        v = (speed * np.sin(heading), speed * np.cos(heading), 0.0)
        mid = rng.uniform(-250_000, 250_000, 2)
        p0 = (mid[0] - v[0] * life / 2, mid[1] - v[1] * life / 2, float(rng.uniform(100, 10_000)))
        cooperative = rng.random() < adsb / alive  # ~adsb of them broadcast at a time
        targets.append(
            SimTarget(f"t{k}", p0, v, t0, t0 + life, icao24=f"{k:06x}" if cooperative else None)
        )
    return generate(frame, radars, targets, 0.0, duration, seed=seed)


def run(stream: Stream) -> tuple[float, int, Tracker]:
    tracker = Tracker(stream.frame)
    t0 = time.process_time()  # CPU time: the machine is shared, wall time is noisy
    out = tracker.process(stream.detections)
    out += tracker.finish()
    return time.process_time() - t0, len(out), tracker
