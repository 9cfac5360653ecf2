"""Fast mode: SNR model, calibrated Pd and bearing error, and agreement with full physics."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from dronewall.acoustic.fastmode import (
    CALIBRATION_PATH,
    FastAcousticModel,
    PdFit,
    bearing_sigma_deg,
    comb_snr_db,
    logistic_pd,
)
from dronewall.acoustic.fullphysics import (
    node_detections,
    range_for_snr,
    run_point_chunked,
    table_is_current,
    validation_ranges,
)
from dronewall.acoustic.propagation import Environment
from dronewall.acoustic.signatures import Signature
from dronewall.acoustic.synthesis import ArrayGeometry, Trajectory

RURAL = Environment(ambient="rural_night", wind_m_s=2.0)


def test_snr_model_physics():
    sig = Signature.for_label("shahed")
    r = np.array([1000.0, 2000.0, 4000.0, 8000.0])
    snr = comb_snr_db(sig, r, RURAL)
    assert np.all(np.diff(snr) < 0)
    # Far away (ambient-limited), +10 dB of source level is +10 dB of SNR.
    louder = comb_snr_db(Signature.for_label("shahed", source_level_db=120.0), 8000.0, RURAL)
    assert float(louder) - snr[-1] == pytest.approx(10.0, abs=0.1)  # own broadband: -0.06
    # Urban ambient is ~28 dB(A) louder than rural night: much less SNR at range.
    assert float(comb_snr_db(sig, 4000.0, Environment(ambient="urban"))) < snr[2] - 15.0
    # Strong wind raises the low-frequency floor.
    assert float(comb_snr_db(sig, 4000.0, Environment(wind_m_s=10.0))) < snr[2]
    assert comb_snr_db(sig, 1500.0, RURAL).shape == ()


def test_logistic_and_bearing_shapes():
    assert float(logistic_pd(12.0, 12.0, 0.5)) == pytest.approx(0.5)
    assert float(logistic_pd(30.0, 12.0, 0.5)) > 0.999
    assert float(logistic_pd(-30.0, 12.0, 0.5, pfa=1e-3)) == pytest.approx(1e-3, rel=1e-3)
    s = bearing_sigma_deg([0.0, 10.0, 30.0], 0.5, 8.0)
    assert np.all(np.diff(s) < 0) and s[-1] == pytest.approx(math.hypot(0.5, 8 / 10**1.5))


def test_detect_draws_match_pd_and_are_deterministic():
    model = FastAcousticModel(fits={"shahed": PdFit(12.0, 1.0)},
                              bearing={"shahed": (0.5, 8.0)})
    r = float(range_for_snr("shahed", RURAL, [12.0])[0])  # Pd = 0.5 here
    ranges = np.full(4000, r)
    a = model.detect(ranges, "shahed", RURAL, np.random.default_rng(5), true_azimuth_deg=90.0)
    b = model.detect(ranges, "shahed", RURAL, np.random.default_rng(5), true_azimuth_deg=90.0)
    assert np.array_equal(a.detected, b.detected)
    assert np.mean(a.detected) == pytest.approx(0.5, abs=0.03)
    assert a.azimuth_deg is not None
    err = (a.azimuth_deg - 90.0 + 180.0) % 360.0 - 180.0
    assert np.std(err) == pytest.approx(float(a.sigma_deg[0]), rel=0.1)
    assert model.range_at_pd("shahed", 0.5, RURAL) == pytest.approx(r, rel=0.01)


def test_uncalibrated_fallback_says_so(tmp_path):
    m = FastAcousticModel.load(tmp_path / "none.json")
    assert not m.calibrated and "uncalibrated" in m.source
    assert 0.0 <= float(m.p_detect(3000.0, "shahed", RURAL)) <= 1.0


def test_node_detections_full_chain():
    # Shahed 600 m away, bearing 135 deg: every frame detected, bearing within 3 degrees.
    az = math.radians(135.0)
    pos = (600 * math.sin(az), 600 * math.cos(az), 80.0)
    dets = node_detections(Signature.for_label("shahed"), Trajectory.static(pos),
                           ArrayGeometry.square(0.1), duration_s=3.0, env=RURAL, seed=2)
    assert len(dets) == 3 and all(d.detected for d in dets)
    for d in dets:
        assert abs((d.bearings[0].azimuth - 135.0 + 180.0) % 360.0 - 180.0) < 3.0
    quiet = node_detections(Signature.for_label("shahed", source_level_db=-50.0),
                            Trajectory.static(pos), ArrayGeometry.single(), duration_s=3.0,
                            env=RURAL, seed=2)
    assert not any(d.detected for d in quiet)


@pytest.mark.skipif(not CALIBRATION_PATH.exists(), reason="no calibration table shipped")
def test_shipped_table_is_complete():
    table = json.loads(CALIBRATION_PATH.read_text())
    model = FastAcousticModel.load()
    assert model.calibrated
    for label in ("shahed", "gerbera", "helicopter", "propeller_aircraft"):
        assert label in table["classes"]
        assert 0.0 < model.range_at_pd(label, 0.5, RURAL) < 60_000.0


@pytest.mark.skipif(not CALIBRATION_PATH.exists(), reason="no calibration table shipped")
def test_shipped_table_was_calibrated_against_this_node_detector():
    table = json.loads(CALIBRATION_PATH.read_text())
    assert table_is_current(table), (
        "the node detector changed since data/calibration.json was made: "
        "re-run `dronewall acoustic calibrate`")


@pytest.mark.skipif(not CALIBRATION_PATH.exists(), reason="no calibration table shipped")
def test_fast_mode_pd_matches_full_physics_on_a_subset():
    """The done-when on a small subset (the full sweep is `dronewall acoustic validate`):
    shahed, rural night, at the ranges where the fast mode says Pd = 0.9, 0.5 and 0.1,
    fresh seeds, 80 one-second frames each (four 20-s pieces with their own seeds). Allowed:
    0.05 plus two binomial standard errors of the 80-frame estimate."""
    model = FastAcousticModel.load()
    for i, r in enumerate(validation_ranges(model, "shahed", RURAL, (0.9, 0.5, 0.1))[:3]):
        res = run_point_chunked("shahed", r, RURAL, seconds=80, seed=900 + i)
        fast = float(model.p_detect(r, "shahed", RURAL))
        se = math.sqrt(max(res.pd * (1 - res.pd), fast * (1 - fast), 0.01) / res.n)
        assert abs(res.pd - fast) <= 0.05 + 2 * se, (r, res.pd, fast)
