"""Fast mode: detection and bearing error of an acoustic node without synthesising audio.

Two layers:

1. **SNR model** (:func:`comb_snr_db`), pure physics: the received level of each harmonic
   of the target's tone families (source level - spreading - ISO 9613-1 absorption, plus the
   two-ray ground effect when enabled) over the noise in one detector bin at that frequency
   (ambient + wind + self-noise + the target's own broadband sound, in a bin of
   ``1.5 fs / nfft`` Hz, widened by the tone's speed wander). The detection SNR is the sum of
   the 12 best per-harmonic SNRs in 50-4000 Hz -- the deflection of a harmonic-sum detector,
   like the node's. Broadband-only sources use band SNR in 50-4000 Hz. Sources without a
   usable comb (jets: :func:`is_tonal` is false) are found by the node's broadband detector;
   for them the proxy is :func:`broadband_deflection_db`, the broadband detector's predicted
   statistic (:func:`detection_snr_db` picks; a calibration table names the proxy per class).
2. **Calibration** (``data/calibration.json``, written by
   :func:`dronewall.acoustic.fullphysics.calibrate`): per (class, ambient), Pd as a
   monotone (isotonic) table in that predicted SNR, interpolated linearly, fitted to the
   detection rate of the full-physics chain (synthesised audio through the node pipeline)
   over a range sweep (:class:`PdCurve`). A table, not a two-parameter curve, because the
   node's Pd is not a logistic in the SNR proxy for every class: a helicopter's 16 Hz rotor
   comb is not resolved by the detector's 7.8 Hz bins (the Hann main lobe spans 31 Hz), so
   its statistic saturates near the threshold and Pd falls over ~6 dB of predicted SNR
   instead of ~1.5 dB. For an ambient that was not calibrated, Pd at the same SNR is
   interpolated between the calibrated ambients by A-weighted level. The logistic fit
   ``Pd = pfa + (1 - pfa) / (1 + exp(-(snr - s50) / width))`` is kept in the table for
   reference (and used by tables that have no curves). Bearing error
   ``sigma = sqrt(floor^2 + k^2 / snr_lin)`` degrees, fitted to the array runs.
   Without a calibration file the model falls back to an uncalibrated
   threshold (``Pd = Phi((snr - 10 dB) / 2 dB)``, bearing ``sqrt(1 + 100/snr)``) and says so
   in :attr:`FastAcousticModel.source`.

Use from a simulator (per node, per target, per report period)::

    model = FastAcousticModel.load()                       # cached table
    det = model.detect(range_m, "shahed", env, rng, true_azimuth_deg=az)
    if det.detected[i]: report bearing det.azimuth_deg[i] with sigma det.sigma_deg[i]
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dronewall.acoustic.noise import AMBIENT_PRESETS, noise_psd_db
from dronewall.acoustic.propagation import (
    DEFAULT_ENV,
    P_REF_PA,
    Environment,
    ground_effect_db,
    transmission_loss_db,
)
from dronewall.acoustic.signatures import Signature

CALIBRATION_PATH = Path(__file__).parent / "data" / "calibration.json"
VALIDATION_PATH = Path(__file__).parent / "data" / "validation.json"
"""Rows of ``dronewall acoustic validate --json`` against the shipped table (fresh seeds)."""
DETECTOR_NFFT = 2048
"""Detector FFT length at 16 kHz (the node's; 7.8 Hz bins)."""
SNR_BAND_HZ = (50.0, 4000.0)
N_BEST = 12
FALLBACK_S50_DB = 10.0
FALLBACK_WIDTH_DB = 2.0 / 1.702  # logistic width matching a probit of sigma 2 dB


def comb_snr_db(
    signature: Signature,
    range_m: ArrayLike,
    env: Environment = DEFAULT_ENV,
    *,
    source_height_m: ArrayLike | None = None,
    fs: int = 16000,
    nfft: int = DETECTOR_NFFT,
    doppler: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Predicted detection SNR (dB) of ``signature`` at slant ``range_m`` (any shape).

    ``source_height_m`` (above the node, default 0) only matters with ground reflection.
    ``doppler`` (received over emitted frequency, :func:`doppler_factor`; default 1) moves
    the tones to where they are heard, against the noise there.
    """
    r = np.maximum(np.atleast_1d(np.asarray(range_m, dtype=float)), 1.0)
    h = np.broadcast_to(
        np.asarray(0.0 if source_height_m is None else source_height_m, dtype=float), r.shape)
    dop = np.broadcast_to(np.asarray(1.0 if doppler is None else doppler, dtype=float),
                          r.shape).reshape(-1, 1)
    horiz = np.sqrt(np.maximum(r**2 - h**2, 0.0))
    lo, hi = SNR_BAND_HZ
    bin_hz = 1.5 * fs / nfft
    out = np.full(r.shape, -np.inf)
    comps = [(f, a) for f, a in signature.tone_components()]
    if comps:
        freqs = np.concatenate([f for f, _ in comps])
        rms = np.concatenate([a for _, a in comps])
        keep = (freqs * dop.max() >= lo) & (freqs * dop.min() <= hi)  # heard in band
        freqs, rms = freqs[keep], rms[keep]
    else:
        freqs = np.zeros(0)
        rms = np.zeros(0)
    if freqs.size:
        f = freqs[None, :] * dop  # as heard
        tl = transmission_loss_db(f, r.reshape(-1, 1), env)
        tl = tl - ground_effect_db(f, horiz.reshape(-1, 1), h.reshape(-1, 1) + env.mic_height_m,
                                   env)
        sig_db = 20.0 * np.log10(rms / P_REF_PA)[None, :] - tl
        # the target's own broadband at the heard frequency came from freqs, spread by dop
        noise = 10.0 ** (noise_psd_db(f, env) / 10.0) + 10.0 ** (
            (signature.broadband_psd_db(freqs, fs)[None, :] - 10.0 * np.log10(dop) - tl)
            / 10.0)
        width = np.sqrt(bin_hz**2 + (2.0 * f * signature.f0_wander) ** 2)
        snr = np.where((f >= lo) & (f <= hi), 10.0 ** (sig_db / 10.0) / (noise * width), 0.0)
        best = np.sort(snr, axis=1)[:, ::-1][:, :N_BEST]
        out = 10.0 * np.log10(np.sum(best, axis=1) + 1e-30)
    elif signature.broadband is not None:
        grid = np.linspace(lo, hi, 400)
        df = grid[1] - grid[0]
        tl = transmission_loss_db(grid[None, :], r.reshape(-1, 1), env)
        sig_p = np.sum(10.0 ** ((signature.broadband_psd_db(grid, fs)[None, :] - tl) / 10.0),
                       axis=1) * df
        noise_p = np.sum(10.0 ** (noise_psd_db(grid, env) / 10.0)) * df
        out = 10.0 * np.log10(sig_p / noise_p + 1e-30)
    return out.reshape(np.shape(range_m))


THIRD_OCTAVES_HZ = 1000.0 * 2.0 ** (np.arange(-10, 8) / 3.0)  # the broadband detector's


def is_tonal(signature: Signature) -> bool:
    """Whether the harmonic detector has something to find: a tone family with at least
    three harmonics in 50 Hz .. 3 kHz. Otherwise (jets) detection rests on the broadband
    detector and the SNR proxy is :func:`band_snr_db`."""
    for f, _ in signature.tone_components():
        if int(np.sum((f >= SNR_BAND_HZ[0]) & (f <= 3000.0))) >= 3:
            return True
    return False


def _band_snr(
    signature: Signature, range_m: ArrayLike, env: Environment,
    source_height_m: ArrayLike | None, fs: int, doppler: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Per one-third-octave band (100 Hz .. 5 kHz) signal over noise power, linear,
    shape ``(range_m.size, 18)``; ``doppler`` as in :func:`comb_snr_db`."""
    r = np.maximum(np.atleast_1d(np.asarray(range_m, dtype=float)).ravel(), 1.0)
    dop = np.broadcast_to(np.asarray(1.0 if doppler is None else doppler, dtype=float),
                          np.shape(range_m)).reshape(-1, 1)
    h = np.broadcast_to(
        np.asarray(0.0 if source_height_m is None else source_height_m, dtype=float),
        np.shape(range_m)).ravel()
    horiz = np.sqrt(np.maximum(r**2 - h**2, 0.0))
    lo = THIRD_OCTAVES_HZ * 2.0 ** (-1.0 / 6.0)
    hi = THIRD_OCTAVES_HZ * 2.0 ** (1.0 / 6.0)
    grid = np.geomspace(lo[0], hi[-1], 600)
    dgrid = np.gradient(grid)
    band = np.clip(np.searchsorted(hi, grid), 0, len(THIRD_OCTAVES_HZ) - 1)
    onehot = (band[:, None] == np.arange(len(THIRD_OCTAVES_HZ))[None, :]).astype(float)
    rr, hh, dd = r.reshape(-1, 1), h.reshape(-1, 1), horiz.reshape(-1, 1)

    def received(f: NDArray[np.float64], level_db: NDArray[np.float64]) -> NDArray[np.float64]:
        f2, lv2 = np.atleast_2d(f), np.atleast_2d(level_db)
        tl = transmission_loss_db(f2, rr, env)
        tl = tl - ground_effect_db(f2, dd, hh + env.mic_height_m, env)
        return np.asarray(10.0 ** ((lv2 - tl) / 10.0))

    # broadband heard at f was emitted at f / dop, its power spread over dop times the band
    bb_db = signature.broadband_psd_db(grid[None, :] / dop, fs) - 10.0 * np.log10(dop)
    sig_b = (received(grid, bb_db) * dgrid) @ onehot
    n_b = len(THIRD_OCTAVES_HZ)
    for f, a in signature.tone_components():
        fh = f[None, :] * dop  # as heard, (n, k)
        inside = (fh >= lo[0]) & (fh < hi[-1])
        if np.any(inside):
            tb = np.clip(np.searchsorted(hi, fh), 0, n_b - 1)
            p = received(fh, np.broadcast_to(20.0 * np.log10(a / P_REF_PA), fh.shape))
            p = np.where(inside, p, 0.0)
            sig_b = sig_b + np.einsum("nk,nkb->nb", p, tb[..., None] == np.arange(n_b))
    noise_b = (10.0 ** (noise_psd_db(grid, env) / 10.0) * dgrid) @ onehot
    return np.asarray(sig_b / noise_b[None, :])


def band_snr_db(
    signature: Signature,
    range_m: ArrayLike,
    env: Environment = DEFAULT_ENV,
    *,
    source_height_m: ArrayLike | None = None,
    fs: int = 16000,
    doppler: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """Best one-third-octave band SNR (dB, 100 Hz .. 5 kHz) of the whole received sound
    (tones and broadband) over the noise in that band."""
    snr = _band_snr(signature, range_m, env, source_height_m, fs, doppler)
    return np.asarray((10.0 * np.log10(np.max(snr, axis=1) + 1e-30)).reshape(np.shape(range_m)))


def broadband_deflection_db(
    signature: Signature,
    range_m: ArrayLike,
    env: Environment = DEFAULT_ENV,
    *,
    source_height_m: ArrayLike | None = None,
    fs: int = 16000,
    doppler: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """The broadband detector's noise-free statistic, predicted, in dB (``10 log10``): per
    band the level excess ``10 log10(1 + snr)`` over the 1-s level's noise spread
    ``max(4.34 / sqrt(nu), 0.25)`` dB (``nu`` = the band's bins x 7.75 independent
    snapshots), combined as the detector does (best of top-K sums / sqrt(K)). Unlike the
    best band's SNR it weighs wide bands (more averaging) above narrow ones, so one table
    serves jet drones and cruise missiles alike: the full-physics Pd = 0.5 ranges of both
    (8.7 and 13.1 km) sit at a predicted statistic of 6.4 and 6.0 (threshold 6.5), where
    their best-band SNRs differ by ~2 dB."""
    from dronewall.acoustic.broadband import K_TOP, SD_MIN_DB, band_edges

    snr = _band_snr(signature, range_m, env, source_height_m, fs, doppler)
    nu = np.diff(band_edges(DETECTOR_NFFT, fs)) * 7.75
    z = 10.0 * np.log10(1.0 + snr) / np.maximum(4.343 / np.sqrt(nu), SD_MIN_DB)[None, :]
    zs = -np.sort(-z, axis=1)
    stat = np.max([zs[:, :k].sum(axis=1) / np.sqrt(k) for k in K_TOP], axis=0)
    return np.asarray((10.0 * np.log10(stat + 1e-12)).reshape(np.shape(range_m)))


def detection_snr_db(
    signature: Signature,
    range_m: ArrayLike,
    env: Environment = DEFAULT_ENV,
    *,
    source_height_m: ArrayLike | None = None,
    proxy: str | None = None,
    doppler: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """The fast mode's SNR proxy: ``proxy`` "comb" (:func:`comb_snr_db`) or "band"
    (:func:`broadband_deflection_db`); by default comb for tonal sources (:func:`is_tonal`),
    band for broadband ones. A calibration table names the proxy per class: the one of the detector
    that makes most detections across the class's measured transition."""
    if proxy is None:
        proxy = "comb" if is_tonal(signature) else "band"
    if proxy == "comb":
        return comb_snr_db(signature, range_m, env, source_height_m=source_height_m,
                           doppler=doppler)
    if proxy == "band":
        return broadband_deflection_db(signature, range_m, env, source_height_m=source_height_m,
                                       doppler=doppler)
    raise ValueError(f"unknown SNR proxy {proxy!r}: comb or band")


def doppler_factor(range_rate_m_s: ArrayLike, env: Environment = DEFAULT_ENV,
                   ) -> NDArray[np.float64]:
    """Received over emitted frequency for a source whose range grows at
    ``range_rate_m_s`` (negative: approaching) at the emission time, node at rest:
    ``c / (c + rate)``. The calibration's targets are static (factor 1); an approaching
    Shahed at 50 m/s is heard 17 % higher, where the ambient is quieter."""
    c = env.speed_of_sound
    rate = np.clip(np.asarray(range_rate_m_s, dtype=float), -0.9 * c, 10.0 * c)
    return np.asarray(c / (c + rate))


def logistic_pd(snr_db: ArrayLike, s50: float, width: float, pfa: float = 0.0,
                ) -> NDArray[np.float64]:
    """``pfa + (1 - pfa) / (1 + exp(-(snr - s50) / width))``."""
    z = (np.asarray(snr_db, dtype=float) - s50) / max(width, 1e-6)
    return np.asarray(pfa + (1.0 - pfa) / (1.0 + np.exp(-np.clip(z, -60.0, 60.0))))


def bearing_sigma_deg(snr_db: ArrayLike, floor_deg: float, k_deg: float) -> NDArray[np.float64]:
    """``sqrt(floor^2 + k^2 / snr_lin)`` degrees."""
    snr = 10.0 ** (np.asarray(snr_db, dtype=float) / 10.0)
    return np.asarray(np.sqrt(floor_deg**2 + k_deg**2 / np.maximum(snr, 1e-6)))


@dataclass(frozen=True)
class PdFit:
    """Logistic Pd(SNR) parameters, dB."""

    s50: float
    width: float


@dataclass(frozen=True)
class PdCurve:
    """Monotone Pd(SNR) table: ``pd`` (non-decreasing) at ``snr_db`` knots (increasing),
    linear in between, held at the end values outside (floored at ``pfa``)."""

    snr_db: tuple[float, ...]
    pd: tuple[float, ...]

    def __call__(self, snr_db: ArrayLike, pfa: float = 0.0) -> NDArray[np.float64]:
        x = np.asarray(snr_db, dtype=float)
        p = np.interp(x, np.asarray(self.snr_db), np.asarray(self.pd))
        return np.asarray(np.maximum(p, pfa))


def isotonic(x: ArrayLike, k: ArrayLike, n: ArrayLike) -> PdCurve:
    """Non-decreasing Pd(x) through binomial counts ``k`` of ``n`` (pool-adjacent-violators,
    weighted by ``n``). A pooled block becomes one knot at its weighted mean x, except the
    saturated blocks (Pd 0 or 1), which keep both ends (flat, not a ramp to the next knot)."""
    # points at the same x (a coarse and a dense run at one range) are one point
    xs, inv = np.unique(np.round(np.asarray(x, dtype=float), 6), return_inverse=True)
    ks = np.bincount(inv, weights=np.asarray(k, dtype=float), minlength=xs.size)
    ns = np.bincount(inv, weights=np.asarray(n, dtype=float), minlength=xs.size)
    blocks: list[list[float]] = []  # [sum k, sum n, sum n*x, x min, x max]
    for xi, ki, ni in zip(xs, ks, ns, strict=True):
        if ni <= 0:
            continue
        blocks.append([ki, ni, ni * xi, xi, xi])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] >= blocks[-1][0] / blocks[-1][1]:
            kb, nb, xb, _, hi = blocks.pop()
            blocks[-1][0] += kb
            blocks[-1][1] += nb
            blocks[-1][2] += xb
            blocks[-1][4] = hi
    if not blocks:
        return PdCurve((0.0,), (0.0,))
    kx: list[float] = []
    kp: list[float] = []
    for kb, nb, xb, lo, hi in blocks:
        p = kb / nb
        xs_b = [lo, hi] if (p in (0.0, 1.0) and hi > lo) else [xb / nb]
        for xv in xs_b:
            kx.append(round(float(xv), 4))
            kp.append(round(float(p), 5))
    return PdCurve(tuple(kx), tuple(kp))


@dataclass(frozen=True)
class FastDetections:
    """Per-sample outcome of :meth:`FastAcousticModel.detect` (arrays of one shape)."""

    detected: NDArray[np.bool_]
    pd: NDArray[np.float64]
    snr_db: NDArray[np.float64]
    sigma_deg: NDArray[np.float64]
    azimuth_deg: NDArray[np.float64] | None = None


@dataclass
class FastAcousticModel:
    """Calibrated Pd(range) and bearing sigma for each acoustic class; see the module doc."""

    fits: dict[str, PdFit] = field(default_factory=dict)
    fits_by_ambient: dict[tuple[str, str], PdFit] = field(default_factory=dict)
    bearing: dict[str, tuple[float, float]] = field(default_factory=dict)
    pfa: dict[str, float] = field(default_factory=dict)
    source: str = "uncalibrated SNR threshold (no calibration table)"
    meta: dict[str, Any] = field(default_factory=dict)
    curves: dict[tuple[str, str], PdCurve] = field(default_factory=dict)
    """Measured Pd(SNR) tables per (class, ambient); preferred over ``fits`` when present."""
    proxies: dict[str, str] = field(default_factory=dict)
    """SNR proxy per class ("comb" or "band", :func:`detection_snr_db`); default by class."""
    bearing_curves: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = field(
        default_factory=dict)
    """Measured bearing sigma (deg) against SNR (dB) per class, SNR ascending; preferred
    over the closed-form ``bearing`` fit when present."""

    def _snr(self, sig: Signature, range_m: ArrayLike, env: Environment,
             height: Any, doppler: ArrayLike | None = None) -> NDArray[np.float64]:
        return detection_snr_db(sig, range_m, env, source_height_m=height,
                                proxy=self.proxies.get(sig.label), doppler=doppler)

    @classmethod
    def load(cls, path: str | Path | None = None) -> FastAcousticModel:
        """The shipped table (cached), a given table, or the uncalibrated fallback."""
        p = Path(path) if path else CALIBRATION_PATH
        if not p.exists():
            return cls()
        return _load_cached(str(p), p.stat().st_mtime)

    @classmethod
    def from_table(cls, table: dict[str, Any]) -> FastAcousticModel:
        """Build from a parsed calibration.json document."""
        fits: dict[str, PdFit] = {}
        by_amb: dict[tuple[str, str], PdFit] = {}
        bearing: dict[str, tuple[float, float]] = {}
        curves: dict[tuple[str, str], PdCurve] = {}
        proxies: dict[str, str] = {}
        bcurves: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {}
        for label, c in table.get("classes", {}).items():
            if c.get("bearing_curve"):
                bc = c["bearing_curve"]
                bcurves[label] = (tuple(float(v) for v in bc["snr_db"]),
                                  tuple(float(v) for v in bc["sigma_deg"]))
            fits[label] = PdFit(float(c["pooled"]["s50"]), float(c["pooled"]["width"]))
            for amb, f in c.get("by_ambient", {}).items():
                by_amb[(label, amb)] = PdFit(float(f["s50"]), float(f["width"]))
            if c.get("bearing"):
                bearing[label] = (float(c["bearing"]["floor_deg"]), float(c["bearing"]["k_deg"]))
            if c.get("proxy"):
                proxies[label] = str(c["proxy"])
            for amb, cv in c.get("curves", {}).items():
                curves[(label, amb)] = PdCurve(tuple(float(v) for v in cv["snr_db"]),
                                               tuple(float(v) for v in cv["pd"]))
        return cls(fits=fits, fits_by_ambient=by_amb, bearing=bearing,
                   pfa={k: float(v) for k, v in table.get("pfa", {}).items()},
                   source=str(table.get("method", "calibration table")),
                   meta={k: v for k, v in table.items()
                         if k not in ("classes", "points", "bearing_points")},
                   curves=curves, proxies=proxies, bearing_curves=bcurves)

    @property
    def calibrated(self) -> bool:
        """Whether a calibration table was loaded."""
        return bool(self.fits)

    def fit_for(self, label: str, ambient: str) -> PdFit:
        """The Pd fit used for this class in this ambient: the ambient's own fit when it
        was calibrated, else interpolated between the calibrated ambients by their A-weighted
        level (held at the ends), else the class's pooled fit."""
        exact = self.fits_by_ambient.get((label, ambient))
        if exact is not None:
            return exact
        known = sorted(
            (AMBIENT_PRESETS[a].la_db, f) for (lab, a), f in self.fits_by_ambient.items()
            if lab == label and a in AMBIENT_PRESETS
        )
        if known and ambient in AMBIENT_PRESETS:
            la = AMBIENT_PRESETS[ambient].la_db
            xs = [k for k, _ in known]
            return PdFit(float(np.interp(la, xs, [f.s50 for _, f in known])),
                         float(np.interp(la, xs, [f.width for _, f in known])))
        return self.fits.get(label) or PdFit(FALLBACK_S50_DB, FALLBACK_WIDTH_DB)

    def pd_of(self, snr_db: ArrayLike, label: str, ambient: str) -> NDArray[np.float64]:
        """Pd per 1-s decision at predicted SNR ``snr_db`` for this class in this ambient:
        the measured curve of that ambient, else linear in A-weighted level between the
        calibrated ambients' curves (held at the ends), else the logistic fit."""
        pfa = self.pfa.get(ambient, 0.0)
        exact = self.curves.get((label, ambient))
        if exact is not None:
            return exact(snr_db, pfa)
        known = sorted((AMBIENT_PRESETS[a].la_db, cv) for (lab, a), cv in self.curves.items()
                       if lab == label and a in AMBIENT_PRESETS)
        if known and ambient in AMBIENT_PRESETS:
            la = AMBIENT_PRESETS[ambient].la_db
            xs = [k for k, _ in known]
            if la <= xs[0] or len(known) == 1:
                return known[0][1](snr_db, pfa)
            if la >= xs[-1]:
                return known[-1][1](snr_db, pfa)
            j = int(np.searchsorted(xs, la))
            w = (la - xs[j - 1]) / (xs[j] - xs[j - 1])
            return np.asarray((1 - w) * known[j - 1][1](snr_db, pfa)
                              + w * known[j][1](snr_db, pfa))
        if known:  # an unknown ambient name: the mean of the calibrated ones
            return np.asarray(np.mean([cv(snr_db, pfa) for _, cv in known], axis=0))
        fit = self.fit_for(label, ambient)
        return logistic_pd(snr_db, fit.s50, fit.width, pfa)

    def snr_db(self, range_m: ArrayLike, label: str | Signature, env: Environment = DEFAULT_ENV,
               **kw: Any) -> NDArray[np.float64]:
        """Predicted detection SNR, dB (``kw``: doppler, source_height_m, source_level_db,
        ...)."""
        dop = kw.pop("doppler", None)
        sig, height = _signature(label, kw)
        return self._snr(sig, range_m, env, height, dop)

    def p_detect(self, range_m: ArrayLike, label: str | Signature,
                 env: Environment = DEFAULT_ENV, **kw: Any) -> NDArray[np.float64]:
        """Probability of detection per 1-s decision at slant ``range_m`` (``kw``: doppler,
        source_height_m, signature overrides)."""
        dop = kw.pop("doppler", None)
        sig, height = _signature(label, kw)
        snr = self._snr(sig, range_m, env, height, dop)
        return self.pd_of(snr, sig.label, env.ambient)

    def sigma_deg(self, snr_db: ArrayLike, label: str) -> NDArray[np.float64]:
        """Bearing error (1 sigma, degrees) at this SNR for this class: the measured table
        (held at its ends), else the closed-form fit."""
        if label in self.bearing_curves:
            x, y = self.bearing_curves[label]
            return np.asarray(np.interp(np.asarray(snr_db, dtype=float), x, y))
        floor, k = self.bearing.get(label, (1.0, 10.0))
        return bearing_sigma_deg(snr_db, floor, k)

    def detect(
        self,
        range_m: ArrayLike,
        label: str | Signature,
        env: Environment = DEFAULT_ENV,
        rng: np.random.Generator | None = None,
        *,
        true_azimuth_deg: ArrayLike | None = None,
        **kw: Any,
    ) -> FastDetections:
        """Draw detections (and noisy bearings when ``true_azimuth_deg`` is given).

        ``kw`` may set ``source_level_db``, ``source_height_m`` or any signature override.
        Deterministic for a given ``rng`` state.
        """
        rng = rng if rng is not None else np.random.default_rng(0)
        dop = kw.pop("doppler", None)
        sig, height = _signature(label, kw)
        snr = np.atleast_1d(self._snr(sig, range_m, env, height, dop))
        pd = np.atleast_1d(self.pd_of(snr, sig.label, env.ambient))
        detected = rng.random(pd.shape) < pd
        sigma = self.sigma_deg(snr, sig.label)
        az = None
        if true_azimuth_deg is not None:
            noise = rng.standard_normal(pd.shape) * sigma
            az = np.mod(np.asarray(true_azimuth_deg, dtype=float) + noise, 360.0)
        return FastDetections(detected=detected, pd=pd, snr_db=snr, sigma_deg=sigma,
                              azimuth_deg=az)

    def false_alarms(self, n_decisions: int, env: Environment = DEFAULT_ENV,
                     rng: np.random.Generator | None = None) -> int:
        """Number of false detections among ``n_decisions`` noise-only 1-s decisions (the
        node's designed Pfa per decision; a simulator draws these as clutter bearings)."""
        rng = rng if rng is not None else np.random.default_rng(0)
        return int(rng.binomial(n_decisions, self.pfa.get(env.ambient, 0.0)))

    def range_at_pd(self, label: str | Signature, pd: float = 0.5,
                    env: Environment = DEFAULT_ENV, max_range_m: float = 50_000.0,
                    **kw: Any) -> float:
        """Largest slant range (m) where Pd >= ``pd`` (0 when never), by bisection."""
        sig, height = _signature(label, kw)
        ranges = np.geomspace(1.0, max_range_m, 400)
        p = self.pd_of(self._snr(sig, ranges, env, height), sig.label,
                       env.ambient)
        ok = np.flatnonzero(p >= pd)
        if ok.size == 0:
            return 0.0
        i = int(ok[-1])
        if i == ranges.size - 1:
            return float(max_range_m)
        lo_r, hi_r = ranges[i], ranges[i + 1]
        for _ in range(40):
            mid = math.sqrt(lo_r * hi_r)
            pm = float(self.pd_of(self._snr(sig, mid, env, height),
                                  sig.label, env.ambient))
            lo_r, hi_r = (mid, hi_r) if pm >= pd else (lo_r, mid)
        return float(lo_r)


def _signature(label: str | Signature, kw: dict[str, Any]) -> tuple[Signature, Any]:
    height = kw.pop("source_height_m", None)
    if isinstance(label, Signature):
        sig = label.with_overrides(**kw) if kw else label
    else:
        variant = kw.pop("variant", None)
        sig = Signature.for_label(label, variant, **kw)
    return sig, height


@cache
def _load_cached(path: str, mtime: float) -> FastAcousticModel:
    return FastAcousticModel.from_table(json.loads(Path(path).read_text(encoding="utf-8")))
