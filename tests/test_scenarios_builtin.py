"""The four built-in scenarios: they load, and their ground truth matches the open-source facts
they were built from (see src/dronewall/scenarios/README.md).

The truth is checked geometrically, independently of the airspace monitor: every route is
sampled every second with the simulator's own kinematics and tested against the shipped
national airspace (land + territorial sea) with shapely.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest
import shapely
from numpy.typing import NDArray
from pyproj import Geod, Transformer

from dronewall.geo.borders import countries
from dronewall.sim.kinematics import build_trajectory, parse_time
from dronewall.sim.loader import list_scenarios, load_scenario
from dronewall.sim.scenario import RadarSpec, Scenario

BUILTINS = ["alaska-adiz", "estonia-2025-09-19", "poland-2025-09-10", "romania-2025-09-13"]
HORIZON_KM_PER_SQRT_M = 4.12  # 4/3-earth radio horizon
GEOD = Geod(ellps="WGS84")

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Sampled:
    """One target's route sampled every second."""

    t: FloatArray
    lat: FloatArray
    lon: FloatArray
    alt: FloatArray


def _t(text: str) -> float:
    return parse_time(text)


@cache
def scenario(name: str) -> Scenario:
    return load_scenario(name)


@cache
def sampled(name: str) -> dict[str, Sampled]:
    sc = scenario(name)
    start = parse_time(sc.start)
    out = {}
    for target in sc.targets:
        tr = build_trajectory(target, start)
        t = np.arange(np.ceil(tr.t0), tr.t1 + 1e-9, 1.0)
        p = tr.sample(t)
        out[target.id] = Sampled(t, p.lat, p.lon, p.alt)
    return out


@cache
def _country(iso3: str) -> shapely.Geometry:
    geom = countries()[iso3]
    shapely.prepare(geom)
    return geom


def inside(iso3s: tuple[str, ...] | str, s: Sampled) -> NDArray[np.bool_]:
    codes = (iso3s,) if isinstance(iso3s, str) else iso3s
    hit = np.zeros(s.t.shape, dtype=bool)
    for c in codes:
        hit |= shapely.contains_xy(_country(c), s.lon, s.lat)
    return hit


def stays(mask: NDArray[np.bool_], t: FloatArray) -> list[tuple[float, float]]:
    """(first, last) sample time of each run of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(float(t[a]), float(t[b])) for a, b in zip(starts, ends, strict=True)]


@cache
def _to_metric(epsg: int) -> Transformer:
    return Transformer.from_crs(4326, epsg, always_xy=True)


def km_to(geom: shapely.Geometry, s: Sampled, mask: NDArray[np.bool_], epsg: int) -> FloatArray:
    """Distances (km) from the masked samples to a lon/lat geometry, in a metric CRS.

    The geometry is first clipped to the samples' box plus a margin of >= ~150 km: exact
    for distances below the margin, which is all these checks need."""
    tr = _to_metric(epsg)

    def project(c: FloatArray) -> FloatArray:
        x, y = tr.transform(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    lon, lat = s.lon[mask], s.lat[mask]
    # only the part of the geometry near the points matters (and it is much faster)
    box = (lon.min() - 3.0, lat.min() - 1.5, lon.max() + 3.0, lat.max() + 1.5)
    near = shapely.clip_by_rect(geom, *box)
    x, y = tr.transform(lon, lat)
    d_m = shapely.distance(shapely.points(x, y), shapely.transform(near, project))
    return np.asarray(d_m, dtype=float) / 1000.0


def min_separation_m(tracks: list[Sampled]) -> float:
    """Smallest distance (m) between any two of the tracks at a common sample time."""
    best = np.inf
    for i, a in enumerate(tracks):
        for b in tracks[i + 1 :]:
            _, ia, ib = np.intersect1d(a.t, b.t, return_indices=True)
            if ia.size:
                d = GEOD.inv(a.lon[ia], a.lat[ia], b.lon[ib], b.lat[ib])[2]
                best = min(best, float(np.min(d)))
    return float(best)


def seen_before(name: str, s: Sampled, t_cross: float, lead_s: float = 300.0) -> bool:
    """Some radar has the target within range and above the 4/3-earth horizon at every
    second of the ``lead_s`` before ``t_cross``."""
    window = (s.t >= t_cross - lead_s) & (s.t <= t_cross)
    ok = np.zeros(int(window.sum()), dtype=bool)
    for spec in scenario(name).sensors:
        if not isinstance(spec, RadarSpec):
            continue
        p = spec.position
        n = int(window.sum())
        _, _, d = GEOD.inv(np.full(n, p.lon), np.full(n, p.lat), s.lon[window], s.lat[window])
        d_km = np.asarray(d) / 1000.0
        horizon = HORIZON_KM_PER_SQRT_M * (np.sqrt(max(p.alt, 0.0)) + np.sqrt(s.alt[window]))
        ok |= (d_km <= spec.max_range_km) & (d_km <= horizon)
    return bool(window.any() and ok.all())


# --------------------------------------------------------------------------- all scenarios


def test_builtins_are_listed() -> None:
    assert set(BUILTINS) <= set(list_scenarios())


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_loads_and_is_consistent(name: str) -> None:
    sc = scenario(name)
    assert sc.name == name
    assert sc.description and sc.sources
    start, end = parse_time(sc.start), parse_time(sc.end, parse_time(sc.start))
    for target in sc.targets:
        tr = build_trajectory(target, start)
        assert start <= tr.t0 < end, target.id
        if target.transponder is not None:  # the cooperative ones are airliners with ADS-B
            assert target.type == "airliner" and target.transponder.adsb, target.id
        else:
            assert target.type != "airliner", target.id
    for spec in sc.sensors:
        if isinstance(spec, RadarSpec):
            assert 2.0 <= spec.false_alarms_per_scan <= 5.0, spec.id
            assert 4.0 <= spec.period_s <= 12.0, spec.id
            assert 60.0 <= spec.max_range_km <= 400.0, spec.id


# --------------------------------------------------------------------------- Poland


def test_poland_nineteen_violations_from_belarus_and_ukraine() -> None:
    name = "poland-2025-09-10"
    sc = scenario(name)
    runs = sampled(name)
    entries: dict[str, tuple[float, str]] = {}
    for target in sc.targets:
        s = runs[target.id]
        pol = inside("POL", s)
        if target.transponder is not None:
            continue
        if not pol.any():
            continue
        k = int(np.argmax(pol))
        assert k > 0, f"{target.id} starts inside Poland"
        # the country it came from: the last one it was in before crossing
        came = [c for c in ("BLR", "UKR") if inside(c, s)[:k].any()]
        last = max(came, key=lambda c: np.flatnonzero(inside(c, s)[:k])[-1])
        entries[target.id] = (float(s.t[k]), last)
        assert len(stays(pol, s.t)) == 1, f"{target.id} enters Poland more than once"
        assert inside(("BLR", "UKR"), s)[0], f"{target.id} does not start in Belarus/Ukraine"
    assert len(entries) == 19
    by_country = [c for _, c in entries.values()]
    assert by_country.count("UKR") < 19 / 2 < by_country.count("BLR")  # "fewer than half" via UA
    times = sorted(t for t, _ in entries.values())
    assert abs(times[0] - _t("2025-09-09T21:30:00Z")) <= 120  # first violation ~23:30 CEST
    assert abs(times[-1] - _t("2025-09-10T04:30:00Z")) <= 300  # last violation ~06:30 CEST
    first_ua = min(t for t, c in entries.values() if c == "UKR")
    assert abs(first_ua - _t("2025-09-09T21:50:00Z")) <= 120  # Zelensky: 00:50 Kyiv time


def test_poland_start_outside_and_seen_before_the_border() -> None:
    name = "poland-2025-09-10"
    eastern = shapely.union_all([
        shapely.intersection(_country("POL").boundary, shapely.buffer(_country(c), 0.005))
        for c in ("BLR", "UKR")
    ])
    for target in scenario(name).targets:
        s = sampled(name)[target.id]
        pol = inside("POL", s)
        if target.transponder is not None or not pol.any():
            continue
        first = np.zeros(s.t.shape, dtype=bool)
        first[0] = True
        assert km_to(_country("POL"), s, first, 3035)[0] >= 55.0, target.id
        assert seen_before(name, s, float(s.t[np.argmax(pol)])), target.id
    # the deepest drones (Olesno, Mniszkow): well over 200 km from the eastern border
    deepest = 0.0
    for tid in ("pl-b01", "pl-b02"):
        s = sampled(name)[tid]
        every_minute = np.zeros(s.t.shape, dtype=bool)
        every_minute[::60] = True
        every_minute[-1] = True
        deepest = max(deepest, float(km_to(eastern, s, every_minute, 3035).max()))
    assert deepest > 250.0


def test_poland_fates_and_the_drones_that_stay_out() -> None:
    name = "poland-2025-09-10"
    sc = scenario(name)
    intruders = [t for t in sc.targets if t.id.startswith(("pl-b", "pl-u"))]
    downed = [t for t in intruders if t.fate.kind == "downed"]
    assert 3 <= len(downed) <= 4  # "three or four" (Tusk)
    last = max(parse_time(t.fate.time or "") for t in downed)
    assert last == _t("2025-09-10T04:45:00Z")  # last drone destroyed 06:45 CEST
    assert any(t.route[-1].lat == pytest.approx(50.70306) for t in downed)  # Czesniki
    outside = [t for t in sc.targets if t.id.startswith("pl-x")]
    assert outside
    for target in outside:
        assert not inside("POL", sampled(name)[target.id]).any(), target.id
    airliners = [t for t in sc.targets if t.transponder is not None]
    assert len(airliners) == 3
    for target in airliners:
        s = sampled(name)[target.id]
        assert inside("POL", s).any() and np.all(s.alt >= 10_000.0), target.id


# --------------------------------------------------------------------------- Estonia


def test_estonia_migs_twelve_minutes_inside() -> None:
    name = "estonia-2025-09-19"
    migs = [t for t in scenario(name).targets if t.type == "mig-31"]
    assert len(migs) == 3 and all(t.transponder is None for t in migs)
    for target in migs:
        s = sampled(name)[target.id]
        est = inside("EST", s)
        (entry, exit_), *more = stays(est, s.t)
        assert not more, f"{target.id} enters Estonia more than once"
        assert abs(entry - _t("2025-09-19T06:58:00Z")) <= 30, target.id
        assert abs(exit_ - _t("2025-09-19T07:10:00Z")) <= 30, target.id
        assert abs((exit_ - entry) - 12 * 60) <= 30, target.id
        depth = km_to(_country("EST").boundary, s, est, 32635)
        assert depth.max() < 10.0, target.id  # "less than 10 km"
        assert seen_before(name, s, entry), target.id
        # entered at the Vaindloo triangle: within 15 km of the island
        k = int(np.argmax(est))
        d = GEOD.inv(s.lon[k], s.lat[k], 26.36194, 59.81417)[2]
        assert d < 15_000.0, target.id
    # formation: at least 3 km apart at every common second, so radars resolve them
    assert min_separation_m([sampled(name)[t.id] for t in migs]) >= 3000.0


# --------------------------------------------------------------------------- Romania


def test_romania_geran_fifty_minutes_inside() -> None:
    name = "romania-2025-09-13"
    sc = scenario(name)
    stray = sampled(name)["ro-geran-1"]
    rou = inside("ROU", stray)
    (entry, exit_), *more = stays(rou, stray.t)
    assert not more
    assert abs(entry - _t("2025-09-13T15:05:00Z")) <= 60  # MApN: entered at 18:05 EEST
    assert abs((exit_ - entry) - 50 * 60) <= 120  # "orbited ~50 min"
    assert inside("UKR", stray)[0] and inside("UKR", stray)[-1]  # came from and left to Ukraine
    depth = km_to(_country("ROU").boundary, stray, rou, 32635)
    assert 8.0 <= depth.max() <= 12.0  # ~10 km deep
    assert np.all(stray.alt[rou] <= 600.0)  # "flying very low"
    assert seen_before(name, stray, entry)
    for target in sc.targets:
        if target.id.startswith("ro-geran") and target.id != "ro-geran-1":
            assert not inside("ROU", sampled(name)[target.id]).any(), target.id


# --------------------------------------------------------------------------- Alaska


def test_alaska_formation_in_the_adiz_never_in_us_or_canadian_airspace() -> None:
    name = "alaska-adiz"
    sc = scenario(name)
    (zone,) = sc.zones
    assert zone.kind == "adiz" and zone.geometry is not None
    adiz = shapely.geometry.shape(zone.geometry)
    assert adiz.is_valid
    russians = [t for t in sc.targets if t.transponder is None]
    assert sorted(t.type for t in russians) == ["su-35", "su-35", "tu-95", "tu-95"]
    tracks = []
    for target in russians:
        s = sampled(name)[target.id]
        tracks.append(s)
        assert not inside(("USA", "CAN"), s).any(), target.id
        every = np.zeros(s.t.shape, dtype=bool)
        every[::5] = True  # 1 km steps: plenty for a 30 km margin
        # >= 30 km outside US airspace (the shipped polygon includes the territorial sea)
        assert km_to(_country("USA"), s, every, 3338).min() >= 30.0, target.id
        assert np.all(s.lon < 0.0), target.id  # one side of the antimeridian
        in_adiz = shapely.contains_xy(adiz, s.lon, s.lat)
        visits = stays(in_adiz, s.t)
        assert len(visits) == 1 and not in_adiz[0] and not in_adiz[-1], target.id
        assert seen_before(name, s, visits[0][0]), target.id
    assert min_separation_m(tracks) >= 5000.0
