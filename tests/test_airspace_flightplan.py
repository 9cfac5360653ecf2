"""Flight plans: the file format, its errors, and whether a track keeps to its plan."""

import math

import numpy as np
import pytest

from dronewall.airspace.flightplan import (
    DataFileError,
    FlightPlans,
    distance_to_route_m,
    load_flight_plans,
    scenario_flight_plans,
)
from dronewall.model import Track, Transponder
from dronewall.timeutil import parse_iso

COV = [[100.0 if i == j else 0.0 for j in range(6)] for i in range(6)]
T0 = parse_iso("2025-09-19T06:44:00Z")

PLANS = """\
version: 1
flight_plans:
  - id: BTI7AH
    callsign: BTI7AH
    icao24: 502cc4
    departure: {lat: 57.75, lon: 24.4, time: 2025-09-19T06:44:00Z}
    route:
      - {lat: 59.2, lon: 24.72, time: "2025-09-19T06:55:47Z"}
    destination: {lat: 60.05, lon: 24.9, time: "2025-09-19T07:02:41Z"}
    corridor_km: 20
    time_margin_s: 600
  - id: MIL1
    icao24: 48c001
    operator: own_military
    departure: {lat: 52.0, lon: 20.0}
    destination: {lat: 53.0, lon: 21.0}
"""


def state(lat, lon, t, icao="502cc4", callsign="BTI7AH") -> Track:
    return Track(id="T1", time=t, status="confirmed", lat=lat, lon=lon, alt=10500.0, ve=0.0,
                 vn=230.0, vu=0.0, covariance=COV, born=T0,
                 transponder=Transponder(icao24=icao, callsign=callsign, squawk="1000"))


def test_distance_to_route_cross_track_and_ends():
    lat = np.array([0.0, 0.0])
    lon = np.array([0.0, 10.0])
    # 1 deg north of the middle of an equatorial leg: 1 deg of arc
    assert distance_to_route_m(1.0, 5.0, lat, lon) == pytest.approx(
        math.radians(1.0) * 6_371_008.8, rel=1e-6)
    # beyond the end: the distance to the end vertex, not to the great circle
    assert distance_to_route_m(0.0, 12.0, lat, lon) == pytest.approx(
        math.radians(2.0) * 6_371_008.8, rel=1e-6)


def test_match_deviation_and_none():
    plans = FlightPlans(load_flight_plans("plans.yaml", PLANS))
    on = plans.check(state(58.5, 24.56, T0 + 300))
    assert on.status == "match" and on.plan_id == "BTI7AH" and on.operator == "civil"
    assert on.cross_track_km is not None and on.cross_track_km < 2.0
    off = plans.check(state(58.5, 25.5, T0 + 300))  # ~55 km east of the route
    assert off.status == "deviation" and "off the route" in off.reason
    late = plans.check(state(58.5, 24.56, T0 + 3 * 3600))
    assert late.status == "deviation" and "time window" in late.reason
    # found by callsign alone (no ICAO address match), case-insensitive
    assert plans.check(state(58.5, 24.56, T0 + 300, icao="abcdef",
                             callsign="bti7ah")).status == "match"
    assert plans.check(state(58.5, 24.56, T0, icao="abcdef", callsign="X")).status == "none"
    # a plan without times is valid at any time
    mil = plans.check(state(52.5, 20.5, T0 + 1e6, icao="48C001", callsign=None))
    assert mil.status == "match" and mil.operator == "own_military"


def test_shipped_scenario_plans_load():
    plans = scenario_flight_plans("estonia-2025-09-19")
    assert {p.callsign for p in plans} == {"BTI7AH", "FIN3LT"}
    for name in ("alaska-adiz", "poland-2025-09-10", "romania-2025-09-13"):
        assert scenario_flight_plans(name)
    assert scenario_flight_plans("no-such-scenario") == []


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("version: 2\nflight_plans: []\n", "plans.yaml:1: version: version 2"),
        ("version: 1\nflight_plans:\n  - id: A\n    callsign: A\n    colour: red\n",
         "plans.yaml:5: flight_plans[0].colour: unknown key"),
        ("version: 1\nflight_plans:\n  - id: A\n    departure: {lat: 1, lon: 2}\n"
         "    destination: {lat: 1, lon: 3}\n",
         "plans.yaml:3: flight_plans[0]: a plan names the aircraft"),
        ("version: 1\nflight_plans:\n  - id: A\n    icao24: xyz\n"
         "    departure: {lat: 1, lon: 2}\n    destination: {lat: 1, lon: 3}\n",
         "plans.yaml:4: flight_plans[0].icao24: 'xyz' is not 6 hex digits"),
        ("version: 1\nflight_plans:\n  - id: A\n    callsign: A\n"
         "    departure: {lat: 100, lon: 2}\n    destination: {lat: 1, lon: 3}\n",
         "plans.yaml:5: flight_plans[0].departure.lat: Expected `float` <= 90.0"),
        ("version: 1\nflight_plans:\n  - id: A\n    callsign: A\n"
         "    departure: {lat: 1, lon: 2, time: '2025-09-19T07:00:00Z'}\n"
         "    destination: {lat: 1, lon: 3, time: '2025-09-19T06:00:00Z'}\n",
         "plans.yaml:6: flight_plans[0].destination.time: times must increase"),
        ("version: 1\nflight_plans:\n  - id: A\n    callsign: A\n"
         "    departure: {lat: 1, lon: 2, time: 'noon'}\n    destination: {lat: 1, lon: 3}\n",
         "plans.yaml:5: flight_plans[0].departure.time:"),
        ("version: 1\nflight_plans: [\n", "plans.yaml:3: (yaml):"),
        ("version: 1\nversion: 1\n", "plans.yaml:2: (yaml): duplicate key 'version'"),
    ],
)
def test_errors_name_file_line_and_field(text, where):
    with pytest.raises(DataFileError) as e:
        load_flight_plans("plans.yaml", text)
    assert str(e.value).startswith(where), str(e.value)
