"""A small stored run written by hand, for the picture API tests (no tests here)."""

from __future__ import annotations

from pathlib import Path

from dronewall.model import Event, GeoPoint, Recommendation, Sensor, Track, Zone
from dronewall.store import RunStore

T0 = 1_757_451_600.0
COV = [[100.0 if i == j else 0.0 for j in range(6)] for i in range(6)]


def track(tid: str, k: int, status: str = "confirmed", **kw: object) -> Track:
    """Track ``tid`` at step ``k`` (10 s apart), flying north-east."""
    return Track(id=tid, time=T0 + 10 * k, status=status,  # type: ignore[arg-type]
                 lat=52.0 + 0.001 * k, lon=23.0 + 0.001 * k, alt=500.0, ve=30.0, vn=30.0,
                 vu=0.0, covariance=COV, born=T0, hits=k + 1, sensors=["radar-1"], **kw)


def make_run_store(path: Path) -> Path:
    """Sensors, a zone, two tracks (T0002 is lost at step 3), events, a recommendation."""
    zone = Zone(id="ADIZ-X", name="Test ADIZ", kind="adiz", country="POL",
                geometry={"type": "Polygon", "coordinates": [[[22.0, 51.0], [24.0, 51.0],
                                                              [24.0, 53.0], [22.0, 53.0],
                                                              [22.0, 51.0]]]})
    with RunStore.create(path) as store:
        for key, value in {"scenario": "hand-made", "title": "A hand-made run",
                           "start": T0, "end": T0 + 100.0, "watch": ["POL"],
                           "assets": [["Warsaw", 52.2297, 21.0122]]}.items():
            store.set_meta(key, value)
        store.append("sensors", [Sensor(id="radar-1", kind="radar", name="Radar 1",
                                        position=GeoPoint(lat=52.0, lon=23.0))])
        store.append("zones", [zone])
        for k in range(10):
            batch = [track("T0001", k)]
            if k < 3:
                batch.append(track("T0002", k, "confirmed"))
            elif k == 3:
                batch.append(track("T0002", 2, "lost"))
            store.append("tracks", batch)
            if k == 2:
                store.append("events", [
                    Event(id="EV-1", time=T0 + 20, kind="adiz_entry", message="T0001 in ADIZ",
                          track_id="T0001", zone_id="ADIZ-X", severity="warning"),
                    Event(id="EV-2", time=T0 + 20, kind="identity_change",
                          message="T0001 now suspect", track_id="T0001",
                          details={"from": "unknown", "to": "suspect", "rule": "adiz",
                                   "evidence": {"zone": "ADIZ-X"}}),
                ])
                store.append("recommendations", [Recommendation(
                    id="REC-1", time=T0 + 20, track_id="T0001", effector_id="gun-1",
                    effector_type="gun", verdict="needs_approval", reason="test")])
    return path
