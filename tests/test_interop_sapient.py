"""SAPIENT (BSI Flex 335 v2.0): the schema's numbers, the mapping, the framing, TCP."""

from __future__ import annotations

import asyncio
import io
import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewall.interop.sapient import (
    FrameError,
    FrameStats,
    SapientClient,
    SapientError,
    SapientMessage,
    SapientServer,
    detection_from_sapient,
    detection_report,
    encode_frame,
    messages_to_sapient,
    node_position,
    node_uuid,
    read_frames,
    registration_for,
    sapient_to_messages,
    status_report,
    track_report,
    ulid,
)
from dronewall.interop.sapient.convert import metres_per_degree
from dronewall.interop.sapient.framing import parse_message
from dronewall.interop.sapient.ids import is_ulid, is_uuid
from dronewall.interop.sapient.sapient_msg.bsi_flex_335_v2_0 import (
    detection_report_pb2,
    location_pb2,
    range_bearing_pb2,
    registration_pb2,
)
from dronewall.model.messages import (
    BearingOnly,
    Detection,
    Event,
    GeodeticPosition,
    GeoPoint,
    RangeBearing,
    Sensor,
    Tdoa,
    Track,
)

POS = GeoPoint(lat=52.2297, lon=21.0122, alt=110.0)
NODE = Sensor(id="ac-7", kind="acoustic", position=POS, name="Acoustic 7", period_s=1.0,
              max_range_m=5000.0)
RADAR = Sensor(id="r-1", kind="radar", position=POS, name="Radar 1", period_s=4.0)
T0 = 1_757_460_000.125


def diag(*v: float) -> list[list[float]]:
    return [[v[i] if i == j else 0.0 for j in range(len(v))] for i in range(len(v))]


# --------------------------------------------------------------------------- the schema


def test_field_numbers_are_the_standards():
    """Numbers from the official bsi_flex_335_v2_0 .proto files (Dstl)."""
    fields = {f.name: f.number for f in SapientMessage.DESCRIPTOR.fields}
    assert fields == {"timestamp": 1, "node_id": 2, "destination_id": 3, "registration": 4,
                      "registration_ack": 5, "status_report": 6, "detection_report": 7,
                      "task": 8, "task_ack": 9, "alert": 10, "alert_ack": 11, "error": 12,
                      "additional_information": 13}
    assert SapientMessage.DESCRIPTOR.full_name == "sapient_msg.bsi_flex_335_v2_0.SapientMessage"
    dr = {f.name: f.number for f in detection_report_pb2.DetectionReport.DESCRIPTOR.fields}
    assert (dr["report_id"], dr["object_id"], dr["range_bearing"], dr["location"],
            dr["classification"], dr["object_info"], dr["enu_velocity"], dr["id"]) == (
        1, 2, 5, 6, 11, 10, 19, 23)
    rb = {f.name: f.number for f in range_bearing_pb2.RangeBearing.DESCRIPTOR.fields}
    assert rb == {"elevation": 1, "azimuth": 2, "range": 3, "elevation_error": 4,
                  "azimuth_error": 5, "range_error": 6, "coordinate_system": 7, "datum": 8}
    assert registration_pb2.Registration.NODE_TYPE_ACOUSTIC == 6
    assert registration_pb2.Registration.NODE_TYPE_FUSION_NODE == 20
    assert location_pb2.LOCATION_COORDINATE_SYSTEM_UTM_M == 5
    assert range_bearing_pb2.RANGE_BEARING_COORDINATE_SYSTEM_RADIANS_KM == 4


def test_wire_bytes_and_frame_prefix():
    msg = SapientMessage(node_id="a")
    msg.registration_ack.acceptance = True
    # field 2 (string "a"), field 5 (message of field 1 varint 1)
    assert msg.SerializeToString() == b"\x12\x01a\x2a\x02\x08\x01"
    frame = encode_frame(msg)
    assert frame[:4] == struct.pack("<I", 7) and frame[4:] == msg.SerializeToString()


def test_ids():
    assert is_uuid(node_uuid("ac-7")) and node_uuid("ac-7") == node_uuid("ac-7")
    u = ulid(T0, "x")
    assert is_ulid(u) and u == ulid(T0, "x") and u != ulid(T0, "y")
    assert ulid(T0, "x") < ulid(T0 + 1.0, "x")  # ULIDs sort by time
    assert ulid(0.0, "k")[:10] == "0000000000"


# --------------------------------------------------------------------------- ours -> SAPIENT


def test_registration_of_acoustic_and_radar_nodes():
    reg = registration_for(NODE, time=T0).registration
    assert [d.node_type for d in reg.node_definition] == [
        registration_pb2.Registration.NODE_TYPE_ACOUSTIC]
    assert reg.icd_version == "BSI Flex 335 v2.0"
    assert any(c.value == "bearing" for c in reg.capabilities)
    det = reg.mode_definition[0].detection_definition[0]
    assert det.location_type.range_bearing_units == \
        range_bearing_pb2.RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_M
    assert det.geometric_error.type == "Standard Deviation"
    names = [c.type for c in det.detection_class_definition[0].class_definition]
    assert "shahed" in names and "multicopter" in names
    radar = registration_for(RADAR, time=T0).registration
    assert radar.node_definition[0].node_type == registration_pb2.Registration.NODE_TYPE_RADAR
    assert radar.mode_definition[0].scan_type == registration_pb2.Registration.SCAN_TYPE_SCANNING


def test_bearing_detection_report():
    det = Detection(id="d1", sensor_id="ac-7", time=T0,
                    measurement=BearingOnly(azimuth=-30.0, elevation=12.0, origin=POS),
                    covariance=diag(4.0, 9.0), class_probs={"shahed": 0.8, "bird": 0.1})
    msg = detection_report(det, node_id=node_uuid("ac-7"))
    rep = msg.detection_report
    assert msg.timestamp.seconds == 1_757_460_000 and msg.timestamp.nanos == 125_000_000
    assert rep.range_bearing.azimuth == 330.0 and rep.range_bearing.azimuth_error == 2.0
    assert rep.range_bearing.elevation == 12.0 and rep.range_bearing.elevation_error == 3.0
    assert not rep.range_bearing.HasField("range")
    assert rep.range_bearing.datum == range_bearing_pb2.RANGE_BEARING_DATUM_TRUE
    assert {c.type: round(c.confidence, 6) for c in rep.classification} == {
        "shahed": 0.8, "bird": 0.1}
    assert is_ulid(rep.report_id) and is_ulid(rep.object_id)


def test_geodetic_errors_are_degrees():
    det = Detection(id="a1", sensor_id="adsb-1", time=T0,
                    measurement=GeodeticPosition(lat=52.0, lon=21.0, alt=3000.0),
                    covariance=diag(100.0, 400.0, 900.0))
    loc = detection_report(det, node_id=node_uuid("adsb-1")).detection_report.location
    assert (loc.x, loc.y, loc.z) == (21.0, 52.0, 3000.0)
    # one degree of latitude is ~111.3 km at 52 N, one of longitude ~68.7 km
    assert loc.y_error * 111_300 == pytest.approx(20.0, rel=2e-3)
    assert loc.x_error * 68_700 == pytest.approx(10.0, rel=3e-3)
    assert loc.z_error == 30.0


def test_tdoa_has_no_sapient_form():
    det = Detection(id="t", sensor_id="ac-7", time=T0,
                    measurement=Tdoa(tdoa=0.1, origin=POS, origin2=POS, sensor2_id="ac-8"),
                    covariance=[[1e-6]])
    with pytest.raises(SapientError, match="TDOA"):
        detection_report(det, node_id=node_uuid("ac-7"))


def test_track_report():
    tr = Track(id="T12", time=T0, status="confirmed", lat=52.0, lon=21.0, alt=500.0,
               ve=30.0, vn=-5.0, vu=0.0, covariance=diag(400, 400, 900, 4, 4, 1), born=T0 - 60,
               class_label="shahed", identity="hostile")
    a = track_report(tr, node_id="n").detection_report
    b = track_report(Track(**{**{f: getattr(tr, f) for f in tr.__struct_fields__},
                              "time": T0 + 5}), node_id="n").detection_report
    assert a.object_id == b.object_id and a.report_id != b.report_id  # one object per track
    assert a.enu_velocity.east_rate == 30.0 and a.enu_velocity.north_rate_error == 2.0
    assert {i.type: i.value for i in a.track_info}["identity"] == "hostile"


# --------------------------------------------------------------------------- SAPIENT -> ours


def _rb_msg(**fields) -> SapientMessage:
    msg = SapientMessage(node_id="n1")
    msg.timestamp.seconds = 100
    msg.detection_report.report_id = ulid(100, "r")
    rb = msg.detection_report.range_bearing
    rb.datum = range_bearing_pb2.RANGE_BEARING_DATUM_TRUE
    for k, v in fields.items():
        setattr(rb, k, v)
    return msg


def test_radians_and_kilometres_are_converted():
    msg = _rb_msg(azimuth=math.pi / 2, azimuth_error=0.01, range=12.5, range_error=0.05,
                  coordinate_system=range_bearing_pb2.RANGE_BEARING_COORDINATE_SYSTEM_RADIANS_KM)
    det = detection_from_sapient(msg, sensor_positions={"n1": POS})
    assert isinstance(det.measurement, RangeBearing)
    assert det.measurement.azimuth == pytest.approx(90.0)
    assert det.measurement.range == pytest.approx(12_500.0)
    assert det.covariance[0][0] == pytest.approx(50.0**2)
    assert det.covariance[1][1] == pytest.approx(math.degrees(0.01) ** 2)
    assert det.measurement.origin == POS and det.time == 100.0 and det.sensor_id == "n1"


@pytest.mark.parametrize(("change", "field"), [
    ({"datum": range_bearing_pb2.RANGE_BEARING_DATUM_MAGNETIC}, "datum"),
    ({"coordinate_system": 0}, "coordinate_system"),
])
def test_unsupported_range_bearing_is_refused(change, field):
    msg = _rb_msg(azimuth=10.0,
                  coordinate_system=range_bearing_pb2.RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_M)
    for k, v in change.items():
        setattr(msg.detection_report.range_bearing, k, v)
    with pytest.raises(SapientError, match=field):
        detection_from_sapient(msg, sensor_positions={"n1": POS})


def test_unknown_node_position_and_missing_timestamp_are_refused():
    msg = _rb_msg(azimuth=10.0,
                  coordinate_system=range_bearing_pb2.RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_M)
    with pytest.raises(SapientError, match="no known position"):
        detection_from_sapient(msg, sensor_positions={})
    msg.ClearField("timestamp")
    with pytest.raises(SapientError, match="timestamp"):
        detection_from_sapient(msg, sensor_positions={"n1": POS})


def test_utm_location():
    msg = SapientMessage(node_id="n1")
    msg.timestamp.seconds = 100
    msg.detection_report.report_id = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
    loc = msg.detection_report.location
    # the central meridian of zone 34 is 21 E: easting 500 km, northing 0 is (0 N, 21 E)
    loc.x, loc.y, loc.z, loc.x_error, loc.y_error, loc.z_error = 500_000.0, 0.0, 50.0, 7, 8, 9
    loc.coordinate_system = location_pb2.LOCATION_COORDINATE_SYSTEM_UTM_M
    loc.datum = location_pb2.LOCATION_DATUM_WGS84_E
    loc.utm_zone = "34N"
    det = detection_from_sapient(msg, sensor_positions={})
    assert det.measurement.lat == pytest.approx(0.0, abs=1e-9)
    assert det.measurement.lon == pytest.approx(21.0, abs=1e-9)
    assert [det.covariance[i][i] for i in range(3)] == [49.0, 64.0, 81.0]
    loc.utm_zone = "99Q"
    with pytest.raises(SapientError, match="utm_zone"):
        detection_from_sapient(msg, sensor_positions={})


angles = st.floats(0.0, 359.999, allow_nan=False)
sigmas = st.floats(0.01, 30.0, allow_nan=False)
probs = st.dictionaries(st.sampled_from(["shahed", "jet", "bird", "multicopter"]),
                        st.floats(0.0, 0.25, allow_nan=False), max_size=4)
times = st.floats(1.0e9, 2.0e9, allow_nan=False)


@st.composite
def detections(draw) -> Detection:
    kind = draw(st.sampled_from(["bearing", "bearing2", "rbe", "geodetic"]))
    if kind.startswith("bearing"):
        el = draw(st.floats(-89.0, 89.0)) if kind == "bearing2" else None
        m = BearingOnly(azimuth=draw(angles), elevation=el, origin=POS)
        cov = diag(*[draw(sigmas) ** 2 for _ in range(1 if el is None else 2)])
    elif kind == "rbe":
        m = RangeBearing(range=draw(st.floats(1.0, 4e5)), azimuth=draw(angles),
                         elevation=draw(st.floats(-10.0, 80.0)), origin=POS)
        cov = diag(draw(sigmas) ** 2 * 100, draw(sigmas) ** 2, draw(sigmas) ** 2)
    else:
        m = GeodeticPosition(lat=draw(st.floats(-80.0, 80.0)), lon=draw(st.floats(-179.9, 179.9)),
                             alt=draw(st.floats(-100.0, 2e4)))
        cov = diag(*[(draw(sigmas) * 10) ** 2 for _ in range(3)])
    return Detection(id="x", sensor_id="ac-7", time=draw(times), measurement=m, covariance=cov,
                     class_probs=draw(probs) or None,
                     snr_db=draw(st.none() | st.floats(-10, 60)),
                     frame=draw(st.none() | st.integers(0, 2**31)))


@settings(max_examples=150, deadline=None)
@given(detections())
def test_round_trip_detection_sapient_detection(det):
    node = node_uuid(det.sensor_id)
    wire = detection_report(det, node_id=node).SerializeToString()
    back = detection_from_sapient(parse_message(wire), sensor_positions={node: POS})
    assert type(back.measurement) is type(det.measurement)
    assert back.time == pytest.approx(det.time, abs=1e-6)
    for f in det.measurement.__struct_fields__:
        a, b = getattr(det.measurement, f), getattr(back.measurement, f)
        if isinstance(a, float):
            assert b == pytest.approx(a, abs=1e-9), f
        else:
            assert a == b, f
    for i, row in enumerate(det.covariance):
        assert back.covariance[i][i] == pytest.approx(row[i], rel=1e-9)
    assert (back.class_probs or {}).keys() == (det.class_probs or {}).keys()
    for k, p in (det.class_probs or {}).items():
        assert back.class_probs[k] == pytest.approx(p, abs=1e-6)
    assert back.snr_db == det.snr_db and back.frame == det.frame


def test_metres_per_degree_matches_geodesic():
    from pyproj import Geod

    g = Geod(ellps="WGS84")
    me, mn = metres_per_degree(52.0)
    assert g.inv(21.0, 51.9995, 21.0, 52.0005)[2] / 0.001 == pytest.approx(mn, rel=1e-6)
    assert g.inv(20.9995, 52.0, 21.0005, 52.0)[2] / 0.001 == pytest.approx(me, rel=1e-6)


# --------------------------------------------------------------------------- framing, fuzz


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_garbage_payloads_raise_frame_error_or_parse(data):
    try:
        msg = parse_message(data)
    except FrameError as exc:
        assert exc.reason in ("undecodable", "no_content")
    else:
        assert msg.WhichOneof("content") is not None


def test_recorded_stream_counts_bad_frames_and_goes_on():
    good = encode_frame(status_report(NODE, node_id="n", time=T0))
    garbage = struct.pack("<I", 5) + b"\xff\xff\xff\xff\xff"
    empty = encode_frame(SapientMessage(node_id="n"))
    stats = FrameStats()
    out = list(read_frames(io.BytesIO(good + garbage + empty + good + b"\x10\x00"), stats=stats))
    assert len(out) == 2 and stats.messages == 2
    assert stats.bad == {"undecodable": 1, "no_content": 1, "truncated": 1}
    stats = FrameStats()
    big = struct.pack("<I", 50_000_000) + b"x" * 10
    assert list(read_frames(io.BytesIO(good + big + good), stats=stats)) != []
    assert stats.bad == {"oversized": 1} and stats.messages == 1


def test_stream_round_trip_through_sapient():
    dets = [Detection(id=f"d{i}", sensor_id="ac-7", time=T0 + i,
                      measurement=BearingOnly(azimuth=10.0 * i, origin=POS),
                      covariance=[[4.0]], class_probs={"jet": 0.5}) for i in range(5)]
    ev = Event(id="e", time=T0, kind="alert", message="m")
    tdoa = Detection(id="t", sensor_id="ac-7", time=T0,
                     measurement=Tdoa(tdoa=0.1, origin=POS, origin2=POS, sensor2_id="b"),
                     covariance=[[1e-6]])
    from collections import Counter

    skipped: Counter[str] = Counter()
    data = b"".join(messages_to_sapient([NODE, *dets, ev, tdoa], skipped=skipped))
    assert skipped == {"event": 1, "detection (tdoa)": 1}
    out = list(sapient_to_messages(io.BytesIO(data)))
    sensor, back = out[0], out[1:]
    assert isinstance(sensor, Sensor) and sensor.kind == "acoustic" and sensor.position == POS
    assert sensor.id == node_uuid("ac-7")
    assert [d.measurement.azimuth for d in back] == [0.0, 10.0, 20.0, 30.0, 40.0]


# --------------------------------------------------------------------------- TCP


def test_server_registers_nodes_and_yields_detections():
    async def scenario() -> None:
        server_id = node_uuid("fusion")
        async with SapientServer(node_id=server_id, clock=lambda: T0) as server:
            node = node_uuid(NODE.id)
            async with SapientClient("127.0.0.1", server.port) as client:
                # a detection before registering is refused with a SAPIENT Error
                det = Detection(id="d0", sensor_id=NODE.id, time=T0,
                                measurement=BearingOnly(azimuth=45.0, origin=POS),
                                covariance=[[9.0]])
                await client.send(detection_report(det, node_id=node))
                err = await client.receive()
                assert err is not None and err.WhichOneof("content") == "error"
                assert "has not registered" in err.error.error_message[0]

                ack = await client.register(registration_for(NODE, time=T0))
                assert ack.registration_ack.acceptance
                assert ack.destination_id == node and ack.node_id == server_id
                await client.send(status_report(NODE, time=T0))
                sent = []
                for i in range(3):
                    d = Detection(id=f"d{i}", sensor_id=NODE.id, time=T0 + i,
                                  measurement=BearingOnly(azimuth=100.0 + i, elevation=5.0,
                                                          origin=POS),
                                  covariance=diag(4.0, 16.0), class_probs={"shahed": 0.9})
                    sent.append(d)
                    await client.send(detection_report(d, node_id=node))
                # garbage inside a well-formed frame: counted, answered, connection survives
                await client.send_raw(struct.pack("<I", 4) + b"\xff\xff\xff\xff")
                err = await client.receive()
                assert err is not None and err.WhichOneof("content") == "error"
                await client.send(detection_report(sent[0], node_id=node))
                got = [await asyncio.wait_for(server.detections.get(), 5) for _ in range(4)]
                for d, g in zip([*sent, sent[0]], got, strict=True):
                    assert g.sensor_id == node and g.time == pytest.approx(d.time)
                    assert g.measurement.azimuth == pytest.approx(d.measurement.azimuth)
                    assert g.measurement.origin == POS
                    assert g.covariance == d.covariance
                    assert g.class_probs["shahed"] == pytest.approx(0.9, abs=1e-6)
                assert server.stats.bad_frames == {"undecodable": 1}
                assert server.stats.rejected == {"unregistered": 1}
                assert server.stats.detections == 4

                # an oversized frame closes this connection cleanly (after an Error)
                await client.send_raw(struct.pack("<I", 10_000_000))
                err = await client.receive()
                assert err is not None and err.WhichOneof("content") == "error"
                assert await client.receive() is None
                assert server.stats.bad_frames["oversized"] == 1

            # the server goes on serving other connections
            async with SapientClient("127.0.0.1", server.port) as again:
                bad = registration_for(NODE, time=T0)
                bad.registration.ClearField("icd_version")
                ack = await again.register(bad)
                assert not ack.registration_ack.acceptance
                assert "icd_version" in ack.registration_ack.ack_response_reason[0]

    asyncio.run(asyncio.wait_for(scenario(), 20))


def test_node_position_from_status_report():
    msg = status_report(NODE, time=T0, position_sigma_m=5.0)
    assert node_position(msg) == POS
    assert node_position(registration_for(NODE)) is None
