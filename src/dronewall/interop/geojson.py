"""Tracks, events and zones as one GeoJSON FeatureCollection (RFC 7946).

Layout (WGS84; positions are ``[longitude, latitude, altitude m]``, longitude first, 6
decimals, about 0.1 m)::

    {"type": "FeatureCollection", "features": [
      {"type": "Feature", "id": "track:T12",          # one per track with >= 2 states
       "geometry": {"type": "LineString", ...},       # MultiLineString when it crosses 180
       "properties": {"kind": "track", "track_id", "class", "identity", "status",
                      "first_time", "last_time", "first_time_iso", "last_time_iso", ...}},
      {"type": "Feature", "id": "track:T12:last",     # the track's last position
       "geometry": {"type": "Point", ...}, "properties": {"kind": "track_position", ...}},
      {"type": "Feature", "id": "event:E3", "geometry": Point or null,
       "properties": {"kind": "event", "event_kind", "time", "time_iso", "message", ...}},
      {"type": "Feature", "id": "zone:POL", "geometry": Polygon | MultiPolygon,
       "properties": {"kind": "zone", "name", "zone_kind", "country", ...}}]}

Times are POSIX seconds and ISO 8601 UTC. Lines crossing the antimeridian are cut there
(RFC 7946 section 3.1.9), at the latitude interpolated on the crossing.
Input is any sequence of our messages (a store's or a JSON-lines file's, in time order);
messages other than tracks, events and zones are ignored.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from dronewall.model.messages import Event, Track, Zone
from dronewall.timeutil import iso

Position = list[float]


@dataclass
class Picture:
    """Tracks (their states in time order), events and zones of a message stream."""

    tracks: dict[str, list[Track]] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    zones: dict[str, Zone] = field(default_factory=dict)
    ignored: int = 0


def collect(messages: Iterable[Any]) -> Picture:
    """Group a message stream: each track's states, the events, the latest of each zone."""
    pic = Picture()
    for msg in messages:
        if isinstance(msg, Track):
            pic.tracks.setdefault(msg.id, []).append(msg)
        elif isinstance(msg, Event):
            pic.events.append(msg)
        elif isinstance(msg, Zone):
            pic.zones[msg.id] = msg
        else:
            pic.ignored += 1
    for states in pic.tracks.values():
        states.sort(key=lambda s: s.time)
    return pic


def _pos(lon: float, lat: float, alt: float) -> Position:
    return [round(lon, 6), round(lat, 6), round(alt, 1)]


def split_antimeridian(line: list[Position]) -> list[list[Position]]:
    """Cut a line where consecutive points are more than 180 degrees of longitude apart,
    adding the crossing point (on +-180) to both parts."""
    parts: list[list[Position]] = [[line[0]]]
    for a, b in itertools.pairwise(line):
        if abs(b[0] - a[0]) > 180.0:
            side = 180.0 if a[0] > 0 else -180.0
            b_lon = b[0] + (360.0 if side > 0 else -360.0)  # b unwrapped next to a
            f = (side - a[0]) / (b_lon - a[0]) if b_lon != a[0] else 0.0
            lat = round(a[1] + f * (b[1] - a[1]), 6)
            alt = round(a[2] + f * (b[2] - a[2]), 1)
            parts[-1].append([side, lat, alt])
            parts.append([[-side, lat, alt]])
        parts[-1].append(b)
    return [p for p in parts if len(p) >= 2]


def track_properties(states: list[Track]) -> dict[str, Any]:
    """What a track's features say: id, class, identity, status, first/last time."""
    last = states[-1]
    props: dict[str, Any] = {
        "track_id": last.id, "class": last.class_label, "identity": last.identity,
        "status": last.status, "first_time": states[0].time, "last_time": last.time,
        "first_time_iso": iso(states[0].time), "last_time_iso": iso(last.time),
        "born": last.born, "states": len(states), "sensors": list(last.sensors),
    }
    if last.transponder is not None:
        props.update({k: v for k, v in (("icao24", last.transponder.icao24),
                                        ("callsign", last.transponder.callsign),
                                        ("squawk", last.transponder.squawk)) if v})
    return props


def to_geojson(messages: Iterable[Any]) -> dict[str, Any]:
    """The FeatureCollection of a message stream's tracks, events and zones."""
    pic = collect(messages)
    features: list[dict[str, Any]] = []
    for tid, states in pic.tracks.items():
        props = track_properties(states)
        line = [_pos(s.lon, s.lat, s.alt) for s in states]
        parts = split_antimeridian(line) if len(line) >= 2 else []
        if parts:
            geom: dict[str, Any] = (
                {"type": "LineString", "coordinates": parts[0]} if len(parts) == 1
                else {"type": "MultiLineString", "coordinates": parts})
            features.append({"type": "Feature", "id": f"track:{tid}", "geometry": geom,
                             "properties": {"kind": "track", **props}})
        last = states[-1]
        features.append({
            "type": "Feature", "id": f"track:{tid}:last",
            "geometry": {"type": "Point", "coordinates": line[-1]},
            "properties": {"kind": "track_position", **props, "time": last.time,
                           "time_iso": iso(last.time), "ve": last.ve, "vn": last.vn,
                           "vu": last.vu, "speed_mps": round(last.speed, 2)}})
    for ev in pic.events:
        p = ev.position
        features.append({
            "type": "Feature", "id": f"event:{ev.id}",
            "geometry": None if p is None else {"type": "Point",
                                                "coordinates": _pos(p.lon, p.lat, p.alt)},
            "properties": {"kind": "event", "event_kind": ev.kind, "time": ev.time,
                           "time_iso": iso(ev.time), "message": ev.message,
                           "severity": ev.severity, "track_id": ev.track_id,
                           "zone_id": ev.zone_id, "country": ev.country}})
    for z in pic.zones.values():
        features.append({
            "type": "Feature", "id": f"zone:{z.id}", "geometry": z.geometry,
            "properties": {"kind": "zone", "name": z.name, "zone_kind": z.kind,
                           "country": z.country, "floor_m": z.floor_m,
                           "ceiling_m": z.ceiling_m}})
    return {"type": "FeatureCollection", "features": features}


def write_geojson(messages: Iterable[Any], sink: IO[bytes], options: Any = None) -> int:
    """``dronewall convert --to geojson``: write the collection, return its feature count."""
    fc = to_geojson(messages)
    sink.write(json.dumps(fc, separators=(",", ":")).encode())
    sink.write(b"\n")
    return len(fc["features"])
