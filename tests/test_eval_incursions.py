"""Matching detected incursions to true ones: detected, missed, false, duplicate."""

import pytest

from dronewall.eval.incursions import IncursionRecord, compare


def rec(track, entry, inside=600.0, country="POL"):
    return IncursionRecord(track_id=track, country=country, entry_time=entry,
                           end_time=entry + inside, exit_time=None, end_reason="track_lost",
                           seconds_inside=inside, max_depth_km=10.0, entry_lat=52.0,
                           entry_lon=23.0, entry_from="BLR", entry_observed=True)


def test_detected_missed_false_duplicate():
    truth = [rec("gerbera-01", 1000.0), rec("gerbera-02", 2000.0), rec("gerbera-03", 3000.0)]
    detected = [
        rec("T0001", 1004.0, 590.0),   # gerbera-01, 4 s late, 10 s short
        rec("T0002", 1990.0),          # gerbera-02, 10 s early
        rec("T0005", 2300.0),          # gerbera-02 again: a second track of the same drone
        rec("T0009", 5000.0),          # clutter
    ]
    track_truth = {"T0001": "gerbera-01", "T0002": "gerbera-02", "T0005": "gerbera-02",
                   "T0009": None}
    cmp = compare(detected, truth, track_truth)
    verdicts = [r["verdict"] for r in cmp.rows]
    assert verdicts == ["detected", "detected", "duplicate", "false"]
    assert cmp.rows[0]["entry_error_s"] == pytest.approx(4.0)
    assert cmp.rows[0]["inside_error_s"] == pytest.approx(-10.0)
    assert [m.track_id for m in cmp.missed] == ["gerbera-03"]
    s = cmp.summary
    assert (s["truth_incursions"], s["detected"], s["missed"], s["false"], s["duplicates"]) == (
        3, 2, 1, 1, 1)
    assert s["median_entry_error_s"] == pytest.approx(7.0)


def test_country_must_match():
    cmp = compare([rec("T1", 1000.0, country="LTU")], [rec("a", 1000.0)], {"T1": "a"})
    assert cmp.summary["detected"] == 0 and cmp.summary["false"] == 1
