"""The record of one incursion: a non-cooperative track's stay in a watched airspace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EndReason = Literal["exited", "track_lost", "end_of_run", "identified"]


@dataclass(frozen=True)
class Incursion:
    """One stay of one unidentified track in one watched national airspace.

    ``entry_from`` is the ISO alpha-3 of the country on the far side of the crossing,
    ``"international"`` (came in over the territorial-sea limit) or None (first seen
    inside, or entered through the zone's floor/ceiling). ``end_time``/``end_reason``
    are None while it is still open; ``seconds_inside`` then runs to the last state seen
    inside. ``max_depth_km`` is measured from the border it came through (see
    :class:`~dronewall.airspace.monitor.AirspaceMonitor`)."""

    track_id: str
    country: str
    zone_id: str
    entry_time: float
    entry_lat: float
    entry_lon: float
    entry_from: str | None
    entry_observed: bool
    exit_time: float | None
    end_time: float | None
    end_reason: EndReason | None
    seconds_inside: float
    max_depth_km: float
    cooperative: bool = False
    id: str = ""  # e.g. "INC-T0007-1"; links the incursion_start/_end events (details)
    exit_lat: float | None = None
    exit_lon: float | None = None
    flickers: int = 0  # exits shorter than MonitorConfig.min_outside_s folded into this one

    @property
    def open(self) -> bool:
        """Still going on (not ended)."""
        return self.end_reason is None
