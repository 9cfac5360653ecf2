"""The node's second detector: broadband excess over a tracked noise floor.

Jet engines and cruise missiles radiate broadband mixing noise with no harmonic comb, so
the harmonic-sum detector (:mod:`detector`) never fires on them. This detector watches the
level of 18 one-third-octave bands (100 Hz .. 5 kHz, ANSI S1.11 centres) of the reference
channel against each band's own history:

* **Floor**: per band, the mean and variance of the 1-s band level (dB), tracked by an
  exponential average over the last ``TAU_FRAMES`` frames (a running mean while fewer frames
  have been seen), updated on frames where neither detector fired; while something is
  detected it holds still for ``HOLD_FRAMES`` (2 min: a passing drone) and then creeps
  along ``SLOW_TAU_FRAMES`` (a lasting change of the ambient, e.g. rain, is absorbed within
  minutes instead of alarming for ever). Decision-directed noise tracking
  of this kind is the classic of speech enhancement (e.g. Martin 2001, "Noise power
  spectral density estimation based on optimal smoothing and minimum statistics").
  A frame that stands out (statistic >= ``GUARD``, about the 99th percentile of noise-only
  frames) but is not detected is held too: otherwise a target just below the threshold
  is learnt into the floor within ~10 s and hardly detected as it comes closer (a
  self-masking latch that made a static target's Pd all or nothing, decided on its first
  frames). With the guard such a target stands out for minutes, and is learnt only as a
  lasting change of the ambient would be.
* **Statistic**: per band ``z = (L - floor) / max(sd, SD_MIN_DB)``; the statistic is the
  best of ``sum of the K largest z / sqrt(K)`` for K in {1, 3, 6} (one loud band or a
  broad hump), so a source that raises many bands a little scores like one that raises one
  band a lot.
* Fewer than ``WARMUP_FRAMES`` frames of history: no decision (statistic 0).

The threshold (:data:`BB_THRESHOLD`) is set for Pfa = 6e-6 per 1-s decision from noise-only
streams (:func:`noise_statistics`), so that with the harmonic detector at 6e-6 too the node's
OR-fused Pfa stays at 1.2e-5 (the two statistics look at different things, so their false
alarms are about independent and the rates add).

A source that is there before the node starts listening becomes the floor: the detector
sees approaching sources. Calibration runs prime the floor with noise-only audio
(:meth:`BroadbandDetector.prime`), as a node that has been on duty would be.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

BB_PFA = 6e-6
BB_THRESHOLD = 6.5  # Pfa 6e-6: tail fit to 2e4 noise-only rural-night decisions gives 6.37
# (u = 4.17 at the 99th percentile, mean excess 0.30; bootstrap 95 % 6.05-6.65), rounded up
BAND_CENTRES_HZ = 1000.0 * 2.0 ** (np.arange(-10, 8) / 3.0)  # 100 Hz .. 5 kHz
TAU_FRAMES = 30.0
SLOW_TAU_FRAMES = 600.0
HOLD_FRAMES = 120
"""Consecutive held frames before the floor starts to creep: a drone passing a node is loud
for a minute or two, and creeping during it lost the target early as it receded."""
WARMUP_FRAMES = 10
GUARD = 4.0
"""Statistic at or above which a frame is not taken as noise for the floor (the 99th
percentile of noise-only statistics is ~4.1)."""
SD_MIN_DB = 0.25
SD_PRIOR_DB = 1.0
K_TOP = (1, 3, 6)


@lru_cache(maxsize=8)
def band_edges(nfft: int, rate: int) -> np.ndarray:
    """STFT bin index edges (n_bands + 1,) of the one-third-octave bands."""
    f = np.fft.rfftfreq(nfft, 1.0 / rate)
    lo = BAND_CENTRES_HZ * 2.0 ** (-1.0 / 6.0)
    hi = BAND_CENTRES_HZ * 2.0 ** (1.0 / 6.0)
    edges = np.searchsorted(f, np.concatenate([lo[:1], hi]))
    # at least one bin per band
    for i in range(1, len(edges)):
        edges[i] = max(edges[i], edges[i - 1] + 1)
    return edges


def band_levels_db(p: np.ndarray, nfft: int, rate: int) -> np.ndarray:
    """One-third-octave band levels (dB, arbitrary reference) of PSD rows ``p`` (..., bins)."""
    e = band_edges(nfft, rate)
    cs = np.concatenate([np.zeros((*p.shape[:-1], 1)), np.cumsum(p, axis=-1)], axis=-1)
    return np.asarray(10.0 * np.log10(cs[..., e[1:]] - cs[..., e[:-1]] + 1e-30))


def score(z: np.ndarray) -> float:
    """Best of top-K sums / sqrt(K) of the band z-scores."""
    zs = np.sort(z)[::-1]
    return float(max(np.sum(zs[:k]) / np.sqrt(k) for k in K_TOP))


@dataclass
class BroadbandDetector:
    """Band levels against their tracked floor; see the module doc. Stateful per node."""

    nfft: int = 2048
    rate: int = 16000
    threshold: float = BB_THRESHOLD
    guard: float = GUARD
    tau: float = TAU_FRAMES
    slow_tau: float = SLOW_TAU_FRAMES
    hold: int = HOLD_FRAMES
    n_seen: int = 0
    n_held: int = 0
    """Consecutive frames the floor has been held (detected or standing out)."""
    mean: np.ndarray | None = field(default=None, repr=False)
    var: np.ndarray | None = field(default=None, repr=False)
    last_z: np.ndarray | None = field(default=None, repr=False)
    """Band z-scores of the last :meth:`statistic` call (None in warm-up)."""

    def reset(self) -> None:
        """Forget the floor."""
        self.n_seen, self.n_held, self.mean, self.var = 0, 0, None, None

    def _z(self, levels_db: np.ndarray) -> np.ndarray | None:
        """Band z-scores against the current floor (None in warm-up)."""
        if self.mean is None or self.var is None or self.n_seen < WARMUP_FRAMES:
            return None
        return np.asarray((levels_db - self.mean) / np.maximum(np.sqrt(self.var), SD_MIN_DB))

    def statistic(self, levels_db: np.ndarray) -> float:
        """Statistic of one frame's band levels against the current floor (0 in warm-up)."""
        self.last_z = self._z(levels_db)
        return 0.0 if self.last_z is None else score(self.last_z)

    def excess_bins(self, z_min: float = 3.0, n_min: int = 3) -> np.ndarray:
        """STFT bins of the bands of the last frame with ``z >= z_min`` (at least the
        ``n_min`` best bands): where a broadband source stands out, for its bearing."""
        if self.last_z is None:
            return np.zeros(0, dtype=np.int64)
        order = np.argsort(-self.last_z)
        pick = np.union1d(np.flatnonzero(self.last_z >= z_min), order[:n_min])
        e = band_edges(self.nfft, self.rate)
        return np.concatenate([np.arange(e[b], e[b + 1]) for b in pick]).astype(np.int64)

    def update(self, levels_db: np.ndarray, detected: bool,
               statistic: float | None = None) -> None:
        """Track the floor with this frame; hold it when something was detected or the
        frame's ``statistic`` (computed here when not given) reached the guard."""
        if statistic is None:
            z = self._z(levels_db)
            statistic = 0.0 if z is None else score(z)
        detected = detected or statistic >= self.guard
        if self.mean is None or self.var is None:
            self.mean = levels_db.astype(float).copy()
            self.var = np.full(levels_db.shape, SD_PRIOR_DB**2)
            self.n_seen = 1
            return
        d = levels_db - self.mean
        if detected:  # held; after ``hold`` frames the level creeps, the spread stays
            self.n_held += 1
            if self.n_held > self.hold:
                self.mean = self.mean + d / self.slow_tau
        else:
            self.n_held = 0
            a = max(1.0 / (self.n_seen + 1), 1.0 / self.tau)
            self.mean = self.mean + a * d
            self.var = (1.0 - a) * (self.var + a * d * d)
        self.n_seen += 1

    def step(self, p: np.ndarray, other_detected: bool = False) -> tuple[float, bool]:
        """Statistic and decision of one frame (PSD ``p`` of the reference channel), then
        the floor update (frozen-ish when this or the other detector fired)."""
        return self.step_levels(band_levels_db(p, self.nfft, self.rate), other_detected)

    def step_levels(self, levels_db: np.ndarray, other_detected: bool = False,
                    ) -> tuple[float, bool]:
        """:meth:`step` from band levels (dB) instead of a PSD."""
        s = self.statistic(levels_db)
        hit = s >= self.threshold
        self.update(levels_db, hit or other_detected, s)
        return s, hit

    def prime(self, psd_rows: np.ndarray) -> None:
        """Feed noise-only frames (PSD rows (n, bins)) to the floor, no decisions."""
        for lv in band_levels_db(np.atleast_2d(psd_rows), self.nfft, self.rate):
            self.update(lv, False)


def noise_statistics(n_frames: int, seed: int = 7, ambient: str = "rural_night",
                     wind_m_s: float = 2.0, chunk_s: int = 200,
                     warmup: int = 60) -> np.ndarray:
    """Broadband statistics of ``n_frames`` noise-only 1-s decisions of one continuous
    stream of the synthesis noise model, after ``warmup`` frames (a node on duty)."""
    from dronewall.acoustic.framing import FrameSpec, stft
    from dronewall.acoustic.noise import synthesize_noise
    from dronewall.acoustic.propagation import Environment

    env = Environment(ambient=ambient, wind_m_s=wind_m_s)
    rng = np.random.default_rng(seed)
    spec = FrameSpec()
    det = BroadbandDetector(spec.nfft, spec.rate)
    out: list[float] = []
    total = n_frames + warmup
    while len(out) < total:
        n = min(chunk_s, total - len(out))
        x = synthesize_noise(np.zeros((1, 3)), n * spec.rate, spec.rate, env, rng)[0]
        s = stft(x.reshape(n, spec.rate), spec)
        p = (s.real**2 + s.imag**2).mean(axis=-1)  # (n, bins)
        for row in band_levels_db(p, spec.nfft, spec.rate):
            st = det.statistic(row)
            det.update(row, st >= det.threshold, st)
            out.append(st)
    return np.asarray(out[warmup:])
