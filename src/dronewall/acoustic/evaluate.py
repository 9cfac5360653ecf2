"""Evaluation of the acoustic node: classifier ROC (synthetic by SNR, real grouped by
recording), detector threshold from noise-only runs, detection range of one node, bearing
error against the Cramér–Rao bound, and CPU per sensor-second.

Every function returns plain dicts (JSON-ready); :func:`evaluate_all` writes them with
PNG plots into a directory (``bench/acoustic_node.py`` and ``dronewall acoustic evaluate``).
Synthetic audio comes from :mod:`dronewall.acoustic.synthesis`; nothing here reads a clock
except the CPU benchmark, which is a benchmark.
"""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from dronewall.acoustic import features as F
from dronewall.acoustic.classifier import DRONE_LABELS, LABELS, Model, load_model
from dronewall.acoustic.detector import (
    DEFAULT_PFA,
    DEFAULT_THRESHOLD,
    HARMONIC_PFA,
    statistics_batch,
)
from dronewall.acoustic.framing import FrameSpec
from dronewall.acoustic.node import NodePipeline, clip_features
from dronewall.acoustic.train import Frames, fit, mix, synthetic_clip

HARM_COL = F.FEATURE_NAMES.index("harm_score")


# --------------------------------------------------------------------------- ROC / AUC


def auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve (Mann–Whitney, ties count half)."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(positive, dtype=bool)
    n1, n0 = int(y.sum()), int((~y).sum())
    if n1 == 0 or n0 == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    ss = s[order]
    i = 0
    while i < len(ss):  # average ranks of ties
        j = i
        while j + 1 < len(ss) and ss[j + 1] == ss[i]:
            j += 1
        ranks[order[i:j + 1]] = 0.5 * (i + j) + 1
        i = j + 1
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def roc(scores: np.ndarray, positive: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(false-positive rate, true-positive rate) over all thresholds."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(positive, dtype=bool)
    order = np.argsort(-s, kind="mergesort")
    tp = np.concatenate([[0], np.cumsum(y[order])]) / max(y.sum(), 1)
    fp = np.concatenate([[0], np.cumsum(~y[order])]) / max((~y).sum(), 1)
    return fp, tp


def p_drone_of(model: Model, x: np.ndarray) -> np.ndarray:
    """Drone probability of feature rows."""
    p = model.predict_proba(x)
    cols = [i for i, c in enumerate(model.classes) if c in DRONE_LABELS]
    return p[:, cols].sum(axis=1)


# --------------------------------------------------------------------------- real clips


def grouped_cv(real: Frames, syn: Frames | None, *, folds: int = 5, real_weight: int = 1,
               seed: int = 0, **fit_args: Any) -> dict[str, Any]:
    """Grouped K-fold on the real clips: each fold's recordings are held out of training
    (synthetic frames always train). ``folds`` >= number of recordings is leave-one-
    recording-out. Returns held-out per-frame ``p_drone`` and AUCs (drone vs. the rest),
    per frame and per clip (clip score = its highest frame p_drone, as ``--summary``)."""
    groups = np.unique(real.groups)
    rng = np.random.default_rng(seed)
    # stratify: deal each class's recordings round-robin into the folds
    fold_of: dict[str, int] = {}
    k = min(folds, len(groups))
    for label in np.unique(real.y):
        g = np.unique(real.groups[real.y == label])
        g = g[rng.permutation(len(g))]
        for i, name in enumerate(g):
            fold_of[str(name)] = (i + len(fold_of)) % k
    pd = np.zeros(len(real.y))
    fold_idx = np.array([fold_of[str(g)] for g in real.groups])
    for f in range(k):
        test = fold_idx == f
        train = real.take(~test)
        data = syn if syn is not None else None
        for _ in range(real_weight):
            data = train if data is None else data + train
        assert data is not None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m = fit(data, seed=seed, **fit_args)
        pd[test] = p_drone_of(m, real.x[test])
    pos = np.isin(real.y, DRONE_LABELS)
    clips = np.unique(real.groups)
    cscore = np.array([pd[real.groups == c].max() for c in clips])
    cpos = np.array([bool(pos[real.groups == c][0]) for c in clips])
    return {
        "folds": int(k),
        "frame_auc": auc(pd, pos),
        "clip_auc": auc(cscore, cpos),
        "helicopter_fa": float(np.mean(pd[real.y == "helicopter"] >= 0.5))
        if np.any(real.y == "helicopter") else None,
        "background_fa": float(np.mean(pd[real.y == "background"] >= 0.5))
        if np.any(real.y == "background") else None,
        "drone_pd": float(np.mean(pd[pos] >= 0.5)),
        "p_drone": pd.tolist(),
        "labels": real.y.tolist(),
        "groups": real.groups.tolist(),
        "clip_scores": {str(c): float(s) for c, s in zip(clips, cscore, strict=True)},
    }


# --------------------------------------------------------------------------- synthetic ROC


def synthetic_roc(model: Model, snrs: tuple[float, ...], n_clips: int = 12,
                  seed: int = 1000) -> dict[str, Any]:
    """Per SNR: AUC of p_drone (drone labels vs. every other label and noise) and of the
    detector statistic (any target vs. noise only), on clips made with ``seed`` (keep it
    apart from the training seeds)."""
    rng = np.random.default_rng(seed)
    bank = []
    for label in LABELS:
        for _ in range(n_clips):
            bank.append((label, *synthetic_clip(label, rng)))
    spec = FrameSpec()
    out: dict[str, Any] = {"snr_db": list(snrs), "p_drone_auc": [], "detector_auc": [],
                           "by_label_pd": {}, "n_clips_per_label": n_clips}
    curves = {}
    for snr in snrs:
        xs, ys, noise_only = [], [], []
        for label, clean, noise, variant in bank:
            s = 20.0 if variant == "wind" else snr
            x = mix(clean, noise, s) if variant != "noise" else noise / np.std(noise[0]) * 0.02
            rows = clip_features(x[:1], spec)
            xs.append(rows)
            ys += [label] * len(rows)
            noise_only += [variant in ("noise", "wind")] * len(rows)
        xa, ya, no = np.vstack(xs), np.array(ys), np.array(noise_only)
        pdr = p_drone_of(model, xa)
        pos = np.isin(ya, DRONE_LABELS)
        out["p_drone_auc"].append(auc(pdr, pos))
        tgt = ya != "background"
        keep = tgt | no
        out["detector_auc"].append(auc(xa[keep, HARM_COL], tgt[keep]))
        curves[snr] = roc(pdr, pos)
    out["_curves"] = curves
    return out


# --------------------------------------------------------------------------- threshold


def noise_statistics(n_frames: int, seed: int = 7, ambient: str = "rural_night",
                     wind_m_s: float = 2.0, chunk_s: int = 200,
                     geometry: Any = None) -> np.ndarray:
    """Detector statistics of ``n_frames`` independent 1-s noise-only frames of the
    synthesis noise model (ambient preset + wind + self-noise); with an array
    ``geometry``, of the channel-averaged PSD (diffuse ambient coherent between the
    microphones as the synthesiser renders it)."""
    from dronewall.acoustic.noise import synthesize_noise
    from dronewall.acoustic.synthesis import Environment

    env = Environment(ambient=ambient, wind_m_s=wind_m_s)
    rng = np.random.default_rng(seed)
    fs = 16000
    mics = np.zeros((1, 3)) if geometry is None else geometry.positions
    if geometry is not None:
        chunk_s = min(chunk_s, 20)
    out = []
    done = 0
    while done < n_frames:
        n = min(chunk_s, n_frames - done)
        x = synthesize_noise(mics, n * fs, fs, env, rng)
        frames = x[0].reshape(n, fs) if geometry is None else \
            np.swapaxes(x.reshape(len(mics), n, fs), 0, 1)
        out.append(statistics_batch(frames))
        done += n
    return np.concatenate(out)


def array_gain(single_threshold: float, array_threshold: float, *,
               ranges_m: np.ndarray | None = None, altitude_m: float = 300.0,
               frames_per_range: int = 40, ambient: str = "rural_night",
               wind_m_s: float = 2.0, seed: int = 13, side_m: float = 0.10,
               ) -> dict[str, Any]:
    """Detection range of a Shahed (default level, ``altitude_m``) for one microphone (the
    reference channel) and for the channel-averaged detector of a 4-mic square array of side
    ``side_m``, each at its own threshold for the same Pfa, on the same synthesised 4-channel
    audio (a paired comparison): Pd per range and the ranges at Pd 0.9 and 0.5."""
    from dronewall.acoustic.arrays import ArrayGeometry
    from dronewall.acoustic.synthesis import Environment, Signature, Trajectory, synthesize

    if ranges_m is None:
        ranges_m = np.array([2000, 2500, 3000, 3300, 3600, 3900, 4200, 4500, 4800, 5200, 5600,
                             6000, 7000], dtype=float)
    env = Environment(ambient=ambient, wind_m_s=wind_m_s)
    geo = ArrayGeometry.square(side_m)
    rng = np.random.default_rng(seed)
    sig = Signature.for_label("shahed")
    pd1, pd4 = [], []
    for r in ranges_m:
        az = rng.uniform(0, 2 * np.pi)
        h = np.sqrt(max(r * r - altitude_m**2, 1.0))
        traj = Trajectory.static((h * np.sin(az), h * np.cos(az), altitude_m))
        x = synthesize(sig, traj, geo, fs=16000, duration_s=float(frames_per_range),
                       env=env, seed=int(rng.integers(2**31))).astype(np.float64)
        frames = np.swapaxes(x.reshape(4, frames_per_range, 16000), 0, 1)
        pd1.append(float(np.mean(statistics_batch(frames[:, 0]) >= single_threshold)))
        pd4.append(float(np.mean(statistics_batch(frames) >= array_threshold)))
    a1, a4 = np.array(pd1), np.array(pd4)
    return {"ranges_m": ranges_m.tolist(), "altitude_m": altitude_m, "ambient": ambient,
            "side_m": side_m, "frames_per_range": frames_per_range,
            "single": {"threshold": single_threshold, "pd": pd1,
                       "range_pd90_m": _cross(ranges_m, a1, 0.9),
                       "range_pd50_m": _cross(ranges_m, a1, 0.5)},
            "array": {"threshold": array_threshold, "pd": pd4,
                      "range_pd90_m": _cross(ranges_m, a4, 0.9),
                      "range_pd50_m": _cross(ranges_m, a4, 0.5)}}


def threshold_for(stats: np.ndarray, pfa: float = DEFAULT_PFA,
                  tail_quantile: float = 0.99) -> dict[str, Any]:
    """Threshold for ``pfa`` from noise-only statistics: the empirical quantile (when
    there are >= 3/pfa samples) and an exponential tail fit (peaks over the
    ``tail_quantile`` threshold ``u``: P(T > t) = p_u exp(-(t - u)/beta), the GPD with
    shape 0, whose ``beta`` is the mean excess), with the fit's 95 % bootstrap interval."""
    s = np.sort(np.asarray(stats, dtype=float))
    n = len(s)
    u = float(np.quantile(s, tail_quantile))
    exc = s[s > u] - u
    p_u = len(exc) / n
    beta = float(exc.mean())
    t_fit = u + beta * np.log(p_u / pfa)
    rng = np.random.default_rng(0)
    boots = []
    for _ in range(200):
        e = rng.choice(exc, len(exc))
        boots.append(u + e.mean() * np.log(p_u / pfa))
    emp = float(np.quantile(s, 1 - pfa)) if n >= 3 / pfa else None
    # Gumbel check: fraction of fit-predicted exceedances at the largest observed value
    return {
        "pfa": pfa, "n_frames": n, "tail_u": u, "tail_p_u": p_u, "tail_beta": beta,
        "threshold_fit": float(t_fit),
        "threshold_fit_ci95": [float(np.quantile(boots, 0.025)),
                               float(np.quantile(boots, 0.975))],
        "threshold_empirical": emp,
        "max_noise_stat": float(s[-1]),
        "exceed_fit_threshold": int(np.sum(s >= t_fit)),
    }


# --------------------------------------------------------------------------- range


def node_pd(sig: Any, ranges_m: np.ndarray, *, altitude_m: float, frames: int, env: Any,
            rng: np.random.Generator, threshold: float | None = None, piece_s: int = 10,
            ) -> dict[str, list[float]]:
    """Detection rates of one single-microphone node (the whole pipeline: harmonic OR
    broadband detector, node Pfa 1.2e-5 at the shipped thresholds) against a static source
    at ``altitude_m`` and each horizontal range: ``frames`` decisions per range in
    ``piece_s``-s pieces, each with its own seed, azimuth and a fresh node whose broadband
    floor is primed with noise-only audio (a node on duty). Returns the node's Pd and the
    shares of frames the harmonic and the broadband detector fired on."""
    from dronewall.acoustic.fullphysics import CAL_DB, prime_noise
    from dronewall.acoustic.synthesis import ArrayGeometry, Trajectory, synthesize, to_dbfs

    geo = ArrayGeometry.single()
    out: dict[str, list[float]] = {"pd": [], "pd_harmonic": [], "pd_broadband": []}
    for r in ranges_m:
        det = harm = bb = n = 0
        for s0 in range(0, frames, piece_s):
            secs = min(piece_s, frames - s0)
            az = rng.uniform(0, 2 * np.pi)
            seed_i = int(rng.integers(2**31))
            traj = Trajectory.static((r * np.sin(az), r * np.cos(az), altitude_m))
            x = synthesize(sig, traj, geo, fs=16000, duration_s=float(secs), env=env,
                           seed=seed_i)
            pipe = NodePipeline(None, cal_db=CAL_DB, threshold=threshold)
            pipe.prime(to_dbfs(prime_noise(env, seed_i)))
            ds = pipe.process(to_dbfs(x), 0.0)
            det += sum(d.detected for d in ds)
            harm += sum(d.detector in ("harmonic", "both") for d in ds)
            bb += sum(d.detector in ("broadband", "both") for d in ds)
            n += len(ds)
        out["pd"].append(det / n)
        out["pd_harmonic"].append(harm / n)
        out["pd_broadband"].append(bb / n)
    return out


SHAHED_RANGES_M = np.r_[np.arange(500.0, 2000.0, 250.0), np.arange(2000.0, 6000.0, 200.0),
                        np.arange(6000.0, 12000.0, 500.0), 12000.0, 14000.0, 16000.0]
"""Horizontal ranges of the Shahed range study: fine (200 m) across the default level's
transition, 500 m across the loudest's."""


def detection_range(threshold: float | None = None, *,
                    levels_db: tuple[float, ...] = (100.0, 110.0, 125.0),
                    ranges_m: np.ndarray | None = None, altitude_m: float = 300.0,
                    frames_per_range: int = 60, ambient: str = "rural_night",
                    wind_m_s: float = 2.0, seed: int = 11) -> dict[str, Any]:
    """Pd of one single-microphone node (:func:`node_pd`: the whole pipeline, node Pfa
    1.2e-5; ``threshold`` the harmonic detector's, default the shipped one) against a
    Shahed-class source at ``altitude_m`` vs. horizontal range, for source levels
    ``levels_db`` (dB re 20 uPa at 1 m): full-physics synthesis (spreading, ISO 9613-1
    absorption, static source with engine speed wander) in ``ambient`` noise. Ranges at
    Pd 0.9 and 0.5 by interpolation."""
    from dronewall.acoustic.synthesis import Environment, Signature

    ranges_m = SHAHED_RANGES_M if ranges_m is None else np.asarray(ranges_m, dtype=float)
    env = Environment(ambient=ambient, wind_m_s=wind_m_s)
    rng = np.random.default_rng(seed)
    thr = DEFAULT_THRESHOLD if threshold is None else float(threshold)
    out: dict[str, Any] = {"ranges_m": ranges_m.tolist(), "altitude_m": altitude_m,
                           "ambient": ambient, "wind_m_s": wind_m_s, "threshold": thr,
                           "frames_per_range": frames_per_range, "levels": {}}
    for level in levels_db:
        sig = Signature.for_label("shahed", source_level_db=level)
        res = node_pd(sig, ranges_m, altitude_m=altitude_m, frames=frames_per_range, env=env,
                      rng=rng, threshold=thr)
        pda = np.array(res["pd"])
        out["levels"][f"{level:g}"] = {**res, "range_pd90_m": _cross(ranges_m, pda, 0.9),
                                       "range_pd50_m": _cross(ranges_m, pda, 0.5)}
    return out


def broadband_range(*, variants: tuple[str, ...] = ("jet_drone", "cruise_missile"),
                    ranges_m: np.ndarray | None = None, altitude_m: float = 300.0,
                    frames_per_range: int = 40, ambient: str = "rural_night",
                    wind_m_s: float = 2.0, seed: int = 17) -> dict[str, Any]:
    """Pd of one single-microphone node (:func:`node_pd`) against jet-powered targets at
    ``altitude_m`` vs. horizontal range. Ranges at Pd 0.9 and 0.5 by interpolation."""
    from dronewall.acoustic.synthesis import Environment, Signature

    if ranges_m is None:
        ranges_m = np.array([3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000, 11000, 12000,
                             13000, 14000, 16000], dtype=float)
    env = Environment(ambient=ambient, wind_m_s=wind_m_s)
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {"ranges_m": ranges_m.tolist(), "altitude_m": altitude_m,
                           "ambient": ambient, "wind_m_s": wind_m_s,
                           "frames_per_range": frames_per_range, "variants": {}}
    for variant in variants:
        sig = Signature.for_label("jet", variant)
        res = node_pd(sig, ranges_m, altitude_m=altitude_m, frames=frames_per_range, env=env,
                      rng=rng)
        pda = np.array(res["pd"])
        out["variants"][variant] = {
            "source_level_db": sig.source_level_db, **res,
            "range_pd90_m": _cross(ranges_m, pda, 0.9),
            "range_pd50_m": _cross(ranges_m, pda, 0.5)}
    return out


def _cross(r: np.ndarray, pd: np.ndarray, level: float) -> float | None:
    """Largest range at which Pd (interpolated linearly) is still >= ``level``."""
    above = np.flatnonzero(pd >= level)
    if len(above) == 0:
        return None
    i = int(above[-1])
    if i == len(r) - 1:
        return float(r[-1])
    # between r[i] (>= level) and r[i+1] (< level)
    f = (pd[i] - level) / (pd[i] - pd[i + 1])
    return float(r[i] + f * (r[i + 1] - r[i]))


# --------------------------------------------------------------------------- bearings


def crb_from_components(geometry: Any, clean: np.ndarray, noise: np.ndarray, fs: int,
                        azimuth_deg: float, nfft: int = 2048, c: float = 343.0,
                        fmax: float | None = None, smooth_bins: int = 3,
                        ) -> tuple[float, float]:
    """Deterministic CRB (deg) of the azimuth for one frame from its separately known signal
    ``clean`` and ``noise`` (n_mics, n): (spatially white noise, actual noise covariance).

    Non-overlapping rectangular ``nfft`` blocks (independent, energy-preserving); per
    (block, bin) with amplitude ``s`` (reference mic) and noise covariance ``Q`` (estimated
    from the noise over the frame's blocks and ±``smooth_bins`` bins), the Fisher information
    is ``2 |s|^2 Re[d^H Q^-1 d - |a^H Q^-1 d|^2 / (a^H Q^-1 a)]`` with ``a`` the steering
    vector and ``d`` its derivative in azimuth. With ``Q = sigma^2 I`` it reduces to
    :func:`dronewall.acoustic.doa.crb_deg` at high SNR. Diffuse ambient noise is nearly
    common to microphones 10 cm apart at low frequency, so the actual-covariance bound is
    the lower, relevant one."""
    from dronewall.acoustic.doa import crb_deg

    m = clean.shape[0]
    nb = clean.shape[1] // nfft
    S = np.fft.rfft(clean[:, : nb * nfft].reshape(m, nb, nfft), axis=2)  # (M, B, K)
    N = np.fft.rfft(noise[:, : nb * nfft].reshape(m, nb, nfft), axis=2)
    f = np.fft.rfftfreq(nfft, 1 / fs)
    keep = np.flatnonzero((f >= F.BAND[0]) & (f <= (fmax or F.BAND[1])))
    # white-noise bound on the reference microphone
    npow = np.mean(np.abs(N[0]) ** 2, axis=0)
    rho = (np.abs(S[0][:, keep]) ** 2) / np.maximum(npow[keep], 1e-30)
    white = crb_deg(geometry, np.broadcast_to(f[keep], rho.shape).ravel(), rho.ravel(), 1.0,
                    azimuth_deg, c)
    # actual covariance: Q per bin from the noise itself
    t = np.radians(azimuth_deg)
    p = geometry.positions[:, :2]
    u = np.array([np.sin(t), np.cos(t)])
    du = np.array([np.cos(t), -np.sin(t)])
    fisher = 0.0
    for k in keep:
        lo, hi = max(k - smooth_bins, 0), min(k + smooth_bins + 1, N.shape[2])
        nk = N[:, :, lo:hi].reshape(m, -1)
        q = nk @ nk.conj().T / nk.shape[1]
        q += 1e-9 * np.trace(q).real / m * np.eye(m)
        w = 2 * np.pi * f[k] / c
        a = np.exp(1j * w * (p @ u))
        d = a * (1j * w * (p @ du))
        qi = np.linalg.inv(q)
        info = (d.conj() @ qi @ d - abs(a.conj() @ qi @ d) ** 2 / (a.conj() @ qi @ a)).real
        fisher += 2 * float(np.sum(np.abs(S[0, :, k]) ** 2)) * float(info)
    actual = float(np.degrees(1 / np.sqrt(fisher))) if fisher > 0 else float("inf")
    return float(white), actual


def bearing_vs_snr(snrs: tuple[float, ...], *, trials: int = 30, side_m: float = 0.10,
                   seed: int = 21, label: str = "shahed", ambient: str = "rural_night",
                   ) -> dict[str, Any]:
    """Bearing error of the node (4-mic square, NormMUSIC on harmonic bins) vs. SNR (per
    microphone, 50–4000 Hz) for ``label`` at a random azimuth, 1.5 km, 300 m up, in
    diffuse ambient noise; with the CRB of each frame beside it."""
    from dronewall.acoustic.arrays import ArrayGeometry
    from dronewall.acoustic.noise import synthesize_noise
    from dronewall.acoustic.synthesis import Environment, Signature, Trajectory, synthesize

    geo = ArrayGeometry.square(side_m)
    pipe = NodePipeline(geo, always_doa=True, max_sources=1)
    env_q = Environment(ambient="quiet", wind_m_s=0.0)
    env_n = Environment(ambient=ambient, wind_m_s=2.0)
    rng = np.random.default_rng(seed)
    fs = 16000
    sig = Signature.for_label(label)
    bank = []
    for _ in range(trials):
        az = float(rng.uniform(0, 360))
        pos = (1500 * np.sin(np.radians(az)), 1500 * np.cos(np.radians(az)), 300.0)
        clean = synthesize(sig, Trajectory.static(pos), geo, fs=fs, duration_s=1.0, env=env_q,
                           seed=int(rng.integers(2**31))).astype(np.float64)
        noise = synthesize_noise(geo.positions, fs, fs, env_n, rng)
        bank.append((az, clean, noise))
    assert pipe.doa is not None
    max_f = pipe.doa.max_bin * fs / pipe.spec.nfft
    res: dict[str, Any] = {"snr_db": list(snrs), "trials": trials, "array": f"square {side_m} m",
                           "label": label, "median_deg": [], "p90_deg": [], "share_gt10": [],
                           "crb_median_deg": [], "crb_white_median_deg": [],
                           "sigma_median_deg": [], "detected_share": [],
                           "method_music_share": [], "rms_err_over_sigma": []}
    for snr in snrs:
        errs, crbs, crbw, sigmas, det, music = [], [], [], [], [], []
        for az, clean, noise in bank:
            x = mix(clean, noise, snr, level=0.05)
            pipe.reset()
            d = pipe.process(x, 0.0)[0]
            b = d.bearings[0]
            errs.append(abs((b.azimuth - az + 180) % 360 - 180))
            sigmas.append(b.sigma)
            det.append(d.detected)
            music.append(b.method == "normmusic")
            ps = _band(clean[0])
            gain = np.sqrt(_band(noise[0]) / ps * 10 ** (snr / 10))
            cw, ca = crb_from_components(geo, gain * clean, noise, fs, az, fmax=max_f)
            crbs.append(ca)
            crbw.append(cw)
        e = np.array(errs)
        res["median_deg"].append(float(np.median(e)))
        res["p90_deg"].append(float(np.quantile(e, 0.9)))
        res["share_gt10"].append(float(np.mean(e > 10)))
        res["crb_median_deg"].append(float(np.median(crbs)))
        res["crb_white_median_deg"].append(float(np.median(crbw)))
        res["sigma_median_deg"].append(float(np.median(sigmas)))
        res["detected_share"].append(float(np.mean(det)))
        res["method_music_share"].append(float(np.mean(music)))
        res["rms_err_over_sigma"].append(float(np.sqrt(np.mean((e / np.array(sigmas)) ** 2))))
    return res


def _band(x: np.ndarray) -> float:
    from dronewall.acoustic.train import band_power

    return band_power(x)


# --------------------------------------------------------------------------- CPU


def cpu_per_sensor_second(seconds: int = 60, channels: int = 4, seed: int = 3) -> dict[str, Any]:
    """CPU time (``time.process_time``, this process) of the whole node pipeline per
    second of audio: 4-mic square, Shahed at 1.5 km in rural-night noise (so detection,
    classification and bearing all run every frame). A benchmark, not a test."""
    from dronewall.acoustic.arrays import ArrayGeometry
    from dronewall.acoustic.synthesis import Environment, Signature, Trajectory, synthesize

    geo = ArrayGeometry.square(0.1) if channels == 4 else None
    arr = geo if geo is not None else ArrayGeometry.single()
    x = synthesize(Signature.for_label("shahed"), Trajectory.static((1000, 1000, 300)), arr,
                   fs=16000, duration_s=float(seconds), env=Environment(ambient="rural_night"),
                   seed=seed).astype(np.float64)
    pipe = NodePipeline(geo)
    pipe.process(x[:, :16000], 0.0)  # warm-up (caches, pyroomacoustics tables)
    pipe.reset()
    t = time.process_time()
    ds = pipe.process(x, 0.0)
    dt = time.process_time() - t
    return {"seconds": seconds, "channels": x.shape[0], "cpu_s": dt,
            "ms_per_sensor_second": 1000 * dt / seconds,
            "detected_frames": int(sum(d.detected for d in ds))}


# --------------------------------------------------------------------------- all


PARTS = ("threshold", "range", "bearing", "synthetic", "real", "cpu", "broadband", "array")


def _save(fig: Any, path: Path) -> None:
    """Lay out, write (PNG, 110 dpi) and close one figure."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def evaluate_all(outdir: str | Path, *, quick: bool = False, real_dir: str | Path | None = None,
                 noise_frames: int | None = None, model_path: str | None = None,
                 parts: tuple[str, ...] = PARTS, noise_stats_file: str | Path | None = None,
                 threshold: float | None = None) -> dict[str, Any]:
    """Run the evaluations named in ``parts`` and write ``acoustic_node.json`` (merged
    into an existing one) and PNGs to ``outdir``.

    ``noise_stats_file`` (.npy) reuses or stores the noise-only statistics; ``threshold``
    overrides the one derived from them (for range runs without the noise part)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dronewall.acoustic.train import real_frames, synthetic_frames

    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    jpath = out / "acoustic_node.json"
    res: dict[str, Any] = json.loads(jpath.read_text()) if jpath.exists() else {}
    model = load_model(model_path)
    res.update({"model_cv": model.meta.get("cv"), "quick": quick})
    timings: dict[str, float] = res.setdefault("wall_s", {})

    def save() -> None:
        jpath.write_text(json.dumps(res, indent=2, default=float))

    # 1. threshold from noise-only decisions
    if "threshold" in parts:
        t0 = time.time()
        nf = Path(noise_stats_file) if noise_stats_file else None
        if nf is not None and nf.exists():
            stats = np.load(nf)
        else:
            stats = noise_statistics(noise_frames or (20_000 if quick else 100_000))
            if nf is not None:
                np.save(nf, stats)
        thr = threshold_for(stats, HARMONIC_PFA)
        res["threshold"] = thr
        fig, ax = plt.subplots(figsize=(6, 4))
        srt = np.sort(stats)
        ax.semilogy(srt, 1 - np.arange(len(srt)) / len(srt), label="noise-only (empirical)")
        t_use = thr["threshold_empirical"] or thr["threshold_fit"]
        tt = np.linspace(thr["tail_u"], max(t_use, srt[-1]) + 2, 50)
        ax.semilogy(tt, thr["tail_p_u"] * np.exp(-(tt - thr["tail_u"]) / thr["tail_beta"]),
                    "--", label="exponential tail fit")
        ax.axhline(HARMONIC_PFA, color="k", lw=0.5)
        ax.axvline(t_use, color="r", lw=0.8, label=f"threshold {t_use:.2f}")
        ax.set_xlabel("detector statistic")
        ax.set_ylabel("P(T > t) per 1-s decision")
        ax.set_title(f"{len(stats)} noise-only decisions, rural night")
        ax.legend()
        _save(fig, out / "threshold.png")
        timings["threshold"] = time.time() - t0
        save()
    if threshold is None:
        thr_res = res.get("threshold") or {}
        threshold = thr_res.get("threshold_empirical") or thr_res.get("threshold_fit") \
            or DEFAULT_THRESHOLD

    # 2. detection range
    if "range" in parts:
        t0 = time.time()
        assert threshold is not None, "no threshold: run the threshold part or pass one"
        rng_res = detection_range(threshold, frames_per_range=20 if quick else 60)
        res["range"] = rng_res
        fig, ax = plt.subplots(figsize=(6, 4))
        for lvl, v in rng_res["levels"].items():
            ax.plot(np.array(rng_res["ranges_m"]) / 1000, v["pd"], "o-", label=f"{lvl} dB @1 m")
        ax.axhline(0.9, color="k", lw=0.5)
        ax.axhline(0.5, color="k", lw=0.5)
        ax.set_xlabel("horizontal range, km (Shahed at 300 m, rural night)")
        ax.set_ylabel(f"Pd (node: harmonic OR broadband, Pfa {DEFAULT_PFA:g} per 1-s)")
        ax.legend()
        _save(fig, out / "range.png")
        timings["range"] = time.time() - t0
        save()

    # 3. bearings
    if "bearing" in parts:
        t0 = time.time()
        snrs = (-15.0, -10.0, -5.0, 0.0, 5.0, 10.0, 20.0)
        brg = bearing_vs_snr(snrs, trials=12 if quick else 40)
        res["bearing"] = brg
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.semilogy(snrs, brg["median_deg"], "o-", label="median error")
        ax.semilogy(snrs, brg["p90_deg"], "s-", label="p90 error")
        ax.semilogy(snrs, brg["crb_median_deg"], "k--", label="CRB, actual noise covariance")
        ax.semilogy(snrs, brg["crb_white_median_deg"], "k:", label="CRB, white noise")
        ax.semilogy(snrs, brg["sigma_median_deg"], ":", label="reported sigma (median)")
        ax.set_xlabel("SNR per microphone, dB (50-4000 Hz)")
        ax.set_ylabel("bearing error, deg")
        ax.set_title("4-mic 10 cm square, Shahed at 1.5 km")
        ax.legend()
        _save(fig, out / "bearing.png")
        timings["bearing"] = time.time() - t0
        save()

    # 4. synthetic ROC by SNR (fresh seeds, never used for training)
    if "synthetic" in parts:
        t0 = time.time()
        syn_snrs = (-15.0, -10.0, -5.0, 0.0, 5.0, 10.0, 20.0)
        sroc = synthetic_roc(model, syn_snrs, n_clips=4 if quick else 12)
        curves = sroc.pop("_curves")
        res["synthetic_roc"] = sroc
        fig, ax = plt.subplots(figsize=(5, 5))
        for snr, (fp, tp) in curves.items():
            ax.plot(fp, tp, label=f"{snr:g} dB")
        ax.plot([0, 1], [0, 1], "k:", lw=0.5)
        ax.set_xlabel("false-positive rate")
        ax.set_ylabel("true-positive rate (drone)")
        ax.set_title("p_drone ROC, synthetic, by SNR")
        ax.legend()
        _save(fig, out / "roc_synthetic.png")
        timings["synthetic"] = time.time() - t0
        save()

    # 5. real clips, grouped CV (recipe of the shipped model, folds by recording)
    if "real" in parts and real_dir is not None and Path(real_dir, "labels.csv").exists():
        t0 = time.time()
        real = real_frames(real_dir)
        meta = model.meta
        syn = synthetic_frames(4 if quick else int(meta.get("synthetic_clips_per_label", 30)),
                               int(meta.get("seed", 1)),
                               snr_range=tuple(meta.get("snr_range_db", (-5.0, 25.0))))
        cv = grouped_cv(real, syn, folds=5 if quick else 10,
                        real_weight=int(meta.get("real_weight", 1)),
                        kind=str(meta.get("kind", "logreg")), c=float(meta.get("c", 0.03)),
                        hidden=int(meta.get("hidden", 32)),
                        alpha=float(meta.get("alpha", 1e-2)))
        pos = np.isin(np.array(cv["labels"]), DRONE_LABELS)
        fp, tp = roc(np.array(cv["p_drone"]), pos)
        res["real_cv"] = {k: v for k, v in cv.items() if k not in ("p_drone", "labels", "groups")}
        fig, ax = plt.subplots(figsize=(5, 5))
        ax.plot(fp, tp, label=f"frames, AUC {cv['frame_auc']:.3f}")
        ax.plot([0, 1], [0, 1], "k:", lw=0.5)
        ax.set_xlabel("false-positive rate (helicopter + background)")
        ax.set_ylabel("true-positive rate (drone)")
        ax.set_title(f"real dev clips, {cv['folds']}-fold grouped by recording")
        ax.legend()
        _save(fig, out / "roc_real.png")
        timings["real"] = time.time() - t0
        save()

    # 6. CPU
    if "cpu" in parts:
        res["cpu"] = cpu_per_sensor_second(20 if quick else 60)
        save()

    # 7. broadband detector: threshold from a noise-only stream, jet / cruise-missile range
    if "broadband" in parts:
        from dronewall.acoustic import broadband

        t0 = time.time()
        bstats = broadband.noise_statistics(2_000 if quick else (noise_frames or 20_000),
                                            seed=11)
        res["broadband_threshold"] = threshold_for(bstats, broadband.BB_PFA)
        res["broadband_threshold"]["shipped"] = broadband.BB_THRESHOLD
        res["broadband_range"] = broadband_range(frames_per_range=20 if quick else 40)
        timings["broadband"] = time.time() - t0
        save()

    # 8. array detection gain (channel-averaged PSD vs. the reference microphone)
    if "array" in parts:
        t0 = time.time()
        from dronewall.acoustic.arrays import ArrayGeometry

        astats = noise_statistics(1_000 if quick else 6_000, seed=21,
                                  geometry=ArrayGeometry.square(0.1))
        athr = threshold_for(astats, HARMONIC_PFA)
        res["array_threshold"] = athr
        res["array_gain"] = array_gain(DEFAULT_THRESHOLD, float(athr["threshold_fit"]),
                                       frames_per_range=20 if quick else 40)
        timings["array"] = time.time() - t0
        save()
    return res
