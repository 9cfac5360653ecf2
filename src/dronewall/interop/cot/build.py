"""Our messages as CoT events: tracks as air atoms, events as TAK alerts or markers.

A track becomes ``a-<affiliation>-A-<function>`` (see :mod:`.types`) with uid
``dronewall.<track id>``, so every update replaces the previous one on the map:

- ``time`` = ``start`` = the track time (``now`` overrides ``time`` when a live server
  stamps the sending moment); ``stale`` = start + max(10 s, 3 x the update interval), or
  ``stale_s`` when given; a lost track is stale at once, so TAK drops it.
- ``how`` = ``m-f`` (machine, fused).
- ``point``: hae is our altitude above the ellipsoid. ``ce`` is the one-sigma circular
  error: the square root of the largest eigenvalue of the east/north block of the
  covariance (the radius of the circle holding the one-sigma ellipse), ``le`` the
  one-sigma vertical error sqrt(var up) (the CoT schema defines both as one-sigma).
- ``<track course speed>``: course over ground in degrees true, ground speed in m/s.
- ``<contact callsign>``: the transponder callsign when the aircraft squawks one, else
  "<track id> <class>"; ``<remarks>``: identity, class, sensors, ICAO address.

An :class:`~dronewall.model.Event` becomes ``b-a-g`` (geo-fence breached) when an
incursion or zone/ADIZ entry starts, ``b-a-o-can`` when it ends, ``b-m-p-s-m`` (spot
marker) otherwise, at the event's position.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import numpy as np

from dronewall.interop.cot.event import UNKNOWN_ERROR, CotEvent
from dronewall.interop.cot.types import ALERT_CANCEL, ALERT_START, SPOT_MARKER, cot_type
from dronewall.model import Event, Track

UID_PREFIX = "dronewall."
MIN_STALE_S = 10.0
_STARTS = {"incursion_start", "adiz_entry", "zone_entry"}
_ENDS = {"incursion_end", "adiz_exit", "zone_exit"}


def errors_from_covariance(cov: list[list[float]]) -> tuple[float, float]:
    """One-sigma circular (horizontal) and linear (vertical) errors, metres, from a
    covariance whose first three rows are east, north, up."""
    c = np.asarray(cov, dtype=np.float64)
    horizontal = np.linalg.eigvalsh(c[:2, :2])
    ce = math.sqrt(max(float(horizontal[-1]), 0.0))
    le = math.sqrt(max(float(c[2, 2]), 0.0))
    return ce, le


def track_uid(track_id: str) -> str:
    """The CoT uid of one of our tracks."""
    return UID_PREFIX + track_id


def track_to_cot(
    track: Track,
    *,
    now: float | None = None,
    stale_s: float | None = None,
    update_interval_s: float | None = None,
) -> CotEvent:
    """The CoT event of one track update (see the module docstring for each field)."""
    if stale_s is None:
        stale_s = max(MIN_STALE_S, 3.0 * update_interval_s if update_interval_s else 0.0)
    if track.status == "lost":
        stale_s = 0.0
    ce, le = errors_from_covariance(track.covariance)
    label = track.class_label or "unknown"
    tp = track.transponder
    callsign = (tp.callsign.strip() if tp and tp.callsign else "") or f"{track.id} {label}"
    remarks = [f"identity {track.identity}", f"class {label}", f"status {track.status}"]
    if track.sensors:
        remarks.append("sensors " + ",".join(track.sensors))
    extra = {"track": track.id, "identity": track.identity, "class": label,
             "status": track.status}
    if tp is not None:
        for key in ("icao24", "callsign", "squawk"):
            value = (getattr(tp, key) or "").strip()
            if value:
                remarks.append(f"{key} {value}")
                extra[key] = value
    return CotEvent(
        uid=track_uid(track.id),
        type=cot_type(track.identity, track.class_label),
        how="m-f",
        time=track.time if now is None else now,
        start=track.time,
        stale=track.time + stale_s,
        lat=track.lat,
        lon=track.lon,
        hae=track.alt,
        ce=ce,
        le=le,
        callsign=callsign,
        course=math.degrees(math.atan2(track.ve, track.vn)) % 360.0,
        speed=track.speed,
        remarks="; ".join(remarks),
        extra=extra,
    )


def event_to_cot(event: Event, *, stale_s: float = 300.0) -> CotEvent:
    """The CoT alert or marker of one event (at its position; "unknown" point if none)."""
    if event.kind in _STARTS:
        kind = ALERT_START
    elif event.kind in _ENDS:
        kind = ALERT_CANCEL
    else:
        kind = SPOT_MARKER
    # Start and end of the same incursion share a uid, so the cancel replaces the alert.
    key = event.track_id or event.id
    uid = f"{UID_PREFIX}alert.{key}.{event.zone_id}" if event.zone_id else (
        f"{UID_PREFIX}event.{event.id}")
    pos = event.position
    extra = {"event": event.id, "kind": event.kind, "severity": event.severity}
    if event.track_id:
        extra["track"] = event.track_id
    if event.zone_id:
        extra["zone"] = event.zone_id
    return CotEvent(
        uid=uid,
        type=kind,
        how="m-f",
        time=event.time,
        start=event.time,
        stale=event.time + stale_s,
        lat=pos.lat if pos else 0.0,
        lon=pos.lon if pos else 0.0,
        hae=pos.alt if pos else UNKNOWN_ERROR,
        ce=UNKNOWN_ERROR if pos is None else 0.0,
        le=UNKNOWN_ERROR,
        callsign=f"{event.kind} {event.track_id or ''}".strip(),
        remarks=f"{event.severity}: {event.message}",
        extra=extra,
    )


class CotConverter:
    """Converts one message at a time, remembering each track's last update time so a
    track's stale time follows its update interval."""

    def __init__(self) -> None:
        self._last: dict[str, float] = {}

    def convert(self, msg: object) -> CotEvent | None:
        """The CoT event of a Track or Event; None for kinds CoT has no place for
        (raw detections, zones, sensors)."""
        if isinstance(msg, Track):
            prev = self._last.get(msg.id)
            self._last[msg.id] = msg.time
            dt = msg.time - prev if prev is not None and msg.time > prev else None
            return track_to_cot(msg, update_interval_s=dt)
        if isinstance(msg, Event):
            return event_to_cot(msg)
        return None


def messages_to_cot(messages: Iterable[object]) -> Iterator[CotEvent]:
    """CoT events of the tracks and events in a message stream (see :class:`CotConverter`)."""
    conv = CotConverter()
    for msg in messages:
        ev = conv.convert(msg)
        if ev is not None:
            yield ev
