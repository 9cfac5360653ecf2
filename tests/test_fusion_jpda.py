"""JPDA: clusters, marginal association probabilities (exact and belief propagation) and
the PDA-combined update."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import chi2

from dronewall.fusion import jpda

PG = 0.999
GAMMA = float(chi2.ppf(PG, 3))


def brute_force(rows, cols, loglik, pd, lam, n_tracks):
    """Marginals by enumerating every joint event (each track: missed or one of its
    pairs), dropping those using a detection twice, weighted from the model: Pd N / λ
    for a detected track, 1 - Pd Pg for a missed one (λ per pair)."""
    options = [[-1, *np.flatnonzero(rows == t).tolist()] for t in range(n_tracks)]
    events = np.array(list(itertools.product(*options)), dtype=np.intp)  # (E, T)
    det = events >= 0
    used = np.where(det, cols[events], -1 - np.arange(n_tracks))  # misses never clash
    srt = np.sort(used, axis=1)
    feasible = (srt[:, 1:] != srt[:, :-1]).all(axis=1)
    events, det = events[feasible], det[feasible]
    pdt = np.broadcast_to(pd, events.shape)
    w = np.where(det, pdt * np.exp(loglik[events]) / lam[events], 1.0 - pdt * PG).prod(axis=1)
    w /= w.sum()
    beta = np.bincount(events[det], weights=np.broadcast_to(w[:, None], det.shape)[det],
                       minlength=len(rows))
    beta0 = (w[:, None] * ~det).sum(axis=0)
    return beta, beta0


def brute_from_ratios(rows, cols, lr, n_tracks):
    """:func:`brute_force` with Pd = 0.5 and λ chosen so that the ratios are e^lr."""
    lam = np.full(len(rows), 0.5 / (1 - 0.5 * PG))
    return brute_force(rows, cols, lr, np.full(n_tracks, 0.5), lam, n_tracks)[0]


def random_blocks(rng, n_blocks, max_tracks, max_dets):
    """Several random gating patterns side by side (separate ids), pairs shuffled."""
    rows, cols = [], []
    t0 = d0 = 0
    for _ in range(n_blocks):
        nt, nd = rng.integers(1, max_tracks + 1), rng.integers(1, max_dets + 1)
        m = rng.random((nt, nd)) < rng.uniform(0.3, 1.0)
        r, c = np.nonzero(m)
        rows.append(r + t0)
        cols.append(c + d0)
        t0, d0 = t0 + nt, d0 + nd
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    perm = rng.permutation(len(rows))
    return rows[perm], cols[perm], t0, d0


def random_forest(rng, n_trees, max_nodes):
    """Random bipartite trees: each new node hangs on a random earlier node (of the
    other kind)."""
    rows, cols = [], []
    nt = nd = 0
    for _ in range(n_trees):
        kind = [("t", nt)]
        nt += 1
        for v in range(1, int(rng.integers(2, max_nodes + 1))):
            side, idx = kind[int(rng.integers(0, v))]
            if side == "t":
                kind.append(("d", nd))
                rows.append(idx)
                cols.append(nd)
                nd += 1
            else:
                kind.append(("t", nt))
                rows.append(nt)
                cols.append(idx)
                nt += 1
    return np.array(rows), np.array(cols), nt


def naive_bp(rows, cols, lr, iters):
    """Williams & Lau's message iteration written out pair by pair."""
    w = np.exp(lr)
    k = len(rows)
    nu = np.ones(k)
    for _ in range(iters):
        mu = np.array([
            w[a] / (1 + sum(w[b] * nu[b] for b in range(k) if rows[b] == rows[a] and b != a))
            for a in range(k)
        ])
        nu = np.array([
            1 / (1 + sum(mu[b] for b in range(k) if cols[b] == cols[a] and b != a))
            for a in range(k)
        ])
    wn = w * nu
    return np.array([wn[a] / (1 + wn[rows == rows[a]].sum()) for a in range(k)])


def scene(rng, n, side, clutter_mean, pd=0.9):
    """Tracks at random in a cube of ``side`` σ; detections of the detected ones and
    Poisson clutter in a larger cube; unit-free positions, S = σ² I per track."""
    pos = rng.uniform(0, side, (n, 3))
    sig = rng.uniform(0.7, 1.5, n)
    hit = rng.random(n) < pd
    vol = (side + 6.0) ** 3
    z = np.concatenate([
        pos[hit] + rng.normal(0, 1, (int(hit.sum()), 3)) * sig[hit, None],
        rng.uniform(-3.0, side + 3.0, (rng.poisson(clutter_mean), 3)),
    ])
    d2 = ((z[None] - pos[:, None]) ** 2).sum(-1) / sig[:, None] ** 2
    r, c = np.nonzero(d2 <= GAMMA)
    loglik = jpda.log_likelihood(d2[r, c], sig[r] ** 6)
    return r, c, loglik, clutter_mean / vol


# ---------------------------------------------------------------------------- clusters


def test_clusters_hand_example() -> None:
    # {T0, T1, T10 | D5, D6}: T0-D5-T1-D6-T10; {T2 | D7, D8}; {T3, T4 | D9}
    rows = np.array([0, 2, 1, 3, 1, 10, 2, 4])
    cols = np.array([5, 7, 5, 9, 6, 6, 8, 9])
    lab = jpda.clusters(rows, cols)
    groups = {frozenset(np.flatnonzero(lab == v).tolist()) for v in np.unique(lab)}
    assert groups == {frozenset({0, 2, 4, 5}), frozenset({1, 6}), frozenset({3, 7})}
    assert sorted(np.unique(lab).tolist()) == [0, 1, 2]
    parts = jpda.groups(lab)
    assert {frozenset(g.tolist()) for g in parts} == groups
    assert sum(len(g) for g in parts) == len(rows)
    assert len(jpda.clusters(np.zeros(0, np.intp), np.zeros(0, np.intp))) == 0


# --------------------------------------------------------------------------- marginals


@pytest.mark.parametrize("method", ["exact", "auto"])
def test_marginals_equal_brute_force(method: str) -> None:
    rng = np.random.default_rng(7)
    worst = 0.0
    for _ in range(60):
        rows, cols, nt, nd = random_blocks(rng, 2, 3, 4)
        pd = rng.uniform(0.5, 0.99, nt)
        lam_det = 10 ** rng.uniform(-4, -1, nd)
        loglik = rng.normal(-4, 2, len(rows))
        beta, beta0 = jpda.marginals(
            rows, cols, loglik, pd, PG, lam_det[cols], n_tracks=nt + 2, method=method  # type: ignore[arg-type]
        )
        b, b0 = brute_force(rows, cols, loglik, pd, lam_det[cols], nt)
        worst = max(worst, np.abs(beta - b).max(), np.abs(beta0[:nt] - b0).max())
        assert np.all(beta0[nt:] == 1.0)  # tracks without pairs
    assert worst < 1e-10


def test_exact_handles_extreme_ratios() -> None:
    # ln r in the hundreds (tiny clutter density, tiny S): the DP must leave linear
    # arithmetic; compare with enumeration in the log domain
    rng = np.random.default_rng(3)
    for _ in range(80):
        nt, nd = int(rng.integers(2, 5)), int(rng.integers(2, 6))
        rows, cols = np.nonzero(rng.random((nt, nd)) < 0.7)
        if len(rows) < 2 or rows.max() + 1 != nt:
            continue
        lr = rng.normal(0, 1, len(rows)) * rng.choice([1, 50, 200]) + rng.choice([-300, 0, 300])
        events = np.array(list(itertools.product(
            *[[-1, *np.flatnonzero(rows == t).tolist()] for t in range(nt)])))
        used = np.where(events >= 0, cols[events], -1 - np.arange(nt))
        srt = np.sort(used, axis=1)
        events = events[(srt[:, 1:] != srt[:, :-1]).all(axis=1)]
        lw = np.where(events >= 0, lr[events], 0.0).sum(axis=1)
        expect = [np.exp(logsumexp(lw[(events == k).any(axis=1)]) - logsumexp(lw))
                  for k in range(len(rows))]
        got = jpda.pair_marginals(rows, cols, lr, method="exact")
        np.testing.assert_allclose(got, expect, atol=1e-9)


def chain(n, rng):
    """n tracks in a line, track i gating detections i-1, i, i+1: one cluster, thin."""
    rows = np.repeat(np.arange(n), 3)
    cols = rows + np.tile([-1, 0, 1], n)
    ok = (cols >= 0) & (cols < n)
    return rows[ok], cols[ok], rng.normal(2, 2, int(ok.sum()))


def test_frontier_dp_equals_subset_dp() -> None:
    rng = np.random.default_rng(12)
    for _ in range(40):
        rows, cols, _, _ = random_blocks(rng, 1, 6, 7)
        if len(rows) == 0:
            continue
        lr = rng.normal(0, 3, len(rows))
        out = np.full(len(rows), np.nan)
        for g in jpda.groups(jpda.clusters(rows, cols)):
            assert jpda.frontier_marginals(rows[g], cols[g], lr[g], out=out, index=g)
        exact = jpda.exact_marginals(rows, cols, lr, np.zeros(len(rows), np.intp))
        assert np.abs(out - exact).max() < 1e-10
    rows, cols, lr = chain(13, rng)
    out = np.zeros(len(rows))
    assert jpda.frontier_marginals(rows, cols, lr, out=out, index=np.arange(len(rows)),
                                   max_bits=3)  # a chain's frontier: 3 detections
    exact = jpda.exact_marginals(rows, cols, lr, np.zeros(len(rows), np.intp))
    assert np.abs(out - exact).max() < 1e-10


def test_auto_is_exact_on_long_thin_clusters() -> None:
    # 80 tracks in a line: far beyond the subset DP, exact by the frontier DP, where BP
    # is off
    rng = np.random.default_rng(13)
    rows, cols, lr = chain(80, rng)
    auto = jpda.pair_marginals(rows, cols, lr)
    out = np.zeros(len(rows))
    assert jpda.frontier_marginals(rows, cols, lr, out=out, index=np.arange(len(rows)))
    assert np.array_equal(auto, out)
    assert np.abs(auto - jpda.pair_marginals(rows, cols, lr, method="lbp")).max() > 0.02
    assert np.bincount(rows, weights=auto).max() <= 1 + 1e-12
    assert np.bincount(cols, weights=auto).max() <= 1 + 1e-12
    # a narrower limit than the frontier: BP
    assert not jpda.frontier_marginals(rows, cols, lr, out=out, index=np.arange(len(rows)),
                                       max_bits=2)


def test_lbp_is_exact_on_trees() -> None:
    rng = np.random.default_rng(3)
    for _ in range(40):
        rows, cols, nt = random_forest(rng, 2, 9)
        lr = rng.normal(0, 3, len(rows))
        beta, iters = jpda.lbp(rows, cols, lr, tol=1e-13)
        exact = jpda.exact_marginals(rows, cols, lr, np.zeros(len(rows), np.intp))
        b = brute_from_ratios(rows, cols, lr, nt)
        assert np.abs(beta - b).max() < 1e-10
        assert np.abs(exact - b).max() < 1e-10
        assert iters <= 12


def test_vectorised_bp_is_williams_lau_iteration() -> None:
    rng = np.random.default_rng(11)
    rows, cols, _, _ = random_blocks(rng, 3, 5, 6)
    lr = rng.normal(0, 2, len(rows))
    beta, _ = jpda.lbp(rows, cols, lr, tol=1e-14, max_iter=2000)
    assert np.abs(beta - naive_bp(rows, cols, lr, 300)).max() < 1e-9


def test_lbp_close_to_exact_on_medium_clusters() -> None:
    # 4-10 tracks in a cube of 12σ, Pd 0.9, ~10 clutter detections around: clusters of a
    # few tracks, many with cycles. Belief propagation is an approximation there: small
    # in most frames, up to ~0.3 in the worst (two tracks both sure of the same two
    # detections; see the next test and bench/jpda.py).
    rng = np.random.default_rng(1)
    errs = []
    for _ in range(60):
        r, c, ll, lam = scene(rng, int(rng.integers(4, 11)), 12.0, 10.0)
        if len(r) == 0:
            continue
        be, b0e = jpda.marginals(r, c, ll, 0.9, PG, lam, method="exact")
        bl, b0l = jpda.marginals(r, c, ll, 0.9, PG, lam, method="lbp")
        errs.append(max(np.abs(be - bl).max(), np.abs(b0e - b0l).max()))
    errs = np.array(errs)
    assert np.median(errs) < 0.01
    assert np.percentile(errs, 75) < 0.05
    assert errs.max() < 0.35


def test_auto_is_exact_where_bp_is_overconfident() -> None:
    # two tracks, two detections, all four pairs likely (ln r 4-5): the two pairings
    # have weights 12207 and 7339, so β(0, 0) = 0.616; BP says 0.86.
    rows, cols = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    lr = np.array([4.49, 5.07, 3.83, 4.92])
    b = brute_from_ratios(rows, cols, lr, 2)
    assert b[0] == pytest.approx(0.6155, abs=1e-3)
    assert np.abs(jpda.pair_marginals(rows, cols, lr) - b).max() < 1e-12
    assert jpda.lbp(rows, cols, lr)[0][0] == pytest.approx(0.86, abs=0.01)


def test_beta_sums_to_one_and_survives_extremes() -> None:
    rng = np.random.default_rng(5)
    rows, cols, nt, _ = random_blocks(rng, 30, 6, 6)
    loglik = rng.normal(-4, 30, len(rows))  # likelihood ratios up to e^±100
    for pd, lam in ((0.9, 1e-6), (1.0, 1e-300), (1.0, 0.0), (1e-3, 1e3)):
        for method in ("auto", "lbp"):
            beta, beta0 = jpda.marginals(
                rows, cols, loglik, pd, 1.0 if pd == 1.0 else PG, lam, method=method  # type: ignore[arg-type]
            )
            assert np.all(np.isfinite(beta)) and np.all(beta >= 0)
            total = beta0 + np.bincount(rows, weights=beta, minlength=nt)
            assert np.abs(total - 1.0).max() < 1e-9
            # a detection is used at most once in every event: its β sum to at most 1
            assert np.bincount(cols, weights=beta).max() <= 1.0 + 1e-9


def test_gate_volume_and_nonparametric_clutter() -> None:
    # a sphere of radius 2 σ for S = σ² I: (4π/3) (2σ)³
    sigma = 3.0
    v = jpda.gate_volume(np.array([sigma**6]), 4.0)
    assert v[0] == pytest.approx(4 / 3 * np.pi * (2 * sigma) ** 3)
    assert jpda.gate_volume(np.array([1.0]), 9.0, dim=2)[0] == pytest.approx(np.pi * 9.0)
    rows = np.array([0, 0, 0, 1])
    lam = jpda.nonparametric_clutter(rows, np.ones(4), GAMMA)
    vol = 4 / 3 * np.pi * GAMMA**1.5
    np.testing.assert_allclose(lam, [3 / vol, 3 / vol, 3 / vol, 1 / vol])


def test_auto_sends_big_clusters_to_bp() -> None:
    rng = np.random.default_rng(2)
    rows, cols = np.nonzero(rng.random((30, 35)) < 0.5)
    ll = rng.normal(-6, 2, len(rows))
    beta, _ = jpda.marginals(rows, cols, ll, 0.9, PG, 1e-3)
    beta_bp, _ = jpda.marginals(rows, cols, ll, 0.9, PG, 1e-3, method="lbp")
    assert np.array_equal(beta, beta_bp)
    with pytest.raises(ValueError, match="too large"):
        jpda.marginals(rows, cols, ll, 0.9, PG, 1e-3, method="exact")


# ------------------------------------------------------------------------------ update


def random_spd(rng, k, n):
    a = rng.normal(0, 1, (k, n, n))
    return a @ a.transpose(0, 2, 1) + n * np.eye(n)


def kalman(xp, pp, nu, r):
    s = pp[:3, :3] + r
    k = pp[:, :3] @ np.linalg.inv(s)
    return xp + k @ nu, pp - k @ s @ k.T


def test_update_is_kalman_with_one_sure_pair() -> None:
    rng = np.random.default_rng(0)
    xp, pp = rng.normal(0, 100, (4, 6)), random_spd(rng, 4, 6)
    r = random_spd(rng, 4, 3)
    nu = rng.normal(0, 3, (4, 3))
    s_inv = np.linalg.inv(pp[:, :3, :3] + r)
    x, p = jpda.jpda_update(xp, pp, np.arange(4), nu, s_inv, np.ones(4), np.zeros(4))
    for i in range(4):
        xk, pk = kalman(xp[i], pp[i], nu[i], r[i])
        np.testing.assert_allclose(x[i], xk, rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(p[i], pk, rtol=1e-9, atol=1e-9)


def test_update_is_the_mixture_and_pdaf_form() -> None:
    rng = np.random.default_rng(1)
    t, per = 3, 4
    xp, pp = rng.normal(0, 100, (t, 6)), random_spd(rng, t, 6)
    pair_track = np.repeat(np.arange(t), per)
    nu = rng.normal(0, 3, (t * per, 3))
    w = rng.random((t, per + 1))
    w /= w.sum(1, keepdims=True)
    beta0, beta = w[:, 0], w[:, 1:].ravel()
    # different R per detection: the mixture of single-pair Kalman updates
    r = random_spd(rng, t * per, 3)
    s_inv = np.linalg.inv(pp[pair_track, :3, :3] + r)
    x, p = jpda.jpda_update(xp, pp, pair_track, nu, s_inv, beta, beta0)
    for i in range(t):
        parts = [(beta0[i], xp[i], pp[i])]
        for k in np.flatnonzero(pair_track == i):
            parts.append((beta[k], *kalman(xp[i], pp[i], nu[k], r[k])))
        mean = sum(b * m for b, m, _ in parts)
        cov = sum(b * (c + np.outer(m - mean, m - mean)) for b, m, c in parts)
        np.testing.assert_allclose(x[i], mean, rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(p[i], cov, rtol=1e-9, atol=1e-8)
        assert np.linalg.eigvalsh(p[i]).min() > 0
    # one R for all: Bar-Shalom's PDAF form
    r1 = random_spd(rng, 1, 3)[0]
    s_inv = np.broadcast_to(np.linalg.inv(pp[:, :3, :3] + r1)[pair_track], (t * per, 3, 3))
    x, p = jpda.jpda_update(xp, pp, pair_track, nu, np.ascontiguousarray(s_inv), beta, beta0)
    for i in range(t):
        s = pp[i, :3, :3] + r1
        k = pp[i, :, :3] @ np.linalg.inv(s)
        b = beta[pair_track == i]
        v = nu[pair_track == i]
        vbar = b @ v
        pc = pp[i] - k @ s @ k.T
        spread = k @ ((b[:, None, None] * v[:, :, None] * v[:, None, :]).sum(0)
                      - np.outer(vbar, vbar)) @ k.T
        np.testing.assert_allclose(x[i], xp[i] + k @ vbar, rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(
            p[i], beta0[i] * pp[i] + (1 - beta0[i]) * pc + spread, rtol=1e-9, atol=1e-8
        )


def test_update_pairs_wrapper() -> None:
    rng = np.random.default_rng(4)
    xp, pp = rng.normal(0, 10, (3, 6)), random_spd(rng, 3, 6)
    rows = np.array([5, 9, 5, 7, 9])  # table rows, unsorted
    nu = rng.normal(0, 1, (5, 3))
    s_inv = np.linalg.inv(pp[[0, 2, 0, 1, 2], :3, :3] + np.eye(3))
    beta = np.array([0.3, 0.5, 0.4, 0.9, 0.2])
    beta0 = np.zeros(10)
    beta0[[5, 7, 9]] = [0.3, 0.1, 0.3]
    xq, pq = xp[[0, 2, 0, 1, 2]], pp[[0, 2, 0, 1, 2]]
    tracks, x, p = jpda.jpda_update_pairs(rows, xq, pq, nu, s_inv, beta, beta0)
    assert tracks.tolist() == [5, 7, 9]
    x2, p2 = jpda.jpda_update(
        xp, pp, np.array([0, 2, 0, 1, 2]), nu, s_inv, beta, np.array([0.3, 0.1, 0.3])
    )
    np.testing.assert_allclose(x, x2)
    np.testing.assert_allclose(p, p2)


def crossing(seed=0):
    """Two targets cross at t = 10 s (1 m apart in height), JPDA-tracked: the position
    covariance trace and β(track 0, its own detection) per step, and the last P."""
    rng = np.random.default_rng(seed)
    dt, sigma, q = 1.0, 1.0, 0.5
    f = np.eye(6)
    f[:3, 3:] = dt * np.eye(3)
    qm = np.zeros((6, 6))
    qm[:3, :3], qm[:3, 3:], qm[3:, :3], qm[3:, 3:] = (
        dt**3 / 3 * np.eye(3), dt**2 / 2 * np.eye(3), dt**2 / 2 * np.eye(3), dt * np.eye(3)
    )
    qm *= q**2
    r = sigma**2 * np.eye(3)

    def truth(t):
        return np.array([[10.0 * t, 0.5 * (t - 10), 0.0], [10.0 * t, -0.5 * (t - 10), 1.0]])

    vel = np.array([[10.0, 0.5, 0.0], [10.0, -0.5, 0.0]])
    x = np.hstack([truth(0), vel])
    p = np.tile(np.diag([4.0, 4, 4, 1, 1, 1]), (2, 1, 1))
    trace, ambiguity = [], []
    for step in range(1, 21):
        x = x @ f.T
        p = f @ p @ f.T + qm
        z = truth(step) + rng.normal(0, sigma, (2, 3))
        nu = z[None, :, :] - x[:, None, :3]  # (track, det, 3)
        s = np.repeat(p[:, None, :3, :3] + r, 2, axis=1)  # (track, det, 3, 3)
        s_inv = np.linalg.inv(s)
        d2 = np.einsum("tdi,tdij,tdj->td", nu, s_inv, nu)
        rows, cols = np.nonzero(d2 <= GAMMA)
        ll = jpda.log_likelihood(d2[rows, cols], np.linalg.det(s)[rows, cols])
        beta, beta0 = jpda.marginals(rows, cols, ll, 0.95, PG, 1e-6, n_tracks=2)
        x, p = jpda.jpda_update(
            x, p, rows, nu[rows, cols], s_inv[rows, cols], beta, beta0
        )
        trace.append(np.trace(p[0, :3, :3]))
        own = beta[(rows == 0) & (cols == 0)]
        ambiguity.append(float(own[0]) if len(own) else 0.0)
    return np.array(trace), np.array(ambiguity), p


def test_crossing_targets_covariance_grows_in_the_ambiguity() -> None:
    """JPDA spreads each track's covariance while the two detections are
    interchangeable, and shrinks it after."""
    for seed in (0, 1):
        trace, ambiguity, p = crossing(seed)
        steady = np.median(trace[2:5])  # steps 3-5: targets > 5 m apart
        assert trace[6:14].max() > 1.4 * steady  # the ambiguity shows in the covariance
        assert ambiguity[6:14].min() < 0.7  # the detections were interchangeable
        assert ambiguity[:5].min() > 0.99 and ambiguity[-3:].min() > 0.95
        assert trace[-1] < 1.2 * steady  # and it comes back after the crossing
        assert all(np.linalg.eigvalsh(pi).min() > 0 for pi in p)


def test_exact_marginals_match_stone_soup_ehm() -> None:
    """An independent exact implementation (Stone Soup's JPDA with Efficient Hypothesis
    Management) on the same frame: ~12 tracks in groups of 1-4, Pd 0.9, clutter."""
    pytest.importorskip("stonesoup")
    import datetime

    from stonesoup.dataassociator.probability import JPDAwithEHM
    from stonesoup.hypothesiser.probability import PDAHypothesiser
    from stonesoup.models.measurement.linear import LinearGaussian
    from stonesoup.models.transition.linear import (
        CombinedLinearGaussianTransitionModel,
        ConstantVelocity,
    )
    from stonesoup.predictor.kalman import KalmanPredictor
    from stonesoup.types.detection import Detection
    from stonesoup.types.state import GaussianState
    from stonesoup.types.track import Track
    from stonesoup.updater.kalman import KalmanUpdater

    rng = np.random.default_rng(8)
    x, z = [], []
    for k in (1, 2, 3, 4, 2):
        off = rng.uniform(0, 1e4, 3)
        p = rng.uniform(0, 2.0, (k, 3)) + off
        hit = rng.random(k) < 0.9
        x.append(p)
        z.append(np.concatenate([p[hit] + rng.normal(0, 1.0, (int(hit.sum()), 3)),
                                 off + rng.uniform(-2, 4, (1, 3))]))
    x, z = np.concatenate(x), np.concatenate(z)
    lam, var_p, var_r = 0.01, 0.5, 0.5
    d2 = ((z[None] - x[:, None]) ** 2).sum(-1) / (var_p + var_r)
    rows, cols = np.nonzero(d2 <= GAMMA)
    ll = jpda.log_likelihood(d2[rows, cols], np.full(len(rows), (var_p + var_r) ** 3))
    beta, beta0 = jpda.marginals(rows, cols, ll, 0.9, PG, lam, n_tracks=len(x))
    assert len(np.unique(jpda.clusters(rows, cols))) < len(x)  # some tracks interact

    now = datetime.datetime(2025, 1, 1)
    mm = LinearGaussian(ndim_state=6, mapping=(0, 2, 4), noise_covar=var_r * np.eye(3))
    cv = CombinedLinearGaussianTransitionModel([ConstantVelocity(0.0)] * 3)
    cov = np.diag([var_p, 1.0] * 3)
    tracks = [Track([GaussianState(np.array([[xi[0]], [0], [xi[1]], [0], [xi[2]], [0]]), cov,
                                   timestamp=now)]) for xi in x]
    dets = [Detection(zi.reshape(3, 1), timestamp=now, measurement_model=mm) for zi in z]
    hyp = PDAHypothesiser(KalmanPredictor(cv), KalmanUpdater(mm), clutter_spatial_density=lam,
                          prob_detect=0.9, prob_gate=PG)
    res = JPDAwithEHM(hyp).associate(set(tracks), set(dets), now)
    index = {id(d): j for j, d in enumerate(dets)}
    for i, tr in enumerate(tracks):
        for h in res[tr]:
            if h.measurement:
                k = np.flatnonzero((rows == i) & (cols == index[id(h.measurement)]))
                assert float(h.probability) == pytest.approx(beta[k[0]], abs=1e-9)
            else:
                assert float(h.probability) == pytest.approx(beta0[i], abs=1e-9)
