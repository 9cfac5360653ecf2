"""Routes become trajectories: timing, geodesic geometry, altitude, velocity, fate."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dronewall.geo.frames import GEOD, LocalFrame
from dronewall.sim.catalog import CATALOG, UnknownTargetType, target_type
from dronewall.sim.kinematics import RouteError, build_trajectory, parse_time, route_times
from dronewall.sim.scenario import Fate, Target, TransponderSpec, Waypoint

T0 = 1_757_462_400.0  # 2025-09-10T00:00:00Z


def target(route: list[Waypoint], **kw: object) -> Target:
    return Target(id="x", type=str(kw.pop("type", "shahed")), route=route, **kw)  # type: ignore[arg-type]


def test_parse_time_forms() -> None:
    assert parse_time("2025-09-10T00:00:00Z") == T0
    assert parse_time("+0", T0) == T0
    assert parse_time("+3600", T0) == T0 + 3600
    assert parse_time("+12.5", T0) == T0 + 12.5
    assert parse_time("+01:30:00", T0) == T0 + 5400
    assert parse_time("+1:30:00", T0) == T0 + 5400
    assert parse_time("+100:00:00", T0) == T0 + 360_000
    for bad in ("+1:70:00", "5400", "tomorrow", "2025-09-10T00:00:00", "+", "-00:10:00"):
        with pytest.raises(ValueError):
            parse_time(bad, T0)


def test_catalogue_defaults_and_errors() -> None:
    g = target_type("gerbera")
    assert g.kind == "decoy" and g.cruise_mps <= 160 / 3.6 and g.rcs_m2 == 0.05
    assert target_type("Geran-2").name == "shahed"
    for name in ("shahed", "jet-shahed", "cruise-missile", "airliner", "mig-31", "su-35",
                 "tu-95", "fighter", "helicopter", "multicopter", "bird"):
        assert name in CATALOG
    with pytest.raises(UnknownTargetType, match=r"known types: .*gerbera"):
        target_type("zeppelin")


def test_leg_of_known_length_arrives_on_time() -> None:
    # 100 km due east along the geodesic, at 40 m/s: arrives after 2500 s
    lon2, lat2, _ = GEOD.fwd(20.0, 52.0, 90.0, 100_000.0)
    tgt = target(
        [
            Waypoint(lat=52.0, lon=20.0, time="+0", alt=0.0),
            Waypoint(lat=lat2, lon=lon2, speed_mps=40.0),
        ]
    )
    times = route_times(tgt, T0)
    assert times[1] - times[0] == pytest.approx(2500.0, abs=1e-6)
    tr = build_trajectory(tgt, T0)
    s = tr.sample(np.array([T0 + 1250.0, T0 + 2500.0]))
    _, _, d_half = GEOD.inv(20.0, 52.0, s.lon[0], s.lat[0])
    assert d_half == pytest.approx(50_000.0, abs=1e-3)
    assert s.lat[1] == pytest.approx(lat2, abs=1e-9) and s.lon[1] == pytest.approx(lon2, abs=1e-9)
    assert math.hypot(s.ve[0], s.vn[0]) == pytest.approx(40.0, rel=1e-9)


def test_positions_lie_on_the_geodesic() -> None:
    # a long leg (Warsaw -> Anchorage-ish is silly; 1500 km NE is enough to curve)
    tgt = target([
        Waypoint(lat=50.0, lon=20.0, time="+0", alt=1000.0),
        Waypoint(lat=60.0, lon=40.0, time="+10:00:00"),
    ])
    tr = build_trajectory(tgt, T0)
    az12, _, length = GEOD.inv(20.0, 50.0, 40.0, 60.0)
    t = T0 + np.linspace(0.0, 36_000.0, 11)
    s = tr.sample(t)
    az, _, d = GEOD.inv(np.full(11, 20.0), np.full(11, 50.0), s.lon, s.lat)
    np.testing.assert_allclose(d, np.linspace(0.0, length, 11), atol=1e-3)
    np.testing.assert_allclose(az[1:], az12, atol=1e-7)
    # the straight rhumb / lat-lon interpolation would be far off at mid-route
    assert abs(s.lat[5] - 55.0) > 0.3


def test_velocity_matches_finite_differences() -> None:
    tgt = target([
        Waypoint(lat=52.0, lon=20.0, time="+0", alt=500.0),
        Waypoint(lat=52.5, lon=21.0, time="+00:30:00", alt=2300.0),
    ])
    tr = build_trajectory(tgt, T0)
    tm = T0 + 900.0
    s = tr.sample(np.array([tm - 0.5, tm, tm + 0.5]))
    frame = LocalFrame(float(s.lat[1]), float(s.lon[1]))
    enu = frame.to_enu(s.lat, s.lon, s.alt)
    v_fd = enu[2] - enu[0]
    np.testing.assert_allclose(v_fd, [s.ve[1], s.vn[1], s.vu[1]], atol=1e-3)
    assert s.vu[1] == pytest.approx(1800.0 / 1800.0)


def test_altitude_defaults_and_hold() -> None:
    tgt = target([
        Waypoint(lat=52.0, lon=20.0, time="+0"),
        Waypoint(lat=52.0, lon=20.5, time="+600", alt=200.0),
        Waypoint(lat=52.0, lon=21.0, time="+1200"),
    ])
    tr = build_trajectory(tgt, T0)
    np.testing.assert_allclose(tr.alt, [target_type("shahed").altitude_m, 200.0, 200.0])
    s = tr.sample(np.array([T0 + 300.0, T0 + 900.0]))
    assert s.alt[0] == pytest.approx((1000.0 + 200.0) / 2)
    assert s.alt[1] == pytest.approx(200.0)


def test_speed_precedence() -> None:
    lon2, lat2, _ = GEOD.fwd(20.0, 52.0, 0.0, 10_000.0)
    wps = [Waypoint(lat=52.0, lon=20.0, time="+0"), Waypoint(lat=lat2, lon=lon2)]
    assert route_times(target(wps, type="gerbera"), T0)[1] - T0 == pytest.approx(250.0)
    assert route_times(target(wps, speed_mps=100.0), T0)[1] - T0 == pytest.approx(100.0)
    wps[1] = Waypoint(lat=lat2, lon=lon2, speed_mps=20.0)
    assert route_times(target(wps, speed_mps=100.0), T0)[1] - T0 == pytest.approx(500.0)


def test_outside_the_flight_is_nan_or_held() -> None:
    tgt = target([Waypoint(lat=52.0, lon=20.0, time="+100"), Waypoint(lat=52.0, lon=21.0)])
    tr = build_trajectory(tgt, T0)
    s = tr.sample(np.array([T0, T0 + 100.0, tr.t1, tr.t1 + 1.0]))
    assert np.isnan(s.lat[0]) and np.isnan(s.lat[3]) and np.isnan(s.ve[3])
    assert not np.isnan(s.lat[1:3]).any()
    held = tr.sample(np.array([T0, tr.t1 + 100.0]), clip=True)
    assert held.lon[0] == pytest.approx(20.0) and held.lon[1] == pytest.approx(21.0)


def test_downed_cuts_the_route() -> None:
    wps = [
        Waypoint(lat=52.0, lon=20.0, time="+0"),
        Waypoint(lat=52.0, lon=21.0, time="+1000"),
        Waypoint(lat=52.0, lon=22.0, time="+2000"),
    ]
    full = build_trajectory(target(wps), T0)
    cut = build_trajectory(target(wps, fate=Fate(kind="downed", time="+1500")), T0)
    assert cut.t1 == T0 + 1500 and cut.fate == "downed"
    t = np.array([T0 + 500.0, T0 + 1200.0, T0 + 1500.0])
    a, b = full.sample(t), cut.sample(t)
    np.testing.assert_allclose(a.lat, b.lat, atol=1e-9)
    np.testing.assert_allclose(a.lon, b.lon, atol=1e-9)
    assert np.isnan(cut.sample(np.array([T0 + 1600.0])).lat[0])


def test_route_errors_name_the_waypoint() -> None:
    wps = [Waypoint(lat=52.0, lon=20.0, time="+100"), Waypoint(lat=52.0, lon=21.0, time="+50")]
    with pytest.raises(RouteError) as info:
        route_times(target(wps), T0)
    assert info.value.index == 1 and info.value.field == "time"
    with pytest.raises(RouteError) as info:
        build_trajectory(target([*wps[:1], Waypoint(lat=52.0, lon=20.0)]), T0)
    assert "same place" in info.value.message


def test_cooperative_needs_adsb() -> None:
    wps = [Waypoint(lat=52.0, lon=20.0, time="+0"), Waypoint(lat=52.0, lon=21.0)]
    assert not build_trajectory(target(wps), T0).cooperative
    on = TransponderSpec(icao24="48ae01")
    off = TransponderSpec(icao24="48ae01", adsb=False)
    assert build_trajectory(target(wps, transponder=on), T0).cooperative
    assert not build_trajectory(target(wps, transponder=off), T0).cooperative


def test_many_samples_are_fast_enough() -> None:
    tgt = target([Waypoint(lat=50.0 + k * 0.1, lon=20.0 + k * 0.2, time=f"+{k * 600}")
                  for k in range(50)])
    tr = build_trajectory(tgt, T0)
    s = tr.sample(np.linspace(tr.t0, tr.t1, 200_000))
    assert not np.isnan(s.lat).any()
