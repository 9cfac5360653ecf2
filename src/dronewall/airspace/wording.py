"""Operator-facing text of airspace events: country names, track labels, durations.

Kept apart from the monitor's logic so that wording can change without touching it."""

from __future__ import annotations

from dronewall.model.messages import Transponder, Zone
from dronewall.timeutil import hms

INTERNATIONAL = "international"


def country_name(iso3: str | None) -> str:
    """English name of a country (from the shipped borders), else the code itself."""
    if iso3 is None:
        return "unknown"
    if iso3 == INTERNATIONAL:
        return "international airspace"
    try:
        from dronewall.geo.borders import country_name as shipped_name

        return shipped_name(iso3)
    except (ImportError, KeyError, OSError):
        return iso3


def zone_label(zone: Zone) -> str:
    """``Poland national airspace``, ``the Alaska ADIZ``, or the zone's name."""
    if zone.kind == "national_airspace" and zone.country:
        return f"{country_name(zone.country)} national airspace"
    if zone.kind == "adiz":
        return zone.name if zone.name.lower().startswith("the ") else f"the {zone.name}"
    return zone.name


def track_label(track_id: str, transponder: Transponder | None) -> str:
    """``Unidentified track T0007`` or ``Track T0012 (ICAO 48ae21, LOT3917)``."""
    if transponder is None or not transponder.icao24:
        return f"Unidentified track {track_id}"
    extra = f", {transponder.callsign}" if transponder.callsign else ""
    return f"Track {track_id} (ICAO {transponder.icao24}{extra})"


def duration(seconds: float) -> str:
    """H:MM:SS or M:SS."""
    return hms(seconds)
