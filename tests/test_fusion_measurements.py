"""Measurement conversion: geometry against pymap3d, covariances against Monte Carlo."""

from __future__ import annotations

import numpy as np
import pymap3d
import pytest

from dronewall.fusion.geodesy import FastFrame, ecef_to_geodetic, geodetic_to_ecef
from dronewall.fusion.measurements import MeasurementConverter, polar_to_enu, spherical_to_enu
from dronewall.geo.frames import LocalFrame
from dronewall.model.messages import (
    BearingOnly,
    Detection,
    EnuPosition,
    GeodeticPosition,
    GeoPoint,
    RangeBearing,
    Tdoa,
)

FRAME = LocalFrame(52.0, 21.0, 0.0)
RADAR = GeoPoint(lat=52.9, lon=20.2, alt=180.0)


def _rbe_det(rng: float, az: float, el: float | None, cov: list[list[float]]) -> Detection:
    m = RangeBearing(range=rng, azimuth=az, elevation=el, origin=RADAR)
    return Detection(id="d", sensor_id="r", time=10.0, measurement=m, covariance=cov)


def test_fast_geodesy_matches_pymap3d_and_localframe() -> None:
    rng = np.random.default_rng(0)
    enu = rng.uniform(-400e3, 400e3, (500, 3))
    enu[:, 2] = rng.uniform(-5e3, 20e3, 500)
    ff = FastFrame(FRAME)
    lat, lon, alt = ff.to_geodetic(enu)
    lat2, lon2, alt2 = FRAME.to_geodetic(enu)
    assert np.abs(lat - lat2).max() < 1e-9
    assert np.abs(lon - lon2).max() < 1e-9
    assert np.abs(alt - alt2).max() < 1e-4
    assert np.abs(ff.to_enu(lat, lon, alt) - enu).max() < 1e-4
    assert np.allclose(ff.local_rotation(lat, lon), FRAME.local_rotation(lat, lon), atol=1e-12)
    xyz = geodetic_to_ecef(lat, lon, alt)
    x2, y2, z2 = pymap3d.geodetic2ecef(lat, lon, alt)
    assert np.abs(xyz - np.stack([x2, y2, z2], -1)).max() < 1e-6
    back = ecef_to_geodetic(xyz)
    assert np.abs(back[0] - lat).max() < 1e-9 and np.abs(back[2] - alt).max() < 1e-4


@pytest.mark.parametrize("el", [0.5, 3.0, 30.0])
def test_radar_plot_lands_where_pymap3d_puts_it(el: float) -> None:
    """RBE -> tracker frame against the direct geometric computation (aer2geodetic)."""
    conv = MeasurementConverter(FastFrame(FRAME))
    rng = np.random.default_rng(1)
    for _ in range(20):
        r = float(rng.uniform(1e3, 250e3))
        az = float(rng.uniform(0, 360))
        out = conv.convert([_rbe_det(r, az, el, np.diag([75.0**2, 0.15**2, 0.3**2]).tolist())])
        assert out.ok.all()
        lat, lon, alt = pymap3d.aer2geodetic(az, el, r, RADAR.lat, RADAR.lon, RADAR.alt)
        expect = FRAME.to_enu(lat, lon, alt)
        assert np.linalg.norm(out.z[0] - expect) < 1e-3


def _mc_cov(samples: np.ndarray) -> np.ndarray:
    return np.cov(samples.T)


def test_spherical_covariance_matches_monte_carlo() -> None:
    rng = np.random.default_rng(2)
    r0, az0, el0 = 150e3, 37.0, 2.0
    c = np.array([[75.0**2, 30.0 * 0.05, 0.0], [30.0 * 0.05, 0.15**2, 0.0], [0.0, 0.0, 0.3**2]])
    _, cov = spherical_to_enu(np.array([r0]), np.array([az0]), np.array([el0]), c[None])
    n = 200_000
    s = rng.multivariate_normal([r0, az0, el0], c, n)
    pts, _ = spherical_to_enu(s[:, 0], s[:, 1], s[:, 2], np.broadcast_to(c, (n, 3, 3)))
    mc = _mc_cov(pts)
    # linearisation is excellent at these angle errors: every entry within 3 %
    scale = np.sqrt(np.outer(np.diag(mc), np.diag(mc)))
    assert np.abs(cov[0] - mc).max() / scale.max() < 0.03
    assert np.allclose(np.diag(cov[0]), np.diag(mc), rtol=0.03)


def test_polar_covariance_matches_monte_carlo_with_height_prior() -> None:
    rng = np.random.default_rng(3)
    r0, az0, u0, su = 40e3, 200.0, 1500.0, 1000.0
    c2 = np.diag([60.0**2, 0.2**2])
    _, cov = polar_to_enu(np.array([r0]), np.array([az0]), c2[None], np.array([u0]), su)
    n = 200_000
    r = rng.normal(r0, 60.0, n)
    az = rng.normal(az0, 0.2, n)
    u = rng.normal(u0, su, n)
    rho = np.sqrt(r * r - u * u)
    a = np.radians(az)
    pts = np.stack([rho * np.sin(a), rho * np.cos(a), u], -1)
    mc = _mc_cov(pts)
    assert np.allclose(np.diag(cov[0]), np.diag(mc), rtol=0.05)
    # the range-height coupling: a higher target is nearer in ground range
    corr = cov[0] / np.sqrt(np.outer(np.diag(cov[0]), np.diag(cov[0])))
    corr_mc = mc / np.sqrt(np.outer(np.diag(mc), np.diag(mc)))
    assert np.abs(corr - corr_mc).max() < 0.03


def test_rbe_frame_covariance_matches_monte_carlo_through_ecef() -> None:
    """The whole route (radar ENU -> ECEF -> tracker ENU) with Monte Carlo in geodesy."""
    rng = np.random.default_rng(4)
    conv = MeasurementConverter(FastFrame(FRAME))
    r0, az0, el0 = 120e3, 135.0, 1.5
    c = np.diag([75.0**2, 0.15**2, 0.3**2])
    out = conv.convert([_rbe_det(r0, az0, el0, c.tolist())])
    n = 50_000
    s = rng.multivariate_normal([r0, az0, el0], c, n)
    lat, lon, alt = pymap3d.aer2geodetic(s[:, 1], s[:, 2], s[:, 0], RADAR.lat, RADAR.lon, RADAR.alt)
    mc = _mc_cov(FRAME.to_enu(lat, lon, alt))
    assert np.allclose(np.diag(out.r[0]), np.diag(mc), rtol=0.05)
    assert abs(out.r[0, 0, 1] - mc[0, 1]) < 0.05 * np.sqrt(mc[0, 0] * mc[1, 1])


def test_2d_plot_height_prior_and_ground_range() -> None:
    conv = MeasurementConverter(FastFrame(FRAME), altitude_2d_m=1000.0, altitude_2d_sigma_m=3000.0)
    out = conv.convert([_rbe_det(100e3, 90.0, None, [[75.0**2, 0.0], [0.0, 0.2**2]])])
    z, r = out.z[0], out.r[0]
    _lat, _lon, alt = FRAME.to_geodetic(z)
    # the assumed height (above the ellipsoid), within metres
    assert abs(float(alt) - 1000.0) < 5.0
    # ground distance from the radar = sqrt(r² - Δh²) ≈ r for a far target
    d = float(np.linalg.norm(z - FRAME.to_enu(RADAR.lat, RADAR.lon, RADAR.alt)))
    assert abs(d - 100e3) < 100.0
    # the height is only weakly known
    assert 2500.0**2 < r[2, 2] < 3500.0**2


def test_geodetic_and_enu_reports_rotate_their_covariance() -> None:
    rng = np.random.default_rng(5)
    conv = MeasurementConverter(FastFrame(FRAME))
    lat0, lon0, alt0 = 53.5, 23.5, 9000.0  # ~200 km from the frame origin
    c = np.array([[400.0, 100.0, 0.0], [100.0, 100.0, 0.0], [0.0, 0.0, 900.0]])
    geo = Detection(
        id="g",
        sensor_id="adsb",
        time=1.0,
        measurement=GeodeticPosition(lat=lat0, lon=lon0, alt=alt0),
        covariance=c.tolist(),
    )
    origin = GeoPoint(lat=lat0, lon=lon0, alt=alt0)
    enu = Detection(
        id="e",
        sensor_id="eo",
        time=1.0,
        measurement=EnuPosition(e=0.0, n=0.0, u=0.0, origin=origin),
        covariance=c.tolist(),
    )
    out = conv.convert([geo, enu])
    expect = FRAME.to_enu(lat0, lon0, alt0)
    assert np.linalg.norm(out.z[0] - expect) < 1e-3
    assert np.linalg.norm(out.z[1] - expect) < 1e-3
    n = 50_000
    noise = rng.multivariate_normal([0, 0, 0], c, n)
    la, lo, al = pymap3d.enu2geodetic(noise[:, 0], noise[:, 1], noise[:, 2], lat0, lon0, alt0)
    mc = _mc_cov(FRAME.to_enu(la, lo, al))
    for k in (0, 1):
        assert np.allclose(out.r[k], mc, atol=0.04 * 900.0)
    # the frame's axes are tilted at 200 km: not the same matrix as given
    assert np.abs(out.r[0] - c).max() > 1.0


def test_bearing_and_tdoa_are_counted_and_skipped() -> None:
    conv = MeasurementConverter(FastFrame(FRAME))
    b = Detection(
        id="b",
        sensor_id="a",
        time=1.0,
        measurement=BearingOnly(azimuth=10.0, origin=RADAR),
        covariance=[[4.0]],
    )
    t = Detection(
        id="t",
        sensor_id="a",
        time=1.0,
        measurement=Tdoa(tdoa=0.01, origin=RADAR, origin2=RADAR, sensor2_id="n2"),
        covariance=[[1e-6]],
    )
    ok = _rbe_det(50e3, 10.0, 1.0, np.diag([75.0**2, 0.15**2, 0.3**2]).tolist())
    out = conv.convert([b, ok, t])
    assert out.ok.tolist() == [False, True, False]
    assert conv.acoustic == {"bearing": 1, "tdoa": 1}
    assert out.t.tolist() == [1.0, 10.0, 1.0]
