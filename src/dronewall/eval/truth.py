"""Ground-truth incursions, found by the same airspace monitor that watches the tracks.

Running the deployed monitor over the true trajectories (sampled finely, e.g. 1 s)
gives the reference with exactly the same definitions of entry, exit, time inside and
depth as the detected incursions, so the comparison measures the sensing and the
tracking, not a difference of definitions.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from dronewall.airspace.monitor import AirspaceMonitor
from dronewall.model import Event, Track, Transponder, TruthState, Zone

_TRUTH_COV = [[1.0 if i == j else 0.0 for j in range(6)] for i in range(6)]


def truth_as_tracks(states: Sequence[TruthState]) -> list[Track]:
    """Each target's truth as a perfect track: confirmed states, a final "lost" one.
    Cooperative targets carry a transponder, as their real tracks would."""
    out: list[Track] = []
    ordered = sorted(states, key=lambda s: (s.target_id, s.time))
    for tid, group in groupby(ordered, key=lambda s: s.target_id):
        seq = list(group)
        born = seq[0].time
        for k, s in enumerate(seq):
            out.append(
                Track(
                    id=tid,
                    time=s.time,
                    status="lost" if k == len(seq) - 1 else "confirmed",
                    lat=s.lat,
                    lon=s.lon,
                    alt=s.alt,
                    ve=s.ve,
                    vn=s.vn,
                    vu=s.vu,
                    covariance=_TRUTH_COV,
                    born=born,
                    hits=k + 1,
                    class_label=s.target_type,
                    transponder=Transponder(icao24=f"truth-{tid}") if s.cooperative else None,
                )
            )
    out.sort(key=lambda tr: tr.time)
    return out


def truth_events(
    states: Sequence[TruthState], zones: Sequence[Zone], watch: Sequence[str], end: float
) -> list[Event]:
    """Incursion and ADIZ events of the true trajectories (track id = target id)."""
    monitor = AirspaceMonitor(zones, watch)
    events = monitor.process(truth_as_tracks(states))
    events += monitor.finish(end)
    return events
