"""Coordinate frames against independent references (pyproj) and known geometry."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from dronewall.geo.frames import (
    LocalFrame,
    ecef_to_geodetic,
    enu_rotation,
    geodesic_azimuth,
    geodesic_distance,
    geodetic_to_ecef,
)

TO_ECEF = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)


def test_ecef_matches_pyproj():
    lat, lon, alt = np.array([52.2, -33.9, 61.2]), np.array([21.0, 151.2, -149.9]), np.array(
        [100.0, 0.0, 9000.0])
    x, y, z = TO_ECEF.transform(lon, lat, alt)
    np.testing.assert_allclose(geodetic_to_ecef(lat, lon, alt), np.stack([x, y, z], -1),
                               atol=1e-3)


@settings(max_examples=50, deadline=None)
@given(st.floats(-89.0, 89.0), st.floats(-179.9, 179.9), st.floats(-100.0, 20000.0))
def test_geodetic_ecef_round_trip(lat, lon, alt):
    back = ecef_to_geodetic(geodetic_to_ecef(lat, lon, alt))
    assert back[0] == pytest.approx(lat, abs=1e-9)
    assert back[1] == pytest.approx(lon, abs=1e-9)
    assert back[2] == pytest.approx(alt, abs=1e-4)


def test_local_frame_axes_and_round_trip():
    f = LocalFrame(52.0, 21.0)
    east = f.to_enu(52.0, 21.01, 0.0)
    north = f.to_enu(52.01, 21.0, 0.0)
    assert east[0] > 600 and abs(east[1]) < 1.0
    assert north[1] > 1000 and abs(north[0]) < 1e-6
    assert f.to_enu(52.0, 21.0, 500.0) == pytest.approx([0.0, 0.0, 500.0], abs=1e-6)
    pts = f.to_enu([51.0, 53.5], [19.0, 24.0], [300.0, 2000.0])
    lat, lon, alt = f.to_geodetic(pts)
    np.testing.assert_allclose(lat, [51.0, 53.5], atol=1e-9)
    np.testing.assert_allclose(lon, [19.0, 24.0], atol=1e-9)
    np.testing.assert_allclose(alt, [300.0, 2000.0], atol=1e-4)


def test_rotations_are_orthonormal_and_consistent():
    r = enu_rotation([0.0, 52.0, -70.0], [0.0, 21.0, 100.0])
    for m in r:
        np.testing.assert_allclose(m @ m.T, np.eye(3), atol=1e-12)
    f = LocalFrame(52.0, 21.0)
    m = f.local_rotation(52.0, 21.0)
    np.testing.assert_allclose(m, np.eye(3), atol=1e-12)
    # a northward velocity 300 km east of the origin is still (almost) north there
    far = f.local_rotation(52.0, 25.4) @ np.array([0.0, 100.0, 0.0])
    assert far[1] > 99.0


def test_geodesics():
    warsaw, krakow = (52.2297, 21.0122), (50.0647, 19.9450)
    d = geodesic_distance(*warsaw, *krakow)
    assert 251_000 < d < 254_000
    assert geodesic_azimuth(52.0, 21.0, 53.0, 21.0) == pytest.approx(0.0, abs=1e-9)
    assert geodesic_azimuth(52.0, 21.0, 52.0, 20.0) == pytest.approx(270.0, abs=0.5)
    np.testing.assert_allclose(geodesic_distance([0, 0], [0, 0], [0, 1], [1, 0]),
                               [111_319.5, 110_574.4], atol=1.0)
