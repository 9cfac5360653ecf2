"""Acoustic tracking: bearing and TDOA models, retardation, triangulation and
multilateration initiation, class evidence (synthetic streams, no dronewall.sim)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewall.fusion import Tracker, TrackerConfig
from dronewall.fusion.acoustic import (
    AcousticBatch,
    bearing_h,
    emission_times,
    nl_innovations,
    nl_update,
    tdoa_h,
)
from dronewall.fusion.geodesy import FastFrame
from dronewall.fusion.localise import locate
from dronewall.fusion.motion import ConstantVelocity
from dronewall.geo.frames import LocalFrame
from dronewall.model.messages import BearingOnly, Detection, GeoPoint, Tdoa, Track

FRAME = LocalFrame(50.0, 20.0)
C = 337.3


def node_point(e: float, n: float, u: float = 2.0) -> GeoPoint:
    lat, lon, alt = FRAME.to_geodetic(np.array([e, n, u]))
    return GeoPoint(lat=float(lat), lon=float(lon), alt=float(alt))


def emission(p0: np.ndarray, v: np.ndarray, t0: float, ta: float, o: np.ndarray) -> float:
    """Exact emission time for a constant-velocity source: |p(te) - o| = c (ta - te)."""
    w = p0 + v * (ta - t0) - o  # position at ta relative to the node
    # p(te) - o = w - v s with s = ta - te; |w - v s|² = c² s²
    a = v @ v - C * C
    b = -2.0 * (w @ v)
    cc = w @ w
    disc = b * b - 4 * a * cc
    s = (-b - math.sqrt(disc)) / (2 * a)
    return ta - s


def acoustic_stream(
    nodes: list[tuple[float, float]],
    p0: tuple[float, float, float],
    v: tuple[float, float, float],
    t0: float,
    t1: float,
    sigma_deg: float = 3.0,
    sigma_tdoa: float = 1e-3,
    max_range: float = 3000.0,
    seed: int = 0,
    tdoa: bool = True,
    bearings: bool = True,
    class_probs: dict[str, float] | None = None,
) -> list[Detection]:
    """Bearings (az, el) every second at each node hearing the target, and TDOAs
    between neighbouring nodes, at arrival times, with the retardation of sound."""
    rng = np.random.default_rng(seed)
    pa, va = np.array(p0, float), np.array(v, float)
    pts = [node_point(e, n) for e, n in nodes]
    pos = [FRAME.to_enu(g.lat, g.lon, g.alt) for g in pts]
    out: list[Detection] = []
    for ta in np.arange(t0, t1, 1.0):
        for i, (g, o) in enumerate(zip(pts, pos, strict=True)):
            te = emission(pa, va, t0, float(ta), o)
            p = pa + va * (te - t0)
            d = p - o
            r = float(np.linalg.norm(d))
            if r > max_range:
                continue
            # frame ENU ~ node ENU (nodes a few km from the frame origin: < 0.05°)
            rot = FRAME.local_rotation(g.lat, g.lon)
            dl = rot @ d
            az = math.degrees(math.atan2(dl[0], dl[1])) % 360.0
            el = math.degrees(math.atan2(dl[2], math.hypot(dl[0], dl[1])))
            noise = rng.standard_normal(3)
            if bearings:
                out.append(
                    Detection(
                        id=f"b{i}:{ta}",
                        sensor_id=f"n{i}",
                        time=float(ta),
                        measurement=BearingOnly(
                            azimuth=float((az + sigma_deg * noise[0]) % 360.0),
                            elevation=float(np.clip(el + sigma_deg * noise[1], -90.0, 90.0)),
                            origin=g,
                        ),
                        covariance=[[sigma_deg**2, 0.0], [0.0, sigma_deg**2]],
                        class_probs=class_probs,
                    )
                )
            if tdoa and i + 1 < len(pts):
                o2 = pos[i + 1]
                r2 = float(np.linalg.norm(p - o2))
                if r2 <= max_range:
                    out.append(
                        Detection(
                            id=f"d{i}:{ta}",
                            sensor_id=f"n{i}",
                            time=float(ta),
                            measurement=Tdoa(
                                tdoa=float((r - r2) / C + sigma_tdoa * noise[2]),
                                origin=g,
                                origin2=pts[i + 1],
                                sensor2_id=f"n{i + 1}",
                            ),
                            covariance=[[sigma_tdoa**2]],
                        )
                    )
    out.sort(key=lambda d: d.time)
    return out


def truth_at(p0: tuple[float, float, float], v: tuple[float, float, float], t0: float,
             t: float) -> np.ndarray:
    return np.array(p0) + np.array(v) * (t - t0)


def run(dets: list[Detection], config: TrackerConfig | None = None) -> list[Track]:
    tr = Tracker(FRAME, config)
    out = tr.process(dets)
    out += tr.finish(dets[-1].time)
    return out


def errors(out: list[Track], p0, v, t0, after: float) -> np.ndarray:
    ff = FastFrame(FRAME)
    conf = [t for t in out if t.status == "confirmed" and t.time >= after]
    est = ff.to_enu(np.array([t.lat for t in conf]), np.array([t.lon for t in conf]),
                    np.array([t.alt for t in conf]))
    truth = np.stack([truth_at(p0, v, t0, t.time) for t in conf])
    return np.linalg.norm((est - truth)[:, :2], axis=1)


LINE = [(500.0 * k - 5000.0, 0.0) for k in range(21)]
P0, V = (-4000.0, -1500.0, 200.0), (35.36, 35.36, 0.0)  # 50 m/s crossing the line


# --------------------------------------------------------------------------- models


def test_bearing_jacobian_matches_finite_differences() -> None:
    rng = np.random.default_rng(3)
    ff = FastFrame(LocalFrame(50.3, 20.2))
    m, o = ff.from_local(50.31, 20.25, 120.0)
    pos = o + rng.uniform(-3000, 3000, (5, 3))
    ms, os_ = np.broadcast_to(m, (5, 3, 3)), np.broadcast_to(o, (5, 3))
    h, j = bearing_h(pos, os_, ms, True)
    for a in range(3):
        dp = np.zeros(3)
        dp[a] = 1e-3
        h2, _ = bearing_h(pos + dp, os_, ms, True)
        assert np.allclose((h2 - h) / 1e-3, j[:, :, a], rtol=1e-4, atol=1e-9)


def test_tdoa_jacobian_and_value() -> None:
    o1, o2 = np.array([[0.0, 0.0, 0.0]]), np.array([[1000.0, 0.0, 0.0]])
    p = np.array([[200.0, 700.0, 300.0]])
    h, j = tdoa_h(p, o1, o2, C)
    assert h[0, 0] == pytest.approx(
        (np.linalg.norm(p - o1) - np.linalg.norm(p - o2)) / C
    )
    for a in range(3):
        dp = np.zeros(3)
        dp[a] = 1e-3
        h2, _ = tdoa_h(p + dp, o1, o2, C)
        assert (h2 - h)[0, 0] / 1e-3 == pytest.approx(j[0, 0, a], rel=1e-4)


def test_emission_time_fixed_point_is_exact_to_a_millisecond() -> None:
    x = np.array([[1000.0, 2000.0, 200.0, 50.0, -20.0, 0.0]])
    o = np.zeros((1, 3))
    te = emission_times(x, np.array([0.0]), np.array([10.0]), o, C)
    exact = emission(x[0, :3], x[0, 3:], 0.0, 10.0, o[0])
    assert te[0] == pytest.approx(exact, abs=1e-3)


@settings(max_examples=60, deadline=None)
@given(
    st.floats(-3000, 3000), st.floats(-3000, 3000), st.floats(50, 2000),
    st.floats(-60, 60), st.floats(-60, 60), st.floats(-5, 5), st.floats(0.5, 5.0),
    st.booleans(),
)
def test_ekf_update_keeps_covariance_symmetric_positive_definite(
    e: float, n: float, u: float, ve: float, vn: float, dt: float, sig: float, tdoa: bool
) -> None:
    """Property: any bearing or TDOA update (forward or retrodicted) leaves P SPD."""
    x = np.array([[e, n, u, ve, vn, 0.0]])
    p = np.diag([300.0**2, 300.0**2, 100.0**2, 30.0**2, 30.0**2, 5.0**2])[None]
    o = np.array([[0.0, 0.0, 0.0]])
    m = np.eye(3)[None]
    if tdoa:
        b = AcousticBatch("tdoa", 1, np.array([dt]), o, m, np.array([[800.0, 0.0, 0.0]]),
                          np.array([[0.5]]), np.array([[[1e-6]]]), np.array([0]))
    else:
        s = math.radians(sig)
        b = AcousticBatch("bearing", 2, np.array([dt]), o, m, np.zeros((1, 3)),
                          np.array([[0.3, 0.1]]), np.diag([s * s, s * s])[None], np.array([0]))
    model = ConstantVelocity(2.0, 0.5)
    inn = nl_innovations(model, x, p, np.zeros(1), b, np.array([0]), np.array([0]), C, True)
    x2, p2, _ = nl_update(x, p, np.zeros(1), inn)
    assert np.allclose(p2, p2.transpose(0, 2, 1))
    assert np.linalg.eigvalsh(p2[0]).min() > 0.0
    assert np.all(np.isfinite(x2))


# --------------------------------------------------------------------------- localisation


def test_triangulation_of_noiseless_bearings_finds_the_source() -> None:
    dets = acoustic_stream(LINE, (300.0, 900.0, 200.0), (0.0, 0.0, 0.0), 0.0, 1.0,
                           sigma_deg=0.05, sigma_tdoa=1e-5)
    from dronewall.fusion.acoustic import to_batches

    ff = FastFrame(FRAME)

    def placement(lat: float, lon: float, alt: float):
        return ff.from_local(lat, lon, alt)

    batches = to_batches(dets, placement)
    sensors = [np.array([int(dets[i].sensor_id[1:]) for i in b.idx]) for b in batches]
    fixes = locate(batches, sensors, c=C, max_dt=2.0, max_baseline=20_000.0,
                   max_range=10_000.0)
    assert len(fixes) == 1
    assert np.allclose(fixes[0].p, [300.0, 900.0, 200.0], atol=3.0)
    assert len(fixes[0].support) == len(dets)  # every bearing and TDOA agrees


def test_multilateration_from_tdoa_alone_off_a_line() -> None:
    """Four nodes on a square, TDOAs only (no bearings): the source is found."""
    square = [(0.0, 0.0), (1500.0, 0.0), (1500.0, 1500.0), (0.0, 1500.0), (0.0, 0.0)]
    dets = acoustic_stream(square, (600.0, 900.0, 250.0), (0.0, 0.0, 0.0), 0.0, 1.0,
                           bearings=False, sigma_tdoa=1e-5)
    # the fifth "node" repeats the first to close the ring of pairs
    from dronewall.fusion.acoustic import to_batches

    ff = FastFrame(FRAME)
    batches = to_batches(dets, ff.from_local)
    sensors = [np.array([int(dets[i].sensor_id[1:]) % 4 for i in b.idx]) for b in batches]
    fixes = locate(batches, sensors, c=C, max_dt=2.0, max_baseline=20_000.0,
                   max_range=10_000.0)
    assert len(fixes) == 1
    assert np.linalg.norm(fixes[0].p[:2] - [600.0, 900.0]) < 20.0


# --------------------------------------------------------------------------- tracking


def test_bearings_and_tdoa_alone_make_one_accurate_track() -> None:
    dets = acoustic_stream(LINE, P0, V, 0.0, 120.0, seed=1,
                           class_probs={"shahed": 0.8, "propeller_aircraft": 0.1})
    tr = Tracker(FRAME)
    out = tr.process(dets) + tr.finish(dets[-1].time)
    ids = {t.id for t in out}
    assert len(ids) == 1
    assert tr.stats["acoustic_initiations"] >= 1
    err = errors(out, P0, V, 0.0, after=30.0)
    assert np.median(err) < 60.0
    last = [t for t in out if t.status == "confirmed"][-1]
    assert last.class_probs == pytest.approx({"shahed": 0.8, "propeller_aircraft": 0.1})
    assert last.speed == pytest.approx(50.0, abs=8.0)
    assert len(last.sensors) >= 3


def test_retardation_model_beats_ignoring_it() -> None:
    """The same stream tracked with and without the emission-time model: ignoring
    the ~1-9 s travel time of sound puts the track behind the target."""
    dets = acoustic_stream(LINE, P0, V, 0.0, 120.0, seed=2, tdoa=False)
    with_r = errors(run(dets), P0, V, 0.0, after=30.0)
    without = errors(run(dets, TrackerConfig(acoustic_retardation=False)), P0, V, 0.0, 30.0)
    assert np.mean(with_r) < 0.6 * np.mean(without)


def test_noiseless_acoustic_target_is_tracked_exactly() -> None:
    dets = acoustic_stream(LINE, P0, V, 0.0, 100.0, sigma_deg=1e-3, sigma_tdoa=1e-7, seed=4)
    err = errors(run(dets), P0, V, 0.0, after=40.0)
    assert np.max(err) < 2.0


def test_bearings_update_a_radar_track_and_bring_class_evidence() -> None:
    """A radar-held track gets the acoustic sensors and class probabilities."""
    from dronewall.model.messages import RangeBearing

    radar = node_point(-20_000.0, -20_000.0, 50.0)
    ro = FRAME.to_enu(radar.lat, radar.lon, radar.alt)
    dets = acoustic_stream(LINE, P0, V, 0.0, 100.0, seed=5, tdoa=False,
                           class_probs={"shahed": 0.9})
    rot = FRAME.local_rotation(radar.lat, radar.lon)
    for k in range(10):
        t = 10.0 * k + 0.5
        dl = rot @ (truth_at(P0, V, 0.0, t) - ro)
        rng = float(np.linalg.norm(dl))
        dets.append(Detection(
            id=f"r{k}", sensor_id="radar", time=t, frame=k,
            measurement=RangeBearing(
                range=rng, azimuth=math.degrees(math.atan2(dl[0], dl[1])) % 360,
                elevation=math.degrees(math.asin(dl[2] / rng)), origin=radar),
            covariance=[[50.0**2, 0, 0], [0, 0.15**2, 0], [0, 0, 0.3**2]],
        ))
    dets.sort(key=lambda d: d.time)
    out = run(dets)
    assert len({t.id for t in out}) == 1
    last = [t for t in out if t.status == "confirmed"][-1]
    assert "radar" in last.sensors and any(s.startswith("n") for s in last.sensors)
    assert last.class_probs == pytest.approx({"shahed": 0.9})


def test_late_out_of_order_acoustic_reports_still_update() -> None:
    """Acoustic reports delivered in one late batch, after later radar-like position
    reports have moved the track on, update by retrodiction without moving it back."""
    dets = acoustic_stream(LINE, P0, V, 0.0, 60.0, seed=6, tdoa=False)
    tr = Tracker(FRAME)
    first = [d for d in dets if d.time < 40.0]
    late = [d for d in dets if d.time >= 40.0]
    out = tr.process(first)
    out += tr.process(late[::-1][:5][::-1])  # a few late ones
    out += tr.finish(60.0)
    times = {}
    for t in out:
        if t.status == "confirmed":
            assert t.time >= times.get(t.id, -math.inf)
            times[t.id] = t.time
    assert len(times) == 1


def test_two_targets_far_apart_get_two_tracks() -> None:
    a = acoustic_stream(LINE, P0, V, 0.0, 90.0, seed=7)
    b = acoustic_stream(LINE, (3000.0, 1500.0, 250.0), (-30.0, -40.0, 0.0), 0.0, 90.0, seed=8)
    dets = sorted(a + b, key=lambda d: d.time)
    out = run(dets)
    assert len({t.id for t in out}) == 2


def test_unscented_transform_agrees_with_the_jacobian_when_nearly_linear() -> None:
    from dronewall.fusion.acoustic import unscented

    m = np.eye(3)[None].repeat(2, 0)
    o = np.zeros((2, 3))
    b = AcousticBatch("bearing", 2, np.zeros(2), o, m, np.zeros((2, 3)),
                      np.zeros((2, 2)), np.zeros((2, 2, 2)), np.arange(2))
    mean = np.array([[3000.0, 4000.0, 300.0], [-2000.0, 500.0, 250.0]])
    cov = np.eye(3)[None].repeat(2, 0) * 10.0**2  # 10 m at 1-5 km: nearly linear
    hz, j, s = unscented(b, np.arange(2), mean, cov, C)
    h0, j0 = bearing_h(mean, o, m, True)
    assert np.allclose(hz, h0, atol=1e-5)
    assert np.allclose(j, j0, rtol=1e-3, atol=1e-9)
    assert np.allclose(s, j0 @ cov @ j0.transpose(0, 2, 1), rtol=1e-3)


def test_ukf_option_tracks_the_acoustic_target_too() -> None:
    dets = acoustic_stream(LINE, P0, V, 0.0, 90.0, seed=1)
    out = run(dets, TrackerConfig(acoustic_filter="ukf"))
    assert len({t.id for t in out}) == 1
    assert np.median(errors(out, P0, V, 0.0, after=30.0)) < 60.0
    with pytest.raises(ValueError, match="acoustic_filter"):
        TrackerConfig(acoustic_filter="pf")
