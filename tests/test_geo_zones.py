"""geo.zones: loading zones, vectorised containment, the metric plane, borders, crossings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely.geometry import Point, Polygon

from dronewall.geo import zones as zmod
from dronewall.geo.zones import (
    BoundaryIndex,
    MetricProjection,
    ZoneIndex,
    crossing_fraction,
    distance_to,
    polygonal,
    shared_boundary,
    unshared_boundary,
    zone_geometry,
    zones_from_geojson,
)
from test_airspace_support import SHARED_BORDERS, national, square

GEOD = Geod(ellps="WGS84")
SHIPPED = Path(zmod.__file__).resolve().parents[1] / "data" / "borders.geojson"

CHECKS = [  # (lat, lon, iso3 or "" for none)
    (59.817, 26.358, "EST"),  # Vaindloo island
    (59.95, 26.36, ""),  # Gulf of Finland corridor: international
    (52.0750, 23.6160, "POL"),  # Terespol
    (52.0976, 23.7341, "BLR"),  # Brest
    (61.2181, -149.9003, "USA"),  # Anchorage
]


@pytest.fixture(scope="module")
def countries():
    return national("EST", "FIN", "RUS", "LVA", "POL", "BLR", "LTU", "UKR", "USA", "CAN")


# --------------------------------------------------------------------------- loading


@pytest.mark.skipif(not SHIPPED.exists(), reason="no shipped borders")
def test_zones_from_geojson_merges_features_per_id():
    zs = zones_from_geojson(
        SHIPPED,
        "national_airspace",
        id_property="iso_a3",
        id_prefix="airspace-",
        country_property="iso_a3",
    )
    ids = [z.id for z in zs]
    assert len(ids) == len(set(ids))
    rus = next(z for z in zs if z.id == "airspace-RUS")
    assert rus.country == "RUS" and rus.kind == "national_airspace"
    g = zone_geometry(rus)
    # Russia's three regions are one zone: Kaliningrad, Chukotka, Big Diomede
    assert zmod.ZoneIndex([rus]).contains([54.71, 64.73, 65.78], [20.45, 177.51, -169.06]).all()
    assert g.is_valid
    assert {z.name for z in zs} >= {"Poland", "Estonia"}  # the "name" property


@pytest.mark.skipif(not SHARED_BORDERS.exists(), reason="no source border data")
def test_source_borders_load_with_invalid_features_repaired():
    """The unsimplified source has self-intersecting features (Belarus, Serbia)."""
    zs = zones_from_geojson(
        SHARED_BORDERS,
        "national_airspace",
        id_property="iso_a3",
        id_prefix="airspace-",
        country_property="iso_a3",
    )
    assert all(zone_geometry(z).is_valid for z in zs)
    idx = ZoneIndex(zs)
    codes = [z.country for z in zs]
    inside = idx.contains([c[0] for c in CHECKS], [c[1] for c in CHECKS])
    for k, (_, _, iso) in enumerate(CHECKS):
        assert [codes[j] for j in np.flatnonzero(inside[k])] == ([iso] if iso else [])


def test_zone_index_reference_points(countries):
    idx = ZoneIndex(countries)
    lat = np.array([c[0] for c in CHECKS])
    lon = np.array([c[1] for c in CHECKS])
    inside = idx.contains(lat, lon)
    codes = [z.country for z in idx.zones]
    for k, (_, _, iso) in enumerate(CHECKS):
        got = [codes[j] for j in np.flatnonzero(inside[k])]
        assert got == ([iso] if iso else []), CHECKS[k]


def test_vectorised_equals_scalar(countries):
    rng = np.random.default_rng(1)
    lat = rng.uniform(49.0, 60.5, 3000)
    lon = rng.uniform(14.0, 29.0, 3000)
    idx = ZoneIndex(countries)
    fast = idx.contains(lat, lon)
    for j, z in enumerate(idx.zones):
        geom = shapely.geometry.shape(z.geometry)
        slow = [geom.contains(Point(x, y)) for x, y in zip(lon[:400], lat[:400], strict=True)]
        assert fast[:400, j].tolist() == slow, z.id
    assert fast.any(axis=0)[[z.country in ("EST", "POL", "BLR") for z in idx.zones]].all()


def test_floor_and_ceiling():
    z = square("R1", "restricted", 20.0, 50.0, 21.0, 51.0, floor_m=100.0, ceiling_m=1000.0)
    idx = ZoneIndex([z])
    lat = [50.5, 50.5, 50.5, 50.5, 52.0]
    lon = [20.5, 20.5, 20.5, 20.5, 20.5]
    alt = [50.0, 100.0, 500.0, 1500.0, 500.0]
    assert idx.contains(lat, lon, alt)[:, 0].tolist() == [False, True, True, False, False]
    assert idx.contains(lat, lon)[:, 0].tolist() == [True] * 4 + [False]  # 2-D without alt
    assert idx.contains(lat, lon, 500.0)[:, 0].tolist() == [True] * 4 + [False]  # broadcast


# --------------------------------------------------------------------------- bad input


def _write(tmp_path: Path, doc: object) -> Path:
    p = tmp_path / "zones.geojson"
    p.write_text(json.dumps(doc))
    return p


def _feature(geometry: object, **props: object) -> dict[str, object]:
    return {"type": "Feature", "geometry": geometry, "properties": props}


SQUARE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]}


@pytest.mark.parametrize(
    ("geometry", "match"),
    [
        ({"type": "Point", "coordinates": [0, 0]}, "Polygon or MultiPolygon, not Point"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0]]]}, "unreadable"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]] * 0}, "empty"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [1, 1], [0, 0]]]}, "lon, lat"),
        ({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [2, 0], [0, 0]]]}, "no area"),
        (None, "no geometry"),
    ],
)
def test_bad_geometry_names_file_and_feature(tmp_path, geometry, match):
    p = _write(
        tmp_path,
        {
            "type": "FeatureCollection",
            "features": [_feature(SQUARE), _feature(SQUARE), _feature(geometry)],
        },
    )
    with pytest.raises(ValueError, match=match) as err:
        zones_from_geojson(p, "restricted")
    assert str(p) in str(err.value) and "feature 2" in str(err.value)


def test_bad_files(tmp_path):
    p = tmp_path / "broken.geojson"
    p.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        zones_from_geojson(p, "custom")
    p2 = _write(tmp_path, {"type": "FeatureCollection", "features": [_feature(SQUARE)]})
    with pytest.raises(ValueError, match="zone kind 'airspace'"):
        zones_from_geojson(p2, "airspace")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="property 'code' is missing"):
        zones_from_geojson(p2, "custom", id_property="code")


def test_single_geometry_bowtie_repaired_and_properties(tmp_path):
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    (z,) = zones_from_geojson(_write(tmp_path, bowtie), "restricted", floor_m=0.0, ceiling_m=120.0)
    g = zone_geometry(z)
    assert g.is_valid and g.area == pytest.approx(0.5)
    assert (z.id, z.floor_m, z.ceiling_m) == ("zones-0", 0.0, 120.0)
    p = _write(tmp_path, _feature(SQUARE, name="EPR-1 Test", code="R1"))
    (z2,) = zones_from_geojson(p, "restricted", id_property="code", id_prefix="zone-")
    assert (z2.id, z2.name) == ("zone-R1", "EPR-1 Test")


def test_zone_geometry_cache_follows_geometry():
    a = square("C1", "custom", 0, 0, 1, 1)
    assert zone_geometry(a) is zone_geometry(a)
    b = square("C1", "custom", 0, 0, 2, 2)  # same id, new shape: not served stale
    assert zone_geometry(b).area == pytest.approx(4.0)
    with pytest.raises(ValueError, match="zone 'bad'"):
        polygonal(
            {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [2, 0], [0, 0]]]},
            where="zone 'bad'",
        )


# --------------------------------------------------------------------------- metric plane


def test_metric_projection_is_equidistant_from_centre():
    proj = MetricProjection(52.0, 19.0)
    x, y = proj.forward([19.0, 23.6, 14.2], [52.0, 52.07, 54.0])
    assert abs(x[0]) < 1e-6 and abs(y[0]) < 1e-6
    _, _, d = GEOD.inv([19.0] * 2, [52.0] * 2, [23.6, 14.2], [52.07, 54.0])
    assert np.allclose(np.hypot(x[1:], y[1:]), d, rtol=1e-9)
    lon, lat = proj.inverse(x, y)
    assert np.allclose(lon, [19.0, 23.6, 14.2]) and np.allclose(lat, [52.0, 52.07, 54.0])
    # between two points 300 km from the centre, the plane distance is within 1 %
    _, _, d12 = GEOD.inv(23.6, 52.07, 23.0, 54.0)
    assert np.hypot(
        x[1] - proj.forward(23.0, 54.0)[0], y[1] - proj.forward(23.0, 54.0)[1]
    ) == pytest.approx(d12, rel=0.01)


# --------------------------------------------------------------------------- crossings


def test_crossing_fraction_simple_square():
    sq = Polygon([(0, 0), (10, 0), (10, 10), (0, 10)]).boundary
    assert crossing_fraction((-5, 5), (5, 5), sq) == pytest.approx(0.5)
    assert crossing_fraction((-10, 5), (20, 5), sq) == pytest.approx(1 / 3)  # nearest p0
    assert crossing_fraction((20, 5), (-10, 5), sq) == pytest.approx(1 / 3)
    assert crossing_fraction((-5, -5), (-1, 20), sq) is None
    idx = BoundaryIndex(sq)
    assert idx.crossing_fraction((5, 5), (5, 15)) == pytest.approx(0.5)
    assert idx.crossing_fraction((-5, -5), (-1, 20)) is None


@settings(max_examples=150, deadline=None)
@given(st.lists(st.floats(-15, 25), min_size=4, max_size=4))
def test_boundary_index_agrees_with_shapely(c):
    ring = Polygon([(0, 0), (10, 0), (10, 4), (4, 4), (4, 10), (0, 10)])
    idx = BoundaryIndex(ring.boundary, spacing=0.05)
    p0, p1 = (c[0], c[1]), (c[2], c[3])
    a, b = crossing_fraction(p0, p1, ring.boundary), idx.crossing_fraction(p0, p1)
    assert (a is None) == (b is None)
    if a is not None and b is not None:
        assert a == pytest.approx(b, abs=1e-9)
    exact = distance_to(ring.boundary, [c[0]], [c[1]])[0]
    got = idx.distance([c[0]], [c[1]])[0]
    assert exact - 1e-9 <= got <= exact + idx.spacing / 2


def test_boundary_distance_on_a_real_border():
    """KD-sampled distances to Poland's boundary agree with shapely's exact ones."""
    (pol,) = national("POL")
    proj = MetricProjection.for_geometry(zone_geometry(pol))
    line = proj.project(zone_geometry(pol)).boundary
    idx = BoundaryIndex(line, spacing=100.0)
    rng = np.random.default_rng(3)
    x, y = rng.uniform(-400e3, 400e3, 2000), rng.uniform(-350e3, 350e3, 2000)
    exact = distance_to(line, x, y)
    got = idx.distance(x, y)
    assert (got >= exact - 1e-6).all() and (got <= exact + 50.0).all()
    assert np.median(got - exact) < 1e-6  # exact in practice
    assert np.isinf(BoundaryIndex(Polygon().boundary).distance([0.0], [0.0])).all()


def test_shared_and_unshared_boundary():
    zs = national("POL", "BLR", "LTU", "RUS", "UKR", "SVK", "CZE", "DEU")
    proj = MetricProjection.for_geometry(zone_geometry(zs[0]))
    pm, bm, lm, *rest = (proj.project(zone_geometry(z)) for z in zs)
    pb = shared_boundary(pm, bm, 300.0)
    assert 390e3 < pb.length < 440e3  # the Poland-Belarus border is 418 km
    pl = shared_boundary(pm, lm, 300.0)
    assert 95e3 < pl.length < 115e3  # Poland-Lithuania: 104 km
    # Terespol is on the Belarus border, the Hel peninsula is not; Mniszków is ~238 km
    # from the Belarus border, ~192 km from the nearest border (Czechia).
    x, y = proj.forward([23.616, 18.80, 20.04], [52.075, 54.61, 51.37])
    d = distance_to(pb, x, y)
    assert d[0] < 2e3 and d[1] > 200e3
    assert d[2] == pytest.approx(238e3, rel=0.01)
    assert distance_to(pm.boundary, x[2:], y[2:])[0] == pytest.approx(192e3, rel=0.01)
    sea = unshared_boundary(pm, [bm, lm, *rest], 300.0)
    # the territorial-sea limit passes off Hel (12 NM from the baselines), far from Terespol
    ds = distance_to(sea, x[:2], y[:2])
    assert ds[0] > 300e3 and ds[1] < 40e3
    assert 350e3 < sea.length < 700e3  # ~ the 440 km coast, smoothed to 12 NM out
    assert shared_boundary(pm, proj.project(zone_geometry(national("EST")[0])), 300.0).is_empty
