"""GeoJSON (RFC 7946) and KML 2.2 export of tracks, events and zones, on a real small run."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import shapely.geometry
from fastkml import KML, Folder, Placemark, TimeSpan, TimeStamp

from dronewall.interop.geojson import split_antimeridian, to_geojson, write_geojson
from dronewall.interop.kml import to_kml, write_kml
from dronewall.model.messages import Detection, Event, GeodeticPosition, GeoPoint, Track, Zone

I6 = [[float(i == j) for j in range(6)] for i in range(6)]


def track(tid: str, t: float, lat: float, lon: float, **kw) -> Track:
    return Track(id=tid, time=t, status="confirmed", lat=lat, lon=lon, alt=800.0, ve=0.0,
                 vn=30.0, vu=0.0, covariance=I6, born=kw.pop("born", 1000.0), **kw)


SQUARE = {"type": "Polygon", "coordinates": [[[14.0, 49.0], [24.0, 49.0], [24.0, 55.0],
                                              [14.0, 55.0], [14.0, 49.0]]]}
SMALL = [
    Zone(id="POL", name="Poland", kind="national_airspace", geometry=SQUARE, country="POL"),
    *(track("T1", 1000.0 + 10 * i, 52.0 + 0.01 * i, 23.5, identity="hostile",
            class_label="shahed-class") for i in range(4)),
    track("T2", 1005.0, 51.0, 20.0, identity="neutral"),
    Event(id="E1", time=1010.0, kind="incursion_start", message="T1 entered Poland",
          track_id="T1", zone_id="POL", position=GeoPoint(lat=52.01, lon=23.5, alt=800.0),
          severity="critical"),
    Event(id="E2", time=1020.0, kind="alert", message="no position"),
    Detection(id="d", sensor_id="s", time=1000.0,
              measurement=GeodeticPosition(lat=1.0, lon=2.0, alt=3.0),
              covariance=[[1, 0, 0], [0, 1, 0], [0, 0, 1]]),
]


def by_id(fc: dict) -> dict[str, dict]:
    return {f["id"]: f for f in fc["features"]}


def test_geojson_small_set():
    fc = json.loads(json.dumps(to_geojson(SMALL)))  # plain JSON all the way
    assert fc["type"] == "FeatureCollection"
    f = by_id(fc)
    assert set(f) == {"track:T1", "track:T1:last", "track:T2:last", "event:E1", "event:E2",
                      "zone:POL"}  # T2 has one state: no line; the detection is ignored
    line = f["track:T1"]
    assert line["geometry"]["type"] == "LineString"
    assert line["geometry"]["coordinates"][0] == [23.5, 52.0, 800.0]  # lon, lat, alt
    p = line["properties"]
    assert (p["identity"], p["class"], p["first_time"], p["last_time"]) == (
        "hostile", "shahed-class", 1000.0, 1030.0)
    assert p["first_time_iso"] == "1970-01-01T00:16:40Z"
    assert f["track:T1:last"]["geometry"] == {"type": "Point", "coordinates": [23.5, 52.03, 800.0]}
    assert f["event:E1"]["properties"]["message"] == "T1 entered Poland"
    assert f["event:E2"]["geometry"] is None  # valid GeoJSON: a feature without a place
    assert f["zone:POL"]["geometry"] == SQUARE
    for feat in fc["features"]:
        if feat["geometry"] is not None:
            assert shapely.geometry.shape(feat["geometry"]).is_valid


def test_antimeridian_is_cut():
    line = [[179.0, 60.0, 0.0], [-179.0, 62.0, 100.0], [-178.0, 63.0, 100.0]]
    parts = split_antimeridian(line)
    assert parts == [[[179.0, 60.0, 0.0], [180.0, 61.0, 50.0]],
                     [[-180.0, 61.0, 50.0], [-179.0, 62.0, 100.0], [-178.0, 63.0, 100.0]]]
    states = [track("A", 1000.0 + i, lat, lon) for i, (lon, lat, _) in enumerate(line)]
    geom = by_id(to_geojson(states))["track:A"]["geometry"]
    assert geom["type"] == "MultiLineString"
    assert shapely.geometry.shape(geom).bounds == (-180.0, 60.0, 180.0, 63.0)


def parse_kml(data: bytes) -> KML:
    text = data.decode()
    assert text.startswith("<?xml")
    return KML.from_string(text.split("\n", 1)[1])


def folders(doc: KML) -> dict[str, list[Placemark]]:
    document = doc.features[0]
    return {f.name: list(f.features) for f in document.features  # type: ignore[union-attr]
            if isinstance(f, Folder)}


def test_kml_small_set_parses_back():
    buf = io.BytesIO()
    n = write_kml(SMALL, buf)
    assert n == 6
    fs = folders(parse_kml(buf.getvalue()))
    assert set(fs) == {"Tracks", "Events", "Zones"}
    tracks = {p.name: p for p in fs["Tracks"]}
    assert set(tracks) == {"T1", "T1 (last)", "T2 (last)"}
    t1 = tracks["T1"]
    assert t1.style_url.url == "#identity-hostile"
    assert isinstance(t1.times, TimeSpan)
    assert t1.times.begin.dt.timestamp() == 1000.0 and t1.times.end.dt.timestamp() == 1030.0
    coords = list(t1.geometry.coords)
    assert coords[0] == (23.5, 52.0, 800.0) and len(coords) == 4
    assert tracks["T2 (last)"].style_url.url == "#identity-neutral"
    ev = {p.name: p for p in fs["Events"]}["incursion_start"]
    assert ev.description == "T1 entered Poland" and isinstance(ev.times, TimeStamp)
    assert ev.style_url.url == "#event-critical"
    zone = fs["Zones"][0]
    assert zone.name == "Poland"
    assert shapely.geometry.shape(zone.geometry).equals(shapely.geometry.shape(SQUARE))
    text = buf.getvalue().decode()
    assert "<color>ff0000ff</color>" in text  # hostile red, aabbggrr


@pytest.fixture(scope="module")
def small_run(tmp_path_factory) -> list:
    """Every message of the Romania scenario (one Geran orbiting ~50 min), via its store."""
    from dronewall.pipeline import run_scenario
    from dronewall.sim.loader import find_scenario, load_scenario
    from dronewall.store import RunStore

    path: Path = tmp_path_factory.mktemp("run") / "romania.sqlite"
    run_scenario(load_scenario(find_scenario("romania-2025-09-13")), path)
    with RunStore.open(path) as store:
        return [msg for _seq, _topic, msg in store.messages()]


def test_exports_of_a_small_run(small_run):
    tracks = [m for m in small_run if isinstance(m, Track)]
    events = [m for m in small_run if isinstance(m, Event)]
    zones = {m.id for m in small_run if isinstance(m, Zone)}
    ids = {t.id for t in tracks}
    assert tracks and events and zones

    out = io.BytesIO()
    n = write_geojson(small_run, out)
    fc = json.loads(out.getvalue())
    assert n == len(fc["features"])
    f = by_id(fc)
    assert {k.split(":")[1] for k in f if k.startswith("track:")} == ids
    assert {k.split(":")[1] for k in f if k.startswith("zone:")} == zones
    assert len([k for k in f if k.startswith("event:")]) == len(events)
    for feat in fc["features"]:
        if feat["geometry"] is None:
            continue
        geom = shapely.geometry.shape(feat["geometry"])
        assert not geom.is_empty
        minx, miny, maxx, maxy = geom.bounds
        assert -180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90
    # lon/lat order: the Danube delta is at ~45 N, ~29 E
    for tid in ids:
        lon, lat, _ = f[f"track:{tid}:last"]["geometry"]["coordinates"]
        last = max((t for t in tracks if t.id == tid), key=lambda t: t.time)
        assert (lon, lat) == (pytest.approx(last.lon, abs=1e-6), pytest.approx(last.lat, abs=1e-6))
        assert 20 < lon < 35 and 40 < lat < 50

    # KML: the zones the events name (fastkml/pygeoif take seconds over all 22 countries)
    named = {e.zone_id for e in events if e.zone_id is not None}
    subset = [m for m in small_run if not isinstance(m, Zone) or m.id in named]
    kml = io.BytesIO()
    assert write_kml(subset, kml) == n - len(zones - named)
    fs = folders(parse_kml(kml.getvalue()))
    assert {p.name for p in fs["Tracks"] if not p.name.endswith("(last)")} <= ids
    assert len(fs["Events"]) == len(events) and len(fs["Zones"]) == len(named) > 0
    assert {p.name for p in fs["Events"]} == {e.kind for e in events}
    assert to_kml([]).features[0].features[0].name == "Tracks"
