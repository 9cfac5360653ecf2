"""UTC time as POSIX seconds in messages, ISO 8601 for people."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_iso(text: str) -> float:
    """POSIX seconds of an ISO 8601 time; a time without zone is rejected (not guessed).

    >>> parse_iso("2025-09-10T03:29:00Z")
    1757474940.0
    """
    t = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if t.tzinfo is None:
        raise ValueError(f"time {text!r} has no zone: write it in UTC with a trailing Z")
    return t.timestamp()


def iso(t: float | None, *, ms: bool = False) -> str | None:
    """ISO 8601 UTC text (``2025-09-10T03:29:00Z``) of POSIX seconds; None stays None."""
    if t is None:
        return None
    d = datetime.fromtimestamp(round(t, 3), tz=UTC)
    spec = "milliseconds" if ms else "seconds"
    return d.isoformat(timespec=spec).replace("+00:00", "Z")


def hms(seconds: float | None) -> str:
    """Duration as H:MM:SS (or M:SS under an hour)."""
    if seconds is None:
        return "-"
    s = round(seconds)
    h, rem = divmod(abs(s), 3600)
    m, sec = divmod(rem, 60)
    sign = "-" if s < 0 else ""
    return f"{sign}{h}:{m:02d}:{sec:02d}" if h else f"{sign}{m}:{sec:02d}"
