"""Tracks, events and zones as KML 2.2 (Google Earth, ATAK, QGIS), written with fastkml.

Layout::

    <kml><Document name="dronewall">
      <Style id="identity-hostile">...</Style> ...       # one per STANAG 1241 identity
      <Folder name="Tracks">
        <Placemark name="T12">  LineString (absolute altitude), TimeSpan first..last,
                                ExtendedData: track_id, class, identity, status, times
        <Placemark name="T12 (last)">  Point at the last state, TimeStamp
      <Folder name="Events">  <Placemark> Point (when the event has a position), TimeStamp,
                              description = the event's message
      <Folder name="Zones">   <Placemark> Polygon / MultiGeometry of polygons

Colours follow APP-6 frame colours per identity: hostile red, suspect orange, unknown and
pending yellow, friend and assumed friend blue, neutral green. KML colours are
``aabbggrr``. KML's "absolute" altitude is above mean sea level; ours is above the WGS84
ellipsoid (tens of metres apart), which a viewer of drone tracks cannot see.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO, Any

import pygeoif
import shapely.geometry
from fastkml import (
    KML,
    Data,
    Document,
    ExtendedData,
    Folder,
    IconStyle,
    KmlDateTime,
    LabelStyle,
    LineString,
    LineStyle,
    Placemark,
    Point,
    PolyStyle,
    Style,
    StyleUrl,
    TimeSpan,
    TimeStamp,
)
from fastkml.enums import AltitudeMode

from dronewall.interop.geojson import collect, track_properties

# aabbggrr
IDENTITY_COLOURS = {
    "hostile": "ff0000ff",
    "suspect": "ff0080ff",
    "unknown": "ff00ffff",
    "pending": "ff00ffff",
    "assumed_friend": "ffffe080",
    "friend": "ffffe080",
    "neutral": "ffaaffaa",
}
SEVERITY_COLOURS = {"info": "ffffffff", "warning": "ff00ffff", "critical": "ff0000ff"}
ZONE_COLOUR = "ff00a5ff"
# KML's stock round marker (viewers without it, e.g. offline, fall back to their own pin)
ICON = "http://maps.google.com/mapfiles/kml/shapes/placemark_circle.png"


def _when(t: float) -> KmlDateTime:
    return KmlDateTime(datetime.fromtimestamp(t, tz=UTC))


def _styles() -> list[Style]:
    out = [Style(id=f"identity-{k}", styles=[LineStyle(color=c, width=2.0),
                                             IconStyle(color=c, scale=0.8, icon_href=ICON),
                                             LabelStyle(color=c)])
           for k, c in IDENTITY_COLOURS.items()]
    out += [Style(id=f"event-{k}", styles=[IconStyle(color=c, scale=1.0, icon_href=ICON),
                                           LabelStyle(color=c)])
            for k, c in SEVERITY_COLOURS.items()]
    out.append(Style(id="zone", styles=[LineStyle(color=ZONE_COLOUR, width=1.5),
                                        PolyStyle(color="3300a5ff", fill=True, outline=True)]))
    return out


def _data(props: dict[str, Any]) -> ExtendedData:
    return ExtendedData(elements=[Data(name=k, value=str(v)) for k, v in props.items()
                                  if v is not None and not isinstance(v, list | dict)])


def to_kml(messages: Iterable[Any], *, name: str = "dronewall") -> KML:
    """The KML document of a message stream's tracks, events and zones."""
    return _document(messages, name)[0]


def _document(messages: Iterable[Any], name: str) -> tuple[KML, int]:
    pic = collect(messages)
    tracks: list[Placemark] = []
    for tid, states in pic.tracks.items():
        props = track_properties(states)
        style = StyleUrl(url=f"#identity-{props['identity']}")
        last = states[-1]
        if len(states) >= 2:
            line = pygeoif.LineString([(s.lon, s.lat, s.alt) for s in states])
            tracks.append(Placemark(
                id=f"track-{tid}", name=tid, style_url=style, extended_data=_data(props),
                description=f"{props['class'] or 'unclassified'}, {props['identity']}",
                times=TimeSpan(begin=_when(states[0].time), end=_when(last.time)),
                kml_geometry=LineString(geometry=line, tessellate=False,
                                        altitude_mode=AltitudeMode.absolute)))
        tracks.append(Placemark(
            id=f"track-{tid}-last", name=f"{tid} (last)", style_url=style,
            extended_data=_data(props), times=TimeStamp(timestamp=_when(last.time)),
            kml_geometry=Point(geometry=pygeoif.Point(last.lon, last.lat, last.alt),
                               altitude_mode=AltitudeMode.absolute)))
    events: list[Placemark] = []
    for ev in pic.events:
        p = ev.position
        geom = None if p is None else Point(geometry=pygeoif.Point(p.lon, p.lat, p.alt),
                                            altitude_mode=AltitudeMode.absolute)
        events.append(Placemark(
            id=f"event-{ev.id}", name=ev.kind, description=ev.message,
            style_url=StyleUrl(url=f"#event-{ev.severity}"),
            times=TimeStamp(timestamp=_when(ev.time)), kml_geometry=geom,
            extended_data=_data({"event_id": ev.id, "kind": ev.kind, "time": ev.time,
                                 "track_id": ev.track_id, "zone_id": ev.zone_id,
                                 "country": ev.country, "severity": ev.severity})))
    zones = [Placemark(id=f"zone-{z.id}", name=z.name, style_url=StyleUrl(url="#zone"),
                       geometry=pygeoif.shape(shapely.geometry.shape(z.geometry)),
                       extended_data=_data({"zone_id": z.id, "kind": z.kind,
                                            "country": z.country, "floor_m": z.floor_m,
                                            "ceiling_m": z.ceiling_m}))
             for z in pic.zones.values()]
    doc = Document(name=name, styles=_styles(), features=[
        Folder(name="Tracks", features=tracks), Folder(name="Events", features=events),
        Folder(name="Zones", features=zones)])
    return KML(features=[doc]), len(tracks) + len(events) + len(zones)


def write_kml(messages: Iterable[Any], sink: IO[bytes], options: Any = None) -> int:
    """``dronewall convert --to kml``: write the document, return its placemark count."""
    doc, count = _document(messages, "dronewall")
    sink.write(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    sink.write(doc.to_string(prettyprint=True).encode())
    return count
