"""Noise at a microphone: ambient background by environment, wind noise, self-noise.

All spectra are power spectral densities in dB re (20 uPa)^2/Hz, on any frequency grid, so
the SNR model can integrate them over a band and the synthesiser can shape Gaussian noise
with them.

* **Ambient** (:data:`AMBIENT_PRESETS`): an A-weighted level per environment and a spectral
  shape in one-third-octave bands -- flat band levels up to ``knee_hz`` then falling by
  ``slope_db_per_octave``. Levels follow typical measured background levels (e.g. WHO Night
  Noise Guidelines 2009 and EEA noise reports: quiet rural nights 25-35 dB(A), suburban
  45-50 dB(A), urban streets 55-65 dB(A) by day); the shape is a generic road-traffic-dominated
  background (most unweighted energy below 500 Hz). The presets are typical values, not a
  site survey: pass the measured level of a real site through ``ambient_la_db``.
* **Wind noise** on a microphone in a foam windscreen of diameter D: Strasberg's (1988)
  dimensional fit for one-third-octave bands, ``L = 40 log10(V) - 23 log10(f D / V) + 15`` dB
  (V in m/s, valid for 0.1 < fD/V < 5; held flat below 0.1). It was fitted in low-turbulence
  flow, so it is a lower bound for gusty outdoor wind. Wind noise is incoherent between
  microphones a few centimetres apart (it is local turbulence, not sound).
* **Self-noise** of a MEMS microphone: flat, 30 dB(A) equivalent (typical of 64-65 dB SNR
  MEMS parts at 94 dB SPL reference).

Diffuse ambient noise is partly coherent between the microphones of an array (coherence
``sinc(2 f d / c)`` for spacing d); :func:`synthesize_noise` renders that coherence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.fft import next_fast_len

from dronewall.acoustic.propagation import DEFAULT_ENV, Environment

SELF_NOISE_DBA = 30.0
"""Equivalent A-weighted self-noise of the microphone, dB(A)."""


@dataclass(frozen=True)
class AmbientPreset:
    """An ambient background: A-weighted level and one-third-octave spectral shape."""

    la_db: float
    knee_hz: float = 125.0
    slope_db_per_octave: float = 4.0


AMBIENT_PRESETS: dict[str, AmbientPreset] = {
    "quiet": AmbientPreset(25.0, 100.0, 4.0),
    "rural_night": AmbientPreset(32.0, 125.0, 4.0),
    "rural_day": AmbientPreset(40.0, 125.0, 4.0),
    "suburban": AmbientPreset(48.0, 160.0, 3.5),
    "urban_night": AmbientPreset(50.0, 200.0, 3.0),
    "urban": AmbientPreset(60.0, 250.0, 3.0),
}
"""Ambient presets by name (``Environment.ambient``)."""

_BANDS_HZ = 1000.0 * 2.0 ** (np.arange(-18, 10) / 3.0)  # one-third octaves, 16 Hz .. 8 kHz


def a_weighting_db(freq_hz: ArrayLike) -> NDArray[np.float64]:
    """A-weighting gain, dB (IEC 61672-1 analytic form, 0 dB at 1 kHz)."""
    f2 = np.maximum(np.asarray(freq_hz, dtype=float), 1e-3) ** 2
    ra = (12194.0**2 * f2**2) / (
        (f2 + 20.6**2) * np.sqrt((f2 + 107.7**2) * (f2 + 737.9**2)) * (f2 + 12194.0**2)
    )
    return np.asarray(20.0 * np.log10(ra) + 2.0)


def _preset(name: str) -> AmbientPreset:
    try:
        return AMBIENT_PRESETS[name]
    except KeyError:
        known = ", ".join(AMBIENT_PRESETS)
        raise ValueError(f"unknown ambient {name!r}: one of {known}") from None


def ambient_psd_db(
    freq_hz: ArrayLike, ambient: str = "rural_night", ambient_la_db: float | None = None
) -> NDArray[np.float64]:
    """Ambient background PSD at these frequencies, dB re (20 uPa)^2/Hz.

    The shape is set in one-third-octave bands and scaled so that its A-weighted total is
    the preset's level (or ``ambient_la_db`` when given).
    """
    p = _preset(ambient)
    la = p.la_db if ambient_la_db is None else ambient_la_db
    shape_band = -p.slope_db_per_octave * np.maximum(np.log2(_BANDS_HZ / p.knee_hz), 0.0)
    shape_psd = shape_band - 10.0 * np.log10(0.2316 * _BANDS_HZ)  # band level -> per Hz
    a_total = 10.0 * np.log10(
        np.sum(10.0 ** ((shape_band + a_weighting_db(_BANDS_HZ)) / 10.0))
    )
    f = np.asarray(freq_hz, dtype=float)
    logf = np.log10(np.clip(f, _BANDS_HZ[0], _BANDS_HZ[-1]))
    psd = np.interp(logf, np.log10(_BANDS_HZ), shape_psd)
    # Above 8 kHz keep falling at the preset slope (per Hz: slope + 3 dB/octave).
    over = np.log2(np.maximum(f, _BANDS_HZ[-1]) / _BANDS_HZ[-1])
    return np.asarray(psd - over * (p.slope_db_per_octave + 3.0) + (la - a_total))


def wind_psd_db(
    freq_hz: ArrayLike, wind_m_s: float, windscreen_diameter_m: float = 0.1
) -> NDArray[np.float64]:
    """Wind noise PSD on a windscreened microphone (Strasberg 1988), dB re (20 uPa)^2/Hz."""
    f = np.maximum(np.asarray(freq_hz, dtype=float), 1.0)
    v = max(float(wind_m_s), 0.0)
    if v <= 0.05:
        return np.full(f.shape, -100.0)
    strouhal = np.maximum(f * windscreen_diameter_m / v, 0.1)
    band = 40.0 * np.log10(v) - 23.0 * np.log10(strouhal) + 15.0
    return np.asarray(band - 10.0 * np.log10(0.2316 * f))


def self_noise_psd_db(freq_hz: ArrayLike) -> NDArray[np.float64]:
    """Flat microphone self-noise PSD whose A-weighted total is :data:`SELF_NOISE_DBA`."""
    f = np.asarray(freq_hz, dtype=float)
    grid = np.linspace(10.0, 8000.0, 4000)
    a_total = 10.0 * np.log10(np.sum(10.0 ** (a_weighting_db(grid) / 10.0)) * (grid[1] - grid[0]))
    return np.full(f.shape, SELF_NOISE_DBA - a_total)


def noise_psd_db(freq_hz: ArrayLike, env: Environment = DEFAULT_ENV) -> NDArray[np.float64]:
    """Total noise PSD at one microphone (ambient + wind + self-noise), dB re (20 uPa)^2/Hz."""
    parts = (
        ambient_psd_db(freq_hz, env.ambient),
        wind_psd_db(freq_hz, env.wind_m_s, env.windscreen_diameter_m),
        self_noise_psd_db(freq_hz),
    )
    return np.asarray(10.0 * np.log10(sum(10.0 ** (p / 10.0) for p in parts)))


def level_db(psd_db: ArrayLike, freq_hz: ArrayLike, weighting: str = "Z") -> float:
    """Integrate a PSD over its (uniform) frequency grid: overall level, dB (Z or A)."""
    f = np.asarray(freq_hz, dtype=float)
    p = np.asarray(psd_db, dtype=float)
    if weighting == "A":
        p = p + a_weighting_db(f)
    df = float(f[1] - f[0])
    return float(10.0 * np.log10(np.sum(10.0 ** (p / 10.0)) * df))


def shaped_gaussian(
    psd_db: Callable[[NDArray[np.float64]], NDArray[np.float64]], n_samples: int, fs: int,
    n_channels: int, rng: np.random.Generator,
    mix: Callable[[NDArray[np.float64]], NDArray[np.complex128]] | None = None,
) -> NDArray[np.float64]:
    """Gaussian noise (n_channels, n_samples) whose one-sided PSD is ``psd_db(f)``
    (dB re (20 uPa)^2/Hz), rendered in the frequency domain on a fast FFT length.

    ``mix(f)`` may return per-bin (n_bins, n_ch, n_ch) mixing matrices that impose a spatial
    coherence between channels.
    """
    n_fft = next_fast_len(n_samples, real=True)
    freqs: NDArray[np.float64] = np.fft.rfftfreq(n_fft, 1.0 / fs).astype(np.float64)
    shape = (n_channels, freqs.shape[0])
    spec = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2.0)
    if mix is not None:
        m: NDArray[Any] = mix(freqs)
        spec = np.einsum("kij,jk->ik", m, spec)
    # One-sided PSD S (Pa^2/Hz): |X_k|^2 = S * fs * N / 2 for the rfft of a length-N signal.
    amp = np.sqrt((P_REF2 * 10.0 ** (psd_db(freqs) / 10.0)) * fs * n_fft / 2.0)
    amp[0] = 0.0
    return np.fft.irfft(spec * amp, n=n_fft, axis=-1)[:, :n_samples]


P_REF2 = (20e-6) ** 2


def synthesize_noise(
    mic_positions: NDArray[np.float64],
    n_samples: int,
    fs: int,
    env: Environment,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Ambient (diffuse, spatially coherent) + wind + self-noise at each microphone, Pa.

    Shape (n_mics, n_samples). The ambient field's inter-microphone coherence is the
    diffuse-field ``sinc(2 f d / c)``, imposed with a per-bin Cholesky factor.
    """
    n_mics = int(mic_positions.shape[0])
    mix = None
    if n_mics > 1:
        d = np.linalg.norm(mic_positions[:, None, :] - mic_positions[None, :, :], axis=-1)

        def mix(freqs: NDArray[np.float64]) -> NDArray[np.complex128]:
            coh = np.sinc(2.0 * freqs[:, None, None] * d[None] / env.speed_of_sound)
            coh = coh + 1e-6 * np.eye(n_mics)[None]
            return np.linalg.cholesky(coh).astype(np.complex128)

    out = shaped_gaussian(lambda f: ambient_psd_db(f, env.ambient), n_samples, fs, n_mics,
                          rng, mix)

    def local(f: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray(10.0 * np.log10(
            10.0 ** (wind_psd_db(f, env.wind_m_s, env.windscreen_diameter_m) / 10.0)
            + 10.0 ** (self_noise_psd_db(f) / 10.0)))

    out += shaped_gaussian(local, n_samples, fs, n_mics, rng)
    return out
