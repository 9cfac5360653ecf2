"""Whole streams: a recorded SAPIENT session to our messages, and our messages to one.

A recorded session is the TCP byte stream (:mod:`.framing`). Reading it, a node becomes a
:class:`Sensor` once it has registered and reported its location, and its detection reports
become :class:`Detection` messages. Writing one, each :class:`Sensor` registers (and reports
its location) at the time of the first message after it, detections are sent by their
sensor's node (UUID from :func:`.ids.node_uuid`), and tracks by one fusion node.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import IO, Any, BinaryIO

from dronewall.interop.sapient.convert import (
    Registration,
    SapientError,
    SapientMessage,
    detection_from_sapient,
    detection_report,
    node_position,
    registration_for,
    status_report,
    track_report,
)
from dronewall.interop.sapient.framing import MAX_FRAME, FrameStats, encode_frame, read_frames
from dronewall.interop.sapient.ids import node_uuid
from dronewall.model.messages import Detection, GeoPoint, Sensor, SensorKind, Tdoa, Track

FUSION_NODE_NAME = "dronewall-fusion"
_KIND_OF_NODE: dict[int, SensorKind] = {
    Registration.NODE_TYPE_ACOUSTIC: "acoustic",
    Registration.NODE_TYPE_RADAR: "radar",
    Registration.NODE_TYPE_CAMERA: "eo",
}


def _sensor(node_id: str, reg: SapientMessage, pos: GeoPoint) -> Sensor:
    r = reg.registration
    types = [d.node_type for d in r.node_definition]
    kind: SensorKind = next((_KIND_OF_NODE[t] for t in types if t in _KIND_OF_NODE), "sapient")
    return Sensor(id=node_id, kind=kind, position=pos, name=r.name or r.short_name,
                  details={"sapient_node_types": [Registration.NodeType.Name(t) for t in types],
                           "icd_version": r.icd_version})


def sapient_to_messages(stream: BinaryIO, *, max_frame: int = MAX_FRAME,
                        stats: FrameStats | None = None,
                        sensor_positions: dict[str, GeoPoint] | None = None
                        ) -> Iterator[Sensor | Detection]:
    """Our messages of a recorded SAPIENT stream. Bad frames and reports that cannot be
    converted are counted in ``stats.bad`` (by reason) and skipped."""
    st = stats if stats is not None else FrameStats()
    positions = sensor_positions if sensor_positions is not None else {}
    registrations: dict[str, SapientMessage] = {}
    announced: set[str] = set()
    for msg in read_frames(stream, max_frame=max_frame, stats=st):
        kind = msg.WhichOneof("content")
        node = msg.node_id
        try:
            if kind == "registration":
                registrations[node] = msg
            elif kind == "status_report":
                pos = node_position(msg)
                if pos is not None:
                    positions[node] = pos
            elif kind == "detection_report":
                yield detection_from_sapient(msg, sensor_positions=positions)
        except SapientError:
            st.bad[f"unconvertible {kind}"] += 1
            continue
        if node in registrations and node in positions and node not in announced:
            announced.add(node)
            yield _sensor(node, registrations[node], positions[node])


def messages_to_sapient(messages: Iterable[Any], *, skipped: Counter[str] | None = None,
                        fusion_node_id: str | None = None) -> Iterator[bytes]:
    """Frames of our messages: sensors register, detections and tracks are reported.
    Messages with no SAPIENT form (events, zones, TDOAs, truth) are counted in ``skipped``."""
    skip = skipped if skipped is not None else Counter()
    fusion = fusion_node_id or node_uuid(FUSION_NODE_NAME)
    pending: list[Sensor] = []
    for msg in messages:
        if isinstance(msg, Sensor):
            pending.append(msg)
            continue
        t = getattr(msg, "time", None)
        if pending and t is not None:
            for s in pending:
                yield encode_frame(registration_for(s, time=t))
                yield encode_frame(status_report(s, time=t))
            pending.clear()
        if isinstance(msg, Detection):
            if isinstance(msg.measurement, Tdoa):
                skip["detection (tdoa)"] += 1
                continue
            yield encode_frame(detection_report(msg, node_id=node_uuid(msg.sensor_id)))
        elif isinstance(msg, Track):
            yield encode_frame(track_report(msg, node_id=fusion))
        else:
            skip[type(msg).__name__.lower()] += 1
    for s in pending:
        yield encode_frame(registration_for(s))
        yield encode_frame(status_report(s))


def _count(options: Any, counts: Counter[str], prefix: str) -> None:
    counters = getattr(options, "counters", None)
    if isinstance(counters, dict):
        for k, n in counts.items():
            counters[f"{prefix} {k}"] = counters.get(f"{prefix} {k}", 0) + n


def read_sapient(source: IO[bytes], options: Any) -> Iterator[Sensor | Detection]:
    """``dronewall convert --from sapient``: a recorded stream; bad frames and reports go
    to ``options.counters`` as ``"sapient bad <reason>"``."""
    stats = FrameStats()
    try:
        yield from sapient_to_messages(source, stats=stats)  # type: ignore[arg-type]
    finally:
        _count(options, stats.bad, "sapient bad")


def write_sapient(messages: Iterable[Any], sink: IO[bytes], options: Any) -> int:
    """``dronewall convert --to sapient``: returns the number of frames written; messages
    with no SAPIENT form go to ``options.counters`` as ``"sapient skipped <kind>"``."""
    skipped: Counter[str] = Counter()
    n = 0
    for frame in messages_to_sapient(messages, skipped=skipped):
        sink.write(frame)
        n += 1
    _count(options, skipped, "sapient skipped")
    return n


__all__ = ["messages_to_sapient", "read_sapient", "sapient_to_messages", "write_sapient"]
