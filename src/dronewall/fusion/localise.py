"""Starting tracks from acoustic detections alone: triangulation of bearing lines from
two or more nodes, and multilateration from sets of TDOAs.

Triangulation: every pair of bearings (azimuth and elevation) from different nodes,
close in time and with nodes at most ``max_baseline`` apart, is intersected in 3-D
(closest points of the two rays ``oᵢ + s uᵢ``, ``oⱼ + t uⱼ``)::

    w = oᵢ - oⱼ,  b = uᵢ·uⱼ,  d = uᵢ·w,  e = uⱼ·w
    s = (b e - d) / (1 - b²),   t = (e - b d) / (1 - b²)

A pair is a candidate when both rays point forwards (0 < s, t ≤ max_range), they are
not near-parallel, and the miss distance is consistent with the bearing errors:
``|Pᵢ - Pⱼ|² ≤ γ (σᵢ² s² + σⱼ² t²)``. Candidates are taken best first (smallest
normalised miss); each collects every other pooled bearing or TDOA that agrees with it
(Mahalanobis gate) and is refined by Gauss-Newton on all of them, which also gives the
position covariance ``(Σ Hᵀ R⁻¹ H)⁻¹``.

Azimuth-only bearings (arrays that measure no elevation) cannot be intersected in 3-D.
Pairs of them (or one with a bearing that has an elevation) from different nodes are
intersected in the horizontal plane of the tracker frame: the rays ``oᵢ + s hᵢ`` with
``hᵢ`` the horizontal direction of azimuth ``aᵢ`` (node frame rotated to the tracker
frame, up component dropped)::

    w = oⱼ - oᵢ,   D = hᵢ × hⱼ,   s = (w × hⱼ) / D,   t = (w × hᵢ) / D

A pair is a candidate when both rays point forwards (``0 < s, t ≤ max_range``), cross
at more than :data:`MIN_CROSSING_DEG` (near-parallel rays put the point anywhere along
them) and the intersection's spread from the bearing errors,
``σ_h² = (σᵢ² s² + σⱼ² t²) / D²``, is below ``max_sigma_m``. Height is not measured, so
the fit takes a weak pseudo-measurement of it: ``altitude_prior = (h₀, σ)``, the height
above the first node's tangent plane (the caller's default: 300 ± 300 m, low drones).
Candidates are taken most precise first; each collects the pooled bearings that agree
with it and is refined by Gauss-Newton with the prior. Like every fix here it must have
more scalar measurements than the three unknowns (with the prior counted) and pass
the chi-square test: two azimuths and the prior determine the point exactly, so two
nodes need a second report instant each (a source heard for a second more), or a third
node. Without that test an unlucky first pair (two 2σ errors put the point ~500 m off
at 2-4 km) starts a track the bearings then pull apart. Whether two nodes suffice is
the caller's ``min_sensors`` (two nodes cannot tell crossing sources from ghosts).

Multilateration: TDOAs left over (no bearing) are grouped around each one in turn
(other TDOAs within the time window whose nodes lie within ``max_baseline``); a group
with at least four TDOAs over at least three nodes is solved by Gauss-Newton from a
few starting points around the nodes (the TDOA surfaces are hyperboloids, so the
start matters); the best fit is kept if its residual passes the chi-square test and
the geometry gives a bounded covariance. Nodes on a straight line leave the position
free to rotate about the line: such groups never pass, and bearings must do it.

Positions are in the tracker frame; the sound's travel time is handled by the caller
(emission time = arrival time - range / c).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.stats import chi2

from dronewall.fusion.acoustic import AcousticBatch

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


@dataclass
class Fix:
    """A position found from acoustic detections: ``p`` (3,), covariance ``cov`` (3, 3),
    and the supporting detections as (batch number, index in that batch) pairs."""

    p: FloatArray
    cov: FloatArray
    support: list[tuple[int, int]]


def directions(b: AcousticBatch) -> FloatArray:
    """Unit vectors (K, 3) in the tracker frame of bearings with elevation."""
    az, el = b.z[:, 0], b.z[:, 1]
    ce = np.cos(el)
    local = np.stack([ce * np.sin(az), ce * np.cos(az), np.sin(el)], axis=1)
    out: FloatArray = (b.m @ local[:, :, None])[:, :, 0]
    return out


def ray_candidates(
    b: AcousticBatch,
    sensor: IntArray,
    max_dt: float,
    max_baseline: float,
    max_range: float,
    gamma: float,
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """Pairs (i, j) of bearings that intersect plausibly, their midpoints (K, 3) and
    normalised miss distances (K,), best first."""
    k = len(b)
    if k < 2 or b.dim < 2:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty, np.zeros((0, 3)), np.zeros(0)
    i, j = np.triu_indices(k, 1)
    base = b.o[i] - b.o[j]
    ok = (
        (sensor[i] != sensor[j])
        & (np.abs(b.t[i] - b.t[j]) <= max_dt)
        & ((base * base).sum(1) <= max_baseline**2)
    )
    i, j, w = i[ok], j[ok], base[ok]
    u = directions(b)
    ui, uj = u[i], u[j]
    bb = (ui * uj).sum(1)
    d = (ui * w).sum(1)
    e = (uj * w).sum(1)
    den = 1.0 - bb * bb
    safe = np.where(den > 1e-6, den, 1.0)
    s = (bb * e - d) / safe
    t = (e - bb * d) / safe
    pi = b.o[i] + s[:, None] * ui
    pj = b.o[j] + t[:, None] * uj
    miss2 = ((pi - pj) ** 2).sum(1)
    # angular variance of each ray: the larger of its azimuth / elevation variances
    var = np.maximum(b.r[:, 0, 0], b.r[:, 1, 1])
    sig2 = var[i] * s * s + var[j] * t * t + 1.0
    score = miss2 / sig2
    good = (den > 1e-6) & (s > 0) & (t > 0) & (s <= max_range) & (t <= max_range)
    good &= score <= gamma
    order = np.flatnonzero(good)
    order = order[np.argsort(score[order], kind="stable")]
    return i[order], j[order], 0.5 * (pi[order] + pj[order]), score[order]


# Rays crossing at less than this are not intersected (σ_h grows as 1/sin of it).
MIN_CROSSING_DEG = 3.0


@dataclass
class FlatBearings:
    """Every free bearing of the pool as one flat set (any batch, any dimension):
    batch number, index in it, node number, time, origin, horizontal unit direction
    (tracker frame), azimuth variance, azimuth-only or not."""

    bi: IntArray
    idx: IntArray
    sensor: IntArray
    t: FloatArray
    o: FloatArray
    h: FloatArray
    var: FloatArray
    az_only: NDArray[np.bool_]


def flat_bearings(
    batches: list[AcousticBatch], sensors: list[IntArray], free: list[NDArray[np.bool_]]
) -> FlatBearings:
    """The free bearings of ``batches`` as one :class:`FlatBearings`."""
    parts = [
        (bi, np.flatnonzero(free[bi]))
        for bi, b in enumerate(batches)
        if b.kind == "bearing" and free[bi].any()
    ]
    if not parts:
        e, f = np.zeros(0, dtype=np.intp), np.zeros(0)
        return FlatBearings(e, e, e, f, np.zeros((0, 3)), np.zeros((0, 2)), f, e.astype(np.bool_))
    bi = np.concatenate([np.full(len(ix), k, dtype=np.intp) for k, ix in parts])
    idx = np.concatenate([ix for _, ix in parts])
    cat = [(batches[k], ix) for k, ix in parts]
    az = np.concatenate([b.z[ix, 0] for b, ix in cat])
    m = np.concatenate([b.m[ix] for b, ix in cat])
    local = np.stack([np.sin(az), np.cos(az), np.zeros_like(az)], axis=1)
    d = (m @ local[:, :, None])[:, :2, 0]
    d /= np.maximum(np.linalg.norm(d, axis=1), 1e-12)[:, None]
    return FlatBearings(
        bi,
        idx,
        np.concatenate([sensors[k][ix] for k, ix in parts]),
        np.concatenate([b.t[ix] for b, ix in cat]),
        np.concatenate([b.o[ix] for b, ix in cat]),
        d,
        np.concatenate([b.r[ix, 0, 0] for b, ix in cat]),
        np.concatenate([np.full(len(ix), b.dim == 1) for b, ix in cat]),
    )


def horizontal_candidates(
    fb: FlatBearings, max_dt: float, max_baseline: float, max_range: float, max_sigma_m: float
) -> tuple[IntArray, IntArray, FloatArray, FloatArray, FloatArray]:
    """Pairs (i, j) of ``fb`` (at least one azimuth-only, different nodes, close in
    time) whose horizontal rays cross in front of both nodes, within ``max_range``, at
    more than :data:`MIN_CROSSING_DEG`, with an intersection spread ``σ_h`` below
    ``max_sigma_m``; their crossing points (K, 2, tracker frame east/north), ranges
    from node i and σ_h (K,), most precise first."""
    k = len(fb.t)
    empty = np.zeros(0, dtype=np.intp)
    if k < 2 or not fb.az_only.any():
        return empty, empty, np.zeros((0, 2)), np.zeros(0), np.zeros(0)
    # i azimuth-only, j any other (each azimuth-only pair once)
    i, j = (g.ravel() for g in np.meshgrid(np.flatnonzero(fb.az_only), np.arange(k), indexing="ij"))
    w = fb.o[j, :2] - fb.o[i, :2]
    ok = (
        (~fb.az_only[j] | (j > i))
        & (fb.sensor[i] != fb.sensor[j])
        & (np.abs(fb.t[i] - fb.t[j]) <= max_dt)
        & ((w * w).sum(1) <= max_baseline**2)
    )
    i, j, w = i[ok], j[ok], w[ok]
    hi, hj = fb.h[i], fb.h[j]
    den = hi[:, 0] * hj[:, 1] - hi[:, 1] * hj[:, 0]
    safe = np.where(den != 0.0, den, 1.0)
    s = (w[:, 0] * hj[:, 1] - w[:, 1] * hj[:, 0]) / safe
    t = (w[:, 0] * hi[:, 1] - w[:, 1] * hi[:, 0]) / safe
    sig2 = (fb.var[i] * s * s + fb.var[j] * t * t) / (safe * safe)
    good = (np.abs(den) >= np.sin(np.radians(MIN_CROSSING_DEG))) & (s > 0) & (t > 0)
    good &= (s <= max_range) & (t <= max_range) & (sig2 <= max_sigma_m**2)
    order = np.flatnonzero(good)
    order = order[np.argsort(sig2[order], kind="stable")]
    pts = fb.o[i[order], :2] + s[order, None] * hi[order]
    return i[order], j[order], pts, s[order], np.sqrt(sig2[order])


# Model error of a fix: the source moves during the pairing window, so detections a
# second or two apart never meet in one point exactly: FLOOR_M + FLOOR_MPS·|t - t_ref|.
FLOOR_M = 5.0
FLOOR_MPS = 50.0


@dataclass(frozen=True)
class HeightPrior:
    """A pseudo-measurement of height: ``up · (p - origin) = h0 ± sigma`` (``up``: the
    unit vertical of the reference node's tangent plane, in the tracker frame)."""

    up: FloatArray
    origin: FloatArray
    h0: float
    sigma: float


def _stack(
    batches: list[AcousticBatch],
    members: list[tuple[int, IntArray]],
    p: FloatArray,
    c: float,
    prior: HeightPrior | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Stacked residuals (L,), Jacobians (L, 3) and inverse variances (L,) at ``p`` of
    the members, whitened per component (covariances are taken diagonal, plus the
    :data:`FLOOR_M` model error), and of the height prior if any."""
    t_ref = float(np.median(np.concatenate([batches[bi].t[idx] for bi, idx in members])))
    nus, hs, ws = [], [], []
    for bi, idx in members:
        if not len(idx):
            continue
        b = batches[bi]
        pos = np.broadcast_to(p, (len(idx), 3))
        hz, j = b.h(np.ascontiguousarray(pos), idx, c)
        nu = b.residual(b.z[idx], hz)
        var = np.diagonal(b.r[idx], axis1=1, axis2=2).copy()
        floor2 = (FLOOR_M + FLOOR_MPS * np.abs(b.t[idx] - t_ref)) ** 2
        if b.kind == "bearing":
            r2 = np.maximum(((p - b.o[idx]) ** 2).sum(1), 1.0)
            var += (floor2 / r2)[:, None]
        else:
            var += (2.0 * floor2 / (c * c))[:, None]
        nus.append(nu.ravel())
        hs.append(j.reshape(-1, 3))
        ws.append(1.0 / var.ravel())
    if prior is not None:
        nus.append(np.array([prior.h0 - float(prior.up @ (p - prior.origin))]))
        hs.append(prior.up[None, :])
        ws.append(np.array([1.0 / prior.sigma**2]))
    return np.concatenate(nus), np.concatenate(hs), np.concatenate(ws)


def gauss_newton(
    batches: list[AcousticBatch],
    members: list[tuple[int, IntArray]],
    p0: FloatArray,
    c: float,
    iterations: int = 6,
    prior: HeightPrior | None = None,
) -> tuple[FloatArray, FloatArray, float, int]:
    """Least-squares position from the members' measurements (and the height prior, if
    any) starting at ``p0`` (Gauss-Newton with Levenberg-Marquardt damping: a step is
    kept only if it lowers the chi-square).

    Returns the position, its covariance (inverse information), the chi-square of the
    residuals and the number of scalar measurements (the prior counting as one)."""
    p = p0.astype(float).copy()
    nu, h, w = _stack(batches, members, p, c, prior)
    chi = float((nu * nu * w).sum())
    lam = 1e-3
    for _ in range(iterations * 3):
        info = (h * w[:, None]).T @ h
        g = (h * w[:, None]).T @ nu
        damp = lam * np.diag(np.diag(info)) + 1e-12 * np.eye(3) * max(np.trace(info), 1e-30)
        try:
            step = np.linalg.solve(info + damp, g)
        except np.linalg.LinAlgError:
            break
        trial = p + step
        nu2, h2, w2 = _stack(batches, members, trial, c, prior)
        chi2_new = float((nu2 * nu2 * w2).sum())
        if chi2_new < chi:
            converged = chi - chi2_new < 1e-6 * chi + 1e-9 or np.linalg.norm(step) < 0.01
            p, nu, h, w, chi = trial, nu2, h2, w2, chi2_new
            lam = max(lam / 10.0, 1e-9)
            if converged:
                break
        else:
            lam *= 10.0
            if lam > 1e8:
                break
    info = (h * w[:, None]).T @ h
    cov = np.linalg.pinv(info)
    return p, 0.5 * (cov + cov.T), chi, len(nu)


def _agreeing(
    batches: list[AcousticBatch],
    free: list[NDArray[np.bool_]],
    p: FloatArray,
    cov: FloatArray,
    t: float,
    max_dt: float,
    max_range: float,
    c: float,
    gamma: dict[int, float],
    kinds: tuple[str, ...] = ("bearing", "tdoa"),
) -> list[tuple[int, IntArray]]:
    """Members of the pool (still free, of ``kinds``) that agree with a position ``p``
    of covariance ``cov`` at time ``t``: ``νᵀ (H cov Hᵀ + R)⁻¹ ν`` within the gate."""
    out = []
    for bi, b in enumerate(batches):
        cand = np.flatnonzero(
            free[bi] & (np.abs(b.t - t) <= max_dt) & (np.linalg.norm(b.o - p, axis=1) <= max_range)
        )
        if not len(cand) or b.kind not in kinds:
            out.append((bi, cand[:0]))
            continue
        hz, j = b.h(np.ascontiguousarray(np.broadcast_to(p, (len(cand), 3))), cand, c)
        nu = b.residual(b.z[cand], hz)
        s = j @ cov @ j.transpose(0, 2, 1) + b.r[cand]
        d2 = (nu[:, None, :] @ np.linalg.inv(s) @ nu[:, :, None])[:, 0, 0]
        out.append((bi, cand[d2 <= gamma[b.dim]]))
    return out


def locate(
    batches: list[AcousticBatch],
    sensors: list[IntArray],
    *,
    c: float,
    max_dt: float,
    max_baseline: float,
    max_range: float,
    gate_probability: float = 0.999,
    min_sensors: int = 2,
    max_sigma_m: float = 2000.0,
    max_attempts: int = 8,
    altitude_prior: tuple[float, float] | None = (300.0, 300.0),
) -> list[Fix]:
    """Positions of sources heard by several nodes, from a pool of unassociated
    acoustic detections (``batches``; ``sensors[k]`` numbers the origin node of each
    detection of batch k, a TDOA counting both of its nodes through its origin). At
    most ``max_attempts`` bearing pairs (the best) and as many TDOA groups are tried
    per call, which bounds the cost when a crowded pool yields no fix.

    Bearings with elevation are triangulated first, then azimuth-only bearings are
    intersected horizontally with ``altitude_prior`` = (height above the node (m), its
    standard deviation) (None: azimuth-only bearings start nothing), then TDOA groups
    are multilaterated."""
    gamma = {d: float(chi2.ppf(gate_probability, d)) for d in (1, 2, 3)}
    free = [np.ones(len(b), dtype=np.bool_) for b in batches]
    fixes: list[Fix] = []
    for bi, b in enumerate(batches):
        if b.kind != "bearing" or b.dim != 2:
            continue
        ii, jj, mids, _ = ray_candidates(b, sensors[bi], max_dt, max_baseline, max_range, 9.0)
        tries = 0
        for i, j, mid in zip(ii.tolist(), jj.tolist(), mids, strict=True):
            if not (free[bi][i] and free[bi][j]):
                continue
            tries += 1
            if tries > max_attempts:
                break
            t = 0.5 * float(b.t[i] + b.t[j])
            # the pair's own spread: the larger range times the larger angular sigma
            r2 = max(float(np.sum((mid - b.o[i]) ** 2)), float(np.sum((mid - b.o[j]) ** 2)))
            var = float(max(b.r[i].max(), b.r[j].max()))
            cov0 = np.eye(3) * (4.0 * r2 * var + 100.0)
            members = _agreeing(
                batches, free, mid, cov0, t, max_dt, max_range, c, gamma, ("bearing",)
            )
            first = _accept(batches, sensors, members, mid, c, min_sensors, max_sigma_m)
            if first is None:
                continue
            members = _agreeing(
                batches, free, first.p, 4.0 * first.cov, t, max_dt, max_range, c, gamma
            )
            fix = _accept(batches, sensors, members, first.p, c, min_sensors, max_sigma_m)
            if fix is None:
                fix = first
            fixes.append(fix)
            for mb, mi in fix.support:
                free[mb][mi] = False
    if altitude_prior is not None:
        fixes += _azimuth_fixes(
            batches,
            sensors,
            free,
            c,
            max_dt,
            max_baseline,
            max_range,
            gamma,
            min_sensors,
            max_sigma_m,
            max_attempts,
            altitude_prior,
        )
    for bi, b in enumerate(batches):
        if b.kind != "tdoa":
            continue
        tries = 0
        for k in np.flatnonzero(free[bi]).tolist():
            if not free[bi][k]:
                continue
            tries += 1
            if tries > max_attempts:
                break
            fix = _multilaterate(
                batches, sensors, free, bi, k, c, max_dt, max_baseline, gamma, max_sigma_m
            )
            if fix is None:
                continue
            fixes.append(fix)
            for mb, mi in fix.support:
                free[mb][mi] = False
    return fixes


def _azimuth_fixes(
    batches: list[AcousticBatch],
    sensors: list[IntArray],
    free: list[NDArray[np.bool_]],
    c: float,
    max_dt: float,
    max_baseline: float,
    max_range: float,
    gamma: dict[int, float],
    min_sensors: int,
    max_sigma_m: float,
    max_attempts: int,
    altitude_prior: tuple[float, float],
) -> list[Fix]:
    """Fixes from horizontally intersected azimuths (see the module docstring); marks
    their support not free."""
    fb = flat_bearings(batches, sensors, free)
    ii, jj, pts, _, sig = horizontal_candidates(fb, max_dt, max_baseline, max_range, max_sigma_m)
    h0, sh = altitude_prior
    fixes: list[Fix] = []
    tries = 0
    for i, j, pt, sg in zip(ii.tolist(), jj.tolist(), pts, sig.tolist(), strict=True):
        bi, bj = int(fb.bi[i]), int(fb.bi[j])
        if not (free[bi][fb.idx[i]] and free[bj][fb.idx[j]]):
            continue
        tries += 1
        if tries > max_attempts:
            break
        ref = fb.bi[i], fb.idx[i]
        up = batches[int(ref[0])].m[int(ref[1]), :, 2].copy()
        prior = HeightPrior(up, fb.o[i].copy(), h0, sh)
        p0 = np.array([pt[0], pt[1], 0.0])
        p0[2] = fb.o[i, 2] + (h0 - float(up[:2] @ (p0[:2] - fb.o[i, :2]))) / up[2]
        t = 0.5 * float(fb.t[i] + fb.t[j])
        hv = 4.0 * sg * sg + 100.0
        cov0 = np.diag([hv, hv, 4.0 * sh * sh + 100.0])
        members = _agreeing(batches, free, p0, cov0, t, max_dt, max_range, c, gamma, ("bearing",))
        first = _accept(batches, sensors, members, p0, c, min_sensors, max_sigma_m, prior)
        if first is None:
            continue
        members = _agreeing(batches, free, first.p, 4.0 * first.cov, t, max_dt, max_range, c, gamma)
        fix = _accept(batches, sensors, members, first.p, c, min_sensors, max_sigma_m, prior)
        if fix is None:
            fix = first
        fixes.append(fix)
        for mb, mi in fix.support:
            free[mb][mi] = False
    return fixes


def _bounded(cov: FloatArray, info: NDArray[np.floating], max_sigma_m: float) -> bool:
    """Every direction determined to within ``max_sigma_m`` (rank-deficient geometry,
    as TDOAs from nodes on one line, fails)."""
    return bool(np.linalg.eigvalsh(info).min() * max_sigma_m**2 >= 1.0) and bool(
        np.all(np.isfinite(cov))
    )


def _accept(
    batches: list[AcousticBatch],
    sensors: list[IntArray],
    members: list[tuple[int, IntArray]],
    p0: FloatArray,
    c: float,
    min_sensors: int,
    max_sigma_m: float,
    prior: HeightPrior | None = None,
) -> Fix | None:
    """The members' least-squares fix if they come from ``min_sensors`` nodes, number
    more than three scalar measurements (the height prior, if any, counting as one),
    fit (chi-square) and bound the position."""
    nodes = {int(s) for bi, idx in members for s in sensors[bi][idx].tolist()}
    if len(nodes) < min_sensors:
        return None
    p, cov, chi, dof = gauss_newton(batches, members, p0, c, prior=prior)
    if not np.all(np.isfinite(p)) or dof <= 3:
        return None
    if chi > float(chi2.ppf(0.999, dof - 3)):
        return None
    if not _bounded(cov, np.linalg.pinv(cov), max_sigma_m):
        return None
    support = [(bi, i) for bi, idx in members for i in idx.tolist()]
    return Fix(p, cov, support)


def _multilaterate(
    batches: list[AcousticBatch],
    sensors: list[IntArray],
    free: list[NDArray[np.bool_]],
    bi: int,
    k: int,
    c: float,
    max_dt: float,
    max_baseline: float,
    gamma: dict[int, float],
    max_sigma_m: float,
) -> Fix | None:
    b = batches[bi]
    mid = 0.5 * (b.o[k] + b.o2[k])
    group = np.flatnonzero(
        free[bi]
        & (np.abs(b.t - b.t[k]) <= max_dt)
        & (np.linalg.norm(0.5 * (b.o + b.o2) - mid, axis=1) <= max_baseline)
    )
    if len(group) < 3:
        return None
    nodes = np.unique(np.round(np.concatenate([b.o[group], b.o2[group]]), 1), axis=0)
    if len(nodes) < 3:
        return None
    centre = nodes.mean(0)
    spread = max(float(np.linalg.norm(nodes - centre, axis=1).max()), 100.0)
    ang = np.arange(8) * (np.pi / 4.0)
    ring = np.stack([np.cos(ang), np.sin(ang), np.zeros(8)], axis=1) * 0.5 * spread
    starts = centre + np.vstack([np.zeros((1, 3)), ring]) + np.array([0.0, 0.0, 300.0])
    members = [(bi, group)]
    best: tuple[float, FloatArray, FloatArray, int] | None = None
    for p0 in starts:
        p, cov, chi, dof = gauss_newton(batches, members, p0, c, iterations=12)
        # nodes on the ground see a mirror image below them: keep the one above
        above = p[2] >= centre[2] - 10.0
        if above and np.all(np.isfinite(p)) and (best is None or chi < best[0]):
            best = (chi, p, cov, dof)
    if best is None:
        return None
    chi, p, cov, dof = best
    if dof <= 3 or chi > float(chi2.ppf(0.999, dof - 3)):
        return None
    if not _bounded(cov, np.linalg.pinv(cov), max_sigma_m):
        return None
    return Fix(p, cov, [(bi, i) for i in group.tolist()])
