"""A first, kinematic classification of tracks: what kind of flyer moves like this?

Rules on the track's smoothed ground speed and altitude, plus whether it identifies
itself (transponder): the coarse classes an air-picture operator reads at a glance.
It cannot tell a Gerbera decoy from a Shahed (both fly at 40-50 m/s, low): that needs
acoustic signatures and the probabilistic classifier planned with threat evaluation.
Speed is smoothed (exponential average over updates) because a young track's velocity
is poor: the label is withheld ("unknown") until the track has ``min_hits`` updates.

| class                  | ground speed m/s | altitude m     |
|------------------------|------------------|----------------|
| cooperative aircraft   | any (transponder with ICAO address)   |
| hovering / very slow   | < 15             | < 1500         |
| slow UAV               | 15 - 80          | < 4500         |
| fast UAV / light a/c   | 80 - 140         | < 4500         |
| cruise missile / jet UAV | >= 140         | < 1500         |
| fast aircraft (jet or turboprop) | >= 140           | >= 1500        |
| high slow flyer        | < 140            | >= 4500        |
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import msgspec

from dronewall.model import Track

CLASSES = (
    "cooperative aircraft",
    "hovering / very slow",
    "slow UAV",
    "fast UAV / light aircraft",
    "cruise missile / jet UAV",
    "fast aircraft",
    "high slow flyer",
    "unknown",
)


def classify(speed: float, alt: float, cooperative: bool) -> str:
    """The class of a flyer from its ground speed (m/s) and altitude (m)."""
    if cooperative:
        return "cooperative aircraft"
    if speed >= 140.0:
        return "fast aircraft" if alt >= 1500.0 else "cruise missile / jet UAV"
    if alt >= 4500.0:
        return "high slow flyer"
    if speed < 15.0:
        return "hovering / very slow" if alt < 1500.0 else "slow UAV"
    return "slow UAV" if speed < 80.0 else "fast UAV / light aircraft"


@dataclass
class _Smooth:
    speed: float
    alt: float
    n: int


@dataclass
class KinematicClassifier:
    """Stage between tracker and monitor: sets ``class_label`` on each Track message."""

    min_hits: int = 4
    alpha: float = 0.2  # weight of the newest update in the averages
    _state: dict[str, _Smooth] = field(default_factory=dict)

    def process(self, tracks: Iterable[Track]) -> list[Track]:
        out = []
        for tr in tracks:
            s = self._state.get(tr.id)
            if s is None:
                s = self._state[tr.id] = _Smooth(tr.speed, tr.alt, 0)
            elif tr.status != "lost":
                s.speed += self.alpha * (tr.speed - s.speed)
                s.alt += self.alpha * (tr.alt - s.alt)
            s.n += tr.status != "lost"
            cooperative = tr.transponder is not None and tr.transponder.icao24 is not None
            label = (classify(s.speed, s.alt, cooperative)
                     if cooperative or tr.hits >= self.min_hits else "unknown")
            out.append(msgspec.structs.replace(tr, class_label=label))
            if tr.status == "lost":
                self._state.pop(tr.id, None)
        return out
