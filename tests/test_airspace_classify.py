"""The kinematic classifier: rules, smoothing, and the wait for a settled track."""

import pytest

from dronewall.airspace.classify import CLASSES, KinematicClassifier, classify
from dronewall.model import Track, Transponder

COV = [[100.0 if i == j else 0.0 for j in range(6)] for i in range(6)]


def track(i: int, speed: float, alt: float, hits: int, status: str = "confirmed",
          transponder: Transponder | None = None) -> Track:
    return Track(id="T1", time=1.7e9 + i, status=status, lat=52.0, lon=23.0, alt=alt,
                 ve=speed, vn=0.0, vu=0.0, covariance=COV, born=1.7e9, hits=hits,
                 transponder=transponder)


@pytest.mark.parametrize(
    ("speed", "alt", "coop", "label"),
    [
        (45.0, 800.0, False, "slow UAV"),  # Gerbera / Shahed
        (110.0, 1000.0, False, "fast UAV / light aircraft"),
        (230.0, 50.0, False, "cruise missile / jet UAV"),
        (280.0, 9000.0, False, "fast aircraft"),  # MiG-31
        (5.0, 100.0, False, "hovering / very slow"),
        (60.0, 8000.0, False, "high slow flyer"),
        (230.0, 11000.0, True, "cooperative aircraft"),
    ],
)
def test_rules(speed, alt, coop, label):
    assert classify(speed, alt, coop) == label
    assert label in CLASSES


def test_young_track_stays_unknown_then_settles():
    c = KinematicClassifier(min_hits=4)
    labels = [c.process([track(i, 45.0, 800.0, hits=i + 1)])[0].class_label for i in range(6)]
    assert labels[:3] == ["unknown"] * 3 and labels[3:] == ["slow UAV"] * 3


def test_one_wild_velocity_does_not_flip_the_class():
    c = KinematicClassifier(min_hits=1)
    for i in range(10):
        c.process([track(i, 45.0, 800.0, hits=i + 1)])
    out = c.process([track(11, 160.0, 800.0, hits=12)])  # one bad estimate
    assert out[0].class_label == "slow UAV"


def test_cooperative_is_known_at_once_and_state_is_dropped_when_lost():
    c = KinematicClassifier()
    adsb = Transponder(icao24="48ae01", callsign="LOT3")
    assert c.process([track(0, 230.0, 11000.0, 1, transponder=adsb)])[0].class_label == (
        "cooperative aircraft")
    c.process([track(1, 230.0, 11000.0, 2, status="lost")])
    assert c._state == {}
