"""Outdoor sound propagation: the atmosphere between a source and a microphone.

What it models, and why each piece is here:

* **Speed of sound** from temperature, ``c = 331.3 * sqrt(1 + T/273.15)`` m/s (dry air; the
  humidity correction is < 0.3 % and is ignored). It sets the propagation delay, so the
  emission time of a sound is ``t_arrival - R/c`` (a drone 3 km away was heard ~9 s ago).
* **Spherical spreading**, ``20 log10(R / 1 m)`` dB: source levels are SPL at 1 m.
* **Atmospheric absorption** per ISO 9613-1:1993, equations (1)-(5) and (B.1): the
  pure-tone attenuation coefficient from the classical + rotational term and the vibrational
  relaxation of oxygen and nitrogen, as a function of temperature, relative humidity and
  pressure. Written here (25 lines, vectorised) rather than imported: the one Python package
  that implements it, ``acoustics`` (python-acoustics, PyPI 0.2.6), is archived upstream and
  pulls pandas, six and tabulate into the core for one formula. Our values agree with that
  package to 1e-9 relative (checked once by hand) and with the standard's own tabulated values
  (ISO 9613-2 Table 2) within their rounding -- see tests/test_acoustic_physics.py.
* **Ground reflection** (optional): a two-ray model, direct path plus the path from the image
  source mirrored in flat ground, with one real, frequency-independent reflection coefficient
  ``Q`` (default 0.8: the magnitude a plane wave keeps on grass-covered ground at grazing
  incidence is ~0.7-1; hard ground is 1). No flow resistivity, no ground-wave term, so the
  comb-filter nulls are deeper than on real soft ground. That is the documented simplification.
* **Doppler**: ``f_received = f_emitted / (1 + v_r / c)`` with ``v_r`` the source's range rate
  (positive receding). The synthesiser does not use this formula: its time-varying delay makes
  the Doppler shift by construction; the formula is here for checks and the fast mode.

Refraction (wind and temperature gradients), turbulence scattering and barriers are not
modelled: they change detection range by several dB either way and are left for the
calibrated fast mode's environment margins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

P_REF_PA = 20e-6
"""Reference pressure of sound pressure level (SPL), Pa."""

_T0_K = 293.15  # ISO 9613-1 reference air temperature, K
_T01_K = 273.16  # triple-point isotherm temperature, K
_PR_KPA = 101.325  # ISO 9613-1 reference atmospheric pressure, kPa


@dataclass(frozen=True)
class Environment:
    """Weather, ground and noise at a node: everything propagation and noise depend on.

    ``ambient`` names a noise preset of :mod:`dronewall.acoustic.noise` (``quiet``,
    ``rural_night``, ``rural_day``, ``suburban``, ``urban_night``, ``urban``); ``wind_m_s`` is
    the wind speed at microphone height (it sets the microphone's wind noise). The node's
    ENU origin is its array centre, ``mic_height_m`` above flat ground.
    """

    temperature_c: float = 15.0
    humidity_pct: float = 70.0
    pressure_kpa: float = 101.325
    ambient: str = "rural_night"
    wind_m_s: float = 2.0
    ground_reflection: bool = False
    mic_height_m: float = 1.5
    ground_reflection_coeff: float = 0.8
    windscreen_diameter_m: float = 0.1

    @property
    def speed_of_sound(self) -> float:
        """Speed of sound at this temperature, m/s."""
        return float(speed_of_sound(self.temperature_c))

    def absorption_db_per_m(self, freq_hz: ArrayLike) -> NDArray[np.float64]:
        """ISO 9613-1 absorption coefficient at these frequencies, dB/m."""
        return absorption_db_per_m(
            freq_hz, self.temperature_c, self.humidity_pct, self.pressure_kpa
        )


DEFAULT_ENV = Environment()
"""The default environment (15 degC, 70 % RH, sea level, rural night, 2 m/s wind)."""


def speed_of_sound(temperature_c: ArrayLike) -> NDArray[np.float64]:
    """Speed of sound in dry air, m/s: ``331.3 * sqrt(1 + T/273.15)``."""
    return 331.3 * np.sqrt(1.0 + np.asarray(temperature_c, dtype=float) / 273.15)


def absorption_db_per_m(
    freq_hz: ArrayLike,
    temperature_c: float = 15.0,
    humidity_pct: float = 70.0,
    pressure_kpa: float = 101.325,
) -> NDArray[np.float64]:
    """Pure-tone atmospheric absorption coefficient alpha (dB/m), ISO 9613-1:1993 eq. (5).

    ``humidity_pct`` is relative humidity in percent; it is converted to the molar
    concentration of water vapour ``h`` (percent) with the saturation-pressure formula (B.1).
    """
    f = np.asarray(freq_hz, dtype=float)
    t = temperature_c + 273.15
    pa = pressure_kpa / _PR_KPA  # p_a / p_r
    tr = t / _T0_K  # T / T_0
    psat = 10.0 ** (-6.8346 * (_T01_K / t) ** 1.261 + 4.6151)  # p_sat / p_r, (B.1)-(B.2)
    h = humidity_pct * psat / pa  # molar concentration of water vapour, % (B.1)
    fro = pa * (24.0 + 4.04e4 * h * (0.02 + h) / (0.391 + h))  # oxygen relaxation, Hz (3)
    frn = pa * tr**-0.5 * (9.0 + 280.0 * h * np.exp(-4.170 * (tr ** (-1.0 / 3.0) - 1.0)))  # (4)
    return 8.686 * f**2 * (
        1.84e-11 / pa * tr**0.5
        + tr**-2.5
        * (
            0.01275 * np.exp(-2239.1 / t) / (fro + f**2 / fro)
            + 0.1068 * np.exp(-3352.0 / t) / (frn + f**2 / frn)
        )
    )


def spreading_loss_db(range_m: ArrayLike) -> NDArray[np.float64]:
    """Spherical spreading loss re 1 m, dB (ranges below 1 m are clamped to 1 m)."""
    return 20.0 * np.log10(np.maximum(np.asarray(range_m, dtype=float), 1.0))


def transmission_loss_db(
    freq_hz: ArrayLike, range_m: ArrayLike, env: Environment = DEFAULT_ENV
) -> NDArray[np.float64]:
    """Spreading + absorption along a straight path, dB (broadcasts freq against range)."""
    r = np.asarray(range_m, dtype=float)
    return spreading_loss_db(r) + env.absorption_db_per_m(freq_hz) * r


def image_source(source_enu: ArrayLike, mic_height_m: float) -> NDArray[np.float64]:
    """The source mirrored in flat ground at ``z = -mic_height_m`` (node ENU frame)."""
    s = np.array(source_enu, dtype=float)
    s[..., 2] = -2.0 * mic_height_m - s[..., 2]
    return s


def ground_effect_db(
    freq_hz: ArrayLike,
    horizontal_m: ArrayLike,
    source_height_m: ArrayLike,
    env: Environment = DEFAULT_ENV,
) -> NDArray[np.float64]:
    """Level change of the two-ray model relative to the direct ray alone, dB.

    ``|1 + Q (R1/R2) exp(-i k (R2 - R1))|`` in dB, with R1 the direct and R2 the reflected path
    length, heights above ground. Zero when ``env.ground_reflection`` is off. Used by the
    SNR model; the synthesiser instead renders the image source as a second delayed path.
    """
    f = np.asarray(freq_hz, dtype=float)
    if not env.ground_reflection:
        return np.zeros(np.broadcast(f, np.asarray(horizontal_m)).shape)
    d = np.asarray(horizontal_m, dtype=float)
    hs = np.asarray(source_height_m, dtype=float)
    hr = env.mic_height_m
    r1 = np.hypot(d, hs - hr)
    r2 = np.hypot(d, hs + hr)
    k = 2.0 * np.pi * f / env.speed_of_sound
    total = 1.0 + env.ground_reflection_coeff * (r1 / r2) * np.exp(-1j * k * (r2 - r1))
    return np.asarray(20.0 * np.log10(np.maximum(np.abs(total), 1e-6)))


def doppler_factor(
    range_rate_m_s: ArrayLike, env: Environment = DEFAULT_ENV
) -> NDArray[np.float64]:
    """Received / emitted frequency for a moving source, static receiver: ``1/(1 + v_r/c)``."""
    return 1.0 / (1.0 + np.asarray(range_rate_m_s, dtype=float) / env.speed_of_sound)


def propagation_delay_s(
    range_m: ArrayLike, env: Environment = DEFAULT_ENV
) -> NDArray[np.float64]:
    """Time sound takes over ``range_m``, s."""
    return np.asarray(range_m, dtype=float) / env.speed_of_sound
