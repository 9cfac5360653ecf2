"""ASTERIX time of day -> POSIX seconds.

ASTERIX items carry only the time of day (seconds since the last midnight UTC, LSB
1/128 s, e.g. I048/140, I062/070, I021/071); the date comes from outside: a date the
caller gives, or the capture time of the pcap packet that carried the record. A stream
crossing midnight is followed by taking, for each record, the day that puts it nearest
to the previous record (or to the capture time)."""

from __future__ import annotations

from datetime import UTC, date, datetime

DAY_S = 86400.0


class TimeOfDayError(ValueError):
    """A time of day that cannot be placed on a date."""


class TodClock:
    """Turns times of day into POSIX seconds, following midnight crossings."""

    def __init__(self, day: date | None = None) -> None:
        self._midnight = (
            datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() if day else None
        )
        self._last: float | None = None

    def to_posix(self, tod: float, hint: float | None = None) -> float:
        """POSIX seconds of time of day ``tod``; ``hint`` is a nearby POSIX time (the
        capture time) that picks the day when given."""
        if not 0.0 <= tod < DAY_S + 1.0:  # +1 s: a leap second or a rounding at 24:00
            raise TimeOfDayError(f"time of day {tod!r} s is outside 0..86400")
        ref = hint if hint is not None else self._last
        if ref is None:
            if self._midnight is None:
                raise TimeOfDayError(
                    "ASTERIX carries only the time of day: give the date (UTC) of the "
                    "recording (--set date=YYYY-MM-DD)"
                )
            t = self._midnight + tod
        else:
            t = ref - (ref % DAY_S) + tod
            if t - ref > DAY_S / 2:
                t -= DAY_S
            elif ref - t > DAY_S / 2:
                t += DAY_S
        self._last = t
        return t


def time_of_day(t: float) -> float:
    """Seconds since the last midnight UTC of POSIX time ``t``."""
    return t % DAY_S
