"""Helpers for the airspace tests (hand-made tracks, zones), and checks of the helpers.

The other ``test_airspace_*`` modules import from here."""

from __future__ import annotations

import itertools
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import shapely
from pyproj import Geod

from dronewall.geo.zones import zones_from_geojson
from dronewall.model.messages import Track, Transponder, Zone

GEOD = Geod(ellps="WGS84")
COV = [[1.0 if i == j else 0.0 for j in range(6)] for i in range(6)]
T0 = 1_757_474_940.0  # 2025-09-10T03:29:00Z
SHARED_BORDERS = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / ("borders-maritime.geojson")
)


@cache
def _all_national() -> dict[str, Zone]:
    try:
        from dronewall.geo import borders

        return {c: borders.national_airspace(c) for c in sorted(borders.countries())}
    except (ImportError, FileNotFoundError):  # before the shipped borders existed
        if not SHARED_BORDERS.exists():
            pytest.skip("no border data")
        zones = zones_from_geojson(
            SHARED_BORDERS,
            "national_airspace",
            id_property="iso_a3",
            id_prefix="airspace-",
            country_property="iso_a3",
        )
        return {str(z.country): z for z in zones}


def national(*codes: str) -> list[Zone]:
    """National-airspace zones of the given countries (shipped borders)."""
    zones = _all_national()
    return [zones[c] for c in codes]


def square(
    zone_id: str, kind: str, lon0: float, lat0: float, lon1: float, lat1: float, **kw: object
) -> Zone:
    """A lon/lat rectangle zone."""
    ring = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]
    return Zone(
        id=zone_id,
        name=str(kw.pop("name", zone_id)),
        kind=kind,  # type: ignore[arg-type]
        geometry={"type": "Polygon", "coordinates": [ring]},
        **kw,
    )  # type: ignore[arg-type]


def path(
    track_id: str,
    start: tuple[float, float],
    end: tuple[float, float],
    *,
    speed: float = 50.0,
    dt: float = 5.0,
    t0: float = T0,
    alt: float | tuple[float, float] = 300.0,
    tentative: int = 0,
    lost: bool = True,
    transponder: Transponder | None = None,
    stop_m: float | None = None,
) -> list[Track]:
    """Tracks of one object flying the geodesic start→end (lat, lon) at constant speed,
    one state every ``dt`` s from ``t0``: ``tentative`` history states, then confirmed,
    the last one "lost" (if ``lost``). ``alt`` may be (start, end) for a climb."""
    (la0, lo0), (la1, lo1) = start, end
    az, _, dist = GEOD.inv(lo0, la0, lo1, la1)
    dist = dist if stop_m is None else min(dist, stop_m)
    n = int(dist // (speed * dt)) + 1
    s = np.arange(n) * speed * dt
    lon, lat, _ = GEOD.fwd(np.full(n, lo0), np.full(n, la0), np.full(n, az), s)
    a0, a1 = (alt, alt) if isinstance(alt, float | int) else alt
    alts = a0 + (a1 - a0) * s / max(dist, 1.0)
    ve, vn = speed * np.sin(np.radians(az)), speed * np.cos(np.radians(az))
    out = []
    for k in range(n):
        status = "tentative" if k < tentative else "confirmed"
        if lost and k == n - 1:
            status = "lost"
        out.append(
            Track(
                id=track_id,
                time=t0 + k * dt,
                status=status,
                lat=float(lat[k]),  # type: ignore[arg-type]
                lon=float(lon[k]),
                alt=float(alts[k]),
                ve=float(ve),
                vn=float(vn),
                vu=0.0,
                covariance=COV,
                born=t0,
                hits=k + 1,
                transponder=transponder,
            )
        )
    return out


def legs(track_id: str, points: list[tuple[float, float]], **kw: object) -> list[Track]:
    """A path through several (lat, lon) points, one state every ``dt``; each leg starts
    at its first point one ``dt`` after the previous leg's last state (which falls short
    of the joint by less than one step). The last state is "lost"."""
    out: list[Track] = []
    t = float(kw.pop("t0", T0))  # type: ignore[arg-type]
    dt = float(kw.get("dt", 5.0))  # type: ignore[arg-type]
    for a, b in itertools.pairwise(points):
        out.extend(path(track_id, a, b, t0=t, lost=False, **kw))  # type: ignore[arg-type]
        t = out[-1].time + dt
    out[-1] = _with(out[-1], status="lost")
    return out


def _with(t: Track, **changes: object) -> Track:
    import msgspec

    return msgspec.structs.replace(t, **changes)


def crossing_time(tracks: list[Track], zone: Zone) -> float:
    """Reference entry time: bisection on the geodesic between the states around the
    first zone change, to 1 ms."""
    geom = shapely.geometry.shape(zone.geometry)
    ins = [geom.contains(shapely.Point(t.lon, t.lat)) for t in tracks]
    k = next(i for i in range(1, len(ins)) if ins[i] != ins[i - 1])
    a, b = tracks[k - 1], tracks[k]
    az, _, d = GEOD.inv(a.lon, a.lat, b.lon, b.lat)
    lo_f, hi_f = 0.0, 1.0
    while (hi_f - lo_f) * (b.time - a.time) > 1e-3:
        mid = 0.5 * (lo_f + hi_f)
        lon, lat, _ = GEOD.fwd(a.lon, a.lat, az, mid * d)
        if geom.contains(shapely.Point(lon, lat)) == ins[k - 1]:
            lo_f = mid
        else:
            hi_f = mid
    return a.time + 0.5 * (lo_f + hi_f) * (b.time - a.time)


# --------------------------------------------------------------------------- checks


def test_path_is_constant_speed_geodesic():
    tr = path("T1", (52.0, 23.0), (52.0, 22.0), speed=100.0, dt=10.0, tentative=3)
    assert [t.status for t in tr[:4]] == ["tentative"] * 3 + ["confirmed"]
    assert tr[-1].status == "lost"
    _, _, d = GEOD.inv(
        [t.lon for t in tr[:-1]],
        [t.lat for t in tr[:-1]],
        [t.lon for t in tr[1:]],
        [t.lat for t in tr[1:]],
    )
    assert np.allclose(d, 1000.0, atol=0.01)
    assert np.allclose(np.diff([t.time for t in tr]), 10.0)


def test_legs_are_continuous():
    tr = legs("T1", [(52.0, 23.0), (52.0, 22.9), (52.1, 22.9)], speed=100.0, dt=10.0)
    assert np.allclose(np.diff([t.time for t in tr]), 10.0)
    assert [t.status for t in tr].count("lost") == 1 and tr[-1].status == "lost"
    assert abs(tr[-1].lat - 52.1) < 0.01 and abs(tr[-1].lon - 22.9) < 0.01
