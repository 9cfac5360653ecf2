"""Interacting multiple model (IMM) filter, batched over (track, detection) pairs.

Each track carries one state per motion mode (``xm`` (N, M, 6), ``pm`` (N, M, 6, 6)) and
the mode probabilities ``mu`` (N, M); its combined state (the moment-matched mixture) is
what gating, output and the acoustic updates see. The modes (:func:`air_modes`):

``cv``
    nearly-constant velocity, the configured process noise;
``turn_left`` / ``turn_right``
    coordinated turn in the horizontal plane at a fixed rate ±ω (default 3°/s, the
    "standard rate" turn of aircraft; a Shahed-class drone turns at a few °/s), with the
    same process noise; altitude as CV;
``maneuver``
    CV with the process noise of the tracker's maneuver response (× ``maneuver_q_factor``):
    accelerations, climbs and turns at other rates.

Fixed-rate turn models keep the state linear and six-dimensional, so all modes share the
Kalman arithmetic of :mod:`dronewall.fusion.kalman` (Bar-Shalom, Li & Kirubarajan,
"Estimation with Applications to Tracking and Navigation", 2001, §11.7: an IMM of CV and
left/right CT models of known rate). The mode switches as a continuous-time Markov
chain: mode i is left after a mean sojourn time ``τ_i`` for any other mode with equal
probability, so over an interval dt the transition matrix is ``Π(dt) = expm(Λ |dt|)``,
which suits the irregular update intervals of a multi-sensor tracker.

One IMM cycle for a pair (track, detection at time t + dt), for all pairs at once:

1. mixing: ``c̄_j = Σ_i μ_i Π_ij``, ``μ_i|j = μ_i Π_ij / c̄_j``,
   ``x0_j = Σ_i μ_i|j x_i``, ``P0_j = Σ_i μ_i|j (P_i + (x_i - x0_j)(x_i - x0_j)ᵀ)``;
2. mode-matched prediction ``F_j(dt)``, ``Q_j(dt)`` and innovation ``ν_j``, ``S_j``;
3. pair likelihood ``Λ = Σ_j c̄_j N(ν_j; 0, S_j)`` (its negative log is the GNN cost);
   gating uses the combined prediction;
4. update: a Kalman update per mode, ``μ_j ∝ c̄_j N(ν_j; 0, S_j)``, then the combined
   state by moment matching.

A detection older than the track's last update (dt < 0) is not mixed (Π = I): each mode
is updated by the one-lag retrodiction of :func:`dronewall.fusion.kalman.update` through
its own ``F_j(dt)``, and the mode probabilities by the likelihoods.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from dronewall.fusion.kalman import Innovations, inv3
from dronewall.fusion.motion import STATE_DIM, ConstantVelocity, propagate

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

_LOG_2PI_3 = 3.0 * np.log(2.0 * np.pi)


@dataclass(frozen=True)
class CoordinatedTurn:
    """Horizontal coordinated turn at a fixed rate ``omega`` (rad/s, positive turns
    left, i.e. counter-clockwise seen from above); vertical motion and the process noise
    as :class:`ConstantVelocity`. Over dt the horizontal velocity rotates by ω·dt::

        e' = e + (sin ωT / ω) ve - ((1 - cos ωT) / ω) vn     ve' = cos ωT ve - sin ωT vn
        n' = n + ((1 - cos ωT) / ω) ve + (sin ωT / ω) vn     vn' = sin ωT ve + cos ωT vn
    """

    omega: float
    noise_model: ConstantVelocity

    def transition(self, dt: FloatArray) -> FloatArray:
        """``F(dt)`` for each dt: (K, 6, 6)."""
        w = self.omega
        s, c = np.sin(w * dt), np.cos(w * dt)
        f = np.zeros((len(dt), STATE_DIM, STATE_DIM))
        f[:, (0, 1, 2, 3, 4, 5), (0, 1, 2, 3, 4, 5)] = 1.0
        f[:, 0, 3] = s / w
        f[:, 0, 4] = -(1.0 - c) / w
        f[:, 1, 3] = (1.0 - c) / w
        f[:, 1, 4] = s / w
        f[:, 2, 5] = dt
        f[:, 3, 3] = c
        f[:, 3, 4] = -s
        f[:, 4, 3] = s
        f[:, 4, 4] = c
        return f

    def noise(self, dt: FloatArray, scale: FloatArray | None = None) -> FloatArray:
        return self.noise_model.noise(dt, scale)

    def predict(
        self, x: FloatArray, p: FloatArray, dt: FloatArray, scale: FloatArray | None = None
    ) -> tuple[FloatArray, FloatArray]:
        return propagate(self.transition(dt), self.noise(dt, scale), x, p)


Mode = ConstantVelocity | CoordinatedTurn


@dataclass(frozen=True)
class ImmModel:
    """The modes, their names and the Markov chain that switches between them."""

    names: tuple[str, ...]
    modes: tuple[Mode, ...]
    sojourn_s: tuple[float, ...]
    _vec: FloatArray = field(init=False, repr=False, compare=False)
    _val: FloatArray = field(init=False, repr=False, compare=False)
    _vinv: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        m = len(self.modes)
        if m < 2 or len(self.names) != m or len(self.sojourn_s) != m:
            raise ValueError("an IMM needs >= 2 modes, each with a name and a sojourn time")
        if min(self.sojourn_s) <= 0.0:
            raise ValueError("IMM sojourn times must be positive")
        rate = 1.0 / np.asarray(self.sojourn_s)
        gen = np.repeat((rate / (m - 1))[:, None], m, axis=1)
        gen[np.diag_indices(m)] = -rate
        # the chain is reversible (π_i ∝ τ_i), so D^½ Λ D^-½ is symmetric: real spectrum
        pi = self.stationary
        d, di = np.sqrt(pi), 1.0 / np.sqrt(pi)
        val, vec = np.linalg.eigh(d[:, None] * gen * di[None, :])
        object.__setattr__(self, "_val", val)
        object.__setattr__(self, "_vec", di[:, None] * vec)
        object.__setattr__(self, "_vinv", vec.T * d[None, :])

    @property
    def m(self) -> int:
        return len(self.modes)

    @property
    def stationary(self) -> FloatArray:
        """The chain's stationary mode probabilities (new tracks start from them)."""
        tau = np.asarray(self.sojourn_s, dtype=float)
        out: FloatArray = tau / tau.sum()
        return out

    def switching(self, dt: FloatArray) -> FloatArray:
        """``Π(|dt|)`` for each dt: (K, M, M), rows sum to one."""
        e = np.exp(np.abs(dt)[:, None] * self._val[None, :])
        pi: FloatArray = np.einsum("ij,kj,jl->kil", self._vec, e, self._vinv)
        np.clip(pi, 0.0, 1.0, out=pi)
        pi /= pi.sum(2, keepdims=True)
        return pi


def air_modes(
    q_horizontal: float,
    q_vertical: float,
    turn_rate_deg_s: float,
    maneuver_q_factor: float,
    sojourn_s: tuple[float, float, float] = (60.0, 20.0, 10.0),
) -> ImmModel:
    """CV, left and right turns at ``turn_rate_deg_s``, and a high-noise maneuver mode;
    ``sojourn_s`` = mean time in CV, in a turn, in the maneuver mode."""
    cv = ConstantVelocity(q_horizontal, q_vertical)
    w = np.radians(turn_rate_deg_s)
    q = np.sqrt(maneuver_q_factor)
    return ImmModel(
        names=("cv", "turn_left", "turn_right", "maneuver"),
        modes=(
            cv,
            CoordinatedTurn(float(w), cv),
            CoordinatedTurn(float(-w), cv),
            ConstantVelocity(q_horizontal * q, q_vertical * q),
        ),
        sojourn_s=(sojourn_s[0], sojourn_s[1], sojourn_s[1], sojourn_s[2]),
    )


@dataclass(slots=True)
class ModeInnovations:
    """Per-mode quantities of K pairs (see :class:`Innovations` for the combined ones):
    mixed prior ``x0`` (K, M, 6), ``p0``; predictions ``xp``, ``pp``; innovations ``nu``
    (K, M, 3), ``s_inv`` (K, M, 3, 3); ``loglik`` (K, M) = ln N(ν_j; 0, S_j);
    ``cbar`` (K, M) the predicted mode probabilities."""

    x0: FloatArray
    p0: FloatArray
    xp: FloatArray
    pp: FloatArray
    nu: FloatArray
    s_inv: FloatArray
    loglik: FloatArray
    cbar: FloatArray

    def take(self, sel: IntArray) -> ModeInnovations:
        return ModeInnovations(*(getattr(self, n).take(sel, axis=0) for n in _MODE_FIELDS))

    @staticmethod
    def concat(parts: list[ModeInnovations]) -> ModeInnovations:
        return ModeInnovations(
            *(np.concatenate([getattr(q, n) for q in parts]) for n in _MODE_FIELDS)
        )


_MODE_FIELDS = ("x0", "p0", "xp", "pp", "nu", "s_inv", "loglik", "cbar")


def moment_match(w: FloatArray, x: FloatArray, p: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Mean and covariance of the Gaussian mixture with weights w (K, M), means x
    (K, M, 6), covariances p (K, M, 6, 6)."""
    xc = np.einsum("km,kma->ka", w, x)
    dx = x - xc[:, None, :]
    pc = np.einsum("km,kmab->kab", w, p) + np.einsum("km,kma,kmb->kab", w, dx, dx)
    pc = 0.5 * (pc + pc.transpose(0, 2, 1))
    return xc, pc


def imm_innovations(
    model: ImmModel,
    xm: FloatArray,
    pm: FloatArray,
    mu: FloatArray,
    t: FloatArray,
    z: FloatArray,
    r: FloatArray,
    tz: FloatArray,
    rows: IntArray,
    cols: IntArray,
) -> Innovations:
    """IMM steps 1-3 for tracks ``rows`` against detections ``cols``; the returned
    :class:`Innovations` holds the combined prediction (for gating) and ``modes``."""
    k, m = len(rows), model.m
    dt = tz.take(cols) - t.take(rows)
    x = xm.take(rows, axis=0)
    p = pm.take(rows, axis=0)
    w0 = mu.take(rows, axis=0)
    back = dt < 0.0
    trans = model.switching(dt)
    if back.any():
        trans[back] = np.eye(m)
    cbar = np.einsum("ki,kij->kj", w0, trans)
    cbar = np.maximum(cbar, 1e-300)
    mix = w0[:, :, None] * trans / cbar[:, None, :]  # μ_i|j: (K, i, j)
    x0 = np.einsum("kij,kia->kja", mix, x)
    dx = x[:, :, None, :] - x0[:, None, :, :]  # (K, i, j, 6)
    p0 = np.einsum("kij,kiab->kjab", mix, p) + np.einsum("kij,kija,kijb->kjab", mix, dx, dx)
    xp = np.empty_like(x0)
    pp = np.empty_like(p0)
    for j, mode in enumerate(model.modes):
        xp[:, j], pp[:, j] = mode.predict(x0[:, j], p0[:, j], dt)
    zk = z.take(cols, axis=0)
    nu = zk[:, None, :] - xp[:, :, :3]
    s = pp[:, :, :3, :3] + r.take(cols, axis=0)[:, None, :, :]
    s_inv, det = inv3(s.reshape(k * m, 3, 3))
    s_inv = s_inv.reshape(k, m, 3, 3)
    det = det.reshape(k, m)
    d2m = np.einsum("kma,kmab,kmb->km", nu, s_inv, nu)
    ok = det > 0.0
    loglik = np.where(ok, -0.5 * (d2m + np.log(np.where(ok, det, 1.0)) + _LOG_2PI_3), -np.inf)
    # combined prediction, for the gate and the association costs
    xc, pc = moment_match(cbar, xp, pp)
    nuc = zk - xc[:, :3]
    sc_inv, detc = inv3(pc[:, :3, :3] + r.take(cols, axis=0))
    d2 = (nuc[:, None, :] @ sc_inv @ nuc[:, :, None])[:, 0, 0]
    if not detc.min() > 0.0:
        bad = ~(detc > 0.0)
        d2[bad] = np.inf
        detc = np.where(bad, 1.0, detc)
    modes = ModeInnovations(x0, p0, xp, pp, nu, s_inv, loglik, cbar)
    return Innovations(rows, cols, dt, xc, pc, nuc, sc_inv, d2, detc, modes)


def imm_update(
    model: ImmModel,
    xm: FloatArray,
    pm: FloatArray,
    t: FloatArray,
    tz: FloatArray,
    inn: Innovations,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """IMM step 4 for the pairs of ``inn`` (each track at most once). Returns the
    combined state (K, 6), covariance, time, and the per-mode states, covariances and
    mode probabilities."""
    md = inn.modes
    assert md is not None
    k, m = md.cbar.shape
    back = inn.dt < 0.0
    if back.any():
        # retrodiction: each mode stays at its own time and takes the old measurement
        # through the cross-covariance P_j F_j(dt)ᵀ Hᵀ
        c = np.empty((k, m, STATE_DIM, 3))
        for j, mode in enumerate(model.modes):
            f = mode.transition(inn.dt)
            cj_back = md.p0[:, j] @ f.transpose(0, 2, 1)[:, :, :3]
            c[:, j] = np.where(back[:, None, None], cj_back, md.pp[:, j, :, :3])
        base_x = np.where(back[:, None, None], md.x0, md.xp)
        base_p = np.where(back[:, None, None, None], md.p0, md.pp)
        t_new = np.where(back, t.take(inn.rows), tz.take(inn.cols))
    else:
        c = md.pp[:, :, :, :3]
        base_x, base_p = md.xp, md.pp
        t_new = tz.take(inn.cols)
    gain = c @ md.s_inv
    xu = base_x + (gain @ md.nu[..., None])[..., 0]
    pu = base_p - gain @ c.transpose(0, 1, 3, 2)
    pu = 0.5 * (pu + pu.transpose(0, 1, 3, 2))
    logw = np.log(md.cbar) + md.loglik
    logw -= logw.max(1, keepdims=True)
    mu = np.exp(logw)
    mu /= mu.sum(1, keepdims=True)
    # keep every mode alive: a mode at probability 0 could never come back
    mu = np.maximum(mu, 1e-6)
    mu /= mu.sum(1, keepdims=True)
    x_new, p_new = moment_match(mu, xu, pu)
    return x_new, p_new, t_new, xu, pu, mu
