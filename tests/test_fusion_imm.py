"""The interacting multiple model filter: its pieces, and the tracker running it."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewall.bench.tracker_models import turn_errors
from dronewall.fusion import Tracker, TrackerConfig
from dronewall.fusion.imm import CoordinatedTurn, air_modes, imm_innovations, imm_update
from dronewall.fusion.motion import ConstantVelocity
from dronewall.geo.frames import LocalFrame
from dronewall.model.messages import Detection, EnuPosition, GeoPoint, Track

FRAME = LocalFrame(52.0, 21.0)
ORIGIN = GeoPoint(lat=52.0, lon=21.0, alt=0.0)
MODEL = air_modes(2.0, 0.5, 3.0, 16.0)


def test_switching_matrix_is_a_markov_chain_that_forgets() -> None:
    pi = MODEL.switching(np.array([0.0, 1.0, -5.0, 1e5]))
    assert np.allclose(pi.sum(2), 1.0) and (pi >= 0.0).all()
    assert np.allclose(pi[0], np.eye(4), atol=1e-12)
    # over 1 s, leaving CV (sojourn 60 s) has probability ~1/60
    assert pi[1, 0, 0] == pytest.approx(np.exp(-1 / 60), abs=2e-3)
    assert np.allclose(pi[2], MODEL.switching(np.array([5.0]))[0])  # |dt|
    assert np.allclose(pi[3], MODEL.stationary[None, :], atol=1e-9)


def test_coordinated_turn_rotates_velocity_and_runs_backwards() -> None:
    ct = CoordinatedTurn(np.radians(3.0), ConstantVelocity(2.0, 0.5))
    x = np.array([[0.0, 0.0, 100.0, 60.0, 0.0, 1.0]])
    f = ct.transition(np.array([60.0]))
    xp = f[0] @ x[0]
    # 60 s at 3 deg/s: a 180-degree turn of radius v / w, ending at (0, 2R) flying west
    radius = 60.0 / np.radians(3.0)
    assert xp[:2] == pytest.approx([0.0, 2 * radius], abs=1e-6)
    assert xp[3:5] == pytest.approx([-60.0, 0.0], abs=1e-9)
    assert xp[2] == pytest.approx(160.0) and xp[5] == pytest.approx(1.0)
    back = ct.transition(np.array([-60.0]))[0]
    assert np.allclose(back @ f[0], np.eye(6), atol=1e-9)
    # a tiny rate is the constant-velocity model
    slow = CoordinatedTurn(1e-9, ConstantVelocity(2.0, 0.5)).transition(np.array([7.0]))
    assert np.allclose(slow, ConstantVelocity(2.0, 0.5).transition(np.array([7.0])), atol=1e-6)


def _is_spd(p: np.ndarray) -> bool:
    sym = np.allclose(p, np.swapaxes(p, -1, -2), rtol=1e-10, atol=1e-6)
    return bool(sym and np.linalg.eigvalsh(p).min() > 0.0)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(-3.0, 30.0))
def test_imm_update_keeps_covariances_spd_and_probabilities_normalised(
    seed: int, dt: float
) -> None:
    rng = np.random.default_rng(seed)
    n, m = 3, MODEL.m
    a = rng.normal(size=(n, m, 6, 6)) * 30.0
    pm = a @ np.swapaxes(a, -1, -2) + np.eye(6) * 10.0
    xm = rng.normal(size=(n, m, 6)) * 100.0
    mu = rng.dirichlet(np.ones(m), size=n)
    t = np.zeros(n)
    z = rng.normal(size=(n, 3)) * 100.0
    r = np.repeat((np.eye(3) * 2500.0)[None], n, axis=0)
    tz = np.full(n, dt)
    rows = cols = np.arange(n)
    inn = imm_innovations(MODEL, xm, pm, mu, t, z, r, tz, rows, cols)
    assert _is_spd(inn.pp) and np.isfinite(inn.cost()).all()
    x, p, t_new, xu, pu, mu_new = imm_update(MODEL, xm, pm, t, tz, inn)
    assert _is_spd(p) and _is_spd(pu)
    assert np.allclose(mu_new.sum(1), 1.0) and (mu_new > 0.0).all()
    assert np.allclose(t_new, max(dt, 0.0))
    assert np.isfinite(x).all() and np.isfinite(xu).all()


def test_a_noiseless_straight_target_is_tracked_exactly() -> None:
    truth = np.array([1000.0, -2000.0, 300.0])
    vel = np.array([40.0, 25.0, 0.0])
    tracker = Tracker(FRAME, TrackerConfig(motion="imm"))
    cov = (np.eye(3) * 1e-2).tolist()
    out: list[Track] = []
    for k in range(60):
        p = truth + vel * k
        det = Detection(
            id=f"d{k}", sensor_id="s", time=1e9 + k, frame=k, covariance=cov,
            measurement=EnuPosition(e=p[0], n=p[1], u=p[2], origin=ORIGIN),
        )
        out += tracker.process([det])
    out += tracker.finish()
    last = [trk for trk in out if trk.status == "confirmed"][-1]
    assert last.time == 1e9 + 59
    pos = FRAME.to_enu(last.lat, last.lon, last.alt)
    assert np.abs(pos - (truth + vel * 59)).max() < 0.05
    assert (last.ve, last.vn) == pytest.approx((40.0, 25.0), abs=0.05)


def test_imm_follows_a_turn_better_than_constant_velocity() -> None:
    errs: dict[str, tuple[list[float], list[float]]] = {"cv": ([], []), "imm": ([], [])}
    for motion in errs:
        for seed in range(3):
            turning, straight = turn_errors(motion, 3.0, seed)
            errs[motion][0].extend(turning)
            errs[motion][1].extend(straight)

    def rms(v: list[float]) -> float:
        return float(np.sqrt(np.mean(np.square(v))))

    assert len(errs["imm"][0]) == len(errs["cv"][0]) > 80
    # measured: about 41 m against 64 m in the turn, 41 against 40 m out of it
    assert rms(errs["imm"][0]) < 0.8 * rms(errs["cv"][0])
    assert rms(errs["imm"][1]) < 1.15 * rms(errs["cv"][1])
