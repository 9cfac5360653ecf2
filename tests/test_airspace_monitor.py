"""The airspace monitor: incursions, their timing and depth, cooperative tracks, ADIZ,
restricted zones, hysteresis and the order/identity of events."""

from __future__ import annotations

import msgspec
import pytest

from dronewall.airspace import AirspaceMonitor, MonitorConfig
from dronewall.model.messages import Event, Track, Transponder
from test_airspace_support import T0, crossing_time, legs, national, path, square

COV = [[1.0 if i == j else 0.0 for j in range(6)] for i in range(6)]
NEIGHBOURS = ("POL", "BLR", "UKR", "LTU", "RUS", "SVK", "CZE", "DEU")
BREST = (52.09, 23.80)  # just east of the Bug, in Belarus
BIALA = (52.05, 23.40)  # west of Terespol, in Poland
MNISZKOW = (51.37, 20.04)
LOT = Transponder(icao24="48ae21", callsign="LOT3917")


@pytest.fixture(scope="module")
def zones():
    return national(*NEIGHBOURS)


def monitor(zones, **kw):
    return AirspaceMonitor(zones, ["POL"], MonitorConfig(**kw) if kw else MonitorConfig())


def kinds(events: list[Event]) -> list[str]:
    return [e.kind for e in events]


def states(track_id: str, rows: list[tuple[float, float, float]], **kw: object) -> list[Track]:
    """Tracks from (seconds after T0, lat, lon); the last one "lost" unless lost=False."""
    lost = kw.pop("lost", True)
    out = []
    for k, (t, lat, lon) in enumerate(rows):
        status = "lost" if lost and k == len(rows) - 1 else "confirmed"
        out.append(
            Track(
                id=track_id,
                time=T0 + t,
                status=status,
                lat=lat,
                lon=lon,
                alt=float(kw.get("alt", 300.0)),
                ve=0.0,
                vn=0.0,
                vu=0.0,  # type: ignore[arg-type]
                covariance=COV,
                born=T0,
                transponder=kw.get("transponder"),
            )
        )  # type: ignore[arg-type]
    return out


# --------------------------------------------------------------------------- entry


def test_entry_interpolated_at_the_border_near_terespol(zones):
    tr = path("T0007", BREST, BIALA, speed=50.0, dt=5.0)
    truth = crossing_time(tr, zones[0])
    m = monitor(zones)
    seen: list[Event] = []
    for k, t in enumerate(tr[:-1]):  # one state per call: the start comes at once
        ev = m.process([t])
        if ev:
            assert kinds(ev) == ["incursion_start"]
            assert tr[k - 1].time < ev[0].time <= t.time
            seen += ev
    (start,) = seen
    assert abs(start.time - truth) < 1.0
    assert start.severity == "critical" and start.country == "POL"
    assert start.zone_id == "airspace-POL" and start.track_id == "T0007"
    assert start.message == "Unidentified track T0007 entered Poland national airspace from Belarus"
    assert start.details["entry_from"] == "BLR" and start.details["entry_observed"] is True
    assert start.position is not None and 23.6 < start.position.lon < 23.7
    assert start.id == "EV-T0007-incursion_start-1"
    (inc,) = m.incursions()
    assert inc.open and inc.end_time is None and inc.entry_time == start.time
    assert inc.seconds_inside == pytest.approx(tr[-2].time - start.time)


def test_depth_from_the_border_it_came_through(zones):
    """From Belarus to Mniszków: ~238 km from the Belarus border, although the nearest
    border (Czechia) is only ~192 km away."""
    tr = path("T0001", BREST, MNISZKOW, speed=60.0, dt=10.0)
    m = monitor(zones)
    ev = m.process(tr)
    assert kinds(ev) == ["incursion_start", "incursion_end"]
    end = ev[1]
    d = end.details
    assert d["reason"] == "track_lost" and d["exit_time"] is None
    assert d["end_time"] == tr[-1].time == end.time
    assert 230.0 < d["max_depth_km"] < 245.0
    assert d["seconds_inside"] == pytest.approx(tr[-1].time - d["entry_time"])
    assert d["entry_from"] == "BLR" and (d["exit_lat"], d["exit_lon"]) == (None, None)
    assert end.position is not None and end.position.lat == pytest.approx(tr[-1].lat)
    assert end.severity == "warning" and "lost inside Poland national airspace" in end.message
    (inc,) = m.incursions()
    assert inc.end_reason == "track_lost" and inc.max_depth_km == pytest.approx(
        d["max_depth_km"], abs=1e-3
    )


def test_international_entry_depth_from_the_sea_limit(zones):
    tr = path("T0002", (55.30, 18.70), (54.45, 18.60), speed=80.0, dt=5.0)  # into Gdańsk
    m = monitor(zones)
    ev = m.process(tr)
    assert kinds(ev) == ["incursion_start", "incursion_end"]
    assert ev[0].details["entry_from"] == "international"
    assert ev[0].message.endswith("from international airspace")
    # Gdańsk lies ~30-40 km inside the 12 NM limit, hundreds of km from any land border
    assert 20.0 < ev[1].details["max_depth_km"] < 60.0


def test_exit_interpolated_and_reported(zones):
    tr = legs("T0003", [BREST, BIALA, BREST, (52.12, 24.10)], speed=50.0, dt=5.0)
    m = monitor(zones)
    ev = m.process(tr)
    assert kinds(ev) == ["incursion_start", "incursion_end"]
    end = ev[1]
    back = [t for t in tr if t.time > ev[0].time + 300]  # the return leg
    exit_truth = crossing_time(back, zones[0])
    d = end.details
    assert d["reason"] == "exited" and abs(d["exit_time"] - exit_truth) < 1.0
    assert end.time == d["exit_time"] == d["end_time"]
    assert d["seconds_inside"] == pytest.approx(d["exit_time"] - d["entry_time"])
    assert d["exit_to"] == "BLR" and 23.6 < d["exit_lon"] < 23.7
    assert 0.0 < d["max_depth_km"] < 20.0 and end.severity == "info"
    assert "left Poland national airspace to Belarus" in end.message
    (inc,) = m.incursions()
    assert (inc.exit_time, inc.end_reason) == (d["exit_time"], "exited")


def test_still_inside_at_end_of_run(zones):
    tr = path("T0004", BREST, BIALA, speed=50.0, dt=5.0, lost=False)
    m = monitor(zones)
    assert kinds(m.process(tr)) == ["incursion_start"]
    (end,) = m.finish(tr[-1].time + 60.0)
    assert end.kind == "incursion_end" and end.time == tr[-1].time + 60.0
    assert end.details["reason"] == "end_of_run" and end.details["exit_time"] is None
    assert "still inside" in end.message
    assert m.finish(tr[-1].time + 120.0) == []  # nothing left open


def test_first_state_inside_is_an_unobserved_entry(zones):
    tr = path("T0005", (52.2, 21.0), (52.3, 21.2), speed=50.0, dt=5.0)  # over Warsaw
    m = monitor(zones)
    ev = m.process(tr)
    assert kinds(ev) == ["incursion_start", "incursion_end"]
    s = ev[0]
    assert s.time == tr[0].time and s.details == {
        "entry_observed": False,
        "entry_from": None,
        "incursion_id": "INC-T0005-1",
    }
    assert s.message == "Unidentified track T0005 first seen inside Poland national airspace"
    assert s.position is not None and s.position.lat == tr[0].lat


def test_tentative_history_backdates_the_entry(zones):
    """The crossing happened while the track was tentative: the start event (emitted
    with the confirmation burst) carries the interpolated crossing time."""
    tr = path("T0006", BREST, BIALA, speed=50.0, dt=5.0, tentative=60)
    truth = crossing_time(tr, zones[0])
    first_confirmed = next(k for k, t in enumerate(tr) if t.status == "confirmed")
    assert tr[first_confirmed].time > truth + 30  # crossed well before confirmation
    m = monitor(zones)
    ev = m.process(tr[: first_confirmed + 1])  # the burst and the first confirmed state
    assert kinds(ev) == ["incursion_start"] and abs(ev[0].time - truth) < 1.0


# --------------------------------------------------------------------------- cooperative


def test_cooperative_track_gives_zone_events_not_incursions(zones):
    tr = path("T0010", BREST, BIALA, speed=50.0, dt=5.0, transponder=LOT)
    m = monitor(zones)
    ev = m.process(tr)
    assert kinds(ev) == ["zone_entry", "zone_exit"] and m.incursions() == []
    entry = ev[0]
    assert entry.severity == "info" and entry.details["entry_from"] == "BLR"
    assert entry.message == (
        "Track T0010 (ICAO 48ae21, LOT3917) entered Poland national airspace from Belarus"
    )
    assert abs(entry.time - crossing_time(tr, zones[0])) < 1.0
    assert ev[1].details["reason"] == "track_lost"


def test_squawk_without_icao_address_is_not_cooperative(zones):
    tr = path("T0011", BREST, BIALA, speed=50.0, dt=5.0, transponder=Transponder(squawk="7000"))
    assert kinds(monitor(zones).process(tr)) == ["incursion_start", "incursion_end"]


def test_identified_inside_ends_the_incursion(zones):
    tr = path("T0012", BREST, BIALA, speed=50.0, dt=5.0)
    k = len(tr) - 10
    tr[k:] = [msgspec.structs.replace(t, transponder=LOT) for t in tr[k:]]
    m = monitor(zones)
    ev = m.process(tr)
    assert kinds(ev) == ["incursion_start", "incursion_end"]
    assert ev[1].details["reason"] == "identified" and ev[1].time == tr[k].time
    assert m.incursions()[0].end_reason == "identified"


# --------------------------------------------------------------------------- hysteresis


@pytest.fixture(scope="module")
def toy():
    """Two toy countries side by side: AAA (watched, lon 10-11) and BBB (lon 11-12)."""
    a = square("airspace-AAA", "national_airspace", 10.0, 50.0, 11.0, 51.0, country="AAA")
    b = square("airspace-BBB", "national_airspace", 11.0, 50.0, 12.0, 51.0, country="BBB")
    return [a, b]


def _wiggle(outside_s: float) -> list[Track]:
    """Inside AAA, out into BBB for ``outside_s`` around the border lon 11, back in."""
    rows = [(float(t), 50.5, 10.99) for t in range(0, 50, 5)]
    rows += [(50.0 + t, 50.5, 11.01) for t in range(5, int(outside_s), 5)]
    rows += [(50.0 + outside_s + t, 50.5, 10.99) for t in range(5, 60, 5)]
    return states("T0100", rows)


def test_flicker_at_the_border_is_one_incursion(toy):
    m = AirspaceMonitor(toy, ["AAA"])
    ev = m.process(_wiggle(15.0))  # out ~10-15 s < min_outside_s
    assert kinds(ev) == ["incursion_start", "incursion_end"]
    assert ev[1].details["reason"] == "track_lost" and ev[1].details["flickers"] == 1
    (inc,) = m.incursions()
    assert inc.flickers == 1


def test_reentry_after_min_outside_is_a_new_incursion(toy):
    m = AirspaceMonitor(toy, ["AAA"])
    ev = m.process(_wiggle(60.0))
    assert kinds(ev) == ["incursion_start", "incursion_end", "incursion_start", "incursion_end"]
    assert [e.id for e in ev] == [
        "EV-T0100-incursion_start-1",
        "EV-T0100-incursion_end-1",
        "EV-T0100-incursion_start-2",
        "EV-T0100-incursion_end-2",
    ]
    first_end, second = ev[1], ev[2]
    assert first_end.details["reason"] == "exited" and first_end.details["exit_to"] == "BBB"
    assert first_end.time == pytest.approx(T0 + 50.0, abs=0.05)  # halfway 10.99 -> 11.01
    assert second.details["entry_from"] == "BBB"
    assert second.time == pytest.approx(T0 + 110.0, abs=0.05)
    assert [i.id for i in m.incursions()] == ["INC-T0100-1", "INC-T0100-2"]


def test_lost_while_exit_is_held_ends_as_exit(toy):
    rows = [(0.0, 50.5, 10.99), (5.0, 50.5, 10.99), (10.0, 50.5, 11.01), (15.0, 50.5, 11.02)]
    ev = AirspaceMonitor(toy, ["AAA"]).process(states("T0101", rows))
    assert kinds(ev) == ["incursion_start", "incursion_end"]
    assert ev[1].details["reason"] == "exited" and ev[1].time == pytest.approx(T0 + 7.5)


def test_exit_is_held_until_min_outside_has_passed(toy):
    m = AirspaceMonitor(toy, ["AAA"], MonitorConfig(min_outside_s=20.0))
    rows = [(float(t), 50.5, 10.99) for t in range(0, 20, 5)] + [
        (float(t), 50.5, 11.01) for t in range(20, 60, 5)
    ]
    tr = states("T0102", rows, lost=False)
    out = [(t.time - T0, kinds(m.process([t]))) for t in tr]
    ends = [t for t, k in out if k == ["incursion_end"]]
    assert ends == [40.0]  # exit at 17.5 s, confirmed by the first state >= 37.5 s


# --------------------------------------------------------------------------- ADIZ, restricted


def test_adiz_entry_and_exit():
    adiz = square("adiz-alaska", "adiz", -170.0, 50.0, -140.0, 60.0, name="Alaska ADIZ")
    tr = path("T0200", (48.0, -150.0), (62.0, -150.0), speed=250.0, dt=10.0)  # due north
    m = AirspaceMonitor([adiz], [])
    ev = m.process(tr)
    assert kinds(ev) == ["adiz_entry", "adiz_exit"] and m.incursions() == []
    entry, exit_ = ev
    assert entry.severity == "warning" and entry.message == (
        "Unidentified track T0200 entered the Alaska ADIZ: identification required"
    )
    # along a meridian the crossings are where the distance from the start reaches 50° / 60°
    from pyproj import Geod

    g = Geod(ellps="WGS84")
    t_in = T0 + g.inv(-150, 48, -150, 50)[2] / 250.0
    t_out = T0 + g.inv(-150, 48, -150, 60)[2] / 250.0
    assert abs(entry.time - t_in) < 1.0 and abs(exit_.time - t_out) < 1.0
    d = exit_.details
    assert d["entry_time"] == entry.time and d["exit_time"] == exit_.time
    assert d["seconds_inside"] == pytest.approx(t_out - t_in, abs=1.0)
    cooperative = path(
        "T0201",
        (48.0, -150.0),
        (62.0, -150.0),
        speed=250.0,
        dt=10.0,
        transponder=Transponder(icao24="a1b2c3"),
    )
    assert m.process(cooperative) == []


def test_restricted_zone_with_ceiling():
    r = square(
        "R-1", "restricted", 20.0, 50.0, 21.0, 51.0, ceiling_m=500.0, name="restricted area R-1"
    )
    # from the south at 100 m, climbing to 1100 m over 100 km: crosses 500 m at 40 km
    tr = path("T0300", (49.99, 20.5), (50.89, 20.5), speed=100.0, dt=5.0, alt=(100.0, 1100.0))
    ev = AirspaceMonitor([r], []).process(tr)
    assert kinds(ev) == ["zone_entry", "zone_exit"]
    assert all(e.severity == "warning" for e in ev)
    assert ev[0].message == "Unidentified track T0300 entered restricted area R-1"
    dist = tr[-1].time - tr[0].time  # the path's total time at 100 m/s ~ 1000 s
    t_500 = tr[0].time + (500.0 - 100.0) / (1000.0 / dist) / 1.0
    assert ev[1].time == pytest.approx(t_500, abs=2.0)
    assert ev[1].details["reason"] == "exited"
    assert ev[1].position is not None and ev[1].position.alt == pytest.approx(500.0, abs=1.0)


# --------------------------------------------------------------------------- the stream


def test_streaming_equals_batch_and_is_deterministic(zones):
    tracks = (
        legs("T0003", [BREST, BIALA, BREST, (52.12, 24.10)], speed=50.0, dt=5.0)
        + path("T0010", BREST, BIALA, speed=50.0, dt=5.0, transponder=LOT)
        + path("T0005", (52.2, 21.0), (52.3, 21.2), speed=50.0, dt=5.0, t0=T0 + 33.0)
        + path("T0004", BREST, BIALA, speed=45.0, dt=4.0, lost=False, t0=T0 + 7.0)
    )
    tracks.sort(key=lambda t: t.time)
    a = monitor(zones)
    batch = a.process(tracks) + a.finish(T0 + 3600.0)
    b = monitor(zones)
    stream: list[Event] = []
    times = sorted({t.time for t in tracks})
    for now in times:
        stream += b.process([t for t in tracks if t.time == now])
    stream += b.finish(T0 + 3600.0)
    key = sorted((e.id, e.time, e.kind, str(e.details)) for e in batch)
    assert key == sorted((e.id, e.time, e.kind, str(e.details)) for e in stream)
    assert [e.time for e in batch] == sorted(e.time for e in batch)
    assert len({e.id for e in batch}) == len(batch)
    assert a.incursions() == b.incursions()
    assert batch == (lambda m: m.process(tracks) + m.finish(T0 + 3600.0))(monitor(zones))


def test_out_of_order_states_are_counted_not_used(toy):
    m = AirspaceMonitor(toy, ["AAA"])
    rows = [(0.0, 50.5, 11.5), (10.0, 50.5, 11.2)]
    m.process(states("T0103", rows, lost=False))
    assert m.process(states("T0103", [(5.0, 50.5, 10.5)], lost=False)) == []
    assert m.out_of_order == 1 and m.incursions() == []


def test_watching_a_country_without_its_zone_is_an_error(zones):
    with pytest.raises(ValueError, match="LVA"):
        AirspaceMonitor(zones, ["POL", "LVA"])
