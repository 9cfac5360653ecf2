"""Cutting node audio into 1-s decision frames and short-time spectra.

A decision frame is ``frame_s`` (1 s) of all channels; frames follow each other every
``hop_s`` (1 s by default: one decision per second, independent frames, so that the
false-alarm rate per decision is the false-alarm rate per second). Inside a frame the
spectrum is a Hann-windowed STFT of ``NFFT`` = 2048 samples (7.8 Hz bins at 16 kHz,
fine enough to resolve a 40 Hz harmonic series) every ``STFT_HOP`` = 512 samples
(28 snapshots per 1-s frame for the covariance of DOA and the Welch average of detection).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

NFFT = 2048
STFT_HOP = 512
_WINDOWS: dict[int, np.ndarray] = {}


def hann(n: int) -> np.ndarray:
    """Periodic Hann window (cached)."""
    w = _WINDOWS.get(n)
    if w is None:
        w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)
        _WINDOWS[n] = w
    return w


@dataclass(frozen=True)
class FrameSpec:
    """Frame geometry in samples."""

    rate: int = 16000
    frame_s: float = 1.0
    hop_s: float = 1.0
    nfft: int = NFFT
    stft_hop: int = STFT_HOP

    @property
    def frame_len(self) -> int:
        return round(self.frame_s * self.rate)

    @property
    def hop_len(self) -> int:
        return round(self.hop_s * self.rate)

    @property
    def freqs(self) -> np.ndarray:
        return np.fft.rfftfreq(self.nfft, 1.0 / self.rate)

    def n_frames(self, n_samples: int) -> int:
        if n_samples < self.frame_len:
            return 0
        return 1 + (n_samples - self.frame_len) // self.hop_len


def frames(x: np.ndarray, spec: FrameSpec) -> Iterator[tuple[int, np.ndarray]]:
    """(start sample, frame (n_ch, frame_len)) for each whole frame of ``x`` (n_ch, n)."""
    for i in range(spec.n_frames(x.shape[-1])):
        s = i * spec.hop_len
        yield s, x[..., s:s + spec.frame_len]


def stft(frame: np.ndarray, spec: FrameSpec) -> np.ndarray:
    """Complex STFT of one frame: (..., n_bins, n_snapshots); Hann window, no padding."""
    seg = sliding_window_view(frame, spec.nfft, axis=-1)[..., ::spec.stft_hop, :]
    seg = seg * hann(spec.nfft)  # (..., n_snap, nfft)
    return np.swapaxes(scipy.fft.rfft(seg, axis=-1), -1, -2)


def psd(spectrum: np.ndarray) -> np.ndarray:
    """Welch power per bin (averaged over snapshots and channels) of an STFT
    (n_ch, n_bins, n_snap) or (n_bins, n_snap)."""
    p = spectrum.real**2 + spectrum.imag**2
    return p.reshape(-1, p.shape[-2], p.shape[-1]).mean(axis=(0, 2))
