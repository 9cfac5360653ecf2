"""The monitor's record of one stay of one track in one zone, and of a crossing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dronewall.airspace.incursion import EndReason, Incursion
from dronewall.geo.zones import BoundaryIndex
from dronewall.model.messages import Transponder, Zone

Role = Literal["incursion", "adiz", "zone"]


@dataclass
class Crossing:
    """A boundary crossing (or first sighting, ``observed=False``): when and where."""

    time: float
    lat: float
    lon: float
    alt: float
    observed: bool = True
    horizontal: bool = True  # through the outline (else through floor/ceiling)


@dataclass
class Visit:
    """One stay of one track in one zone (mutable while open).

    ``role`` says what the stay means (see :mod:`dronewall.airspace.monitor`); ``n``
    numbers the track's stays of that role (event and incursion ids); ``ref`` is the
    border depth is measured from (incursions only); ``exit`` is held while pending
    (hysteresis) and final once ``end_reason`` is set."""

    track_id: str
    zone: int
    role: Role
    n: int
    entry: Crossing
    entry_from: str | None
    ref: BoundaryIndex | None
    last_inside: float
    transponder: Transponder | None = None
    max_depth_m: float = 0.0
    flickers: int = 0
    exit: Crossing | None = None  # pending until confirmed, then final
    exit_to: str | None = None
    end_time: float | None = None
    end_reason: EndReason | None = None
    end_at: Crossing | None = None  # where it ended: the exit point or the last state

    def incursion(self, zone: Zone) -> Incursion:
        """A snapshot as the public record (open while ``end_reason`` is None)."""
        end = self.end_time if self.end_time is not None else self.last_inside
        ended = self.end_reason is not None
        exit_ = self.exit if ended and self.end_reason == "exited" else None
        return Incursion(
            track_id=self.track_id,
            country=str(zone.country),
            zone_id=zone.id,
            entry_time=self.entry.time,
            entry_lat=self.entry.lat,
            entry_lon=self.entry.lon,
            entry_from=self.entry_from,
            entry_observed=self.entry.observed,
            exit_time=None if exit_ is None else exit_.time,
            end_time=self.end_time,
            end_reason=self.end_reason,
            seconds_inside=max(0.0, end - self.entry.time),
            max_depth_km=self.max_depth_m / 1000.0,
            id=f"INC-{self.track_id}-{self.n}",
            exit_lat=None if exit_ is None else exit_.lat,
            exit_lon=None if exit_ is None else exit_.lon,
            flickers=self.flickers,
        )
