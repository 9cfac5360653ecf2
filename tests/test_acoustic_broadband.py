"""Broadband detector: band levels against a tracked floor, OR-fused in the node pipeline."""

from __future__ import annotations

import math

import numpy as np

from dronewall.acoustic.broadband import (
    BB_THRESHOLD,
    GUARD,
    HOLD_FRAMES,
    WARMUP_FRAMES,
    BroadbandDetector,
    band_edges,
    noise_statistics,
)
from dronewall.acoustic.detector import DEFAULT_THRESHOLD
from dronewall.acoustic.fullphysics import CAL_DB, prime_noise
from dronewall.acoustic.node import NodePipeline
from dronewall.acoustic.propagation import Environment
from dronewall.acoustic.synthesis import (
    ArrayGeometry,
    Signature,
    Trajectory,
    emission_times,
    synthesize,
    to_dbfs,
)

RURAL = Environment(ambient="rural_night", wind_m_s=2.0)


def test_bands_are_third_octaves_with_bins():
    e = band_edges(2048, 16000)
    assert len(e) == 19 and np.all(np.diff(e) >= 1)
    f = np.fft.rfftfreq(2048, 1 / 16000)
    assert 85 < f[e[0]] < 95 and 5500 < f[e[-1]] < 5700


def test_noise_only_stays_below_threshold():
    s = noise_statistics(150, seed=3, chunk_s=50, warmup=30)
    assert s.shape == (150,)
    assert np.all(s < BB_THRESHOLD)
    assert 1.0 < float(np.median(s)) < 4.0  # max of ~18 band z-scores: a few sigma


def test_warmup_then_a_step_is_detected_and_a_lasting_change_absorbed():
    rng = np.random.default_rng(0)
    det = BroadbandDetector()
    base = rng.normal(0.0, 0.5, (60, 18))
    stats = [det.step_levels(lv) for lv in base]
    assert all(s == 0.0 for s, _ in stats[:WARMUP_FRAMES - 1])
    assert not any(hit for _, hit in stats)
    s, hit = det.step_levels(base[0] + np.r_[np.full(6, 4.0), np.zeros(12)])
    assert hit and s > 2 * BB_THRESHOLD
    # the same +4 dB held for good (rain, a new generator) stops alarming within minutes
    hits = [det.step_levels(rng.normal(0.0, 0.5, 18) + np.r_[np.full(6, 4.0), np.zeros(12)])[1]
            for _ in range(1500)]
    assert hits[0] and not any(hits[-100:])


def test_a_passing_source_leaves_the_floor_alone_for_two_minutes():
    # A drone passing a node is loud for a minute or two: the floor holds still for
    # HOLD_FRAMES detected frames (creeping during a pass lost the drone early as it
    # receded), and only a change that lasts longer starts to creep in.
    rng = np.random.default_rng(4)
    det = BroadbandDetector()
    for lv in rng.normal(0.0, 0.5, (80, 18)):
        det.step_levels(lv)
    assert det.mean is not None
    before = det.mean.copy()
    loud = np.r_[np.full(6, 6.0), np.zeros(12)]
    for _ in range(HOLD_FRAMES):
        assert det.step_levels(rng.normal(0.0, 0.5, 18) + loud)[1]
    assert np.array_equal(det.mean, before)
    for _ in range(60):
        det.step_levels(rng.normal(0.0, 0.5, 18) + loud)
    assert float(np.mean(det.mean[:6] - before[:6])) > 0.3


def test_a_source_just_below_the_threshold_is_not_learnt_at_once():
    # A source that raises six bands by 2 sigma (statistic ~5: above the guard, below the
    # threshold) and stays. Without the guard the floor learnt it within ~10 frames, so a
    # target first heard just below the threshold could hardly be detected as it came
    # closer; with the guard it stands out for its first ~30 frames and is learnt over the
    # next minutes (a lasting change of the ambient).
    rng = np.random.default_rng(1)
    base = rng.normal(0.0, 0.5, (80, 18))
    bump = np.r_[np.full(6, 1.0), np.zeros(12)]
    out = {}
    for guard in (GUARD, math.inf):
        det = BroadbandDetector(guard=guard)
        for lv in base:
            det.step_levels(lv)
        noise = np.random.default_rng(2)
        out[guard] = np.array([det.step_levels(noise.normal(0.0, 0.5, 18) + bump)[0]
                               for _ in range(150)])
    held, learnt = out[GUARD], out[math.inf]
    assert GUARD + 0.5 < float(np.mean(held[:30])) < BB_THRESHOLD
    assert float(np.mean(learnt[10:30])) < GUARD - 0.5
    assert float(np.mean(held[-30:])) < GUARD - 0.5


def _jet_audio(range_m: float, seconds: float, seed: int) -> np.ndarray:
    az = math.radians(40.0)
    pos = (range_m * math.sin(az), range_m * math.cos(az), 300.0)
    return synthesize(Signature.for_label("jet"), Trajectory.static(pos), ArrayGeometry.single(),
                      duration_s=seconds, env=RURAL, seed=seed)


def test_pipeline_detects_a_jet_only_with_the_broadband_detector():
    audio = to_dbfs(_jet_audio(4000.0, 4.0, seed=5))
    pipe = NodePipeline(None, cal_db=CAL_DB)
    pipe.prime(to_dbfs(prime_noise(RURAL, 5)))
    dets = pipe.process(audio, 0.0)
    assert len(dets) == 4
    assert all(d.detected and d.detector == "broadband" for d in dets)
    assert all(d.statistic < DEFAULT_THRESHOLD < math.inf for d in dets)
    rec = dets[0].to_dict()
    assert rec["detector"] == "broadband" and rec["bb_statistic"] >= BB_THRESHOLD
    # Without the floor's history (a node just switched on) nothing can be decided yet.
    cold = NodePipeline(None, cal_db=CAL_DB).process(audio, 0.0)
    assert not any(d.detected for d in cold)
    # Turned off, the jet is missed: the harmonic detector alone never sees it.
    off = NodePipeline(None, cal_db=CAL_DB, bb_threshold=math.inf)
    off.prime(to_dbfs(prime_noise(RURAL, 5)))
    assert not any(d.detected for d in off.process(audio, 0.0))


def test_approaching_jet_is_detected_from_a_running_floor():
    # A jet drone flies in at 200 m/s from 14 km to overhead (300 m up) within 30 s of
    # audio; the node's floor is learnt on the first, inaudible seconds and must not swallow
    # the jet: it is detected by the broadband detector while still kilometres away.
    traj = Trajectory.line((0.0, 14_000.0, 300.0), (0.0, -200.0, 0.0), 70.0, t_start=-40.0)
    audio = synthesize(Signature.for_label("jet"), traj, ArrayGeometry.single(), duration_s=30.0,
                       env=RURAL, seed=9)
    dets = NodePipeline(None, cal_db=CAL_DB).process(to_dbfs(audio), 0.0)
    first = next(d for d in dets if d.detected)
    _, r = emission_times(traj, np.array([first.time]), np.zeros(3), RURAL.speed_of_sound)
    assert first.detector == "broadband"
    assert first.frame >= WARMUP_FRAMES and float(r[0]) > 4000.0
    assert all(d.detected for d in dets[first.frame:])


def test_broadband_detection_gets_an_srp_bearing_from_an_array():
    az = 230.0
    pos = (3000.0 * math.sin(math.radians(az)), 3000.0 * math.cos(math.radians(az)), 300.0)
    arr = ArrayGeometry.square(0.1)
    audio = synthesize(Signature.for_label("jet", "cruise_missile"), Trajectory.static(pos), arr,
                       duration_s=3.0, env=RURAL, seed=4)
    pipe = NodePipeline(arr, cal_db=CAL_DB)
    pipe.prime(to_dbfs(prime_noise(RURAL, 4)))
    dets = pipe.process(to_dbfs(audio), 0.0)
    assert all(d.detector == "broadband" and len(d.bearings) == 1 for d in dets)
    for d in dets:
        b = d.bearings[0]
        assert b.method == "srp-phat"
        assert abs((b.azimuth - az + 180.0) % 360.0 - 180.0) < 5.0


def test_distant_helicopter_bearing_uses_the_bands_in_excess():
    # 8 km away only the helicopter's low turbine bands stand out; SRP-PHAT over 200-3000 Hz
    # was dominated by noise bins (errors 50-100 degrees); over the bands in excess it holds.
    az = 75.0
    pos = (8000.0 * math.sin(math.radians(az)), 8000.0 * math.cos(math.radians(az)), 500.0)
    arr = ArrayGeometry.square(0.1)
    audio = synthesize(Signature.for_label("helicopter"), Trajectory.static(pos), arr,
                       duration_s=4.0, env=RURAL, seed=6)
    pipe = NodePipeline(arr, cal_db=CAL_DB)
    pipe.prime(to_dbfs(prime_noise(RURAL, 6)))
    dets = pipe.process(to_dbfs(audio), 0.0)
    assert all(d.detector == "broadband" for d in dets)
    err = [abs((d.bearings[0].azimuth - az + 180.0) % 360.0 - 180.0) for d in dets]
    assert max(err) < 8.0, err
