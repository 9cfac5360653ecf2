"""A Cursor-on-Target event and its XML form (CoT 2.0, MITRE's event schema).

Layout of one event, as TAK clients and servers exchange it::

    <event version="2.0" uid="dronewall.T0007" type="a-h-A-M-F-Q" how="m-f"
           time="2026-11-22T01:00:00.000Z" start="..." stale="...">
      <point lat="50.1" lon="30.2" hae="300.0" ce="25.0" le="40.0"/>
      <detail>
        <contact callsign="T0007 shahed"/>
        <track course="270.0" speed="45.0"/>        (degrees true, m/s)
        <remarks>identity hostile; class shahed; sensors r1,a2</remarks>
        <__dronewall track="T0007" identity="hostile" class="shahed" .../>
      </detail>
    </event>

- ``uid`` names the object; a later event with the same uid replaces the earlier one.
- ``time`` is when the event was generated, ``start`` when it becomes valid, ``stale``
  when a receiver should drop it (ISO 8601 UTC with a ``Z``).
- ``how`` is how the position was obtained: ``m-f`` machine, fused; ``h-e`` human.
- ``point``: WGS84 latitude/longitude (deg), ``hae`` height above the ellipsoid (m),
  ``ce`` circular and ``le`` linear (vertical) error (m), one-sigma; ``9999999`` means
  unknown.

We write with the stdlib's XML escaping (characters XML 1.0 cannot carry become U+FFFD)
and parse with its ElementTree (expat); malformed input raises :class:`CotError`
naming what is wrong.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.sax.saxutils import escape, quoteattr

UNKNOWN_ERROR = 9999999.0  # CoT's "unknown" for hae/ce/le


class CotError(ValueError):
    """Input that is not a valid CoT event; the text names what is wrong."""


@dataclass
class CotEvent:
    """One CoT event, independent of its encoding (XML or TAK protobuf)."""

    uid: str
    type: str
    time: float  # POSIX seconds UTC
    start: float
    stale: float
    lat: float
    lon: float
    hae: float = UNKNOWN_ERROR
    ce: float = UNKNOWN_ERROR
    le: float = UNKNOWN_ERROR
    how: str = "m-f"
    callsign: str | None = None
    course: float | None = None  # degrees true
    speed: float | None = None  # m/s
    remarks: str | None = None
    extra: dict[str, str] = field(default_factory=dict)  # attributes of <__dronewall>


def cot_time(t: float) -> str:
    """POSIX seconds to CoT's ISO 8601 UTC text with milliseconds."""
    dt = datetime.fromtimestamp(t, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def parse_cot_time(text: str) -> float:
    """CoT's ISO 8601 UTC text (``Z`` or an offset) to POSIX seconds."""
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, TypeError) as exc:
        raise CotError(f"bad CoT time {text!r}") from exc
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


# Characters XML 1.0 cannot carry at all (controls, lone surrogates, U+FFFE/F).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# Line ends and tabs in attribute values would be normalised to spaces by a parser.
_ATTR_ENTITIES = {"\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
_TEXT_ENTITIES = {"\r": "&#13;"}


def xml_text(s: str) -> str:
    """``s`` with characters XML 1.0 forbids replaced by U+FFFD, so output always parses."""
    return _NOT_XML.sub("\ufffd", s)


def _num(x: float) -> str:
    return repr(float(x))  # shortest text that reads back to the same double


# Anything in a value that needs escaping or replacing; most values have none.
_SPECIAL = re.compile("[<>&\"'\t\n\r]|" + _NOT_XML.pattern)


def _attrs(pairs: dict[str, str]) -> str:
    """` k="v"` for each pair, escaped (numbers and times we format need no escaping)."""
    return "".join(
        f' {k}="{v}"' if _SPECIAL.search(v) is None
        else f" {k}={quoteattr(xml_text(v), _ATTR_ENTITIES)}"
        for k, v in pairs.items())


def to_xml(ev: CotEvent, *, declaration: bool = False) -> bytes:
    """UTF-8 XML of one event, on one line (no newline). Written with the stdlib's
    escaping functions rather than an ElementTree: faster, and exact (a carriage return in
    text survives, where ElementTree writes it raw and a parser turns it into a newline)."""
    parts = [
        "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>" if declaration else "",
        "<event", _attrs({"version": "2.0", "uid": ev.uid, "type": ev.type, "how": ev.how,
                          "time": cot_time(ev.time), "start": cot_time(ev.start),
                          "stale": cot_time(ev.stale)}), ">",
        "<point", _attrs({"lat": _num(ev.lat), "lon": _num(ev.lon), "hae": _num(ev.hae),
                          "ce": _num(ev.ce), "le": _num(ev.le)}), " /><detail>",
    ]
    if ev.callsign is not None:
        parts += ["<contact", _attrs({"callsign": ev.callsign}), " />"]
    if ev.course is not None or ev.speed is not None:
        parts += ["<track", _attrs({"course": _num(ev.course or 0.0),
                                    "speed": _num(ev.speed or 0.0)}), " />"]
    if ev.remarks is not None:
        parts += ["<remarks>", escape(xml_text(ev.remarks), _TEXT_ENTITIES), "</remarks>"]
    if ev.extra:
        parts += ["<__dronewall", _attrs(ev.extra), " />"]
    parts.append("</detail></event>")
    return "".join(parts).encode("utf-8")


def _float(el: ET.Element, name: str, default: float | None = None) -> float:
    text = el.get(name)
    if text is None:
        if default is not None:
            return default
        raise CotError(f"<{el.tag}> has no {name!r}")
    try:
        value = float(text)
    except ValueError as exc:
        raise CotError(f"<{el.tag}> {name}={text!r} is not a number") from exc
    if not math.isfinite(value):
        raise CotError(f"<{el.tag}> {name}={text!r} is not finite")
    return value


def _required(el: ET.Element, name: str) -> str:
    text = el.get(name)
    if not text:
        raise CotError(f"<{el.tag}> has no {name!r}")
    return text


def from_element(root: ET.Element) -> CotEvent:
    """A CoT event from a parsed ``<event>`` element; :class:`CotError` if invalid."""
    if root.tag != "event":
        raise CotError(f"root element is <{root.tag}>, not <event>")
    point = root.find("point")
    if point is None:
        raise CotError("<event> has no <point>")
    lat, lon = _float(point, "lat"), _float(point, "lon")
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise CotError(f"<point> lat/lon out of range ({lat}, {lon})")
    ev = CotEvent(
        uid=_required(root, "uid"),
        type=_required(root, "type"),
        how=root.get("how", ""),
        time=parse_cot_time(_required(root, "time")),
        start=parse_cot_time(_required(root, "start")),
        stale=parse_cot_time(_required(root, "stale")),
        lat=lat,
        lon=lon,
        hae=_float(point, "hae", UNKNOWN_ERROR),
        ce=_float(point, "ce", UNKNOWN_ERROR),
        le=_float(point, "le", UNKNOWN_ERROR),
    )
    detail = root.find("detail")
    if detail is not None:
        contact = detail.find("contact")
        if contact is not None:
            ev.callsign = contact.get("callsign")
        track = detail.find("track")
        if track is not None:
            ev.course = _float(track, "course", 0.0)
            ev.speed = _float(track, "speed", 0.0)
        remarks = detail.find("remarks")
        if remarks is not None:
            ev.remarks = remarks.text or ""
        ours = detail.find("__dronewall")
        if ours is not None:
            ev.extra = dict(ours.attrib)
    return ev


def from_xml(data: bytes | str) -> CotEvent:
    """Parse one XML CoT event; :class:`CotError` on anything malformed."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise CotError(f"not well-formed XML: {exc}") from exc
    return from_element(root)
