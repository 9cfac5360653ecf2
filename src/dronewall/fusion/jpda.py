"""Joint probabilistic data association (JPDA), vectorised over tracks.

Model (parametric JPDA: Fortmann, Bar-Shalom & Scheffe, "Sonar tracking of multiple
targets using joint probabilistic data association", IEEE J. Oceanic Eng. 8(3), 1983;
Bar-Shalom, Willett & Tian, *Tracking and Data Fusion*, YBS 2011, ch. 6 "JPDA"):

- track ``t`` is detected with probability ``Pd_t``; its detection falls inside its gate
  with probability ``Pg`` (the chi-square gate ``d² ≤ γ``, ``Pg = P(χ²₃ ≤ γ)``);
- each detection comes from at most one track; the others are clutter, a Poisson process
  of spatial density ``λ`` **per m³** of measurement space (the unit of
  ``N(ν; 0, S)``, whose ν is a position in metres), taken at the detection (``λ_j``).
  The non-parametric JPDA is the same with ``λ = m / V`` (m detections in gate volume V);
- a feasible joint event θ gives each track at most one of its gated detections and no
  detection to two tracks. Its posterior probability is

      P(θ | Z) ∝ Π_{(t,j) ∈ θ} Pd_t N(ν_tj; 0, S_tj) / λ_j · Π_{t missed in θ} (1 − Pd_t Pg)

- the marginals are ``β_tj = Σ_{θ ∋ (t,j)} P(θ | Z)`` and ``β_t0 = 1 − Σ_j β_tj`` (track
  t has no detection), so ``β_t0 + Σ_j β_tj = 1`` for every track.

Dividing all of one track's weights by its miss weight changes no probability, so an
event's weight is the product over its pairs of the likelihood ratios
``r_tj = Pd_t N_tj / (λ_j (1 − Pd_t Pg))``: θ is a matching of the bipartite gating graph
(tracks, detections) weighted by ``Π r``. Everything below works on ``ln r`` (no overflow
for tiny λ or S). ``1 − Pd·Pg`` and ``λ`` are floored at the smallest positive double.

The graph splits into connected components (:func:`clusters`), which are independent:

- *trees* (a component with one edge fewer than nodes, e.g. a lone track, or one
  detection shared by several tracks): loopy belief propagation is exact there;
- *small cyclic clusters*: exact, by a dynamic programme over the subsets of the smaller
  side (C nodes; ``2^C`` states) through the R nodes of the other side, forward and
  backward: cost ``~R · C · 2^C``, whatever the number of joint events (which grows
  factorially). Used while ``R · C · 2^C ≤ exact_limit`` (default 2^22: e.g. 14 tracks x
  14 detections, 10 x 400; CPU ~6 ms for a complete 12 x 12 cluster, ~20 ms for 14 x 14,
  bench/jpda.py) and C ≤ 16;
- *larger but thin clusters* (tracks in a line, chains of overlapping gates): exact by a
  frontier DP (:func:`frontier_marginals`, after Maskell's Efficient Hypothesis
  Management) whose state is only the nodes shared by earlier and later ones, while
  that frontier has at most ``FRONTIER_MAX_BITS`` (14) nodes;
- *other large clusters*: belief propagation (Williams & Lau, "Approximate evaluation of
  marginal association probabilities with belief propagation", IEEE Trans. Aerosp.
  Electron. Syst. 50(4), 2014), with their message iteration (ψ_t(0) = 1, weights r):

      μ_{t→j} = r_tj / (1 + Σ_{j'≠j} r_tj' ν_{j'→t}),   ν_{j→t} = 1 / (1 + Σ_{t'≠t} μ_{t'→j}),
      β_tj ∝ r_tj ν_{j→t},   β_t0 ∝ 1,

  which converges (their Thm. 1) and costs O(pairs) per iteration. It is exact on trees
  but only approximate on cycles, and over-confident where several tracks are all
  likely to own the same few detections (few clutter, high Pd): on two tracks x two
  detections all gated it can be 0.25 off; over random cyclic clusters of 4-10 tracks the
  median error is ~0.01-0.05 and the 90th percentile ~0.1-0.25 (bench/jpda.py). Hence
  "auto" takes the exact route wherever it is affordable. All BP pairs of all clusters
  run together, in the log domain, with exclusive sums ("Σ over the others") by
  prefix/suffix sums on a padded (node, neighbour) layout, never by subtraction.

The update (:func:`jpda_update`) is the PDA-combined estimate written as a mixture:
each hypothesis "pair (t, j) is right" gives the Kalman update ``x_j, P_j`` (with that
detection's own R), "no detection" gives the prediction ``x_0, P_0``; the track gets the
mixture's mean and covariance (moment matching), exact for any R per detection.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components, reverse_cuthill_mckee

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
Method = Literal["auto", "exact", "lbp"]

EXACT_LIMIT = 1 << 22  # exact DP while R · C · 2^C (the two sides, R >= C) stays below
EXACT_MAX_BITS = 16  # ... and the smaller side has at most this many nodes
FRONTIER_MAX_BITS = 14  # big cyclic clusters: exact while the frontier is this narrow
_LINEAR_RANGE = 600.0  # exact DP in linear arithmetic while (C + 1) · max ln r stays below
_BP_CHUNK = 8  # belief propagation drops its converged clusters this often
_HARD_MAX_BITS = 18  # method="exact": widest state (memory 8·R·2^C bytes per cluster) ...
_HARD_WORK = 1 << 27  # ... and most work of the subset DP; else the frontier DP, or refused
_TINY = float(np.finfo(np.float64).tiny)
_LN_2PI = float(np.log(2.0 * np.pi))


def clusters(rows: IntArray, cols: IntArray) -> IntArray:
    """Connected components of the gating graph: a label per pair (0, 1, ...).

    Tracks (``rows``) and detections (``cols``) are nodes, each gated pair an edge; pairs
    with different labels share neither a track nor a detection, so association (JPDA
    or GNN) splits into independent problems, one per label."""
    k = len(rows)
    if k == 0:
        return np.zeros(0, dtype=np.intp)
    ur, ri = np.unique(rows, return_inverse=True)
    uc, ci = np.unique(cols, return_inverse=True)
    n = len(ur) + len(uc)
    graph = coo_matrix((np.ones(k, dtype=np.int8), (ri, len(ur) + ci)), shape=(n, n))
    _, lab = connected_components(graph.tocsr(), directed=False)
    return np.asarray(lab[ri], dtype=np.intp)


def groups(labels: IntArray) -> list[IntArray]:
    """The pair indices of each cluster (label 0, 1, ...), e.g. to run GNN's
    ``linear_sum_assignment`` per cluster: ``[gnn(rows[g], cols[g], ...) for g in ...]``."""
    if len(labels) == 0:
        return []
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    return list(np.split(order, bounds))


def log_likelihood(d2: FloatArray, det: FloatArray, dim: int = 3) -> FloatArray:
    """``ln N(ν; 0, S)`` from the squared Mahalanobis distance and ``det S`` (as in
    :class:`dronewall.fusion.kalman.Innovations`)."""
    out: FloatArray = -0.5 * (d2 + np.log(det) + dim * _LN_2PI)
    return out


def gate_volume(det: FloatArray, gamma: float, dim: int = 3) -> FloatArray:
    """Volume of the gate ``νᵀ S⁻¹ ν ≤ γ``: ``c_n γ^(n/2) √det S`` with ``c_n`` the
    volume of the unit n-ball (4π/3 for n = 3)."""
    c = np.pi ** (dim / 2) / math.gamma(dim / 2 + 1)
    out: FloatArray = c * gamma ** (dim / 2) * np.sqrt(det)
    return out


def nonparametric_clutter(rows: IntArray, det: FloatArray, gamma: float) -> FloatArray:
    """Clutter density per pair for the non-parametric JPDA, when no λ is known: the
    detections in a track's gate over the gate's volume, ``λ_k = m_t / V_k`` (t the
    pair's track; Bar-Shalom et al. 2011, "diffuse prior"; Stone Soup's
    ``PDAHypothesiser`` without ``clutter_spatial_density`` does the same). Per track,
    not per detection, so it is an approximation of the joint model's λ_j."""
    m = np.bincount(rows)[rows].astype(np.float64)
    out: FloatArray = m / gate_volume(det, gamma)
    return out


def log_ratio(
    rows: IntArray,
    loglik: FloatArray,
    pd: float | FloatArray,
    pg: float,
    clutter: float | FloatArray,
) -> FloatArray:
    """``ln r_tj = ln Pd_t + ln N(ν_tj; 0, S_tj) − ln λ_j − ln(1 − Pd_t Pg)`` per pair.

    ``pd``: scalar or per track row (indexed by ``rows``); ``clutter``: λ per m³, scalar
    or per pair (the density at the pair's detection)."""
    pdp = np.asarray(pd, dtype=np.float64)
    if pdp.ndim:
        pdp = pdp[rows]
    lam = np.maximum(np.asarray(clutter, dtype=np.float64), _TINY)
    miss = np.maximum(1.0 - pdp * pg, _TINY)
    with np.errstate(divide="ignore"):  # Pd = 0: ln r = -inf, the pair never holds
        out: FloatArray = np.log(pdp) + loglik - np.log(lam) - np.log(miss)
    return out


def marginals(
    rows: IntArray,
    cols: IntArray,
    loglik: FloatArray,
    pd: float | FloatArray,
    pg: float,
    clutter: float | FloatArray,
    *,
    n_tracks: int | None = None,
    method: Method = "auto",
    exact_limit: float = EXACT_LIMIT,
    max_iter: int = 500,
    tol: float = 1e-7,
) -> tuple[FloatArray, FloatArray]:
    """JPDA marginal association probabilities of all gated pairs of a frame.

    ``rows``, ``cols`` (K,): the gated (track row, detection column) pairs, no pair twice;
    ``loglik`` (K,): ``ln N(ν; 0, S)`` of each pair (:func:`log_likelihood`); ``pd``:
    detection probability, scalar or per track row; ``pg``: gate probability; ``clutter``:
    clutter density λ per m³, scalar or per pair. ``n_tracks``: length of the β0 array
    (default ``max(rows) + 1``); ``method``: "auto" (trees by belief propagation, exact
    there; cyclic clusters exactly, by the subset DP up to ``exact_limit`` or, larger but
    thin, by the frontier DP; the rest by belief propagation), "exact" (ValueError if a
    cluster is too large for either DP) or "lbp" (belief propagation everywhere).

    Returns ``beta`` (K,), the probability that pair k is the right association, and
    ``beta0`` (n_tracks,), the probability that a track has no detection (1 for tracks
    without pairs); ``beta0[t] + Σ_{rows[k]=t} beta[k] = 1``.
    """
    rows = np.asarray(rows, dtype=np.intp)
    cols = np.asarray(cols, dtype=np.intp)
    if n_tracks is None:
        n_tracks = int(rows.max()) + 1 if len(rows) else 0
    lr = log_ratio(rows, np.asarray(loglik, dtype=np.float64), pd, pg, clutter)
    beta = pair_marginals(
        rows, cols, lr, method=method, exact_limit=exact_limit, max_iter=max_iter, tol=tol
    )
    beta0 = np.clip(1.0 - np.bincount(rows, weights=beta, minlength=n_tracks), 0.0, 1.0)
    return beta, beta0


def pair_marginals(
    rows: IntArray,
    cols: IntArray,
    lr: FloatArray,
    *,
    method: Method = "auto",
    exact_limit: float = EXACT_LIMIT,
    max_iter: int = 500,
    tol: float = 1e-7,
) -> FloatArray:
    """β per pair from the log likelihood ratios ``lr`` (:func:`log_ratio`); see
    :func:`marginals`. The problem is split into clusters, each solved exactly or by
    belief propagation as ``method`` says."""
    k = len(rows)
    beta = np.zeros(k)
    if k == 0:
        return beta
    labels = clusters(rows, cols)
    nclu = int(labels.max()) + 1
    _, nt = _local_ids(labels, rows, nclu)
    _, nd = _local_ids(labels, cols, nclu)
    ne = np.bincount(labels, minlength=nclu)
    bits = np.minimum(nt, nd)
    tree = ne == nt + nd - 1
    if method == "lbp":
        exact = np.zeros(nclu, dtype=bool)
    else:
        work = np.maximum(nt, nd) * bits * np.exp2(bits)
        if method == "exact":
            exact = ~tree & (bits <= _HARD_MAX_BITS) & (work <= _HARD_WORK)
        else:
            exact = ~tree & (bits <= EXACT_MAX_BITS) & (work <= exact_limit)
    on_exact = exact[labels]
    on_tree = tree[labels]
    big = np.flatnonzero(~tree & ~exact) if method != "lbp" else np.zeros(0, np.intp)
    if len(big):  # big cyclic clusters: exact too if thin enough (frontier DP)
        parts = groups(labels)
        bits_max = _HARD_MAX_BITS if method == "exact" else FRONTIER_MAX_BITS
        for v in big.tolist():
            sel = parts[v]
            if frontier_marginals(rows[sel], cols[sel], lr[sel], out=beta, index=sel,
                                  max_bits=bits_max):
                on_exact[sel] = True
            elif method == "exact":
                raise ValueError(f"cluster too large for exact JPDA: {len(sel)} pairs")
    for sel, iters in (
        (np.flatnonzero(on_exact), 0),
        (np.flatnonzero(on_tree & ~on_exact), max_iter),
        (np.flatnonzero(~on_tree & ~on_exact), max_iter),
    ):
        if not len(sel):
            continue
        if iters:
            beta[sel] = lbp(rows[sel], cols[sel], lr[sel], max_iter=iters, tol=tol)[0]
        elif exact[labels[sel]].any():
            sub = sel[exact[labels[sel]]]
            beta[sub] = exact_marginals(rows[sub], cols[sub], lr[sub], labels[sub])
    return beta


# --------------------------------------------------------------------------- helpers


def _local_ids(group: IntArray, ids: IntArray, n_groups: int) -> tuple[IntArray, IntArray]:
    """Per pair, the rank of ``ids`` among the distinct ids of its group; and the number
    of distinct ids per group (every group 0..n_groups-1 must hold a pair)."""
    order = np.lexsort((ids, group))
    gs, js = group[order], ids[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (gs[1:] != gs[:-1]) | (js[1:] != js[:-1])
    item = np.cumsum(new) - 1
    first = item[np.searchsorted(gs, np.arange(n_groups))]
    local = np.empty(len(order), dtype=np.intp)
    local[order] = item - first[gs]
    count = np.bincount(gs, weights=new, minlength=n_groups).astype(np.intp)
    return local, count


def _run_rank(keys: IntArray) -> IntArray:
    """Position of each element within its run of equal (sorted) ``keys``."""
    n = len(keys)
    start = np.ones(n, dtype=bool)
    start[1:] = keys[1:] != keys[:-1]
    idx = np.arange(n)
    first = np.maximum.accumulate(np.where(start, idx, 0))
    return idx - first


def _lse_rows(u: FloatArray) -> FloatArray:
    """``ln Σ exp`` along axis 1; rows all -inf give -inf (no warning)."""
    m = u.max(axis=1)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out: FloatArray = np.log(np.exp(u - m[:, None]).sum(axis=1)) + m
    return out


# ------------------------------------------------------------------------------ exact


def exact_marginals(rows: IntArray, cols: IntArray, lr: FloatArray, labels: IntArray) -> FloatArray:
    """Exact β per pair, cluster by cluster (``labels``: any ids that do not split a
    connected component), by summing over all matchings.

    For a cluster with C nodes on its smaller side (the "mask" side) and R on the other
    (the "sequence" side), taken one by one: ``F_r(S)`` is the total weight of the
    matchings of the first r sequence nodes that use exactly the mask nodes S, ``B_r(S)``
    that of the nodes r.. that avoid S:

        F_{r+1}(S) = F_r(S) + Σ_{c ∈ S} w_rc F_r(S \\ c),
        B_r(S) = B_{r+1}(S) + Σ_{c ∉ S} w_rc B_{r+1}(S ∪ c),
        P(pair (r, c)) = Σ_{S ∌ c} F_r(S) w_rc B_{r+1}(S ∪ c) / Z,   Z = Σ_S F_R(S).

    Clusters of the same C run together (padded to the largest R), in linear arithmetic:
    each sequence node's options (its pairs and "none", weight 1) are scaled so the
    largest is 1 (which changes no probability: every matching takes exactly one option
    of every node) and F, B are renormalised after each node, their log scales kept;
    clusters whose ``(C + 1) · max ln r`` exceeds ``_LINEAR_RANGE`` (very likely pairs:
    states of very different weights) run in the log domain instead (~5x slower)."""
    k = len(rows)
    beta = np.zeros(k)
    if k == 0:
        return beta
    _, g = np.unique(labels, return_inverse=True)
    ng = int(g.max()) + 1
    tl, nt = _local_ids(g, rows, ng)
    dl, nd = _local_ids(g, cols, ng)
    mask_is_det = (nd <= nt)[g]
    bit = np.where(mask_is_det, dl, tl)
    seq = np.where(mask_is_det, tl, dl)
    width = np.minimum(nt, nd)
    order = np.argsort(width[g], kind="stable")
    bounds = np.searchsorted(width[g][order], np.unique(width), side="right")
    start = 0
    for stop in bounds:
        sel = order[start:stop]
        start = stop
        c = int(width[g[sel[0]]])
        clus, gg = np.unique(g[sel], return_inverse=True)
        shape = (len(clus), int(seq[sel].max()) + 1, c)
        lw = np.full(shape, -np.inf)
        pm = np.full(shape, -1, dtype=np.intp)
        lw[gg, seq[sel], bit[sel]] = lr[sel]
        pm[gg, seq[sel], bit[sel]] = sel
        # linear arithmetic loses terms below e^-700 of the largest state; a matching's
        # F and B parts are within e^-(C+1)·max ln r of theirs: else, the log domain
        risky = np.maximum(lw.max(axis=(1, 2)), 0.0) * (c + 1) > _LINEAR_RANGE
        if risky.any():
            _exact_group_log(lw[risky], pm[risky], beta)
        if not risky.all():
            _exact_group(lw[~risky], pm[~risky], beta)
    return beta


def _exact_group(lw: FloatArray, pm: IntArray, beta: FloatArray) -> None:
    """Forward-backward over subsets for G clusters with the same mask width c.
    ``lw`` (G, R, c): ln r of (sequence node, mask node), -inf where no pair; ``pm``:
    the pair index there (-1: none). Writes β of the pairs.

    A state S is an integer (bit b: mask node b used); viewing the (G, 2^c) state array
    as (G, 2^(c-1-b), 2, 2^b), axis 2 is bit b, so "S ∪ b from S ∌ b" is a slice, no
    gather."""
    g, nr, c = lw.shape
    top = np.maximum(lw.max(axis=2), 0.0)
    w = np.exp(lw - top[:, :, None])  # the options of node r, scaled: pairs ...
    w0 = np.exp(-top)  # ... and "none"
    live = [np.flatnonzero(pm[:, r].max(axis=0) >= 0).tolist() for r in range(nr)]
    shapes = [(g, 1 << (c - 1 - b), 2, 1 << b) for b in range(c)]
    f = np.zeros((g, 1 << c))
    f[:, 0] = 1.0
    lf = np.zeros(g)
    fs, lfs = [f], [lf]
    for r in range(nr):
        fn = w0[:, r, None] * f
        for b in live[r]:
            src, dst = f.reshape(shapes[b]), fn.reshape(shapes[b])
            dst[:, :, 1, :] += w[:, r, b, None, None] * src[:, :, 0, :]
        mx = fn.max(axis=1)
        f = fn / mx[:, None]
        lf = lf + np.log(mx)
        fs.append(f)
        lfs.append(lf)
    logz = lf + np.log(f.sum(axis=1))
    bk = np.ones((g, 1 << c))
    lb = np.zeros(g)
    for r in range(nr - 1, -1, -1):
        bn = w0[:, r, None] * bk
        fr = fs[r]
        scale = lfs[r] + lb - logz
        for b in live[r]:
            src, dst, f4 = bk.reshape(shapes[b]), bn.reshape(shapes[b]), fr.reshape(shapes[b])
            hi = src[:, :, 1, :]  # B_{r+1}(S ∪ b) for S ∌ b
            wb = w[:, r, b]
            dst[:, :, 0, :] += wb[:, None, None] * hi
            p = pm[:, r, b]
            ok = p >= 0
            s = (f4[:, :, 0, :] * hi).sum(axis=(1, 2))
            with np.errstate(divide="ignore"):
                beta[p[ok]] = np.exp(np.log(s[ok] * wb[ok]) + scale[ok])
        mx = bn.max(axis=1)
        bk = bn / mx[:, None]
        lb = lb + np.log(mx)


def _exact_group_log(lw: FloatArray, pm: IntArray, beta: FloatArray) -> None:
    """:func:`_exact_group` in the log domain (no underflow whatever the weights)."""
    g, nr, c = lw.shape
    live = [np.flatnonzero(pm[:, r].max(axis=0) >= 0).tolist() for r in range(nr)]
    shapes = [(g, 1 << (c - 1 - b), 2, 1 << b) for b in range(c)]
    f = np.full((g, 1 << c), -np.inf)
    f[:, 0] = 0.0
    fs = [f]
    for r in range(nr):
        fn = f.copy()
        for b in live[r]:
            src, dst = f.reshape(shapes[b]), fn.reshape(shapes[b])
            add = lw[:, r, b, None, None] + src[:, :, 0, :]
            dst[:, :, 1, :] = np.logaddexp(dst[:, :, 1, :], add)
        f = fn
        fs.append(f)
    logz = _lse_rows(f)
    bk = np.zeros((g, 1 << c))
    for r in range(nr - 1, -1, -1):
        bn = bk.copy()
        for b in live[r]:
            src, dst = bk.reshape(shapes[b]), bn.reshape(shapes[b])
            f4 = fs[r].reshape(shapes[b])
            hi = src[:, :, 1, :]
            lwb = lw[:, r, b]
            dst[:, :, 0, :] = np.logaddexp(dst[:, :, 0, :], lwb[:, None, None] + hi)
            p = pm[:, r, b]
            ok = p >= 0
            s = _lse_rows((f4[:, :, 0, :] + hi).reshape(g, -1))
            beta[p[ok]] = np.exp(s[ok] + lwb[ok] - logz[ok])
        bk = bn


def _order(adj: csr_matrix) -> IntArray:
    """A sequence-node order with a narrow frontier: reverse Cuthill-McKee of the graph
    "two sequence nodes share a mask node"."""
    share = (adj @ adj.T).tocsr()
    return np.asarray(reverse_cuthill_mckee(share, symmetric_mode=True), dtype=np.intp)


def _frontier_plan(
    seq: IntArray, msk: IntArray, n_seq: int, n_msk: int
) -> tuple[IntArray, IntArray, IntArray, int]:
    """Order of the sequence nodes, each mask node's first and last position in it, and
    the widest frontier (mask nodes live during a step)."""
    adj = csr_matrix((np.ones(len(seq)), (seq, msk)), shape=(n_seq, n_msk))
    order = _order(adj)
    pos = np.empty(n_seq, dtype=np.intp)
    pos[order] = np.arange(n_seq)
    first = np.full(n_msk, n_seq, dtype=np.intp)
    last = np.full(n_msk, -1, dtype=np.intp)
    np.minimum.at(first, msk, pos[seq])
    np.maximum.at(last, msk, pos[seq])
    live = np.zeros(n_seq + 1, dtype=np.intp)
    np.add.at(live, first, 1)
    np.add.at(live, last + 1, -1)
    return order, first, last, int(np.cumsum(live).max())


def frontier_marginals(
    rows: IntArray,
    cols: IntArray,
    lr: FloatArray,
    *,
    out: FloatArray,
    index: IntArray,
    max_bits: int = FRONTIER_MAX_BITS,
) -> bool:
    """Exact β of one cluster, for large clusters that are "thin" (tracks in a line,
    a chain of overlapping gates), in the manner of Maskell's Efficient Hypothesis
    Management (Maskell, Briers & Wright, "Fast mutual exclusion", SPIE 5428, 2004).

    The nodes of one side are taken in an order (reverse Cuthill-McKee); the state is
    the used/unused status of the *frontier*, the nodes of the other side that an earlier
    node and a later one both gate; a node leaves the state once its last neighbour is
    done. Same forward-backward as :func:`exact_marginals`, in the log domain, on arrays
    with one axis (of 2) per frontier node. Writes β into ``out[index]`` and returns
    True, or returns False (nothing written) if the frontier is wider than
    ``max_bits`` whichever side is taken."""
    _, ri = np.unique(rows, return_inverse=True)
    _, ci = np.unique(cols, return_inverse=True)
    nr, nc = int(ri.max()) + 1, int(ci.max()) + 1
    plans = [
        (ri, ci, nr, nc, _frontier_plan(ri, ci, nr, nc)),
        (ci, ri, nc, nr, _frontier_plan(ci, ri, nc, nr)),
    ]
    seq, msk, n_seq, _, (order, first, last, width) = min(plans, key=lambda q: q[4][3])
    if width > max_bits:
        return False
    pos = np.empty(n_seq, dtype=np.intp)
    pos[order] = np.arange(n_seq)
    by_step = np.argsort(pos[seq], kind="stable")
    bounds = np.searchsorted(pos[seq][by_step], np.arange(n_seq + 1))
    steps = [by_step[bounds[r] : bounds[r + 1]] for r in range(n_seq)]

    def axis(act: list[int], node: int) -> int:
        return act.index(node)

    def at(ax: int, v: int) -> tuple[slice | int, ...]:
        return (slice(None),) * ax + (v,)

    # forward: F_r over act_r (before step r), kept for the backward pass
    f = np.zeros(())
    act: list[int] = []
    fwd: list[tuple[FloatArray, list[int], list[int], list[int]]] = []
    for r in range(n_seq):
        pairs = steps[r]
        new = [int(m) for m in msk[pairs] if first[m] == r]
        gone = sorted({int(m) for m in msk[pairs] if last[m] == r})
        fwd.append((f, list(act), new, gone))
        for _m in new:  # a node first gated here is unused so far
            f = np.stack([f, np.full(f.shape, -np.inf)], axis=-1)
        during = act + new
        fn = f.copy()
        for k in pairs.tolist():
            ax = axis(during, int(msk[k]))
            fn[at(ax, 1)] = np.logaddexp(fn[at(ax, 1)], f[at(ax, 0)] + lr[k])
        keep = [i for i, m in enumerate(during) if m not in gone]
        drop = tuple(i for i, m in enumerate(during) if m in gone)
        f = _lse_axes(fn, drop) if drop else fn
        act = [during[i] for i in keep]
    logz = float(f)
    # backward: B_{r+1} over act_{r+1}; broadcast onto "during", step back, restrict
    b = np.zeros(())
    for r in range(n_seq - 1, -1, -1):
        fr, act_r, new, gone = fwd[r]
        during = act_r + new
        shape = [1 if m in gone else 2 for m in during]
        bu = np.broadcast_to(b.reshape(shape), (2,) * len(during))
        fu = fr
        for _m in new:
            fu = np.stack([fu, np.full(fu.shape, -np.inf)], axis=-1)
        bn = bu.copy()
        for k in steps[r].tolist():
            ax = axis(during, int(msk[k]))
            hi = bu[at(ax, 1)]
            lo = at(ax, 0)
            bn[lo] = np.logaddexp(bn[lo], hi + lr[k])
            tot = fu[at(ax, 0)] + hi
            out[index[k]] = np.exp(_lse_axes(tot, tuple(range(tot.ndim))) + lr[k] - logz)
        b = bn[(slice(None),) * len(act_r) + (0,) * len(new)]
    return True


def _lse_axes(u: FloatArray, axes: tuple[int, ...]) -> FloatArray:
    """``ln Σ exp`` over ``axes`` (-inf everywhere gives -inf)."""
    if not axes:
        return u
    m = np.max(u, axis=axes, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out: FloatArray = np.log(np.exp(u - m).sum(axis=axes)) + np.squeeze(m, axis=axes)
    return out


# -------------------------------------------------------------------------------- BP


class _Layout:
    """Pairs laid out as a padded (node, 1 + neighbour) matrix for one side; column 0
    holds the node's own "nothing" term (ln 1 = 0), padding is -inf."""

    def __init__(self, node: IntArray) -> None:
        order = np.argsort(node, kind="stable")
        rank = np.empty(len(node), dtype=np.intp)
        rank[order] = _run_rank(node[order])
        n = int(node.max()) + 1
        self.width = int(rank.max()) + 2
        self.node = node
        self.flat = node * self.width + rank + 1
        self.base = np.full((n, self.width), -np.inf)
        self.base[:, 0] = 0.0

    def fill(self, values: FloatArray) -> FloatArray:
        u = self.base.copy()
        u.ravel()[self.flat] = values
        return u

    def exclusive(self, values: FloatArray) -> FloatArray:
        """Per pair, ``ln(1 + Σ exp(values of the node's other pairs))``."""
        u = self.fill(values)
        n = len(u)
        m1 = u.max(axis=1)  # >= 0 (column 0)
        e = np.exp(u - m1[:, None])
        pre = np.zeros_like(e)
        np.cumsum(e[:, :-1], axis=1, out=pre[:, 1:])
        suf = np.zeros_like(e)
        suf[:, :-1] = np.cumsum(e[:, :0:-1], axis=1)[:, ::-1]
        with np.errstate(divide="ignore"):  # only at the argmax, replaced below
            out = np.log(pre + suf) + m1[:, None]
        # the row's largest term: scale by the second largest (no underflow to -inf)
        am = u.argmax(axis=1)
        ar = np.arange(n)
        u[ar, am] = -np.inf
        m2 = u.max(axis=1)  # finite: every node has a pair besides column 0
        out[ar, am] = np.log(np.exp(u - m2[:, None]).sum(axis=1)) + m2
        res: FloatArray = out.ravel()[self.flat]
        return res

    def total(self, values: FloatArray) -> FloatArray:
        """Per pair, ``ln(1 + Σ exp(values of all the node's pairs))``."""
        res: FloatArray = _lse_rows(self.fill(values))[self.node]
        return res


def lbp(
    rows: IntArray, cols: IntArray, lr: FloatArray, *, max_iter: int = 500, tol: float = 1e-7
) -> tuple[FloatArray, int]:
    """β per pair by loopy belief propagation (Williams & Lau 2014; see the module
    docstring), all clusters at once. Exact on trees. A cluster stops when none of its
    messages moved by more than ``tol`` (in log) in an iteration (checked every
    ``_BP_CHUNK`` iterations; the others go on without it), or after ``max_iter``
    iterations. Returns β and the largest number of iterations a cluster took."""
    k = len(rows)
    if k == 0:
        return np.zeros(0), 0
    labels = clusters(rows, cols)
    lognu = np.zeros(k)
    active = np.arange(k)
    it = 0
    while len(active) and it < max_iter:
        _, ri = np.unique(rows[active], return_inverse=True)
        _, ci = np.unique(cols[active], return_inverse=True)
        tracks, dets = _Layout(ri), _Layout(ci)
        sub_lr, nu = lr[active], lognu[active]
        delta = np.zeros(len(active))
        for _ in range(min(_BP_CHUNK, max_iter - it)):
            it += 1
            new = -dets.exclusive(sub_lr - tracks.exclusive(sub_lr + nu))
            delta = np.abs(new - nu)
            nu = new
            if not delta.max() > tol:
                break
        lognu[active] = nu
        lab = labels[active]
        worst = np.zeros(int(lab.max()) + 1)
        np.maximum.at(worst, lab, delta)
        active = active[worst[lab] > tol]
    _, ri = np.unique(rows, return_inverse=True)
    a = lr + lognu
    beta: FloatArray = np.exp(a - _Layout(ri).total(a))
    return beta, it


# ----------------------------------------------------------------------------- update


def jpda_update(
    xp: FloatArray,
    pp: FloatArray,
    pair_track: IntArray,
    nu: FloatArray,
    s_inv: FloatArray,
    beta: FloatArray,
    beta0: FloatArray,
    *,
    xp_pair: FloatArray | None = None,
    pp_pair: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """JPDA (PDA-combined) update of T tracks from their K gated pairs.

    ``xp`` (T, n), ``pp`` (T, n, n): the tracks' predictions (the "no detection"
    hypothesis); ``pair_track`` (K,): which of the T tracks each pair belongs to; ``nu``
    (K, m): innovation ``z_j − H x̂``; ``s_inv`` (K, m, m): ``S_j⁻¹`` with
    ``S_j = H P Hᵀ + R_j`` (``H = [I_m 0]``); ``beta`` (K,), ``beta0`` (T,): the
    marginals (:func:`marginals`; ``beta0`` here per track of this call). ``xp_pair``,
    ``pp_pair`` (K, ...): the prediction each pair's innovation was computed from, when
    it differs from its track's (detections of one frame at slightly different times, as
    :class:`~dronewall.fusion.kalman.Innovations` holds them); the result then mixes
    states of nearby times, an approximation the caller accepts.

    With ``K_j = P Hᵀ S_j⁻¹``, ``x_j = x̂ + K_j ν_j``, ``P_j = P − K_j S_j K_jᵀ`` (the
    single-pair Kalman update) and ``x_0 = x̂, P_0 = P``:

        x = Σ_{j≥0} β_j x_j,    P = Σ_{j≥0} β_j (P_j + (x_j − x)(x_j − x)ᵀ)

    (β renormalised to sum 1 per track). With one R for all detections this is the usual
    ``P = β0 P + (1 − β0) P_c + K (Σ β_j ν_j ν_jᵀ − ν̄ ν̄ᵀ) Kᵀ``, ``x = x̂ + K ν̄``
    (Bar-Shalom et al. 2011, PDAF), and with ``β0 = 0`` and one pair the Kalman update;
    for any R it is the exact mean and covariance of the mixture. Each term is SPD and
    the weights positive, so P is SPD. Returns ``x`` (T, n), ``P`` (T, n, n).
    """
    t, n = xp.shape
    k, m = nu.shape
    xq = xp[pair_track] if xp_pair is None else xp_pair
    pq = pp[pair_track] if pp_pair is None else pp_pair
    cross = pq[:, :, :m]  # P Hᵀ
    gain = cross @ s_inv
    xj = xq + (gain @ nu[:, :, None])[:, :, 0]
    pj = pq - gain @ cross.transpose(0, 2, 1)
    w = csr_matrix((beta, (pair_track, np.arange(k))), shape=(t, k))
    norm = beta0 + np.asarray(w.sum(axis=1)).ravel()
    norm = np.where(norm > 0.0, norm, 1.0)
    b0 = beta0 / norm
    w = csr_matrix((beta / norm[pair_track], (pair_track, np.arange(k))), shape=(t, k))
    x = b0[:, None] * xp + w @ xj
    dx = xj - x[pair_track]
    d0 = xp - x
    spread = pj + dx[:, :, None] * dx[:, None, :]
    p = b0[:, None, None] * (pp + d0[:, :, None] * d0[:, None, :])
    p += (w @ spread.reshape(k, n * n)).reshape(t, n, n)
    p = 0.5 * (p + p.transpose(0, 2, 1))
    return np.asarray(x), p


def jpda_update_pairs(
    rows: IntArray,
    xp: FloatArray,
    pp: FloatArray,
    nu: FloatArray,
    s_inv: FloatArray,
    beta: FloatArray,
    beta0: FloatArray,
) -> tuple[IntArray, FloatArray, FloatArray]:
    """:func:`jpda_update` from per-pair arrays, as :class:`Innovations` holds them
    (``rows``, ``xp``, ``pp``, ``nu``, ``s_inv``) and the marginals as :func:`marginals`
    returns them (``beta0`` indexed by track row). The "no detection" hypothesis of a
    track uses the prediction of its first pair. Returns the updated track rows (sorted,
    unique) and their states and covariances."""
    tracks, first, inv = np.unique(rows, return_index=True, return_inverse=True)
    x, p = jpda_update(
        xp[first], pp[first], inv, nu, s_inv, beta, beta0[tracks], xp_pair=xp, pp_pair=pp
    )
    return tracks, x, p
