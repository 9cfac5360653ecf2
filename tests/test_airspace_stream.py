"""The monitor on a Poland-demo-sized stream (~10^5 track states, one process call per
tracker update): every incursion opened is closed, cooperative tracks give zone entries.
(Its speed is measured by bench/airspace_monitor.py.)"""

from __future__ import annotations

from itertools import groupby

import numpy as np

from dronewall.airspace import AirspaceMonitor
from dronewall.model.messages import Track, Transponder
from test_airspace_support import T0, national, path


def _traffic(n_tracks: int = 210, steps: int = 500) -> list[Track]:
    """Tracks flying from Belarus/Ukraine westwards into Poland (every fifth one
    cooperative), staggered starts, one state per 5 s; sorted by time."""
    rng = np.random.default_rng(0)
    out: list[Track] = []
    for i in range(n_tracks):
        a = (rng.uniform(51.0, 54.0), rng.uniform(24.0, 25.5))
        b = (rng.uniform(50.5, 54.5), rng.uniform(19.0, 22.0))
        speed = rng.uniform(40.0, 60.0)
        out += path(
            f"T{i:04d}",
            a,
            b,
            speed=speed,
            dt=5.0,
            t0=T0 + 5.0 * int(rng.integers(0, 100)),
            tentative=5,
            stop_m=speed * 5.0 * (steps - 1),
            transponder=Transponder(icao24=f"{i:06x}") if i % 5 == 0 else None,
        )
    out.sort(key=lambda t: t.time)
    return out


def run(tracks: list[Track]) -> tuple[AirspaceMonitor, list]:
    """Feed the monitor one tracker update at a time, as the pipeline does."""
    updates = [list(g) for _, g in groupby(tracks, key=lambda t: t.time)]
    m = AirspaceMonitor(national("POL", "BLR", "UKR", "LTU", "RUS", "SVK", "CZE", "DEU"), ["POL"])
    events = [e for u in updates for e in m.process(u)]
    events += m.finish(tracks[-1].time)
    return m, events


def test_stream_of_a_hundred_thousand_states():
    tracks = _traffic()
    assert len(tracks) >= 100_000
    m, events = run(tracks)
    incursions = m.incursions()
    assert len(incursions) > 100 and all(not i.open for i in incursions)
    assert sum(e.kind == "incursion_start" for e in events) == len(incursions)
    assert sum(e.kind == "zone_entry" for e in events) > 20  # the cooperative ones
