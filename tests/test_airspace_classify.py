"""The track classifier: envelopes, honest ambiguity, acoustic evidence, history."""

import warnings

import numpy as np
import pytest

from dronewall.airspace.classify import (
    ACOUSTIC_LABELS,
    CLASSES,
    TRACK_CLASSES,
    KinematicClassifier,
    acoustic_vector,
    classify,
    nan_median,
    posterior,
)
from dronewall.model import Track, Transponder

COV = [[100.0 if i == j else 0.0 for j in range(6)] for i in range(6)]


def track(i: int, speed: float, alt: float, hits: int, status: str = "confirmed",
          transponder: Transponder | None = None, probs: dict | None = None,
          tid: str = "T1", heading_deg: float = 90.0, vu: float = 0.0) -> Track:
    h = np.radians(heading_deg)
    return Track(id=tid, time=1.7e9 + i, status=status, lat=52.0, lon=23.0, alt=alt,
                 ve=speed * np.sin(h), vn=speed * np.cos(h), vu=vu, covariance=COV,
                 born=1.7e9, hits=hits, transponder=transponder, class_probs=probs)


def settle(c: KinematicClassifier, n: int = 12, **kw) -> Track:
    out = None
    for i in range(n):
        out = c.process([track(i, hits=i + 1, **kw)])[0]
    assert out is not None
    return out


@pytest.mark.parametrize(
    ("speed", "alt", "coop", "label"),
    [
        (5.0, 100.0, False, "multicopter"),
        (280.0, 9000.0, False, "fighter"),  # MiG-31 at 0.9 Mach
        (230.0, 11000.0, True, "airliner"),
        (210.0, 40.0, False, "cruise_missile"),  # Kh-101, terrain following
        (120.0, 2000.0, False, "jet_shahed"),  # Geran-3
        (75.0, 2000.0, True, "light_aircraft"),
        (48.0, 800.0, False, "shahed"),
    ],
)
def test_kinematic_envelopes(speed, alt, coop, label):
    assert classify(speed, alt, coop) == label
    assert label in CLASSES == TRACK_CLASSES


def test_shahed_and_gerbera_stay_ambiguous_on_kinematics_alone():
    """Overlapping envelopes: neither gets more than ~2/3, together they take ~all."""
    for speed in (40.0, 45.0, 50.0):
        p = posterior(np.array([[speed, 1000.0, 0.5, 0.5]]), np.array([False]))[0]
        ps, pg = p[TRACK_CLASSES.index("shahed")], p[TRACK_CLASSES.index("gerbera")]
        assert ps + pg > 0.85
        assert 0.25 < ps / (ps + pg) < 0.7, (speed, ps, pg)


def test_acoustic_gerbera_label_tells_the_decoy_apart():
    acoustic = {"gerbera": 0.8, "shahed": 0.1, "propeller_aircraft": 0.05}
    c = KinematicClassifier()
    out = settle(c, speed=45.0, alt=1000.0, probs=acoustic)
    assert out.class_label == "gerbera"
    p = out.class_probs
    assert p["gerbera"] > 0.7 and p["gerbera"] > 3 * p["shahed"]
    shahed = settle(KinematicClassifier(), speed=45.0, alt=1000.0,
                    probs={"shahed": 0.8, "gerbera": 0.1})
    assert shahed.class_label == "shahed" and shahed.class_probs["shahed"] > 0.7


def test_old_simulator_label_counts_for_both_piston_airframes():
    v = acoustic_vector({"shahed-class": 0.9})
    assert v is not None
    assert v[ACOUSTIC_LABELS.index("shahed")] == pytest.approx(v[ACOUSTIC_LABELS.index("gerbera")])
    # a classified track's own probabilities are not read back as acoustic evidence
    assert acoustic_vector({"shahed": 0.5, "gerbera": 0.4, "unknown": 0.0}) is None


def test_probabilities_are_a_distribution_and_marked_as_track_classes():
    out = settle(KinematicClassifier(), speed=45.0, alt=900.0)
    assert set(out.class_probs) <= set(TRACK_CLASSES)
    assert "unknown" in out.class_probs
    assert 0.99 < sum(out.class_probs.values()) <= 1.0


def test_young_track_stays_unknown_then_settles():
    c = KinematicClassifier(min_hits=4)
    labels = [c.process([track(i, 48.0, 800.0, hits=i + 1)])[0].class_label for i in range(6)]
    assert labels[:3] == ["unknown"] * 3 and labels[3:] == ["shahed"] * 3


def test_one_wild_velocity_does_not_flip_the_class():
    c = KinematicClassifier(min_hits=1)
    for i in range(10):
        c.process([track(i, 48.0, 800.0, hits=i + 1)])
    out = c.process([track(11, 200.0, 800.0, hits=12)])  # one bad estimate
    assert out[0].class_label == "shahed"


def test_turning_hard_rules_out_an_airliner():
    c = KinematicClassifier(min_hits=1)
    out = None
    for i in range(12):  # 15 deg/s turn at 250 m/s, 9 km, no transponder
        out = c.process([track(i, 250.0, 9000.0, hits=i + 1, heading_deg=15.0 * i)])[0]
    assert out.class_label == "fighter"
    assert out.class_probs.get("airliner", 0.0) < 0.01
    assert out.class_probs.get("bomber", 0.0) < 0.01


def test_cooperative_is_known_at_once_and_state_is_dropped_when_lost():
    c = KinematicClassifier()
    adsb = Transponder(icao24="48ae01", callsign="LOT3")
    assert c.process([track(0, 230.0, 11000.0, 1, transponder=adsb)])[0].class_label == (
        "airliner")
    lost = c.process([track(1, 230.0, 11000.0, 2, status="lost", transponder=adsb)])[0]
    assert lost.class_label == "airliner"
    assert c._rows == {} and c._last == {}


def test_batches_give_the_same_answer_as_one_by_one():
    states = [track(i, 45.0 + (i % 5), 900.0 + 10 * i, hits=i + 1, tid=f"T{i % 3}")
              for i in range(30)]
    a = KinematicClassifier().process(states)
    c = KinematicClassifier()
    b = [c.process([s])[0] for s in states]
    assert [t.class_probs for t in a] == [t.class_probs for t in b]


def test_priors_override_and_validation():
    decoy_heavy = KinematicClassifier(priors={"gerbera": 4.0})
    out = settle(decoy_heavy, speed=45.0, alt=1000.0)
    assert out.class_label == "gerbera"
    with pytest.raises(ValueError, match="priors"):
        KinematicClassifier(priors={"ufo": 1.0})


def test_nan_median_matches_numpy():
    rng = np.random.default_rng(1)
    x = rng.random((20, 16, 4))
    x[x < 0.3] = np.nan
    x[2, :, 1] = np.nan
    got = nan_median(x)
    assert np.isnan(got[2, 1])
    ok = ~np.isnan(got)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = np.nanmedian(x, axis=1)
    assert np.allclose(got[ok], ref[ok])
