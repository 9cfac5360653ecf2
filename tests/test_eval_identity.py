"""Identity/class scoring against a small hand-made truth."""

import math

import msgspec
import pytest

from dronewall.eval.identity import TRUTH_CLASS, expected_identities, identity_accuracy
from dronewall.model import Track, TruthState

COV = [[1.0 if i == j else 0.0 for j in range(6)] for i in range(6)]
T0 = 1.75e9


def truth(tid, lat, lon, ve, n, ttype, coop=False):
    return [TruthState(target_id=tid, time=T0 + 10 * k, lat=lat,
                       lon=lon + ve * 10 * k / (111_195.0 * math.cos(math.radians(lat))),
                       alt=1000.0, ve=ve, target_type=ttype, cooperative=coop)
            for k in range(n)]


def tracks_of(states, tid, labels, identities, probs):
    return [Track(id=tid, time=s.time, status="confirmed", lat=s.lat, lon=s.lon, alt=s.alt,
                  ve=s.ve, vn=0.0, vu=0.0, covariance=COV, born=T0, class_label=lab,
                  class_probs=p, identity=ident)
            for s, lab, ident, p in zip(states, labels, identities, probs, strict=True)]


def test_scores_class_confusion_probability_and_identity():
    g = truth("g1", 52.0, 23.0, 40.0, 10, "gerbera")
    a = truth("a1", 52.5, 20.0, 230.0, 10, "airliner", coop=True)
    half = {"shahed": 0.5, "gerbera": 0.45, "unknown": 0.0}
    trs = tracks_of(g, "T1", ["shahed"] * 6 + ["gerbera"] * 4,
                    ["unknown"] * 5 + ["hostile"] * 5,
                    [half] * 6 + [{"gerbera": 0.8, "shahed": 0.15}] * 4)
    trs += tracks_of(a, "T2", ["airliner"] * 10, ["neutral"] * 10,
                     [{"airliner": 0.97}] * 10)
    # a clutter track far from everything
    trs += [Track(id="T9", time=T0 + 10 * k, status="confirmed", lat=40.0, lon=10.0,
                  alt=100.0, ve=0.0, vn=0.0, vu=0.0, covariance=COV, born=T0)
            for k in range(5)]
    info = {"g1": ["gerbera", False, "left", ""], "a1": ["airliner", True, "left", ""]}
    out = identity_accuracy(trs, g + a, info, (52.2, 21.5))
    s = out["summary"]
    assert s["tracks_scored"] == 2 and s["clutter_tracks"] == 1
    assert s["class_states"] == 20
    assert s["class_state_accuracy"] == pytest.approx(14 / 20)
    assert out["confusion"] == {"gerbera": {"shahed": 6, "gerbera": 4},
                                "airliner": {"airliner": 10}}
    assert s["mean_p_true_by_class"]["gerbera"] == pytest.approx((6 * 0.45 + 4 * 0.8) / 10)
    assert s["class_track_accuracy"] == 1.0  # final labels: gerbera, airliner
    assert s["identity_accuracy"] == 1.0
    rows = {r["track_id"]: r for r in out["tracks"]}
    assert rows["T1"]["seconds_to_suspect"] == pytest.approx(50.0)
    assert rows["T2"]["seconds_to_suspect"] is None
    # a decoy that ended "unknown" is an identity miss
    trs[9] = msgspec.structs.replace(trs[9], identity="unknown")
    out = identity_accuracy(trs, g + a, info, (52.2, 21.5))
    assert out["summary"]["identity_accuracy"] == 0.5
    # ... unless the decoy never entered the watched airspace (it flew over Poland, not
    # Lithuania): then "unknown" is acceptable
    assert identity_accuracy(trs, g + a, info, (52.2, 21.5), watch=["POL"])["summary"][
        "identity_accuracy"] == 0.5
    out = identity_accuracy(trs, g + a, info, (52.2, 21.5), watch=["LTU"])
    assert out["summary"]["identity_accuracy"] == 1.0
    assert {r["track_id"]: r["target_entered_watched"] for r in out["tracks"]} == {
        "T1": False, "T2": False}


def test_expected_identities():
    assert expected_identities("airliner", True) == {"friend", "assumed_friend", "neutral"}
    assert expected_identities("mig-31", False) == {"suspect", "hostile"}
    assert expected_identities("gerbera", False, entered=False) == {
        "suspect", "hostile", "unknown"}
    assert TRUTH_CLASS["tu-95"] == "bomber" and TRUTH_CLASS["jet-shahed"] == "jet_shahed"
