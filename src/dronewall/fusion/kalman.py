"""Batched Kalman prediction, innovation and update for position measurements.

Every measurement kind reaches the filter as a position ``z`` in the tracker frame with
covariance ``R`` (see :mod:`dronewall.fusion.measurements`), so ``H = [I₃ 0]`` and all
arithmetic here is over stacks of K (track, detection) pairs at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from dronewall.fusion.motion import ConstantVelocity

if TYPE_CHECKING:
    from dronewall.fusion.imm import ModeInnovations

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


def _adjugate_indices() -> NDArray[np.intp]:
    """Gather indices for adj(S) from S's 9 row-major entries, cyclic cofactor form:
    adj[r][c] = C[c][r] = s[c+1][r+1]·s[c+2][r+2] - s[c+1][r+2]·s[c+2][r+1] (mod 3)."""
    idx = np.empty((4, 9), dtype=np.intp)
    for r in range(3):
        for c in range(3):
            # entry (r, c) of adj(S) is the cofactor C[c][r]
            a, b = (c + 1) % 3, (c + 2) % 3
            d, e = (r + 1) % 3, (r + 2) % 3
            idx[0, r * 3 + c] = a * 3 + d
            idx[1, r * 3 + c] = b * 3 + e
            idx[2, r * 3 + c] = a * 3 + e
            idx[3, r * 3 + c] = b * 3 + d
    return idx


_ADJ = _adjugate_indices()
_ADJ_FLAT = _ADJ.ravel()


def inv3(s: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Inverse and determinant of a stack of 3x3 matrices (K, 3, 3), in closed form
    (``S⁻¹ = adj(S) / det S``): a handful of array operations whatever K is, where
    ``numpy.linalg.inv`` costs ~30 µs of overhead per call for small stacks."""
    flat = s.reshape(-1, 9)
    g = flat.take(_ADJ_FLAT, axis=1).reshape(-1, 2, 18)
    adj = g[:, 0, :9] * g[:, 0, 9:]
    adj -= g[:, 1, :9] * g[:, 1, 9:]
    det = (flat[:, :3] * adj[:, ::3]).sum(1)
    adj /= det[:, None]
    inv: FloatArray = adj.reshape(-1, 3, 3)
    return inv, det


@dataclass(slots=True)
class Innovations:
    """Tracks predicted to detections, for K (track row, detection column) pairs.

    ``xp, pp``: state and covariance predicted (or retrodicted, dt < 0) from the
    track's last update to the detection's time; ``nu = z - H xp``;
    ``s = H pp Hᵀ + R``; ``d2 = νᵀ S⁻¹ ν`` (squared Mahalanobis distance);
    ``det = det S``. ``-ln N(ν; 0, S) = ½ (d2 + ln det) + const`` is the
    association cost. ``modes``: the per-mode quantities of an IMM track
    (:mod:`dronewall.fusion.imm`); the fields above are then its combined prediction.
    """

    rows: IntArray
    cols: IntArray
    dt: FloatArray
    xp: FloatArray
    pp: FloatArray
    nu: FloatArray
    s_inv: FloatArray
    d2: FloatArray
    det: FloatArray
    modes: ModeInnovations | None = None

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, sel: IntArray) -> Innovations:
        """The pairs ``sel`` (indices into these)."""
        if len(sel) == len(self.rows):
            return self  # callers pass sorted unique indices: all of them
        return Innovations(
            self.rows.take(sel),
            self.cols.take(sel),
            self.dt.take(sel),
            self.xp.take(sel, axis=0),
            self.pp.take(sel, axis=0),
            self.nu.take(sel, axis=0),
            self.s_inv.take(sel, axis=0),
            self.d2.take(sel),
            self.det.take(sel),
            None if self.modes is None else self.modes.take(sel),
        )

    def cost(self) -> FloatArray:
        """Negative log-likelihood of each pair, up to one constant: ``½ (d² + ln det S)``
        for a single model, ``-ln Σ_j c̄_j N(ν_j; 0, S_j)`` for an IMM."""
        if self.modes is None:
            out: FloatArray = 0.5 * (self.d2 + np.log(self.det))
            return out
        logw = np.log(self.modes.cbar) + self.modes.loglik
        top = logw.max(1)
        ok = np.isfinite(top)
        safe = np.where(ok, top, 0.0)
        lse = safe + np.log(np.exp(logw - safe[:, None]).sum(1))
        # ½·3·ln 2π is in the IMM's log-likelihoods; keep both forms on one scale
        out = np.where(ok, -lse, np.inf) - 1.5 * np.log(2.0 * np.pi)
        return out

    @staticmethod
    def concat(parts: list[Innovations]) -> Innovations:
        if len(parts) == 1:
            return parts[0]
        modes = None
        if parts[0].modes is not None:
            from dronewall.fusion.imm import ModeInnovations

            modes = ModeInnovations.concat([q.modes for q in parts if q.modes is not None])
        cat = {
            name: np.concatenate([getattr(q, name) for q in parts])
            for name in ("rows", "cols", "dt", "xp", "pp", "nu", "s_inv", "d2", "det")
        }
        return Innovations(**cat, modes=modes)


def innovations(
    model: ConstantVelocity,
    x: FloatArray,
    p: FloatArray,
    t: FloatArray,
    z: FloatArray,
    r: FloatArray,
    tz: FloatArray,
    rows: IntArray,
    cols: IntArray,
    qscale: FloatArray | None = None,
) -> Innovations:
    """Innovations of tracks ``rows`` (into x, p, t and the per-track process-noise
    scale ``qscale``) against detections ``cols`` (into z, r, tz)."""
    dt = tz.take(cols) - t.take(rows)
    scale = None if qscale is None else qscale.take(rows)
    xp, pp = model.predict(x.take(rows, axis=0), p.take(rows, axis=0), dt, scale)
    nu = z.take(cols, axis=0) - xp[:, :3]
    s = pp[:, :3, :3] + r.take(cols, axis=0)
    s_inv, det = inv3(s)
    d2 = (nu[:, None, :] @ s_inv @ nu[:, :, None])[:, 0, 0]
    if not det.min() > 0.0:  # numerically broken pairs never gate
        bad = ~(det > 0.0)
        d2[bad] = np.inf
        det = np.where(bad, 1.0, det)
    return Innovations(rows, cols, dt, xp, pp, nu, s_inv, d2, det)


def update(
    x: FloatArray, p: FloatArray, t: FloatArray, tz: FloatArray, inn: Innovations
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Kalman update of tracks ``inn.rows`` with their paired detections.

    Forward (dt >= 0): the usual filter at the detection's time,
    ``K = Pp Hᵀ S⁻¹``, ``x = xp + K ν``, ``P = Pp - K S Kᵀ``; the track moves to tz.

    Backward (dt < 0, a detection older than the track's last update, as when scans of
    two radars overlap): the track stays at its own time t and is updated with the
    retrodicted innovation through the cross-covariance of its state with the old
    measurement, ``C = cov(x_t, z) = P F(dt)ᵀ Hᵀ``: ``x = x + C S⁻¹ ν``,
    ``P = P - C S⁻¹ Cᵀ``. This is Bar-Shalom's one-lag out-of-sequence update
    ("algorithm B") without the process-noise cross term; S carries Q(|dt|), so the
    gain is conservative. Both keep P symmetric positive definite since
    ``[[P, C], [Cᵀ, S]]`` is a valid joint covariance.

    Returns the new states (K, 6), covariances (K, 6, 6) and times (K,).
    """
    back = inn.dt < 0.0
    if back.any():
        rows = inn.rows
        p0 = p.take(rows, axis=0)
        c = np.where(
            back[:, None, None],
            p0[:, :, :3] + inn.dt[:, None, None] * p0[:, :, 3:],
            inn.pp[:, :, :3],
        )
        base_x = np.where(back[:, None], x.take(rows, axis=0), inn.xp)
        base_p = np.where(back[:, None, None], p0, inn.pp)
        t_new = np.where(back, t.take(rows), tz.take(inn.cols))
    else:
        c = inn.pp[:, :, :3]
        base_x, base_p = inn.xp, inn.pp
        t_new = tz.take(inn.cols)
    gain = c @ inn.s_inv
    x_new = base_x + (gain @ inn.nu[:, :, None])[:, :, 0]
    p_new = base_p - gain @ c.transpose(0, 2, 1)
    p_new = 0.5 * (p_new + p_new.transpose(0, 2, 1))
    return x_new, p_new, t_new
