"""The vocabulary: every message round-trips, and bad input names its field."""

from __future__ import annotations

import re

import msgspec
import pytest

from dronewall.model import (
    BearingOnly,
    Detection,
    EnuPosition,
    Event,
    GeodeticPosition,
    GeoPoint,
    RangeBearing,
    Sensor,
    Tdoa,
    Track,
    Transponder,
    TruthState,
    Zone,
    decode,
    encode,
    measurement_dim,
)

ORIGIN = GeoPoint(lat=52.0, lon=23.0, alt=100.0)
I6 = [[1.0 if i == j else 0.0 for j in range(6)] for i in range(6)]


def diag(*v: float) -> list[list[float]]:
    return [[v[i] if i == j else 0.0 for j in range(len(v))] for i in range(len(v))]


MESSAGES = [
    Sensor(id="r1", kind="radar", position=ORIGIN, max_range_m=250e3, period_s=10.0),
    Detection(id="d1", sensor_id="r1", time=1.7e9, frame=4, snr_db=12.0,
              measurement=RangeBearing(range=9e4, azimuth=80.0, elevation=0.5, origin=ORIGIN),
              covariance=diag(75.0**2, 0.15**2, 0.4**2)),
    Detection(id="d2", sensor_id="r2", time=1.7e9,
              measurement=RangeBearing(range=9e4, azimuth=80.0, origin=ORIGIN),
              covariance=diag(75.0**2, 0.15**2)),
    Detection(id="d3", sensor_id="adsb", time=1.7e9,
              measurement=GeodeticPosition(lat=52.1, lon=21.0, alt=11000.0),
              covariance=diag(225.0, 225.0, 500.0),
              transponder=Transponder(icao24="48ae01", callsign="LOT3", squawk="2000")),
    Detection(id="d4", sensor_id="ac1", time=1.7e9, class_probs={"shahed-class": 0.8},
              measurement=BearingOnly(azimuth=120.0, elevation=10.0, origin=ORIGIN),
              covariance=diag(9.0, 9.0)),
    Detection(id="d5", sensor_id="ac1", time=1.7e9,
              measurement=Tdoa(tdoa=0.01, origin=ORIGIN, origin2=ORIGIN, sensor2_id="ac2"),
              covariance=diag(1e-6)),
    Detection(id="d6", sensor_id="x", time=1.7e9,
              measurement=EnuPosition(e=1.0, n=2.0, u=3.0, origin=ORIGIN),
              covariance=diag(1, 1, 1)),
    Track(id="T1", time=1.7e9, status="confirmed", lat=52.0, lon=23.0, alt=500.0, ve=40.0,
          vn=0.0, vu=0.0, covariance=I6, born=1.7e9 - 60, hits=7, sensors=["r1"],
          class_label="shahed"),
    Zone(id="z", name="Z", kind="restricted",
         geometry={"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}),
    Event(id="e", time=1.7e9, kind="incursion_start", message="m", track_id="T1",
          country="POL", position=ORIGIN, severity="critical", details={"entry_from": "BLR"}),
    TruthState(target_id="g1", time=1.7e9, lat=52.0, lon=23.0, alt=500.0, target_type="gerbera"),
]


@pytest.mark.parametrize("msg", MESSAGES, ids=lambda m: type(m).__name__)
def test_round_trip(msg):
    back = decode(encode(msg))
    assert type(back) is type(msg) and back == msg


def test_measurement_dims():
    assert [measurement_dim(m.measurement) for m in MESSAGES[1:7]] == [3, 2, 3, 2, 1, 3]


def bad(data: bytes) -> str:
    with pytest.raises(msgspec.ValidationError) as info:
        decode(data)
    return str(info.value)


def test_errors_name_the_field():
    good = encode(MESSAGES[1])
    assert "$.measurement.range" in bad(good.replace(b'"range":90000.0', b'"range":"far"'))
    assert "$.time" in bad(good.replace(b'"time":1700000000.0', b'"time":-5.0'))
    assert "unknown field `colour`" in bad(good[:-1] + b',"colour":"red"}')
    assert "sensor_id" in bad(good.replace(b'"sensor_id":"r1",', b""))
    origin = b'"origin":{"lat":52.0,"lon":23.0,"alt":100.0}'
    assert "$.measurement.origin.lat" in bad(good.replace(origin, origin.replace(b"52.0", b"95.0")))
    assert "Invalid value 'radar2'" in bad(good.replace(b'"kind":"rbe"', b'"kind":"radar2"'))


def test_covariance_is_checked():
    d = msgspec.json.decode(encode(MESSAGES[1]))
    d["covariance"] = [[5625.0, 0.0], [0.0, 0.0225]]
    assert "3x3" in bad(msgspec.json.encode(d))
    d["covariance"] = [[5625.0, 1.0, 0.0], [0.0, 0.0225, 0.0], [0.0, 0.0, 0.16]]
    assert "symmetric" in bad(msgspec.json.encode(d))
    d["covariance"] = [[1.0, 5.0, 0.0], [5.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    assert "positive semi-definite" in bad(msgspec.json.encode(d))
    d["covariance"] = [[-1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    assert "positive finite variance" in bad(msgspec.json.encode(d))


def test_newer_schema_version_is_refused():
    d = msgspec.json.decode(encode(MESSAGES[-1]))
    d["v"] = 2
    assert "schema version" in bad(msgspec.json.encode(d))


def test_class_probs_must_be_a_distribution():
    d = msgspec.json.decode(encode(MESSAGES[4]))
    d["class_probs"] = {"a": 0.7, "b": 0.6}
    assert "sum to at most 1" in bad(msgspec.json.encode(d))


def test_zone_geometry_must_be_polygonal():
    d = msgspec.json.decode(encode(MESSAGES[8]))
    d["geometry"] = {"type": "Point", "coordinates": [0, 0]}
    assert "Polygon" in bad(msgspec.json.encode(d))


def test_recommendation_and_decision_round_trip():
    from dronewall.model import Decision, Recommendation

    rec = Recommendation(id="r1", time=1.0, track_id="T1", effector_id="gun-1",
                         effector_type="gun_35mm", verdict="needs_approval",
                         reason="hostile over own territory", rule="roe-3", pk=0.7,
                         cost_usd=8000.0, ec=2e-6, intercept=GeoPoint(lat=52.0, lon=23.0),
                         window_s=(10.0, 40.0))
    assert decode(encode(rec)) == rec
    dec = Decision(id="d1", time=2.0, action="approve", user="anna", role="commander",
                   recommendation_id="r1")
    assert decode(encode(dec)) == dec


@pytest.mark.parametrize("bad, field", [
    (b'{"type":"decision","id":"d","time":1,"action":"approve","user":"u","role":"commander"}',
     "recommendation_id"),
    (b'{"type":"decision","id":"d","time":1,"action":"acknowledge","user":"u",'
     b'"role":"operator"}', "event_id"),
    (b'{"type":"decision","id":"d","time":1,"action":"approve","user":"u","role":"king",'
     b'"recommendation_id":"r"}', "$.role"),
    (b'{"type":"recommendation","id":"r","time":1,"track_id":"T","effector_id":"e",'
     b'"effector_type":"x","verdict":"maybe","reason":""}', "$.verdict"),
])
def test_decision_and_recommendation_validation_names_the_field(bad, field):
    with pytest.raises(msgspec.ValidationError, match=re.escape(field)):
        decode(bad)
