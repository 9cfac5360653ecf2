"""Spectral features of one 1-s frame: noise floor, whitened spectrum, harmonic series,
and the fixed-length feature vector the classifier reads.

Everything works on the Welch power spectrum ``P`` of one channel (the reference
microphone, channel 0): the same numbers for a single-microphone node and for an array,
so one trained model serves both.

- **Noise floor**: a running 25th percentile over 31 bins (±120 Hz) of log P less its
  running mean (which follows the slope of coloured noise); a harmonic series occupies
  few of the bins, so the floor follows the noise, not the tones.
- **Whitened spectrum** ``W = P / floor``: about 1 on noise whatever its colour.
- **Harmonic analysis**: for fundamental candidates ``f0`` (30–400 Hz, 0.4 % steps) the
  score of the first K harmonics below 3 kHz is ``sum_k (g_k - mu) / (sigma sqrt(K))``
  where ``g_k = log max(W)`` over ±1 bin of ``k f0`` and ``mu, sigma`` are the mean and
  spread of ``g`` on Gaussian noise; maximised over ``f0`` and K in {3, 6, 12, 24}. It is
  the harmonic-sum detector (a log-compressed, normalised comb filter), robust to the
  colour of the noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import ndimage

from dronewall.acoustic.framing import FrameSpec, psd, stft

FLOOR_PCT = 25.0
FLOOR_BINS = 31
F0_MIN, F0_MAX, F0_STEP = 30.0, 400.0, 0.004
HARM_FMAX = 3000.0
K_SET = (3, 6, 12, 24)
BAND = (50.0, 4000.0)  # band of SNR and level figures
N_BANDS = 20


def noise_floor(p: np.ndarray) -> np.ndarray:
    """Smooth noise-floor estimate of power spectra (along the last axis, same shape).

    The log spectrum's running mean over ``FLOOR_BINS`` takes out the local slope (wind
    and traffic noise fall steeply at low frequency, and a plain running percentile on a
    slope sits below the centre bin: whitened noise then looks like a comb); the running
    25th percentile of what is left sets the level without being lifted by tones."""
    lp = np.log(np.maximum(p, 1e-30))
    trend = ndimage.uniform_filter1d(lp, FLOOR_BINS, axis=-1, mode="nearest")
    size = (1,) * (lp.ndim - 1) + (FLOOR_BINS,)
    q = ndimage.percentile_filter(lp - trend, FLOOR_PCT, size=size, mode="nearest")
    return np.exp(trend + q)


@lru_cache(maxsize=8)
def _grid(nfft: int, rate: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f0 candidates (bins), harmonic bin indices (n_f0, 24) and validity mask."""
    df = rate / nfft
    n = int(np.log(F0_MAX / F0_MIN) / np.log1p(F0_STEP)) + 1
    f0 = F0_MIN * (1 + F0_STEP) ** np.arange(n)
    k = np.arange(1, max(K_SET) + 1)
    fk = f0[:, None] * k[None, :]
    idx = np.rint(fk / df).astype(np.int64)
    valid = fk <= HARM_FMAX
    return f0, np.where(valid, idx, 0), valid


@lru_cache(maxsize=8)
def noise_stats(nfft: int = 2048, rate: int = 16000, hop: int = 512) -> tuple[float, float]:
    """Mean and std of ``g = log max3(W)`` on white Gaussian noise (fixed seed)."""
    rng = np.random.default_rng(12345)
    spec = FrameSpec(rate=rate, nfft=nfft, stft_hop=hop)
    gs = []
    for _ in range(16):
        p = psd(stft(rng.standard_normal(spec.frame_len), spec))
        w = p / noise_floor(p)
        gs.append(np.log(ndimage.maximum_filter1d(w, 3))[8:400])
    g = np.concatenate(gs)
    return float(g.mean()), float(g.std())


@dataclass
class Harmonics:
    """Best harmonic series of a frame."""

    score: float  # detector statistic (normalised harmonic sum)
    f0: float  # Hz
    n_harm: int  # K of the best score
    bins: np.ndarray  # STFT bins of the harmonics that stand out (W > 2)
    excess: float  # power of those harmonics above the floor (PSD units, summed)


def harmonic_scores(w: np.ndarray, nfft: int, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Score per f0 candidate (maximised over K) and the argmax K index."""
    mu, sd = noise_stats(nfft, rate)
    _, idx, valid = _grid(nfft, rate)
    g = np.log(np.maximum(ndimage.maximum_filter1d(w, 3), 1e-12))
    gk = np.where(valid, g[idx] - mu, 0.0)
    cs = np.cumsum(gk, axis=1)
    nvalid = valid.sum(axis=1)
    zs = []
    for k in K_SET:
        kk = np.minimum(k, nvalid)
        z = cs[np.arange(len(cs)), np.maximum(kk - 1, 0)] / (sd * np.sqrt(np.maximum(kk, 1)))
        zs.append(np.where(kk >= min(3, k), z, -np.inf))
    zs_arr = np.stack(zs, axis=1)
    return zs_arr.max(axis=1), zs_arr.argmax(axis=1)


def harmonics(p: np.ndarray, floor: np.ndarray, nfft: int, rate: int) -> Harmonics:
    """The best harmonic series; among near-best candidates the lowest f0 wins, so that
    a series is not reported at twice its fundamental."""
    w = p / floor
    scores, kidx = harmonic_scores(w, nfft, rate)
    f0s, idx, valid = _grid(nfft, rate)
    best = int(np.argmax(scores))
    top = scores[best]
    if top > 4.0:
        near = np.flatnonzero(scores >= 0.85 * top)
        # prefer the lowest f0 whose score is near the best and that divides it
        for c in near:
            ratio = f0s[best] / f0s[c]
            if abs(ratio - round(ratio)) < 0.03 * round(ratio):
                best = int(c)
                break
    k = K_SET[int(kidx[best])]
    hb = idx[best][valid[best]][: max(k, 12)]
    hb = hb[(hb > 1) & (hb < len(w) - 3)]
    # refine each harmonic to the local maximum within ±1 bin
    loc = hb[:, None] + np.arange(-1, 2)[None, :]
    hb = loc[np.arange(len(hb)), np.argmax(w[loc], axis=1)] if len(hb) else hb
    strong = np.unique(hb[w[hb] > 2.0]) if len(hb) else hb
    f0 = float(f0s[best])
    df = rate / nfft
    if len(strong) >= 2:
        # least-squares fundamental through the peaks (parabolic peak positions)
        a, c, e = np.log(w[strong - 1]), np.log(w[strong]), np.log(w[strong + 1])
        den = a - 2 * c + e
        off = np.where(np.abs(den) > 1e-9, 0.5 * (a - e) / np.where(den == 0, 1, den), 0.0)
        pos = (strong + np.clip(off, -0.5, 0.5)) * df
        kk = np.maximum(np.rint(pos / f0), 1)
        f0 = float(np.sum(kk * pos) / np.sum(kk * kk))
    if len(strong):
        lob = np.unique((strong[:, None] + np.arange(-2, 3)[None, :]).ravel())
        excess = float(np.sum(np.maximum(p[lob] - floor[lob], 0.0)))
    else:
        excess = 0.0
    return Harmonics(score=float(top), f0=f0, n_harm=k,
                     bins=strong, excess=excess)


def band_slice(freqs: np.ndarray, lo: float, hi: float) -> slice:
    i0 = int(np.searchsorted(freqs, lo))
    i1 = int(np.searchsorted(freqs, hi))
    return slice(i0, max(i1, i0 + 1))


@lru_cache(maxsize=8)
def _band_edges(nfft: int, rate: int) -> np.ndarray:
    f = np.fft.rfftfreq(nfft, 1 / rate)
    edges = np.geomspace(50.0, 7000.0, N_BANDS + 1)
    return np.searchsorted(f, edges)


FEATURE_NAMES: tuple[str, ...] = (
    *(f"band{i:02d}" for i in range(N_BANDS)),
    "harm_score", "log_f0", "harm_k", "harm_snr_db", "n_strong",
    "cep_peak", "cep_q",
    "flatness", "centroid", "rolloff", "slope",
    "mod_3_8", "mod_8_20", "mod_20_40", "mod_40_100", "env_cv",
    "var_low", "var_mid", "var_high", "flux",
)


def frame_features(x0: np.ndarray, spectrum: np.ndarray, p: np.ndarray, floor: np.ndarray,
                   h: Harmonics, spec: FrameSpec) -> np.ndarray:
    """Feature vector (len(FEATURE_NAMES),) of the reference channel of one frame.

    ``x0`` samples, ``spectrum`` its STFT (bins, snaps), ``p`` its PSD, ``floor`` the floor.
    Features are level-independent (ratios and shapes), so distance does not enter."""
    eps = 1e-20
    f = spec.freqs
    edges = _band_edges(spec.nfft, spec.rate)
    cs = np.concatenate([[0.0], np.cumsum(p)])
    bands = np.log10(cs[edges[1:]] - cs[edges[:-1]] + eps)
    bands = 10 * (bands - np.log10(cs[edges[-1]] - cs[edges[0]] + eps))
    b = band_slice(f, *BAND)
    pb = p[b]
    noise_pow = float(np.sum(floor[b]))
    hsnr = 10 * np.log10(h.excess / noise_pow + 1e-3)
    # cepstrum of the log spectrum: periodicity of the harmonic comb
    lp = np.log(p[:1024] + eps)
    cep = np.abs(np.fft.irfft(lp - lp.mean()))
    q0, q1 = int(spec.rate / F0_MAX), int(spec.rate / F0_MIN)
    seg = cep[q0:q1]
    qi = int(np.argmax(seg))
    cep_peak = float((seg[qi] - np.median(seg)) / (np.std(seg) + eps))
    flat = float(np.exp(np.mean(np.log(pb + eps))) / (np.mean(pb) + eps))
    cen = float(np.sum(f * p) / (np.sum(p) + eps))
    roll = float(f[min(int(np.searchsorted(cs[1:], 0.85 * cs[-1])), len(f) - 1)])
    fb = f[b]
    slope = float(np.polyfit(np.log10(fb), 10 * np.log10(pb + eps), 1)[0])
    # envelope modulation (blade slap of rotors) at a 250 Hz envelope rate
    blk = 64
    n = (len(x0) // blk) * blk
    env = np.log(np.mean(x0[:n].reshape(-1, blk) ** 2, axis=1) + eps)
    env = env - env.mean()
    em = np.abs(np.fft.rfft(env * np.hanning(len(env)))) ** 2
    fe = np.fft.rfftfreq(len(env), blk / spec.rate)
    tot = float(np.sum(em[fe >= 1.0])) + eps
    mods = [float(np.sum(em[(fe >= lo) & (fe < hi)])) / tot
            for lo, hi in ((3, 8), (8, 20), (20, 40), (40, 100))]
    env_cv = float(np.std(env))
    # stationarity across snapshots in three bands
    ps = spectrum.real**2 + spectrum.imag**2
    var = []
    for lo, hi in ((50, 500), (500, 2000), (2000, 7000)):
        e = np.log10(ps[band_slice(f, lo, hi)].sum(axis=0) + eps)
        var.append(float(np.std(e)))
    lps = np.log10(ps[b] + eps)
    flux = float(np.mean(np.abs(np.diff(lps, axis=1)))) if lps.shape[1] > 1 else 0.0
    out = np.concatenate([
        bands,
        [h.score, np.log2(h.f0), h.n_harm / 24.0, hsnr, len(h.bins) / 24.0,
         cep_peak, np.log2(spec.rate / (q0 + qi))],
        [flat, np.log10(cen + 1), np.log10(roll + 1), slope / 10.0],
        mods, [env_cv], var, [flux],
    ])
    return np.nan_to_num(out.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
