"""Our messages as SAPIENT (BSI Flex 335 v2.0) messages, and SAPIENT detections as ours.

What goes where (``SapientMessage`` wraps every message: ``timestamp``, ``node_id`` UUID,
``destination_id``, one ``content``):

- :class:`~dronewall.model.Sensor` -> ``Registration`` (node type ACOUSTIC for an acoustic
  node, RADAR, PASSIVE_RF for an ADS-B receiver, CAMERA for EO; capabilities; one default
  mode whose detection definition declares the location type, the classes and the error
  convention) and ``StatusReport`` (``node_location``: where the node stands).
- :class:`~dronewall.model.Detection` -> ``DetectionReport``: ``BearingOnly`` and
  ``RangeBearing`` as ``range_bearing`` (azimuth clockwise from true north, elevation above
  the horizon, degrees; range in metres: coordinate system DEGREES_M, datum TRUE);
  ``GeodeticPosition`` (and ``EnuPosition``, converted) as ``location`` (x = longitude,
  y = latitude in decimal degrees, z = metres above the WGS84 ellipsoid: LAT_LNG_DEG_M,
  WGS84_E). ``class_probs`` become the ``classification`` list; transponder, SNR and scan
  number travel as ``object_info`` (type, value). ``Tdoa`` has no SAPIENT form.
- :class:`~dronewall.model.Track` -> ``DetectionReport`` of a fusion node: stable
  ``object_id`` per track, ``location``, ``enu_velocity`` (m/s), classification, identity.

Errors. The schema says only "azimuth error", "x-coordinate error"; we read and write them
as **one standard deviation in the units of the value** (degrees for angles and for
latitude/longitude, metres for range and altitude), and say so in the registration
(``geometric_error.type = "Standard Deviation"``). A location's degree errors are converted
from/to our ENU metres with the ellipsoid's radii of curvature at the point. Only the
diagonal of our covariance survives: SAPIENT carries no correlations.

Time. A ``DetectionReport`` has no time of its own: the wrapper's ``timestamp`` is the
detection's time (when the thing was measured), never the wall clock.

Reverse (:func:`detection_from_sapient`): radians and kilometres are converted to degrees
and metres; magnetic, grid or platform north, geoid heights and UTM without a zone are
refused with a :class:`SapientError` naming the field (we cannot convert them faithfully
offline). A range-bearing report needs the node's position (from its ``StatusReport``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
import numpy as np

from dronewall.geo.frames import WGS84, LocalFrame
from dronewall.interop.sapient.ids import node_uuid, ulid
from dronewall.interop.sapient.sapient_msg.bsi_flex_335_v2_0 import (
    detection_report_pb2,
    location_pb2,
    range_bearing_pb2,
    registration_pb2,
    sapient_message_pb2,
    status_report_pb2,
)
from dronewall.model.messages import (
    BearingOnly,
    Detection,
    EnuPosition,
    GeodeticPosition,
    GeoPoint,
    RangeBearing,
    Sensor,
    Tdoa,
    Track,
)

SapientMessage = sapient_message_pb2.SapientMessage
Registration = registration_pb2.Registration
DetectionReport = detection_report_pb2.DetectionReport
StatusReport = status_report_pb2.StatusReport
Location = location_pb2.Location
RangeBearingPb = range_bearing_pb2.RangeBearing

ICD_VERSION = "BSI Flex 335 v2.0"
NODE_TYPES: dict[str, int] = {
    "acoustic": Registration.NODE_TYPE_ACOUSTIC,
    "radar": Registration.NODE_TYPE_RADAR,
    "adsb": Registration.NODE_TYPE_PASSIVE_RF,
    "eo": Registration.NODE_TYPE_CAMERA,
    "sapient": Registration.NODE_TYPE_OTHER,
    "other": Registration.NODE_TYPE_OTHER,
}
# What the acoustic node's classifier can say (acoustic.classifier.LABELS).
DEFAULT_CLASSES = ("shahed", "gerbera", "jet", "propeller_aircraft", "helicopter",
                   "multicopter", "bird", "background")
_DEG_M = range_bearing_pb2.RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_M
_TRUE = range_bearing_pb2.RANGE_BEARING_DATUM_TRUE
_LL_DEG_M = location_pb2.LOCATION_COORDINATE_SYSTEM_LAT_LNG_DEG_M
_WGS84_E = location_pb2.LOCATION_DATUM_WGS84_E
# (degrees per unit of angle, metres per unit of range) of each range-bearing system.
_RB_UNITS = {
    range_bearing_pb2.RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_M: (1.0, 1.0),
    range_bearing_pb2.RANGE_BEARING_COORDINATE_SYSTEM_RADIANS_M: (180.0 / math.pi, 1.0),
    range_bearing_pb2.RANGE_BEARING_COORDINATE_SYSTEM_DEGREES_KM: (1.0, 1000.0),
    range_bearing_pb2.RANGE_BEARING_COORDINATE_SYSTEM_RADIANS_KM: (180.0 / math.pi, 1000.0),
}
_OBJECT_INFO = ("icao24", "callsign", "squawk")


class SapientError(ValueError):
    """A SAPIENT message we cannot turn into ours (or ours into SAPIENT); names the field."""


# --------------------------------------------------------------------------- helpers


def set_time(msg: SapientMessage, t: float) -> None:
    """Set the wrapper's ``timestamp`` from POSIX seconds (nanosecond resolution)."""
    sec = math.floor(t)
    msg.timestamp.seconds = sec
    msg.timestamp.nanos = min(round((t - sec) * 1e9), 999_999_999)


def get_time(msg: SapientMessage) -> float:
    """POSIX seconds of the wrapper's ``timestamp``; a missing one is an error."""
    if not msg.HasField("timestamp"):
        raise SapientError("timestamp: missing (mandatory)")
    return msg.timestamp.seconds + msg.timestamp.nanos * 1e-9


def metres_per_degree(lat: float) -> tuple[float, float]:
    """(east, north) metres per degree of longitude / latitude at ``lat`` on WGS84."""
    phi = math.radians(max(-89.999, min(89.999, lat)))
    e2 = WGS84.eccentricity**2
    w = math.sqrt(1.0 - e2 * math.sin(phi) ** 2)
    n = WGS84.semimajor_axis / w  # prime vertical radius of curvature
    m = WGS84.semimajor_axis * (1.0 - e2) / w**3  # meridian radius of curvature
    return math.radians(1.0) * n * math.cos(phi), math.radians(1.0) * m


def _sigmas(cov: list[list[float]]) -> list[float]:
    return [math.sqrt(cov[i][i]) for i in range(len(cov))]


def _duration(seconds: float) -> Registration.Duration:
    return Registration.Duration(units=Registration.TIME_UNITS_SECONDS, value=seconds)


def _wrap(node_id: str, t: float) -> SapientMessage:
    msg = SapientMessage(node_id=node_id)
    set_time(msg, t)
    return msg


# --------------------------------------------------------------------------- ours -> SAPIENT


def registration_for(sensor: Sensor, *, node_id: str | None = None, time: float = 0.0,
                     classes: Sequence[str] | None = None) -> SapientMessage:
    """The ``Registration`` a sensor of ours sends first (node type from ``sensor.kind``).

    ``time`` is when it registers (POSIX s); ``classes`` default to ``sensor.details
    ["classes"]`` or, for an acoustic node, :data:`DEFAULT_CLASSES`."""
    msg = _wrap(node_id or node_uuid(sensor.id), time)
    reg = msg.registration
    reg.node_definition.add(node_type=NODE_TYPES[sensor.kind], node_sub_type=[sensor.kind])
    reg.icd_version = ICD_VERSION
    reg.name = sensor.name or sensor.id
    reg.short_name = sensor.id
    bearing_only = sensor.kind in ("acoustic", "eo")
    geodetic = sensor.kind in ("adsb", "sapient", "other")
    reg.capabilities.add(category=sensor.kind, type="detection",
                         value="bearing" if bearing_only else
                         ("position" if geodetic else "range_bearing"))
    if sensor.max_range_m is not None:
        reg.capabilities.add(category=sensor.kind, type="max_range",
                             value=f"{sensor.max_range_m:g}", units="m")
    status = reg.status_definition
    status.status_interval.CopyFrom(_duration(sensor.period_s or 1.0))
    status.location_definition.location_units = _LL_DEG_M
    status.location_definition.location_datum = _WGS84_E
    mode = reg.mode_definition.add(mode_name="default", mode_type=Registration.MODE_TYPE_DEFAULT,
                                   scan_type=Registration.SCAN_TYPE_SCANNING
                                   if sensor.kind == "radar" else Registration.SCAN_TYPE_FIXED,
                                   tracking_type=Registration.TRACKING_TYPE_NONE)
    mode.settle_time.CopyFrom(_duration(0.0))
    det = mode.detection_definition.add()
    if geodetic:
        det.location_type.location_units = _LL_DEG_M
        det.location_type.location_datum = _WGS84_E
    else:
        det.location_type.range_bearing_units = _DEG_M
        det.location_type.range_bearing_datum = _TRUE
    det.geometric_error.type = "Standard Deviation"
    det.geometric_error.units = "degrees (angles, latitude, longitude); metres (range, altitude)"
    det.geometric_error.variation_type = "per report"
    names = classes if classes is not None else sensor.details.get(
        "classes", DEFAULT_CLASSES if sensor.kind == "acoustic" else ())
    if names:
        cls = det.detection_class_definition.add(
            confidence_definition=Registration.CONFIDENCE_DEFINITION_MULTI_CLASS)
        for name in names:
            cls.class_definition.add(type=str(name), units="probability (0-1)")
    for name, units in (("snr_db", "dB"), ("frame", "scan number"), *(
            (k, "text") for k in _OBJECT_INFO)):
        det.detection_report.add(category=Registration.DETECTION_REPORT_CATEGORY_OBJECT,
                                 type=name, units=units)
    region = mode.task.region_definition
    region.region_type.append(Registration.REGION_TYPE_AREA_OF_INTEREST)
    area = region.region_area.add()
    area.location_units = _LL_DEG_M
    area.location_datum = _WGS84_E
    reg.config_data.add(manufacturer="dronewall", model=f"dronewall {sensor.kind} node")
    return msg


def status_report(sensor: Sensor, *, node_id: str | None = None, time: float = 0.0,
                  position_sigma_m: float | None = None) -> SapientMessage:
    """A ``StatusReport`` (system OK, mode "default") with the node's location."""
    msg = _wrap(node_id or node_uuid(sensor.id), time)
    rep = msg.status_report
    rep.report_id = ulid(time, f"status/{sensor.id}/{time!r}")
    rep.system = StatusReport.SYSTEM_OK
    rep.info = StatusReport.INFO_NEW
    rep.mode = "default"
    _fill_location(rep.node_location, sensor.position.lat, sensor.position.lon,
                   sensor.position.alt, None if position_sigma_m is None else
                   [position_sigma_m] * 3)
    return msg


def _fill_location(loc: Location, lat: float, lon: float, alt: float,
                   sigma_enu: Sequence[float] | None) -> None:
    loc.x, loc.y, loc.z = lon, lat, alt
    loc.coordinate_system = _LL_DEG_M
    loc.datum = _WGS84_E
    if sigma_enu is not None:
        me, mn = metres_per_degree(lat)
        loc.x_error = sigma_enu[0] / me
        loc.y_error = sigma_enu[1] / mn
        loc.z_error = sigma_enu[2]


def detection_report(det: Detection, *, node_id: str) -> SapientMessage:
    """The ``DetectionReport`` of one detection, sent by node ``node_id`` (a UUID)."""
    msg = _wrap(node_id, det.time)
    rep = msg.detection_report
    rep.report_id = ulid(det.time, f"report/{det.sensor_id}/{det.id}")
    rep.object_id = ulid(det.time, f"object/{det.sensor_id}/{det.id}")
    m = det.measurement
    sig = _sigmas(det.covariance)
    if isinstance(m, BearingOnly | RangeBearing):
        rb = rep.range_bearing
        rb.coordinate_system = _DEG_M
        rb.datum = _TRUE
        rb.azimuth = m.azimuth % 360.0
        if isinstance(m, RangeBearing):
            rb.range, rb.range_error = m.range, sig[0]
            rest = sig[1:]
        else:
            rest = sig
        rb.azimuth_error = rest[0]
        if m.elevation is not None:
            rb.elevation, rb.elevation_error = m.elevation, rest[1]
    elif isinstance(m, GeodeticPosition):
        _fill_location(rep.location, m.lat, m.lon, m.alt, sig)
    elif isinstance(m, EnuPosition):
        lat, lon, alt = LocalFrame(m.origin.lat, m.origin.lon, m.origin.alt).to_geodetic(
            np.array([m.e, m.n, m.u]))
        _fill_location(rep.location, float(lat), float(lon), float(alt), sig)
    elif isinstance(m, Tdoa):
        raise SapientError("measurement: a TDOA has no SAPIENT form (DetectionReport carries "
                           "a location or a range-bearing)")
    for name, p in (det.class_probs or {}).items():
        rep.classification.add(type=name, confidence=p)
    info: list[tuple[str, str]] = []
    if det.snr_db is not None:
        info.append(("snr_db", repr(det.snr_db)))
    if det.frame is not None:
        info.append(("frame", str(det.frame)))
    if det.transponder is not None:
        info.extend((k, v) for k in _OBJECT_INFO
                    if (v := getattr(det.transponder, k)) is not None)
    for k, v in info:
        rep.object_info.add(type=k, value=v)
    if det.transponder is not None and det.transponder.callsign:
        rep.id = det.transponder.callsign
    return msg


def track_report(track: Track, *, node_id: str) -> SapientMessage:
    """The ``DetectionReport`` a fusion node sends for a track: one ``object_id`` per track
    (stable over its life), location, ENU velocity, classification and identity."""
    msg = _wrap(node_id, track.time)
    rep = msg.detection_report
    rep.report_id = ulid(track.time, f"track-report/{track.id}/{track.time!r}")
    rep.object_id = ulid(track.born, f"track/{track.id}")
    if track.status == "lost":
        rep.state = "lost"
    sig = _sigmas(track.covariance)
    _fill_location(rep.location, track.lat, track.lon, track.alt, sig[:3])
    v = rep.enu_velocity
    v.east_rate, v.north_rate, v.up_rate = track.ve, track.vn, track.vu
    v.east_rate_error, v.north_rate_error, v.up_rate_error = sig[3:]
    probs = track.class_probs or ({track.class_label: 1.0} if track.class_label else {})
    for name, p in probs.items():
        rep.classification.add(type=name, confidence=p)
    for k, val in (("track_id", track.id), ("status", track.status),
                   ("identity", track.identity), ("hits", str(track.hits))):
        rep.track_info.add(type=k, value=val)
    if track.transponder is not None:
        for k in _OBJECT_INFO:
            if (tv := getattr(track.transponder, k)) is not None:
                rep.object_info.add(type=k, value=tv)
    return msg


# --------------------------------------------------------------------------- SAPIENT -> ours


def node_position(msg: SapientMessage) -> GeoPoint | None:
    """The node's position from a ``StatusReport``'s ``node_location`` (None if absent)."""
    if msg.WhichOneof("content") != "status_report" or not msg.status_report.HasField(
            "node_location"):
        return None
    lat, lon, alt, _ = _location(msg.status_report.node_location, "status_report.node_location",
                                 sigma_default=(1.0, 1.0, 1.0))
    return GeoPoint(lat=lat, lon=lon, alt=alt)


def _positive(value: float, default: float) -> float:
    return value if value > 0.0 and math.isfinite(value) else default


def _location(loc: Location, where: str, *, sigma_default: Sequence[float]
              ) -> tuple[float, float, float, list[float]]:
    """(lat, lon, alt, [sigma_e, sigma_n, sigma_u] metres) of a SAPIENT ``Location``."""
    for f in ("x", "y", "z"):
        if not loc.HasField(f):
            raise SapientError(f"{where}.{f}: missing (2-D locations are not supported)")
    if loc.datum != _WGS84_E:
        raise SapientError(f"{where}.datum: {location_pb2.LocationDatum.Name(loc.datum)} is not "
                           "supported (WGS84 ellipsoid heights only)")
    cs = loc.coordinate_system
    if cs == _LL_DEG_M:
        lat, lon, k = loc.y, loc.x, 1.0
    elif cs == location_pb2.LOCATION_COORDINATE_SYSTEM_LAT_LNG_RAD_M:
        k = 180.0 / math.pi
        lat, lon = loc.y * k, loc.x * k
    elif cs == location_pb2.LOCATION_COORDINATE_SYSTEM_UTM_M:
        lat, lon = _from_utm(loc.x, loc.y, loc.utm_zone, where)
        k = 0.0
    else:
        raise SapientError(f"{where}.coordinate_system: "
                           f"{location_pb2.LocationCoordinateSystem.Name(cs)} is not supported")
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise SapientError(f"{where}: latitude {lat} / longitude {lon} out of range")
    if k:
        me, mn = metres_per_degree(lat)
        se = loc.x_error * k * me if loc.HasField("x_error") else 0.0
        sn = loc.y_error * k * mn if loc.HasField("y_error") else 0.0
    else:  # UTM errors are metres already
        se, sn = loc.x_error, loc.y_error
    su = loc.z_error
    sig = [_positive(s, d) for s, d in zip((se, sn, su), sigma_default, strict=True)]
    return lat, lon, loc.z, sig


def _from_utm(x: float, y: float, zone: str, where: str) -> tuple[float, float]:
    from pyproj import Transformer

    z = zone.strip().upper()
    if not z or not z[:-1].isdigit() or z[-1] not in "NS" or not 1 <= int(z[:-1]) <= 60:
        raise SapientError(f"{where}.utm_zone: {zone!r} is not a UTM zone like '30N'")
    south = " +south" if z[-1] == "S" else ""
    tr = Transformer.from_crs(f"+proj=utm +zone={int(z[:-1])}{south} +datum=WGS84",
                              "EPSG:4326", always_xy=True)
    lon, lat = tr.transform(x, y)
    return float(lat), float(lon)


def detection_from_sapient(
    msg: SapientMessage,
    *,
    sensor_positions: Mapping[str, GeoPoint],
    azimuth_sigma_deg: float = 5.0,
    elevation_sigma_deg: float = 5.0,
    range_sigma_m: float = 100.0,
    position_sigma_m: Sequence[float] = (100.0, 100.0, 200.0),
) -> Detection:
    """Our :class:`Detection` of a SAPIENT ``DetectionReport`` from node ``msg.node_id``.

    ``sensor_positions`` maps node ids to where they stand (needed for range-bearing
    reports); the ``*_sigma*`` defaults stand in for errors a report leaves out (or gives
    as zero). ``sensor_id`` is the node's UUID, ``id`` is ``node_id/report_id``.
    Raises :class:`SapientError` naming the field when the report cannot be converted."""
    if msg.WhichOneof("content") != "detection_report":
        raise SapientError(f"content: expected detection_report, got {msg.WhichOneof('content')}")
    if not msg.node_id:
        raise SapientError("node_id: missing (mandatory)")
    t = get_time(msg)
    rep = msg.detection_report
    if not rep.report_id:
        raise SapientError("detection_report.report_id: missing (mandatory)")
    where = rep.WhichOneof("location_oneof")
    out: dict[str, Any] = {"type": "detection", "id": f"{msg.node_id}/{rep.report_id}",
                           "sensor_id": msg.node_id, "time": t}
    if where == "range_bearing":
        out["measurement"], out["covariance"] = _range_bearing(
            rep.range_bearing, msg.node_id, sensor_positions, azimuth_sigma_deg,
            elevation_sigma_deg, range_sigma_m)
    elif where == "location":
        lat, lon, alt, sig = _location(rep.location, "detection_report.location",
                                       sigma_default=position_sigma_m)
        out["measurement"] = {"kind": "geodetic", "lat": lat, "lon": lon, "alt": alt}
        out["covariance"] = np.diag(np.square(sig)).tolist()
    else:
        raise SapientError("detection_report.location_oneof: missing (mandatory)")
    probs = {c.type: min(max(float(c.confidence), 0.0), 1.0)
             for c in rep.classification if c.type and c.HasField("confidence")}
    total = sum(probs.values())
    if total > 1.0:  # single-class confidences of several classes: make them a distribution
        probs = {k: v / total for k, v in probs.items()}
    if probs:
        out["class_probs"] = probs
    info = {i.type: i.value for i in rep.object_info}
    try:
        if "snr_db" in info:
            out["snr_db"] = float(info["snr_db"])
        if "frame" in info:
            out["frame"] = int(info["frame"])
    except ValueError as exc:
        raise SapientError(f"detection_report.object_info: {exc}") from None
    tp = {k: info[k] for k in _OBJECT_INFO if k in info}
    if not tp.get("callsign") and rep.id:
        tp["callsign"] = rep.id
    if tp:
        out["transponder"] = tp
    try:
        return msgspec.convert(out, type=Detection)
    except (msgspec.ValidationError, ValueError) as exc:
        raise SapientError(f"detection_report: {exc}") from None


def _range_bearing(rb: RangeBearingPb, node_id: str, positions: Mapping[str, GeoPoint],
                   az_sigma: float, el_sigma: float, r_sigma: float
                   ) -> tuple[dict[str, Any], list[list[float]]]:
    where = "detection_report.range_bearing"
    if rb.datum != _TRUE:
        raise SapientError(f"{where}.datum: {range_bearing_pb2.RangeBearingDatum.Name(rb.datum)}"
                           " is not supported (true north only)")
    units = _RB_UNITS.get(rb.coordinate_system)
    if units is None:
        name = range_bearing_pb2.RangeBearingCoordinateSystem.Name(rb.coordinate_system)
        raise SapientError(f"{where}.coordinate_system: {name} is not supported")
    if not rb.HasField("azimuth"):
        raise SapientError(f"{where}.azimuth: missing")
    origin = positions.get(node_id)
    if origin is None:
        raise SapientError(f"node_id: no known position for node {node_id} (it must send a "
                           "StatusReport with node_location first)")
    deg, metres = units
    m: dict[str, Any] = {"azimuth": (rb.azimuth * deg) % 360.0,
                         "origin": {"lat": origin.lat, "lon": origin.lon, "alt": origin.alt}}
    var: list[float] = []
    if rb.HasField("range"):
        m["kind"] = "rbe"
        m["range"] = rb.range * metres
        var.append(_positive(rb.range_error * metres, r_sigma) ** 2)
    else:
        m["kind"] = "bearing"
    var.append(_positive(rb.azimuth_error * deg, az_sigma) ** 2)
    if rb.HasField("elevation"):
        m["elevation"] = rb.elevation * deg
        var.append(_positive(rb.elevation_error * deg, el_sigma) ** 2)
    return m, np.diag(var).tolist()

