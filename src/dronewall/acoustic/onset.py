"""Onset timing for single-microphone nodes: when did the harmonic sound begin?

A node without an array cannot give a bearing; the arrival time of a new sound at several
nodes gives time differences of arrival (TDOA) instead. When a detection starts, the
envelope of the detected harmonics (power in their bins of a 512-sample STFT every 64
samples, 4 ms) over the previous and the current frame is split in two where a step in its
mean fits best (a mean-shift change point), and the onset is the time of that step. Its
1-sigma is from the step's height against the envelope's noise, at least one hop.
"""

from __future__ import annotations

import numpy as np

from dronewall.acoustic.framing import hann

NFFT = 512
HOP = 64


def onset(x: np.ndarray, rate: int, t0: float, freqs_hz: np.ndarray,
          ) -> tuple[float, float] | None:
    """(onset time, sigma) in seconds of the step up in the harmonics' envelope of ``x``
    (1-D samples starting at time ``t0``), or None if no step up is found."""
    f = np.asarray(freqs_hz, dtype=float)
    if len(f) == 0 or len(x) < 4 * NFFT:
        return None
    starts = np.arange(0, len(x) - NFFT + 1, HOP)
    seg = x[starts[:, None] + np.arange(NFFT)[None, :]] * hann(NFFT)
    spec = np.fft.rfft(seg, axis=1)
    df = rate / NFFT
    bins = np.unique(np.clip(np.rint(f / df).astype(int), 1, NFFT // 2))
    env = np.log(np.sum(np.abs(spec[:, bins]) ** 2, axis=1) + 1e-30)
    n = len(env)
    cs = np.cumsum(env)
    k = np.arange(1, n)  # split after sample k-1: before = env[:k], after = env[k:]
    m1 = cs[:-1] / k
    m2 = (cs[-1] - cs[:-1]) / (n - k)
    gain = k * (n - k) / n * (m2 - m1) ** 2
    gain[(m2 <= m1) | (k < 4) | (k > n - 4)] = 0.0
    if not np.any(gain > 0):
        return None
    j = int(np.argmax(gain))
    step = m2[j] - m1[j]
    resid = np.concatenate([env[: j + 1] - m1[j], env[j + 1:] - m2[j]])
    sd = float(np.std(resid))
    if step < 2 * sd / np.sqrt(min(j + 1, n - j - 1)) or step < 1.0:
        return None
    t = t0 + (starts[j + 1] + NFFT / 2) / rate
    sigma = max(HOP / rate, (sd / step) ** 2 * HOP / rate)
    return float(t), float(sigma)
