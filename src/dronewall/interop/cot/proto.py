"""CoT events as TAK Protocol Version 1 (protobuf), via the ``takproto`` package.

TAK Protocol v1 carries a ``TakMessage`` protobuf (``takControl``, ``cotEvent``) whose
``CotEvent`` holds the event's attributes as typed fields (times in milliseconds since
1970-01-01 UTC, point as doubles) and a ``Detail`` with typed ``contact`` and ``track``
parts; every other detail element travels as an XML string in ``xmlDetail``.
Two framings:

- **mesh** (UDP, multicast): ``0xbf 0x01 0xbf`` then the protobuf, one per datagram;
- **stream** (TCP, TLS): ``0xbf``, the protobuf's length as a varint, the protobuf;
  messages follow one another on the connection.

The messages are takproto's generated classes and the framing is takproto's
``msg2proto``; we only split a byte stream into frames and map fields to
:class:`~.event.CotEvent`. Anything malformed raises :class:`~.event.CotError`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Literal

from google.protobuf.message import DecodeError
from takproto import TAKProtoVer
from takproto.functions import msg2proto
from takproto.proto import TakMessage

from dronewall.interop.cot.event import CotError, CotEvent, xml_text

Framing = Literal["stream", "mesh"]
MAGIC = 0xBF
MESH_HEADER = b"\xbf\x01\xbf"
MAX_FRAME = 1 << 20  # a CoT event is a few hundred bytes; refuse absurd lengths


def to_message(ev: CotEvent) -> TakMessage:
    """The ``TakMessage`` of one event."""
    msg = TakMessage()
    ce = msg.cotEvent
    ce.type, ce.uid, ce.how = ev.type, ev.uid, ev.how
    ce.sendTime = round(ev.time * 1000)
    ce.startTime = round(ev.start * 1000)
    ce.staleTime = round(ev.stale * 1000)
    ce.lat, ce.lon, ce.hae, ce.ce, ce.le = ev.lat, ev.lon, ev.hae, ev.ce, ev.le
    detail = ce.detail
    if ev.callsign is not None:
        detail.contact.callsign = ev.callsign
    if ev.course is not None or ev.speed is not None:
        detail.track.course = ev.course or 0.0
        detail.track.speed = ev.speed or 0.0
    parts = []
    if ev.remarks is not None:
        el = ET.Element("remarks")
        el.text = xml_text(ev.remarks)
        parts.append(ET.tostring(el, encoding="unicode"))
    if ev.extra:
        attrs = {xml_text(k): xml_text(v) for k, v in ev.extra.items()}
        parts.append(ET.tostring(ET.Element("__dronewall", attrs), encoding="unicode"))
    if parts:
        detail.xmlDetail = "".join(parts)
    return msg


def to_proto(ev: CotEvent, framing: Framing = "stream") -> bytes:
    """One framed TAK protobuf message."""
    ver = TAKProtoVer.STREAM if framing == "stream" else TAKProtoVer.MESH
    return bytes(msg2proto(to_message(ev), ver))


def from_message(msg: TakMessage) -> CotEvent:
    """A :class:`CotEvent` from a ``TakMessage``; :class:`CotError` if it lacks one."""
    if not msg.HasField("cotEvent"):
        raise CotError("TAK message has no cotEvent")
    ce = msg.cotEvent
    if not ce.uid or not ce.type:
        raise CotError("TAK cotEvent has no uid or type")
    if not (-90.0 <= ce.lat <= 90.0 and -180.0 <= ce.lon <= 180.0):
        raise CotError(f"TAK cotEvent lat/lon out of range ({ce.lat}, {ce.lon})")
    ev = CotEvent(
        uid=ce.uid, type=ce.type, how=ce.how,
        time=ce.sendTime / 1000.0, start=ce.startTime / 1000.0, stale=ce.staleTime / 1000.0,
        lat=ce.lat, lon=ce.lon, hae=ce.hae, ce=ce.ce, le=ce.le,
    )
    d = ce.detail
    if d.HasField("contact") and d.contact.callsign:
        ev.callsign = d.contact.callsign
    if d.HasField("track"):
        ev.course, ev.speed = d.track.course, d.track.speed
    if d.xmlDetail:
        try:
            wrapper = ET.fromstring(f"<detail>{d.xmlDetail}</detail>")
        except ET.ParseError as exc:
            raise CotError(f"TAK xmlDetail is not XML: {exc}") from exc
        remarks = wrapper.find("remarks")
        if remarks is not None:
            ev.remarks = remarks.text or ""
        ours = wrapper.find("__dronewall")
        if ours is not None:
            ev.extra = dict(ours.attrib)
    return ev


def _parse(body: bytes) -> TakMessage:
    msg = TakMessage()
    try:
        msg.ParseFromString(body)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise CotError(f"not a TAK protobuf: {exc}") from exc
    return msg


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """Protobuf base-128 varint at ``pos``: (value, next position)."""
    value = shift = 0
    while True:
        if pos >= len(data):
            raise CotError("TAK stream truncated inside a length varint")
        if shift > 35:
            raise CotError("TAK stream length varint too long")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def from_mesh(datagram: bytes) -> CotEvent:
    """Parse one mesh-framed datagram (``0xbf 0x01 0xbf`` + protobuf)."""
    if not datagram.startswith(MESH_HEADER):
        raise CotError("TAK mesh datagram does not start with 0xbf 0x01 0xbf")
    return from_message(_parse(datagram[len(MESH_HEADER):]))


def split_stream(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(offset, protobuf body) of each stream frame in ``data``; :class:`CotError` at the
    first bad or truncated frame (the caller cannot resynchronise a byte stream)."""
    pos = 0
    while pos < len(data):
        if data[pos] != MAGIC:
            raise CotError(f"TAK stream: expected 0xbf at byte {pos}, got {data[pos]:#04x}")
        size, body_at = _varint(data, pos + 1)
        if size > MAX_FRAME:
            raise CotError(f"TAK stream: frame of {size} bytes at byte {pos} is too long")
        end = body_at + size
        if end > len(data):
            raise CotError(f"TAK stream truncated: frame at byte {pos} needs {size} bytes")
        yield pos, data[body_at:end]
        pos = end


def from_stream(data: bytes) -> list[CotEvent]:
    """All events of a stream-framed byte string."""
    return [from_message(_parse(body)) for _, body in split_stream(data)]


def from_proto(data: bytes) -> CotEvent:
    """One event from a mesh datagram or a single stream frame."""
    if data.startswith(MESH_HEADER):
        return from_mesh(data)
    events = from_stream(data)
    if len(events) != 1:
        raise CotError(f"expected one TAK message, found {len(events)}")
    return events[0]
