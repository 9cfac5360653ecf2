"""Sensor models: radar noise, timing, horizon, Pd and false alarms; ADS-B; acoustics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from dronewall.geo.frames import GEOD, LocalFrame
from dronewall.model import BearingOnly, Detection, GeodeticPosition, RangeBearing, encode
from dronewall.sim.kinematics import Trajectory, build_trajectory
from dronewall.sim.scenario import (
    AcousticNodeSpec,
    AdsbReceiverSpec,
    Position,
    RadarSpec,
    Target,
    TransponderSpec,
    Waypoint,
)
from dronewall.sim.sensors import (
    class_probs,
    radar_pd,
    radar_snr_ref,
    received_level_db,
    simulate_acoustic,
    simulate_adsb,
    simulate_radar,
    speed_of_sound,
)

T0 = 1_757_462_400.0
SITE = Position(lat=52.0, lon=21.0, alt=10.0)


def hover(
    tid: str, dist_m: float, az_deg: float, alt: float, dur: float = 3000.0, **kw: object
) -> Trajectory:
    """A target holding still at a distance and azimuth from SITE."""
    lon, lat, _ = GEOD.fwd(SITE.lon, SITE.lat, az_deg, dist_m)
    wps = [
        Waypoint(lat=lat, lon=lon, alt=alt, time="+0"),
        Waypoint(lat=lat, lon=lon, alt=alt, time=f"+{dur}"),
    ]
    typ = str(kw.pop("type", "airliner"))
    return build_trajectory(Target(id=tid, type=typ, route=wps, **kw), T0)  # type: ignore[arg-type]


def flight(tid: str, wps: list[tuple[float, float, float, str]], **kw: object) -> Trajectory:
    typ = str(kw.pop("type", "shahed"))
    route = [Waypoint(lat=a, lon=b, alt=h, time=t) for a, b, h, t in wps]
    return build_trajectory(Target(id=tid, type=typ, route=route, **kw), T0)  # type: ignore[arg-type]


def rbe_truth(tr: Trajectory, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    frame = LocalFrame(SITE.lat, SITE.lon, SITE.alt)
    s = tr.sample(t)
    enu = frame.to_enu(s.lat, s.lon, s.alt)
    hor = np.hypot(enu[:, 0], enu[:, 1])
    return (
        np.linalg.norm(enu, axis=1),
        np.degrees(np.arctan2(enu[:, 0], enu[:, 1])) % 360.0,
        np.degrees(np.arctan2(enu[:, 2], hor)),
    )


def radar(**kw: object) -> RadarSpec:
    args: dict[str, object] = {"id": "r1", "position": SITE, "period_s": 1.0,
                               "false_alarms_per_scan": 0.0}
    args.update(kw)
    return RadarSpec(**args)  # type: ignore[arg-type]


def as_arrays(dets: list[Detection]) -> tuple[np.ndarray, ...]:
    ms = [d.measurement for d in dets]
    assert all(isinstance(m, RangeBearing) for m in ms)
    return (
        np.array([d.time for d in dets]),
        np.array([m.range for m in ms]),  # type: ignore[union-attr]
        np.array([m.azimuth for m in ms]),  # type: ignore[union-attr]
        np.array([m.elevation for m in ms]),  # type: ignore[union-attr]
    )


# --------------------------------------------------------------------------- radar


def test_radar_noise_statistics_match_the_spec() -> None:
    spec = radar(sigma_range_m=75.0, sigma_azimuth_deg=0.15, sigma_elevation_deg=0.4)
    tr = hover("a", 20_000.0, 70.0, 1000.0)
    dets = simulate_radar(spec, [tr], T0, T0 + 3000.0, seed=1)
    assert len(dets) > 2800  # Pd capped at 0.99
    t, r, az, el = as_arrays(dets)
    r0, az0, el0 = rbe_truth(tr, t)
    n = len(t)
    for err, sigma in ((r - r0, 75.0), (az - az0, 0.15), (el - el0, 0.4)):
        assert abs(err.mean()) < 4 * sigma / math.sqrt(n)
        assert err.std() == pytest.approx(sigma, rel=0.05)
    cov = dets[0].covariance
    assert cov[0][0] == 75.0**2 and cov[1][1] == pytest.approx(0.15**2)
    assert cov[2][2] == pytest.approx(0.4**2) and cov[0][1] == 0.0


def test_radar_plot_time_is_when_the_beam_points_at_the_target() -> None:
    # a fighter crossing at 230 m/s 20 km away: the azimuth changes during a revolution
    lon1, lat1, _ = GEOD.fwd(SITE.lon, SITE.lat, 45.0, 20_000.0)
    lon2, lat2, _ = GEOD.fwd(lon1, lat1, 135.0, 100_000.0)
    tr = flight("f", [(lat1, lon1, 3000.0, "+0"), (lat2, lon2, 3000.0, "+434.78")],
                type="fighter")
    spec = radar(period_s=10.0)
    dets = simulate_radar(spec, [tr], T0, T0 + 430.0, seed=2)
    t = np.array([d.time for d in dets])
    frames = np.array([d.frame for d in dets])
    beam = 360.0 * (t - T0 - frames * 10.0) / 10.0
    _, az_true, _ = rbe_truth(tr, t)
    diff = (az_true - beam + 180.0) % 360.0 - 180.0
    assert len(dets) > 30 and np.abs(diff).max() < 0.1
    # ids are unique and deterministic: sensor:frame:rank
    assert len({d.id for d in dets}) == len(dets)
    assert all(d.id == f"r1:{d.frame}:0" for d in dets)


def test_radar_horizon_hides_a_low_far_target() -> None:
    spec = radar(max_range_km=250.0)
    # horizon for 10 m and 50 m: 4.12 (3.2 + 7.1) = 42 km; for 5000 m: 304 km
    low = hover("low", 100_000.0, 200.0, 50.0, dur=200.0, rcs_m2=100.0)
    high = hover("high", 100_000.0, 200.0, 5000.0, dur=200.0, rcs_m2=100.0)
    near_low = hover("nl", 30_000.0, 100.0, 50.0, dur=200.0, rcs_m2=100.0)
    assert rbe_truth(low, np.array([T0]))[2][0] > spec.min_elevation_deg  # not the reason
    dets = simulate_radar(spec, [low, high, near_low], T0, T0 + 200.0, seed=3)
    _, r, az, _ = as_arrays(dets)
    assert np.sum(np.abs(az - 200.0) < 2.0) > 150  # the high one, seen
    assert np.sum(np.abs(az - 100.0) < 2.0) > 150  # the low one within its horizon
    assert len(dets) == np.sum(np.abs(az - 200.0) < 2.0) + np.sum(np.abs(az - 100.0) < 2.0)
    assert np.all(np.abs(r[np.abs(az - 200.0) < 2.0] - 100_000.0) < 2_000.0)


def test_radar_pd_at_max_range_follows_the_radar_equation() -> None:
    assert float(radar_pd(np.array(radar_snr_ref(0.9)))) == pytest.approx(0.9)
    spec = radar(max_range_km=100.0, pd=0.8, reference_rcs_m2=1.0, min_elevation_deg=-5.0)
    at_max = hover("m", 99_000.0, 10.0, 8000.0, rcs_m2=1.0)  # ~(100/99)^4 -> Pd ~0.81
    weak = hover("w", 99_000.0, 190.0, 8000.0, rcs_m2=0.1)  # 10 dB less
    dets = simulate_radar(spec, [at_max, weak], T0, T0 + 3000.0, seed=4)
    _, _, az, _ = as_arrays(dets)
    snr = radar_snr_ref(0.8) * (100.0 / 99.0) ** 4
    expect = float(radar_pd(np.array(snr)))
    rate = np.sum(az < 100.0) / 3000.0
    assert rate == pytest.approx(expect, abs=4 * math.sqrt(expect * (1 - expect) / 3000))
    expect_weak = float(radar_pd(np.array(snr * 0.1)))
    assert np.sum(az > 100.0) / 3000.0 == pytest.approx(expect_weak, abs=0.03)
    assert expect_weak < 0.5 < expect
    assert all(d.snr_db is not None and d.snr_db > 10.0 for d in dets)  # above threshold


def test_radar_false_alarms() -> None:
    spec = radar(false_alarms_per_scan=5.0, max_range_km=150.0, period_s=2.0)
    far = hover("x", 10.0, 0.0, 0.0, dur=10.0, rcs_m2=1e-9)  # effectively invisible
    dets = simulate_radar(spec, [far], T0, T0 + 4000.0, seed=5)
    frames = np.array([d.frame for d in dets])
    counts = np.bincount(frames, minlength=2000)
    assert counts.mean() == pytest.approx(5.0, abs=3 * math.sqrt(5.0 / 2000))
    assert counts.var() == pytest.approx(5.0, rel=0.15)  # Poisson
    t, r, az, el = as_arrays(dets)
    assert r.max() <= 150_000.0
    assert np.mean((r / 150_000.0) ** 2) == pytest.approx(0.5, abs=0.02)  # uniform in area
    beam = 360.0 * ((t - T0) % 2.0) / 2.0
    np.testing.assert_allclose(beam, az, atol=1e-4)  # POSIX-time float resolution
    assert el.min() >= -1.0
    assert np.all(np.diff(t) >= 0.0)


def test_radar_2d_has_no_elevation() -> None:
    spec = radar(sigma_elevation_deg=None)
    dets = simulate_radar(spec, [hover("a", 20_000.0, 70.0, 1000.0, dur=20.0)], T0,
                          T0 + 20.0, seed=1)
    m = dets[0].measurement
    assert isinstance(m, RangeBearing) and m.elevation is None
    assert len(dets[0].covariance) == 2


def test_radar_determinism_and_independent_streams() -> None:
    a = hover("a", 20_000.0, 70.0, 1000.0, dur=100.0)
    b = hover("b", 30_000.0, 250.0, 1000.0, dur=100.0)
    spec = radar(false_alarms_per_scan=2.0)

    def run(trs: list[Trajectory], seed: int) -> list[bytes]:
        return [encode(d) for d in simulate_radar(spec, trs, T0, T0 + 100.0, seed)]

    assert run([a, b], 1) == run([a, b], 1)
    assert run([a, b], 1) != run([a, b], 2)

    def plots_of_a(trs: list[Trajectory]) -> list[tuple[float, float]]:
        out = []
        for d in simulate_radar(spec, trs, T0, T0 + 100.0, 1):
            m = d.measurement
            assert isinstance(m, RangeBearing)
            if abs(m.azimuth - 70.0) < 2.0 and abs(m.range - 20_000.0) < 1_000.0:
                out.append((d.time, m.range))
        return out

    assert plots_of_a([a]) == plots_of_a([a, b])  # adding a target changes nothing of a's


# --------------------------------------------------------------------------- ADS-B


def test_adsb_only_for_cooperative_targets() -> None:
    coop = hover("c", 50_000.0, 30.0, 10_000.0, dur=1000.0,
                 transponder=TransponderSpec(icao24="48AE01", callsign="LOT1", squawk="1234"))
    silent = hover("s", 60_000.0, 90.0, 10_000.0, dur=1000.0)
    modes = hover("m", 70_000.0, 120.0, 10_000.0, dur=1000.0,
                  transponder=TransponderSpec(icao24="48ae02", adsb=False))
    spec = AdsbReceiverSpec(id="a1", position=SITE, sigma_m=15.0, pd=0.9)
    dets = simulate_adsb(spec, [coop, silent, modes], T0, T0 + 1000.0, seed=1)
    assert {d.transponder.icao24 for d in dets if d.transponder} == {"48ae01"}
    assert all(d.transponder is not None and d.transponder.callsign == "LOT1" for d in dets)
    assert len(dets) == pytest.approx(900, abs=4 * math.sqrt(1000 * 0.09))
    t = np.array([d.time for d in dets])
    assert np.all(np.diff(t) > 0.99)
    ms = [d.measurement for d in dets]
    assert all(isinstance(m, GeodeticPosition) for m in ms)
    truth = coop.sample(t)
    frame = LocalFrame(float(truth.lat[0]), float(truth.lon[0]), 10_000.0)
    got = frame.to_enu([m.lat for m in ms], [m.lon for m in ms], [m.alt for m in ms])  # type: ignore[union-attr]
    ref = frame.to_enu(truth.lat, truth.lon, truth.alt)
    err = got - ref
    assert err[:, 0].std() == pytest.approx(15.0, rel=0.1)
    assert err[:, 1].std() == pytest.approx(15.0, rel=0.1)
    assert err[:, 2].std() == pytest.approx(22.5, rel=0.1)
    assert dets[0].covariance[2][2] == pytest.approx(22.5**2)


def test_adsb_range_limit() -> None:
    far = hover("c", 400_000.0, 30.0, 10_000.0, dur=100.0,
                transponder=TransponderSpec(icao24="48ae01"))
    spec = AdsbReceiverSpec(id="a1", position=SITE, max_range_km=350.0)
    assert simulate_adsb(spec, [far], T0, T0 + 100.0, seed=1) == []


# --------------------------------------------------------------------------- acoustic


def node(**kw: object) -> AcousticNodeSpec:
    args: dict[str, object] = {"id": "n1", "position": SITE, "sigma_azimuth_deg": 0.5}
    args.update(kw)
    return AcousticNodeSpec(**args)  # type: ignore[arg-type]


def test_acoustic_bearing_points_at_the_emission_time_position() -> None:
    # a cruise missile (200 m/s) passing 800 m north of the node at 300 m
    lon_a, lat_a, _ = GEOD.fwd(SITE.lon, SITE.lat, 0.0, 800.0)
    lon1, lat1, _ = GEOD.fwd(lon_a, lat_a, 270.0, 4000.0)
    lon2, lat2, _ = GEOD.fwd(lon_a, lat_a, 90.0, 4000.0)
    tr = flight("cm", [(lat1, lon1, 300.0, "+0"), (lat2, lon2, 300.0, "+40")],
                type="cruise-missile")
    spec = node(temperature_c=10.0)
    c = speed_of_sound(10.0)
    assert c == pytest.approx(331.3 * math.sqrt(1 + 10 / 273.15))
    dets = simulate_acoustic(spec, [tr], T0, T0 + 100.0, seed=1)
    assert len(dets) >= 10
    frame = LocalFrame(SITE.lat, SITE.lon, SITE.alt)

    def enu(t: float) -> np.ndarray:
        s = tr.sample(np.array([t]), clip=True)
        return frame.to_enu(s.lat, s.lon, s.alt)[0]

    lag = []
    for d in dets:
        m = d.measurement
        assert isinstance(m, BearingOnly) and m.elevation is not None
        # independent solution of t_arr - t_e = |p(t_e) - node| / c
        te = brentq(lambda x, ta=d.time: ta - x - np.linalg.norm(enu(x)) / c,
                    d.time - 30.0, d.time)
        p_e, p_a = enu(te), enu(d.time)
        az_e = math.degrees(math.atan2(p_e[0], p_e[1])) % 360
        az_a = math.degrees(math.atan2(p_a[0], p_a[1])) % 360
        el_e = math.degrees(math.atan2(p_e[2], math.hypot(p_e[0], p_e[1])))
        assert abs((m.azimuth - az_e + 180) % 360 - 180) < 4 * 0.5
        assert abs(m.elevation - el_e) < 4 * 0.5
        lag.append(abs((az_a - az_e + 180) % 360 - 180))
        assert d.time - te == pytest.approx(np.linalg.norm(p_e) / c, abs=1e-6)
    assert np.median(lag) > 10.0  # the arrival-time position is far off the bearing


def test_acoustic_detection_range_follows_the_propagation_law() -> None:
    # shahed SL 115 dB: L = 115 - 20 log r - 0.005 r >= 40 + 6 up to about 1.3 km
    near = hover("near", 1000.0, 45.0, 10.0, dur=600.0, type="shahed")
    far = hover("far", 2000.0, 225.0, 10.0, dur=600.0, type="shahed")
    dets = simulate_acoustic(node(pd=0.95), [near, far], T0, T0 + 600.0, seed=1)
    az = np.array([d.measurement.azimuth for d in dets])  # type: ignore[union-attr]
    assert np.all(np.abs(az - 45.0) < 5.0)
    assert len(dets) == pytest.approx(0.95 * 600, abs=4 * math.sqrt(600 * 0.05 * 0.95))
    assert received_level_db(115.0, np.array([1300.0]))[0] > 46.0 > received_level_db(
        115.0, np.array([1400.0]))[0]
    for d in dets:
        assert d.class_probs is not None and sum(d.class_probs.values()) <= 1.0
        assert max(d.class_probs, key=d.class_probs.__getitem__) == "shahed"
        assert d.snr_db == pytest.approx(
            float(received_level_db(115.0, np.array([1000.0]))[0]) - 40.0, abs=0.1)


def test_class_probs_sum_at_most_one() -> None:
    for fam in ("shahed", "gerbera", "jet", "propeller_aircraft", "helicopter", "multicopter",
                "bird"):
        for snr in (0.0, 6.0, 15.0, 40.0):
            p = class_probs(fam, snr, 6.0)
            assert sum(p.values()) <= 1.0 and p[fam] == max(p.values())


def test_radar_target_crossing_north_gives_consistent_plots() -> None:
    # a fighter 5 km north of the radar flying east: 2.6 deg/s, 26 deg per revolution
    lon_n, lat_n, _ = GEOD.fwd(SITE.lon, SITE.lat, 0.0, 5_000.0)
    lon1, lat1, _ = GEOD.fwd(lon_n, lat_n, 270.0, 10_000.0)
    lon2, lat2, _ = GEOD.fwd(lon_n, lat_n, 90.0, 10_000.0)
    tr = flight("f", [(lat1, lon1, 2000.0, "+0"), (lat2, lon2, 2000.0, "+86.96")],
                type="fighter")
    dets = simulate_radar(radar(period_s=10.0), [tr], T0, T0 + 90.0, seed=2)
    t = np.array([d.time for d in dets])
    frames = np.array([d.frame for d in dets])
    beam = 360.0 * (t - T0 - frames * 10.0) / 10.0
    _, az_true, _ = rbe_truth(tr, t)
    assert np.abs((az_true - beam + 180.0) % 360.0 - 180.0).max() < 1.0
    assert 7 <= len(dets) <= 9 and len(set(frames.tolist())) == len(dets)
