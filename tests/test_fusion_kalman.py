"""Motion model and batched Kalman filter."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewall.fusion.kalman import innovations, inv3, update
from dronewall.fusion.motion import ConstantVelocity

MODEL = ConstantVelocity(2.0, 0.5)


def _spd(rng: np.random.Generator, n: int, k: int, scale: float) -> np.ndarray:
    a = rng.normal(size=(k, n, n)) * scale
    return a @ a.transpose(0, 2, 1) + np.eye(n) * scale * 0.1


def _is_spd(p: np.ndarray) -> bool:
    sym = np.allclose(p, p.transpose(0, 2, 1), rtol=1e-12, atol=1e-9)
    return bool(sym and np.linalg.eigvalsh(p).min() > 0.0)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_inv3_matches_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    s = rng.normal(size=(7, 3, 3)) + 3 * np.eye(3)
    inv, det = inv3(s)
    assert np.allclose(inv, np.linalg.inv(s), rtol=1e-8, atol=1e-10)
    assert np.allclose(det, np.linalg.det(s))


def test_transition_and_noise_are_the_textbook_cv_model() -> None:
    dt = np.array([2.0, -3.0])
    f = MODEL.transition(dt)
    assert np.allclose(f[0, :3, 3:], 2.0 * np.eye(3)) and np.allclose(f[0, 3:, :3], 0.0)
    q = MODEL.noise(dt)
    qh, qv = 2.0**2, 0.5**2
    assert np.isclose(q[0, 0, 0], qh * 8 / 3) and np.isclose(q[0, 2, 2], qv * 8 / 3)
    assert np.isclose(q[0, 0, 3], qh * 2) and np.isclose(q[0, 3, 3], qh * 2)
    # backwards: same magnitudes, position-velocity term negative
    assert np.isclose(q[1, 0, 0], qh * 9) and np.isclose(q[1, 0, 3], -qh * 4.5)
    assert np.isclose(q[1, 3, 3], qh * 3)
    assert np.linalg.eigvalsh(q).min() > -1e-12
    # Q(dt) is the covariance of the integrated white acceleration: two half steps
    # compose into one full step, F(h) Q(h) F(h)ᵀ + Q(h) = Q(2h)
    h = np.array([1.5])
    two = MODEL.transition(h) @ MODEL.noise(h) @ MODEL.transition(h).transpose(0, 2, 1)
    assert np.allclose(two + MODEL.noise(h), MODEL.noise(2 * h))


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.floats(-12.0, 30.0),
    st.floats(1.0, 1e6),
)
def test_update_keeps_covariance_symmetric_positive_definite(
    seed: int, dt: float, r_scale: float
) -> None:
    rng = np.random.default_rng(seed)
    k = 4
    x = rng.normal(size=(k, 6)) * 1000
    p = _spd(rng, 6, k, 30.0)
    t = np.full(k, 100.0)
    z = x[:, :3] + rng.normal(size=(k, 3)) * 100
    r = _spd(rng, 3, k, np.sqrt(r_scale))
    tz = np.full(k, 100.0 + dt)
    rows = cols = np.arange(k)
    inn = innovations(MODEL, x, p, t, z, r, tz, rows, cols)
    assert np.all(inn.d2 >= 0)
    _x2, p2, t2 = update(x, p, t, tz, inn)
    assert _is_spd(p2)
    # information only shrinks the (position) uncertainty of the state it updates
    base = inn.pp if dt >= 0 else p
    after = np.trace(p2[:, :3, :3], axis1=1, axis2=2)
    assert np.all(after <= np.trace(base[:, :3, :3], axis1=1, axis2=2) + 1e-6)
    assert np.all(t2 == (tz if dt >= 0 else t))


def test_noiseless_constant_velocity_target_is_tracked_exactly() -> None:
    model = ConstantVelocity(0.01, 0.01)
    truth_p = np.array([1000.0, -2000.0, 500.0])
    truth_v = np.array([40.0, -25.0, 2.0])
    x = np.zeros((1, 6))
    x[0, :3] = truth_p
    p = np.diag([100.0**2] * 3 + [150.0**2] * 3)[None]
    t = np.array([0.0])
    r = np.eye(3)[None] * 1e-2  # (0.1 m)²
    for k in range(1, 40):
        tk = np.array([k * 4.0])
        z = (truth_p + truth_v * tk[0])[None]
        inn = innovations(model, x, p, t, z, r, tk, np.array([0]), np.array([0]))
        x, p, t = update(x, p, t, tk, inn)
    assert np.allclose(x[0, :3], truth_p + truth_v * t[0], atol=0.05)
    assert np.allclose(x[0, 3:], truth_v, atol=0.01)


def test_out_of_sequence_update_is_exact_without_process_noise() -> None:
    """With no process noise the order of measurements does not matter: taking z2 after
    z3 (backwards, dt < 0) must give the in-order result."""
    model = ConstantVelocity(0.0, 0.0)
    rng = np.random.default_rng(9)
    x0 = np.zeros((1, 6))
    p0 = np.diag([1e6] * 3 + [1e4] * 3)[None]
    times = [0.0, 10.0, 20.0]
    zs = [rng.normal(size=3) * 100 + np.array([400.0, 100.0, 20.0]) * tk / 10 for tk in times]
    r = np.diag([100.0, 400.0, 900.0])[None]

    def run(order: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x, p, t = x0.copy(), p0.copy(), np.array([0.0])
        for i in order:
            tz = np.array([times[i]])
            inn = innovations(model, x, p, t, zs[i][None], r, tz, np.array([0]), np.array([0]))
            x, p, t = update(x, p, t, tz, inn)
        return x, p, t

    xa, pa, ta = run([0, 1, 2])
    xb, pb, tb = run([0, 2, 1])
    assert ta[0] == tb[0] == 20.0
    assert np.allclose(xa, xb, atol=1e-6)
    assert np.allclose(pa, pb, rtol=1e-6, atol=1e-6)


def test_retrodiction_with_process_noise_stays_consistent() -> None:
    """Late measurements with process noise: the state error stays within its
    covariance (normalised estimation error squared near its dimension), over 2000
    random runs filtered side by side as 2000 tracks."""
    rng = np.random.default_rng(11)
    model = ConstantVelocity(1.0, 1.0)
    k, dt, steps = 2000, 0.5, 61
    f = model.transition(np.array([dt]))[0]
    chol = np.linalg.cholesky(model.noise(np.array([dt]))[0])
    xs = np.empty((steps, k, 6))  # truth: white-acceleration random walk
    xs[0, :, :3] = rng.normal(size=(k, 3)) * 100
    xs[0, :, 3:] = rng.normal(size=(k, 3)) * 10
    for i in range(1, steps):
        xs[i] = xs[i - 1] @ f.T + rng.normal(size=(k, 6)) @ chol.T
    r = np.broadcast_to(np.eye(3) * 50.0**2, (k, 3, 3)).copy()
    x = np.zeros((k, 6))
    p = np.broadcast_to(np.diag([1e6] * 3 + [1e4] * 3), (k, 6, 6)).copy()
    t = np.zeros(k)
    idx = np.arange(k)
    # measurements every 5 s, each pair delivered in swapped order: 10, 0, 30, 20, ...
    for i in (10, 0, 30, 20, 50, 40, 60):
        z = xs[i, :, :3] + rng.normal(size=(k, 3)) * 50.0
        tz = np.full(k, i * dt)
        x, p, t = update(x, p, t, tz, innovations(model, x, p, t, z, r, tz, idx, idx))
    assert np.all(t == 30.0)
    err = x - xs[60]
    nees = np.einsum("ki,ki->k", err, np.linalg.solve(p, err[:, :, None])[:, :, 0])
    mean = float(nees.mean())
    # 6 degrees of freedom (±0.2 sampling); leaving out the process-noise cross term
    # can only make the filter cautious, never overconfident
    assert 5.0 < mean < 6.5
