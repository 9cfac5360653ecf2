"""Events of stays in zones: severity, details and operator text (see the monitor)."""

from __future__ import annotations

from typing import Any

from dronewall.airspace.visit import Role, Visit
from dronewall.airspace.wording import (
    INTERNATIONAL,
    country_name,
    duration,
    track_label,
    zone_label,
)
from dronewall.model.messages import Event, EventKind, GeoPoint, Severity, Zone

START: dict[Role, EventKind] = {
    "incursion": "incursion_start",
    "adiz": "adiz_entry",
    "zone": "zone_entry",
}
END: dict[Role, EventKind] = {
    "incursion": "incursion_end",
    "adiz": "adiz_exit",
    "zone": "zone_exit",
}


def visit_event(kind: EventKind, visit: Visit, zone: Zone, time: float) -> Event:
    """The Event of a stay starting or ending; details and text as documented in
    :mod:`dronewall.airspace.monitor`."""
    who = track_label(visit.track_id, visit.transponder)
    where = zone_label(zone)
    start = kind in START.values()
    point = visit.entry if start else visit.end_at
    severity: Severity
    if visit.role == "incursion":
        # an intruder lost or still inside at the end stays a concern; one gone is not
        quiet = visit.end_reason in ("exited", "identified")
        severity = "critical" if start else ("info" if quiet else "warning")
    elif visit.role == "adiz" or zone.kind == "restricted":
        severity = "warning"
    else:
        severity = "info"
    details: dict[str, Any] = {"entry_observed": visit.entry.observed}
    if zone.kind == "national_airspace":
        details["entry_from"] = visit.entry_from
    if visit.role == "incursion":
        details["incursion_id"] = f"INC-{visit.track_id}-{visit.n}"
    if start:
        message = _start_text(who, where, visit)
    else:
        assert visit.end_time is not None and visit.end_reason is not None
        exited = visit.end_reason == "exited" and visit.exit is not None
        details.update(
            entry_time=visit.entry.time,
            exit_time=visit.exit.time if exited and visit.exit else None,
            end_time=visit.end_time,
            seconds_inside=visit.end_time - visit.entry.time,
            reason=visit.end_reason,
            flickers=visit.flickers,
        )
        if visit.role == "incursion":
            details.update(
                max_depth_km=round(visit.max_depth_m / 1000.0, 3),
                entry_lat=visit.entry.lat,
                entry_lon=visit.entry.lon,
                exit_lat=visit.exit.lat if exited and visit.exit else None,
                exit_lon=visit.exit.lon if exited and visit.exit else None,
            )
        if zone.kind == "national_airspace" and exited:
            details["exit_to"] = visit.exit_to
        message = _end_text(who, where, visit)
    pos = None
    if point is not None:
        pos = GeoPoint(lat=point.lat, lon=point.lon, alt=min(max(point.alt, -1000.0), 1e6))
    return Event(
        id=f"EV-{visit.track_id}-{kind}-{visit.n}",
        time=max(time, 0.0),
        kind=kind,
        message=message,
        track_id=visit.track_id,
        zone_id=zone.id,
        country=zone.country,
        position=pos,
        severity=severity,
        details=details,
    )


def _start_text(who: str, where: str, visit: Visit) -> str:
    if visit.role == "adiz":
        verb = "entered" if visit.entry.observed else "first seen inside"
        return f"{who} {verb} {where}: identification required"
    if not visit.entry.observed:
        return f"{who} first seen inside {where}"
    if visit.entry_from is None:
        return f"{who} entered {where}"
    origin = (
        "international airspace"
        if visit.entry_from == INTERNATIONAL
        else country_name(visit.entry_from)
    )
    return f"{who} entered {where} from {origin}"


def _end_text(who: str, where: str, visit: Visit) -> str:
    assert visit.end_time is not None
    stay = duration(visit.end_time - visit.entry.time)
    depth = (
        f", {visit.max_depth_m / 1000.0:.1f} km deep at most" if visit.role == "incursion" else ""
    )
    reason = visit.end_reason
    if reason == "exited":
        to = ""
        if visit.exit_to is not None:
            to = " to " + (
                "international airspace"
                if visit.exit_to == INTERNATIONAL
                else country_name(visit.exit_to)
            )
        return f"{who} left {where}{to} after {stay}{depth}"
    if reason == "track_lost":
        return f"{who} lost inside {where} after {stay}{depth}"
    if reason == "identified":
        return f"{who} identified inside {where} after {stay}{depth}"
    return f"{who} still inside {where} at end of run, after {stay}{depth}"
