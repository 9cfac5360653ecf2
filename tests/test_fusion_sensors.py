"""Sensor modelling in the tracker: unscented radar conversion, per-sensor radar bias and
latency, speed of sound from temperature, the batched conversion paths."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dronewall.fusion import Tracker, TrackerConfig
from dronewall.fusion.acoustic import to_batches
from dronewall.fusion.buffer import DetectionBuffer
from dronewall.fusion.geodesy import FastFrame
from dronewall.fusion.localise import locate
from dronewall.fusion.measurements import (
    MeasurementConverter,
    polar_to_enu,
    polar_to_enu_unscented,
    range_rate_h,
    spherical_to_enu,
    spherical_to_enu_unscented,
)
from dronewall.geo.frames import LocalFrame
from dronewall.model.messages import (
    BearingOnly,
    Detection,
    EnuPosition,
    GeodeticPosition,
    GeoPoint,
    RangeBearing,
    Track,
    Transponder,
)

FRAME = LocalFrame(52.0, 21.0, 0.0)


# --------------------------------------------------------------------------- unscented


def _moments(pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return pts.mean(0), np.cov(pts.T)


def _cov_error(c: np.ndarray, ref: np.ndarray) -> float:
    """Relative Frobenius distance, in the reference's whitened coordinates."""
    w = np.linalg.inv(np.linalg.cholesky(ref))
    return float(np.linalg.norm(w @ c @ w.T - np.eye(3)))


def _mean_error(m: np.ndarray, ref_m: np.ndarray, ref_c: np.ndarray) -> float:
    """Mahalanobis distance of a mean from the reference mean."""
    d = m - ref_m
    return float(math.sqrt(d @ np.linalg.solve(ref_c, d)))


def test_unscented_beats_linear_for_wide_angles_at_long_range() -> None:
    """150 km, 3° azimuth and 2° elevation errors (a passive or degraded radar): the
    Jacobian misses the mean's pull towards the radar (r (1 - e^{-σ²/2}) ≈ 270 m) and
    the curvature of the arc; the sigma points keep both."""
    rng = np.random.default_rng(11)
    r0, az0, el0 = 150e3, 40.0, 4.0
    c = np.diag([100.0**2, 3.0**2, 2.0**2])
    args = (np.array([r0]), np.array([az0]), np.array([el0]), c[None])
    lin_p, lin_c = spherical_to_enu(*args)
    ut_p, ut_c = spherical_to_enu_unscented(*args)
    s = rng.multivariate_normal([r0, az0, el0], c, 400_000)
    mc_p, mc_c = _moments(spherical_to_enu(s[:, 0], s[:, 1], s[:, 2], np.zeros((1, 3, 3)))[0])
    lin_mean, ut_mean = _mean_error(lin_p[0], mc_p, mc_c), _mean_error(ut_p[0], mc_p, mc_c)
    lin_cov, ut_cov = _cov_error(lin_c[0], mc_c), _cov_error(ut_c[0], mc_c)
    assert lin_mean > 0.05 and ut_mean < 0.2 * lin_mean
    assert ut_cov < 0.5 * lin_cov


def test_unscented_2d_plot_with_height_prior_beats_linear() -> None:
    """A 2-D plot at 15 km with the weak height prior: the unknown height shortens the
    ground range on average, which only the sigma points see."""
    rng = np.random.default_rng(12)
    r0, az0, u0, su = 15e3, 300.0, 1000.0, 3000.0
    c2 = np.diag([50.0**2, 1.0**2])
    args = (np.array([r0]), np.array([az0]), c2[None], np.array([u0]), su)
    lin_p, lin_c = polar_to_enu(*args)
    ut_p, ut_c = polar_to_enu_unscented(*args)
    n = 400_000
    r = rng.normal(r0, 50.0, n)
    a = np.radians(rng.normal(az0, 1.0, n))
    u = np.clip(rng.normal(u0, su, n), -0.9 * r, 0.9 * r)
    rho = np.sqrt(r * r - u * u)
    mc_p, mc_c = _moments(np.stack([rho * np.sin(a), rho * np.cos(a), u], -1))
    assert _mean_error(ut_p[0], mc_p, mc_c) < 0.5 * _mean_error(lin_p[0], mc_p, mc_c)
    assert _cov_error(ut_c[0], mc_c) < _cov_error(lin_c[0], mc_c)


def test_unscented_and_linear_agree_for_small_angles() -> None:
    r = np.array([20e3, 80e3, 200e3])
    az = np.array([10.0, 135.0, 290.0])
    el = np.array([1.0, 5.0, 0.3])
    c = np.broadcast_to(np.diag([50.0**2, 0.1**2, 0.2**2]), (3, 3, 3))
    lp, lc = spherical_to_enu(r, az, el, c)
    up, uc = spherical_to_enu_unscented(r, az, el, c)
    sig = np.sqrt(np.diagonal(lc, axis1=1, axis2=2))
    assert np.all(np.abs(up - lp) < 0.03 * sig)  # the bias r σ²/2 is ~1 m here
    assert np.allclose(uc, lc, rtol=1e-3, atol=1e-3 * float(lc.max()))


def test_converter_option_routes_3d_and_2d_plots_through_sigma_points() -> None:
    ff = FastFrame(FRAME)
    radar = GeoPoint(lat=52.5, lon=21.5, alt=100.0)
    dets = [
        Detection(id="a", sensor_id="r", time=1.0,
                  covariance=np.diag([100.0**2, 9.0, 4.0]).tolist(),
                  measurement=RangeBearing(range=150e3, azimuth=40.0, elevation=4.0, origin=radar)),
        Detection(id="b", sensor_id="r", time=1.0, covariance=np.diag([50.0**2, 1.0]).tolist(),
                  measurement=RangeBearing(range=15e3, azimuth=300.0, origin=radar)),
    ]
    lin = MeasurementConverter(ff).convert(dets)
    ut = MeasurementConverter(ff, radar_conversion="unscented").convert(dets)
    assert ut.ok.all()
    # the unscented mean sits nearer the radar (conversion bias), by ~100 m to ~300 m
    o = ff.to_enu(radar.lat, radar.lon, radar.alt)
    shrink = np.linalg.norm(lin.z - o, axis=1) - np.linalg.norm(ut.z - o, axis=1)
    assert np.all(shrink > 20.0) and np.all(shrink < 600.0)
    assert np.all(np.linalg.eigvalsh(ut.r) > 0.0)
    with pytest.raises(ValueError, match="radar_conversion"):
        MeasurementConverter(ff, radar_conversion="cubature")
    with pytest.raises(ValueError, match="radar_conversion"):
        TrackerConfig(radar_conversion="cubature")


def test_range_rate_jacobian_matches_finite_differences() -> None:
    x = np.array([[3000.0, -2000.0, 500.0, 40.0, 10.0, -2.0]])
    o = np.array([[100.0, 200.0, 10.0]])
    h, j = range_rate_h(x, o)
    d = x[0, :3] - o[0]
    assert h[0] == pytest.approx(d @ x[0, 3:] / np.linalg.norm(d))
    for a in range(6):
        dx = np.zeros((1, 6))
        dx[0, a] = 1e-4
        h2, _ = range_rate_h(x + dx, o)
        assert (h2[0] - h[0]) / 1e-4 == pytest.approx(j[0, 0, a], rel=1e-4, abs=1e-9)


# --------------------------------------------------------------------------- bias, latency

RADAR = GeoPoint(lat=52.2, lon=20.7, alt=120.0)
BIAS_DEG = 0.5
LATENCY_S = 0.3


def _biased_radar_stream(seed: int = 3) -> tuple[list[Detection], np.ndarray, np.ndarray]:
    """A radar (1 s revolutions) seeing one 200 m/s target flying at it from 35 km to
    17 km, with a 0.5° azimuth bias and reporting 0.3 s late; returns the detections,
    the target's start and velocity (tracker frame, t = 0)."""
    rng = np.random.default_rng(seed)
    ff = FastFrame(FRAME)
    m, o = ff.from_local(RADAR.lat, RADAR.lon, RADAR.alt)
    p0 = o + m @ np.array([1000.0, 35_000.0, 3000.0])
    v = m @ np.array([0.0, -200.0, 0.0])
    dets = []
    for k in range(90):
        t = float(k)
        dl = m.T @ (p0 + v * t - o)
        r = float(np.linalg.norm(dl))
        az = math.degrees(math.atan2(dl[0], dl[1])) + BIAS_DEG
        el = math.degrees(math.asin(dl[2] / r))
        noise = rng.standard_normal(3) * [10.0, 0.02, 0.02]
        dets.append(
            Detection(
                id=f"r{k}",
                sensor_id="radar",
                time=t + LATENCY_S,
                frame=k,
                measurement=RangeBearing(
                    range=r + noise[0], azimuth=(az + noise[1]) % 360.0,
                    elevation=el + noise[2], origin=RADAR,
                ),
                covariance=np.diag([10.0**2, 0.02**2, 0.02**2]).tolist(),
            )
        )
    return dets, p0, v


def _track_errors(config: TrackerConfig) -> tuple[float, float]:
    """Mean along-track and cross-track error (m) of the confirmed states after 30 s."""
    dets, p0, v = _biased_radar_stream()
    tr = Tracker(FRAME, config)
    out: list[Track] = tr.process(dets) + tr.finish()
    conf = [t for t in out if t.status == "confirmed" and t.time >= 30.0]
    assert len({t.id for t in conf}) == 1 and len(conf) > 30
    ff = FastFrame(FRAME)
    est = ff.to_enu(np.array([t.lat for t in conf]), np.array([t.lon for t in conf]),
                    np.array([t.alt for t in conf]))
    truth = p0 + v * np.array([t.time for t in conf])[:, None]
    err = (est - truth)[:, :2]
    along = v[:2] / np.linalg.norm(v[:2])
    cross = np.array([-along[1], along[0]])
    return float((err @ along).mean()), float((err @ cross).mean())


def test_radar_bias_and_latency_corrections_remove_the_track_bias() -> None:
    """0.5° at 17-35 km is 150-300 m across track; 0.3 s at 200 m/s is 60 m along it.
    With the calibration in the config both go; without it both show."""
    along0, cross0 = _track_errors(TrackerConfig())
    assert abs(cross0) > 150.0
    assert along0 < -40.0  # the track lags: a late report is taken as the present
    fixed = TrackerConfig(
        sensor_azimuth_bias_deg={"radar": BIAS_DEG}, sensor_latency_s={"radar": LATENCY_S}
    )
    along1, cross1 = _track_errors(fixed)
    assert abs(cross1) < 25.0 and abs(along1) < 15.0
    # latency alone fixes the along-track part only
    along2, cross2 = _track_errors(TrackerConfig(sensor_latency_s={"radar": LATENCY_S}))
    assert abs(along2) < 15.0 and abs(cross2) > 150.0


def test_range_and_elevation_biases_are_subtracted() -> None:
    ff = FastFrame(FRAME)
    plot = RangeBearing(range=30_000.0, azimuth=50.0, elevation=3.0, origin=RADAR)
    det = Detection(id="a", sensor_id="radar", time=5.0, measurement=plot,
                    covariance=np.diag([100.0, 0.01, 0.01]).tolist())
    conv = MeasurementConverter(ff, range_bias_m={"radar": 120.0},
                                azimuth_bias_deg={"radar": 0.4},
                                elevation_bias_deg={"radar": -0.2},
                                latency_s={"radar": 0.25, "other": 9.0})
    got = conv.convert([det])
    want = MeasurementConverter(ff).convert([Detection(
        id="a", sensor_id="radar", time=5.0, covariance=det.covariance,
        measurement=RangeBearing(range=29_880.0, azimuth=49.6, elevation=3.2, origin=RADAR),
    )])
    assert np.allclose(got.z, want.z, atol=1e-6)
    assert got.t[0] == pytest.approx(4.75)
    cfg = TrackerConfig(sensor_range_bias_m={"radar": 120.0})
    assert MeasurementConverter.from_config(ff, cfg).range_bias_m == {"radar": 120.0}


# --------------------------------------------------------------------------- speed of sound


def test_speed_of_sound_from_air_temperature() -> None:
    from dronewall.acoustic.propagation import speed_of_sound

    assert TrackerConfig().speed_of_sound_mps == 337.3
    ten = TrackerConfig(air_temperature_c=10.0)
    assert ten.speed_of_sound_mps == pytest.approx(337.3, abs=0.05)
    hot = TrackerConfig(air_temperature_c=35.0, speed_of_sound_mps=300.0)
    assert hot.speed_of_sound_mps == pytest.approx(float(speed_of_sound(35.0)))
    cold = TrackerConfig(air_temperature_c=-20.0)
    assert cold.speed_of_sound_mps == pytest.approx(318.9, abs=0.1)
    with pytest.raises(ValueError, match="air_temperature_c"):
        TrackerConfig(air_temperature_c=-300.0)


# --------------------------------------------------------------------------- batching


def test_mixed_batch_equals_per_detection_conversion() -> None:
    """Kinds, origins and covariances mixed in one call give what each detection gives
    alone (the grouped, shared-placement and shared-covariance paths)."""
    rng = np.random.default_rng(5)
    ff = FastFrame(FRAME)
    origins = [GeoPoint(lat=52.0 + 0.3 * i, lon=21.0 - 0.2 * i, alt=50.0 * i) for i in range(3)]
    shared = np.diag([900.0, 400.0, 2500.0]).tolist()
    dets = []
    for k in range(60):
        o = origins[k % 3]
        if k >= 30:  # equal points as distinct objects (decoded messages)
            o = GeoPoint(lat=o.lat, lon=o.lon, alt=o.alt)
        kind = k % 5
        if kind == 0:
            m = RangeBearing(range=float(rng.uniform(1e3, 2e5)), azimuth=float(rng.uniform(0, 360)),
                             elevation=float(rng.uniform(0, 20)), origin=o)
            cov = np.diag([50.0**2, 0.04, 0.09]).tolist()
        elif kind == 1:
            m = RangeBearing(range=float(rng.uniform(1e3, 2e5)),
                             azimuth=float(rng.uniform(0, 360)), origin=o)
            cov = [[2500.0, 1.0], [1.0, 0.04 * (1 + k % 2)]]
        elif kind == 2:
            m = GeodeticPosition(lat=52.0 + float(rng.uniform(-1, 1)), lon=21.0, alt=3000.0)
            cov = shared
        else:
            m = EnuPosition(e=float(rng.uniform(-1e4, 1e4)), n=1.0, u=2.0, origin=o)
            cov = shared if kind == 3 else np.diag([1.0 + k, 4.0, 9.0]).tolist()
        dets.append(Detection(id=str(k), sensor_id=f"s{k % 4}", time=float(k), measurement=m,
                              covariance=cov))
    for mode in ("linear", "unscented"):
        conv = MeasurementConverter(ff, radar_conversion=mode, latency_s={"s1": 0.5},
                                    azimuth_bias_deg={"s2": 0.1})
        batch = conv.convert(dets)
        for k, d in enumerate(dets):
            one = conv.convert([d])
            assert np.allclose(batch.z[k], one.z[0], rtol=1e-12, atol=1e-6)
            assert np.allclose(batch.r[k], one.r[0], rtol=1e-9, atol=1e-9)
            assert batch.t[k] == one.t[0]
        assert batch.t[1] == 0.5


def test_buffer_extend_equals_append() -> None:
    ff = FastFrame(FRAME)
    o = GeoPoint(lat=52.0, lon=21.0, alt=0.0)
    cov = np.eye(3).tolist()

    def det(k: int, icao: str | None) -> Detection:
        return Detection(id=str(k), sensor_id="s", time=float(k), covariance=cov,
                         measurement=EnuPosition(e=float(k), n=0.0, u=0.0, origin=o),
                         transponder=None if icao is None else Transponder(icao24=icao))

    plain = [det(k, None) for k in range(5)]
    mixed = [det(k, [None, "abc123", "def456", "abc123"][k % 4]) for k in range(8)]
    for dets in (plain, mixed):
        a, b = DetectionBuffer(MeasurementConverter(ff)), DetectionBuffer(MeasurementConverter(ff))
        first = [a.append(d) for d in dets]
        assert b.extend(dets) == first[0]
        assert a.codes == b.codes and a.dets == b.dets and a._icao == b._icao


# --------------------------------------------------------------------------- azimuth only

C_SOUND = 337.3


def _node(e: float, n: float, u: float = 2.0) -> GeoPoint:
    lat, lon, alt = FRAME.to_geodetic(np.array([e, n, u]))
    return GeoPoint(lat=float(lat), lon=float(lon), alt=float(alt))


def _emission(p0: np.ndarray, v: np.ndarray, ta: float, o: np.ndarray) -> float:
    """Emission time of a sound from a constant-velocity source (t = 0 at p0) heard at
    ``o`` at ``ta``: |p(te) - o| = c (ta - te)."""
    w = p0 + v * ta - o
    a = v @ v - C_SOUND**2
    b = -2.0 * (w @ v)
    s = (-b - math.sqrt(b * b - 4 * a * (w @ w))) / (2 * a)
    return ta - s


def azimuth_stream(
    nodes: list[tuple[float, float]],
    p0: tuple[float, float, float],
    v: tuple[float, float, float],
    seconds: float,
    sigma_deg: float = 2.0,
    seed: int = 0,
    max_range: float = 5000.0,
) -> list[Detection]:
    """Azimuth-only bearings (no elevation) every second at each node hearing the
    source, at arrival times (sound's travel time included)."""
    rng = np.random.default_rng(seed)
    pa, va = np.array(p0, float), np.array(v, float)
    pts = [_node(e, n) for e, n in nodes]
    out = []
    for ta in np.arange(0.0, seconds, 1.0):
        for i, g in enumerate(pts):
            o = FRAME.to_enu(g.lat, g.lon, g.alt)
            te = _emission(pa, va, float(ta), o)
            d = FRAME.local_rotation(g.lat, g.lon) @ (pa + va * te - o)
            if np.linalg.norm(d) > max_range:
                continue
            az = math.degrees(math.atan2(d[0], d[1])) + sigma_deg * rng.standard_normal()
            out.append(Detection(
                id=f"b{i}:{ta}", sensor_id=f"n{i}", time=float(ta),
                measurement=BearingOnly(azimuth=az % 360.0, origin=g),
                covariance=[[sigma_deg**2]],
            ))
    return out


def _locate(dets: list[Detection], **kw: object) -> list:
    ff = FastFrame(FRAME)
    batches = to_batches(dets, ff.from_local)
    sensors = [np.array([int(dets[i].sensor_id[1:]) for i in b.idx]) for b in batches]
    args = dict(c=C_SOUND, max_dt=2.0, max_baseline=20_000.0, max_range=10_000.0)
    args.update(kw)
    return locate(batches, sensors, **args)  # type: ignore[arg-type]


TRIANGLE = [(0.0, 0.0), (2500.0, 0.0), (1200.0, 2200.0)]


def test_azimuths_of_three_nodes_locate_a_source_at_the_prior_height() -> None:
    src = (1500.0, 900.0, 200.0)
    dets = azimuth_stream(TRIANGLE, src, (0.0, 0.0, 0.0), 1.0, sigma_deg=0.01)  # one instant
    fixes = _locate(dets, min_sensors=3)
    assert len(fixes) == 1
    fix = fixes[0]
    assert np.linalg.norm(fix.p[:2] - src[:2]) < 5.0
    assert len(fix.support) == 3
    # height comes from the prior (300 m above the first node ± 300 m)
    assert abs(fix.p[2] - 302.0) < 10.0
    assert 250.0 < math.sqrt(fix.cov[2, 2]) < 320.0
    assert math.sqrt(fix.cov[0, 0]) < 20.0
    # without a prior azimuth-only bearings start nothing (the former behaviour)
    assert _locate(dets, min_sensors=3, altitude_prior=None) == []
    assert abs(_locate(dets, altitude_prior=(800.0, 100.0))[0].p[2] - 802.0) < 10.0


def test_two_nodes_suffice_only_when_allowed_and_redundant() -> None:
    """Two nodes: one instant determines the point exactly (no test possible: no fix);
    two instants give the chi-square test, and a fix when two nodes are allowed."""
    src = (1000.0, 1500.0, 150.0)
    once = azimuth_stream(TRIANGLE[:2], src, (0.0, 0.0, 0.0), 1.0, sigma_deg=0.5)
    assert _locate(once, min_sensors=2) == []
    twice = azimuth_stream(TRIANGLE[:2], src, (0.0, 0.0, 0.0), 2.0, sigma_deg=0.5)
    assert _locate(twice, min_sensors=3) == []
    fixes = _locate(twice, min_sensors=2)
    assert len(fixes) == 1 and len(fixes[0].support) == 4
    assert np.linalg.norm(fixes[0].p[:2] - src[:2]) < 60.0


def test_a_third_node_that_disagrees_vetoes_the_fix() -> None:
    """Three nodes, the third's azimuths 20° off the other two's crossing (40σ): no
    three-node fix; the two that agree still make one where two nodes are allowed."""
    dets = azimuth_stream(TRIANGLE, (1500.0, 900.0, 200.0), (0.0, 0.0, 0.0), 2.0,
                          sigma_deg=0.01)
    assert len(_locate(dets, min_sensors=3)) == 1  # the control
    for k, d in enumerate(dets):
        if d.sensor_id == "n2":
            wrong = BearingOnly(azimuth=(d.measurement.azimuth + 20.0) % 360.0,  # type: ignore[union-attr]
                                origin=d.measurement.origin)
            dets[k] = Detection(id=d.id, sensor_id=d.sensor_id, time=d.time,
                                measurement=wrong, covariance=[[0.5**2]])
    assert _locate(dets, min_sensors=3) == []
    two = _locate(dets, min_sensors=2)
    assert len(two) == 1 and len(two[0].support) == 4
    assert np.linalg.norm(two[0].p[:2] - [1500.0, 900.0]) < 5.0


@pytest.mark.parametrize(
    ("src", "max_range", "found"),
    [
        ((30_000.0, 0.0, 200.0), 40_000.0, False),  # along the baseline: rays near-parallel
        ((1200.0, 30_000.0, 200.0), 10_000.0, False),  # beyond the range bound
        ((1200.0, -300.0, 200.0), 10_000.0, True),  # close behind the line: the control
    ],
)
def test_parallel_rays_and_far_crossings_are_rejected(
    src: tuple[float, float, float], max_range: float, found: bool
) -> None:
    dets = azimuth_stream(TRIANGLE[:2], src, (0.0, 0.0, 0.0), 2.0, sigma_deg=0.01,
                          max_range=50_000.0)
    fixes = _locate(dets, min_sensors=2, max_range=max_range)
    assert len(fixes) == int(found)
    if found:
        assert np.linalg.norm(fixes[0].p[:2] - src[:2]) < 5.0


def test_tracker_starts_and_holds_a_track_from_azimuths_alone() -> None:
    """Three nodes reporting azimuth only (2°): the default tracker (three nodes per
    fix) starts one track and follows the target horizontally."""
    p0, v = (-1500.0, -800.0, 200.0), (30.0, 20.0, 0.0)
    dets = azimuth_stream(TRIANGLE, p0, v, 150.0, sigma_deg=2.0, seed=4)
    tr = Tracker(FRAME)
    out = tr.process(dets) + tr.finish(dets[-1].time)
    assert tr.stats["acoustic_initiations"] >= 1
    conf = [t for t in out if t.status == "confirmed"]
    assert len({t.id for t in conf}) == 1
    ff = FastFrame(FRAME)
    late = [t for t in conf if t.time >= 40.0]
    est = ff.to_enu(np.array([t.lat for t in late]), np.array([t.lon for t in late]),
                    np.array([t.alt for t in late]))
    truth = np.array(p0) + np.array(v) * np.array([t.time for t in late])[:, None]
    err = np.linalg.norm((est - truth)[:, :2], axis=1)
    assert np.median(err) < 80.0


def test_two_azimuth_nodes_start_a_track_when_allowed() -> None:
    p0, v = (-1000.0, 1500.0, 150.0), (25.0, 0.0, 0.0)
    dets = azimuth_stream(TRIANGLE[:2], p0, v, 120.0, sigma_deg=1.0, seed=6)
    tr = Tracker(FRAME)
    assert not [t for t in tr.process(dets) + tr.finish() if t.status == "confirmed"]
    tr = Tracker(FRAME, TrackerConfig(acoustic_min_sensors=2))
    out = tr.process(dets) + tr.finish()
    conf = [t for t in out if t.status == "confirmed"]
    assert len({t.id for t in conf}) == 1
    last = conf[-1]
    truth = np.array(p0) + np.array(v) * last.time
    est = FastFrame(FRAME).to_enu(np.array(last.lat), np.array(last.lon), np.array(last.alt))
    assert np.linalg.norm((est - truth)[:2]) < 150.0
