"""The node's detector: a harmonic-sum statistic on the reference channel against a
threshold set for a false-alarm probability per 1-s decision.

The statistic is :func:`dronewall.acoustic.features.harmonics` ``.score``; its threshold
comes from noise-only runs (``dronewall acoustic evaluate``, see docs/acoustic-node.md):
``DEFAULT_THRESHOLD`` is the value for Pfa = 6e-6 per decision (:data:`HARMONIC_PFA`): the
node ORs this detector with the broadband one (:mod:`broadband`, also 6e-6), so that the
node's Pfa per decision is :data:`DEFAULT_PFA` = 1.2e-5. SNR is the power of the
detected harmonics above the floor over the noise power in 50–4000 Hz (per microphone);
level is the band rms in dBFS (dB SPL when a calibration is given).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dronewall.acoustic import features as F
from dronewall.acoustic.framing import FrameSpec

DEFAULT_THRESHOLD = 10.9  # Pfa 6e-6: tail fit to 3e4 noise-only rural-night decisions
# (u = 7.11 at the 99th percentile, mean excess 0.51: 7.11 + 0.51 ln(0.01 / 6e-6) = 10.89)
HARMONIC_PFA = 6e-6
DEFAULT_PFA = 1.2e-5
"""The node's false-alarm probability per 1-s decision (harmonic OR broadband)."""


@dataclass
class FrameAnalysis:
    """What the detector saw in one frame of the reference channel."""

    spectrum: np.ndarray  # STFT of all channels (n_ch, bins, snaps)
    p: np.ndarray  # PSD of the reference channel
    floor: np.ndarray
    harm: F.Harmonics
    statistic: float
    snr_db: float
    level_db: float


def analyse(spectrum: np.ndarray, spec: FrameSpec, cal_db: float = 0.0) -> FrameAnalysis:
    """Detector statistic, harmonic series, SNR and level from the frame's STFT (of the
    reference channel: an array's channel-averaged PSD gains nothing, see
    docs/acoustic-node.md, "Array detection gain")."""
    s0 = spectrum[0]
    p = (s0.real**2 + s0.imag**2).mean(axis=1)
    floor = F.noise_floor(p)
    h = F.harmonics(p, floor, spec.nfft, spec.rate)
    b = F.band_slice(spec.freqs, *F.BAND)
    noise = float(np.sum(floor[b]))
    snr_db = 10 * np.log10(max(h.excess, 1e-12 * noise) / noise) if noise > 0 else -120.0
    # band power: Hann window energy (3/8 nfft) and the one-sided spectrum factor
    band_ms = 2 * float(np.sum(p[b])) / (spec.nfft * spec.nfft * 0.375)
    level = 10 * np.log10(band_ms + 1e-30) + cal_db
    return FrameAnalysis(spectrum=spectrum, p=p, floor=floor, harm=h, statistic=h.score,
                         snr_db=float(snr_db), level_db=float(level))


def statistic_of(x: np.ndarray, spec: FrameSpec | None = None) -> float:
    """The detector statistic of one 1-s single-channel frame (for calibration runs)."""
    from dronewall.acoustic.framing import stft

    spec = spec or FrameSpec()
    return analyse(stft(np.atleast_2d(x)[:1], spec), spec).statistic


def statistics_batch(frames: np.ndarray, spec: FrameSpec | None = None) -> np.ndarray:
    """Detector statistics of many single-channel frames (n, frame_len) at once.

    The same numbers as :func:`analyse` frame by frame (tested), vectorised over frames:
    what makes the ~1e5 noise-only decisions of a Pfa = 1e-5 threshold affordable."""
    from scipy import ndimage

    from dronewall.acoustic.framing import stft

    spec = spec or FrameSpec()
    x = np.atleast_2d(frames)  # (n, L), or (n, n_ch, L): channel-averaged PSD (studies)
    out = np.empty(x.shape[0])
    mu, sd = F.noise_stats(spec.nfft, spec.rate)
    _, hidx, valid = F._grid(spec.nfft, spec.rate)
    nvalid = valid.sum(axis=1)
    for i0 in range(0, x.shape[0], 16):
        chunk = x[i0:i0 + 16]
        s = np.swapaxes(stft(chunk, spec), -1, -2)  # (n, [ch,] snaps, bins)
        p = (s.real**2 + s.imag**2).mean(axis=-2)
        if p.ndim == 3:
            p = p.mean(axis=1)
        floor = F.noise_floor(p)
        w = p / floor
        g = np.log(np.maximum(ndimage.maximum_filter1d(w, 3, axis=1), 1e-12))
        gk = np.where(valid[None], g[:, hidx] - mu, 0.0)  # (n, n_f0, 24)
        cs = np.cumsum(gk, axis=2)
        best = np.full(chunk.shape[0], -np.inf)
        for k in F.K_SET:
            kk = np.minimum(k, nvalid)
            z = cs[:, np.arange(cs.shape[1]), np.maximum(kk - 1, 0)] / (
                sd * np.sqrt(np.maximum(kk, 1)))
            z = np.where((kk >= min(3, k))[None], z, -np.inf)
            best = np.maximum(best, z.max(axis=1))
        out[i0:i0 + 16] = best
    return out
