"""Acoustic measurement models: bearings (azimuth / elevation) and time differences of
arrival, with their Jacobians and the retardation of sound.

A bearing seen from a node at ``o`` (tracker frame) with ``M`` the rotation from the
node's local ENU to the tracker frame (``p_frame = o + M p_local``)::

    d = Mᵀ (p - o) = (e, n, u),  ρ = sqrt(e² + n²),  r = |d|
    az = atan2(e, n),  el = atan2(u, ρ)
    ∂az/∂d = (n, -e, 0) / ρ²,   ∂el/∂d = (-e u, -n u, ρ²) / (ρ r²)
    H_pos = ∂(az, el)/∂d · Mᵀ        (velocity columns zero)

A TDOA between nodes ``o₁`` (the detection's origin) and ``o₂``::

    τ = (|p - o₁| - |p - o₂|) / c,   H_pos = ((p - o₁)/r₁ - (p - o₂)/r₂)ᵀ / c

**Retardation.** An acoustic detection made at arrival time ``t_a`` describes where
the target was at the emission time ``t_e = t_a - |p(t_e) - o₁| / c``. Given a track
state ``x`` at time ``t``, ``t_e`` is found by Newton's iteration on the predicted
trajectory (:func:`emission_times`); the track is then
predicted (or retrodicted) to ``t_e`` and updated there, so the state stays
consistent with the time it describes. ``t_e`` depends on the state through ``r``; its
derivative (a term of order ``v/c`` in H) is neglected, as in the usual EKF treatment.

Everything is over stacks of K (track, detection) pairs at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dronewall.fusion.motion import ConstantVelocity
from dronewall.model.messages import BearingOnly, Detection, Tdoa

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

DEG = np.pi / 180.0


def wrap_pi(a: FloatArray) -> FloatArray:
    """Angles wrapped to [-π, π)."""
    out: FloatArray = (a + np.pi) % (2.0 * np.pi) - np.pi
    return out


def bearing_h(
    pos: FloatArray, o: FloatArray, m: FloatArray, with_el: bool
) -> tuple[FloatArray, FloatArray]:
    """Predicted bearings (K, 1|2) in radians and their Jacobians (K, 1|2, 3) w.r.t.
    the frame position, for positions ``pos`` (K, 3) seen from nodes ``o`` (K, 3) with
    local-to-frame rotations ``m`` (K, 3, 3)."""
    d = ((pos - o)[:, None, :] @ m)[:, 0, :]  # Mᵀ (p - o) as a row vector
    e, n, u = d[:, 0], d[:, 1], d[:, 2]
    rho2 = np.maximum(e * e + n * n, 1e-6)
    rho = np.sqrt(rho2)
    k = len(pos)
    dim = 2 if with_el else 1
    h = np.empty((k, dim))
    jl = np.zeros((k, dim, 3))
    h[:, 0] = np.arctan2(e, n)
    jl[:, 0, 0] = n / rho2
    jl[:, 0, 1] = -e / rho2
    if with_el:
        r2 = rho2 + u * u
        h[:, 1] = np.arctan2(u, rho)
        jl[:, 1, 0] = -e * u / (rho * r2)
        jl[:, 1, 1] = -n * u / (rho * r2)
        jl[:, 1, 2] = rho / r2
    j: FloatArray = jl @ m.transpose(0, 2, 1)
    return h, j


def tdoa_h(
    pos: FloatArray, o1: FloatArray, o2: FloatArray, c: float
) -> tuple[FloatArray, FloatArray]:
    """Predicted TDOA (K, 1) in seconds and Jacobians (K, 1, 3) w.r.t. the position."""
    d1 = pos - o1
    d2 = pos - o2
    r1 = np.maximum(np.linalg.norm(d1, axis=1), 1e-3)
    r2 = np.maximum(np.linalg.norm(d2, axis=1), 1e-3)
    h = ((r1 - r2) / c)[:, None]
    j = ((d1 / r1[:, None] - d2 / r2[:, None]) / c)[:, None, :]
    return h, j


@dataclass
class AcousticBatch:
    """K acoustic detections of one kind, as arrays.

    ``kind``: "bearing" or "tdoa"; ``dim``: measurement size (1 or 2); ``t``: arrival
    time at the origin node; ``o`` (K, 3): origin node in the tracker frame; ``m``
    (K, 3, 3): its local-to-frame rotation; ``o2`` (K, 3): the second node (TDOA);
    ``z`` (K, dim): bearing in radians or TDOA in seconds; ``r`` (K, dim, dim): its
    covariance in the same units; ``idx``: the detections' indices in their frame."""

    kind: str
    dim: int
    t: FloatArray
    o: FloatArray
    m: FloatArray
    o2: FloatArray
    z: FloatArray
    r: FloatArray
    idx: IntArray

    def __len__(self) -> int:
        return len(self.t)

    def take(self, sel: IntArray) -> AcousticBatch:
        return AcousticBatch(
            self.kind,
            self.dim,
            self.t[sel],
            self.o[sel],
            self.m[sel],
            self.o2[sel],
            self.z[sel],
            self.r[sel],
            self.idx[sel],
        )

    def h(self, pos: FloatArray, cols: IntArray, c: float) -> tuple[FloatArray, FloatArray]:
        """Predicted measurements and position Jacobians of detections ``cols`` for
        positions ``pos`` (K, 3)."""
        if self.kind == "bearing":
            return bearing_h(pos, self.o[cols], self.m[cols], self.dim == 2)
        return tdoa_h(pos, self.o[cols], self.o2[cols], c)

    def residual(self, z: FloatArray, h: FloatArray) -> FloatArray:
        """``z - h``, with azimuths wrapped."""
        nu = z - h
        if self.kind == "bearing":
            nu[:, 0] = wrap_pi(nu[:, 0])
        return nu


def emission_times(
    x: FloatArray, t: FloatArray, ta: FloatArray, o: FloatArray, c: float, iterations: int = 3
) -> FloatArray:
    """Emission times (K,) of sounds arriving at ``o`` (K, 3) at ``ta`` (K,) from
    targets with states ``x`` (K, 6) at times ``t`` (K,) moving at constant velocity:
    Newton's iteration on ``g(t_e) = t_e + r(t_e)/c - t_a``, ``g' = 1 + ṙ/c``, from
    ``t_a`` (quadratic convergence: three steps reach microseconds)."""
    te = ta.copy()
    v = x[:, 3:]
    for _ in range(iterations):
        d = x[:, :3] + (te - t)[:, None] * v - o
        r = np.maximum(np.linalg.norm(d, axis=1), 1e-6)
        rdot = (d * v).sum(1) / r
        te = te - (te + r / c - ta) / (1.0 + rdot / c)
    return te


@dataclass(slots=True)
class NlInnovations:
    """Innovations of K (track row, detection column) pairs for a nonlinear model:
    like :class:`dronewall.fusion.kalman.Innovations` with a measurement Jacobian
    ``h`` (K, dim, 6) and the time ``te`` each pair is evaluated at."""

    rows: IntArray
    cols: IntArray
    te: FloatArray
    dt: FloatArray
    xp: FloatArray
    pp: FloatArray
    h: FloatArray
    nu: FloatArray
    s_inv: FloatArray
    d2: FloatArray
    det: FloatArray

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, sel: IntArray) -> NlInnovations:
        return NlInnovations(*(getattr(self, f).take(sel, axis=0) for f in self.__slots__))


def nl_innovations(
    model: ConstantVelocity,
    x: FloatArray,
    p: FloatArray,
    t: FloatArray,
    batch: AcousticBatch,
    rows: IntArray,
    cols: IntArray,
    c: float,
    retard: bool,
    qscale: FloatArray | None = None,
    ukf: bool = False,
) -> NlInnovations:
    """Innovations of tracks ``rows`` against acoustic detections ``cols`` of ``batch``,
    each track predicted to the detection's emission time (``retard``) or to its
    arrival time (retardation ignored). ``ukf``: the predicted measurement, its
    covariance and the cross-covariance come from the unscented transform of the
    position (:func:`unscented`) instead of the Jacobian at the mean."""
    xr, tr = x.take(rows, axis=0), t.take(rows)
    ta = batch.t.take(cols)
    te = emission_times(xr, tr, ta, batch.o.take(cols, axis=0), c) if retard else ta
    dt = te - tr
    scale = None if qscale is None else qscale.take(rows)
    xp, pp = model.predict(xr, p.take(rows, axis=0), dt, scale)
    if ukf:
        hz, jp, s = unscented(batch, cols, xp[:, :3], pp[:, :3, :3], c)
    else:
        hz, jp = batch.h(xp[:, :3], cols, c)
        s = jp @ pp[:, :3, :3] @ jp.transpose(0, 2, 1)
    k, dim = hz.shape
    h = np.zeros((k, dim, 6))
    h[:, :, :3] = jp
    nu = batch.residual(batch.z.take(cols, axis=0), hz)
    s = s + batch.r.take(cols, axis=0)
    if dim == 1:
        det = s[:, 0, 0].copy()
        s_inv = 1.0 / np.where(det[:, None, None] > 0, s, 1.0)
    else:
        a, b, d = s[:, 0, 0], s[:, 0, 1], s[:, 1, 1]
        det = a * d - b * b
        safe = np.where(det > 0, det, 1.0)
        s_inv = np.empty_like(s)
        s_inv[:, 0, 0] = d / safe
        s_inv[:, 1, 1] = a / safe
        s_inv[:, 0, 1] = s_inv[:, 1, 0] = -b / safe
    d2 = (nu[:, None, :] @ s_inv @ nu[:, :, None])[:, 0, 0]
    bad = ~(det > 0.0) | ~np.isfinite(d2)
    if bad.any():
        d2[bad] = np.inf
        det = np.where(bad, 1.0, det)
    return NlInnovations(rows, cols, te, dt, xp, pp, h, nu, s_inv, d2, det)


def unscented(
    batch: AcousticBatch, cols: IntArray, mean: FloatArray, cov: FloatArray, c: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Unscented transform of positions N(mean (K, 3), cov (K, 3, 3)) through the
    measurement model: the predicted measurements (K, m), an effective Jacobian
    ``Pxzᵀ P⁻¹`` (K, m, 3) (statistical linear regression, so that the EKF update and
    the retrodiction apply unchanged) and the measurement covariance without noise
    (K, m, m). Seven sigma points ``mean ± sqrt(3) L eᵢ`` (``L Lᵀ = cov``), weights
    1/6 (κ = 0)."""
    k = len(mean)
    try:
        chol = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        chol = np.linalg.cholesky(cov + 1e-6 * np.eye(3))
    spread = np.sqrt(3.0) * chol.transpose(0, 2, 1)  # rows: the sigma offsets
    pts = np.concatenate([mean[:, None, :] + spread, mean[:, None, :] - spread], axis=1)
    h0, _ = batch.h(mean, cols, c)
    hs, _ = batch.h(pts.reshape(-1, 3), np.repeat(cols, 6), c)
    dim = h0.shape[1]
    dz = hs.reshape(k, 6, dim) - h0[:, None, :]
    if batch.kind == "bearing":
        dz[:, :, 0] = wrap_pi(dz[:, :, 0])
    zbar = dz.mean(1)
    hz = h0 + zbar
    dzc = dz - zbar[:, None, :]
    dx = pts - mean[:, None, :]
    s: FloatArray = dzc.transpose(0, 2, 1) @ dzc / 6.0
    pxz = dx.transpose(0, 2, 1) @ dzc / 6.0  # (K, 3, m)
    j: FloatArray = np.linalg.solve(cov, pxz).transpose(0, 2, 1)
    return hz, j, s


def nl_update(
    x: FloatArray, p: FloatArray, t: FloatArray, inn: NlInnovations
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """EKF update of tracks ``inn.rows``; forward at the emission time when it is after
    the track's time, else the one-lag retrodicted update of
    :func:`dronewall.fusion.kalman.update` (the track keeps its own time). Returns the
    new states (K, 6), covariances (K, 6, 6) and times (K,)."""
    rows = inn.rows
    back = inn.dt < 0.0
    ht = inn.h.transpose(0, 2, 1)
    if back.any():
        p0 = p.take(rows, axis=0)
        # cov(x_t, x_te) = P F(dt)ᵀ: position columns shifted by dt times velocity
        pf = p0.copy()
        pf[:, :, :3] += inn.dt[:, None, None] * p0[:, :, 3:]
        c = np.where(back[:, None, None], pf @ ht, inn.pp @ ht)
        base_x = np.where(back[:, None], x.take(rows, axis=0), inn.xp)
        base_p = np.where(back[:, None, None], p0, inn.pp)
        t_new = np.where(back, t.take(rows), inn.te)
    else:
        c = inn.pp @ ht
        base_x, base_p, t_new = inn.xp, inn.pp, inn.te
    gain = c @ inn.s_inv
    x_new = base_x + (gain @ inn.nu[:, :, None])[:, :, 0]
    p_new = base_p - gain @ c.transpose(0, 2, 1)
    p_new = 0.5 * (p_new + p_new.transpose(0, 2, 1))
    return x_new, p_new, t_new


Placement = Callable[[float, float, float], tuple[FloatArray, FloatArray]]


def to_batches(
    dets: Sequence[Detection],
    placement: Placement,
    latency_s: Mapping[str, float] | None = None,
    azimuth_bias_deg: Mapping[str, float] | None = None,
) -> list[AcousticBatch]:
    """Bearing and TDOA detections as batches, one per (kind, dimension). ``placement``
    gives ``(M, o)`` of a node's local frame (:meth:`MeasurementConverter.placement`);
    per-sensor ``latency_s`` is subtracted from the time, ``azimuth_bias_deg`` from the
    azimuth (calibration known to the deployment)."""
    groups: dict[tuple[str, int], list[int]] = {}
    for k, d in enumerate(dets):
        m = d.measurement
        if isinstance(m, BearingOnly):
            groups.setdefault(("bearing", 1 if m.elevation is None else 2), []).append(k)
        elif isinstance(m, Tdoa):
            groups.setdefault(("tdoa", 1), []).append(k)
    out = []
    lat_map = latency_s or {}
    bias_map = azimuth_bias_deg or {}
    for (kind, dim), idx in groups.items():
        n = len(idx)
        t = np.empty(n)
        o = np.empty((n, 3))
        mm = np.empty((n, 3, 3))
        o2 = np.zeros((n, 3))
        z = np.empty((n, dim))
        r = np.empty((n, dim, dim))
        for i, k in enumerate(idx):
            d = dets[k]
            meas = d.measurement
            t[i] = d.time - lat_map.get(d.sensor_id, 0.0)
            g = meas.origin  # type: ignore[union-attr]
            mm[i], o[i] = placement(g.lat, g.lon, g.alt)
            cov = np.asarray(d.covariance, dtype=float)
            if isinstance(meas, BearingOnly):
                z[i, 0] = (meas.azimuth - bias_map.get(d.sensor_id, 0.0)) * DEG
                if dim == 2:
                    z[i, 1] = (meas.elevation or 0.0) * DEG
                r[i] = cov * DEG * DEG
            else:
                assert isinstance(meas, Tdoa)
                g2 = meas.origin2
                o2[i] = placement(g2.lat, g2.lon, g2.alt)[1]
                z[i, 0] = meas.tdoa
                r[i] = cov
        out.append(AcousticBatch(kind, dim, t, o, mm, o2, z, r, np.array(idx, dtype=np.intp)))
    return out
