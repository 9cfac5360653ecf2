"""ISO 8601 <-> POSIX seconds, and durations for people."""

import pytest

from dronewall.timeutil import hms, iso, parse_iso


def test_round_trip():
    assert parse_iso("2025-09-10T03:29:00Z") == 1757474940.0
    assert iso(1757474940.0) == "2025-09-10T03:29:00Z"
    assert iso(parse_iso("2025-09-19T06:58:15.25Z"), ms=True) == "2025-09-19T06:58:15.250Z"
    assert parse_iso("2025-09-10T05:29:00+02:00") == 1757474940.0
    assert iso(None) is None


def test_naive_time_is_rejected():
    with pytest.raises(ValueError, match="no zone"):
        parse_iso("2025-09-10T03:29:00")


def test_hms():
    assert hms(725) == "12:05" and hms(7276.4) == "2:01:16" and hms(-5) == "-0:05"
    assert hms(None) == "-"
