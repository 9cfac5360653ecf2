"""What the readers hand the decoder: one Mode S frame with its time.

The readers (raw hex, Beast binary) only cut a byte stream into frames and attach the
time the caller's time source gives; the decoder (:mod:`.decoder`) interprets them.
Counters are plain dicts of ints so every stage can merge them into one report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]
"""The caller's time source (POSIX seconds UTC): the decoders never read the clock."""


@dataclass(frozen=True, slots=True)
class ModeSFrame:
    """One Mode S reply or squitter: ``msg`` is 14 (56-bit) or 28 (112-bit) upper-case
    hex characters; ``time`` is POSIX seconds UTC when it was received, None if the
    feed gave none and the caller no clock. ``signal`` is the receiver's level byte
    (Beast) when known."""

    time: float | None
    msg: str
    signal: int | None = None


class Counters(dict[str, int]):
    """Named event counts (``frames``, ``garbage``, ...) with a last-error note."""

    last_error: str = ""

    def bump(self, name: str, n: int = 1) -> None:
        self[name] = self.get(name, 0) + n

    def bad(self, name: str, error: str) -> None:
        """Count one bad input under ``name`` and remember why it was bad."""
        self.bump(name)
        self.last_error = error
