"""Parameterised acoustic source signatures: what each class of target sounds like at 1 m.

A :class:`Signature` is a sum of **tone families** (a fundamental and its harmonics, e.g. a
propeller's blade-passing frequency and an engine's firing orders), a **broadband** part
(one-third-octave shape: rising to a peak, then falling) and, for birds, **chirps**. The overall
source level is the unweighted SPL at 1 m of all parts together; the parts' relative levels set
how it splits. Fundamentals wander slowly (engine/rotor speed is never constant), which the
synthesiser renders; every parameter can be overridden (``Signature.for_label(label, **kw)``).

Source levels of military drones are not published. Each default below is argued in a comment
from comparable engines, and :attr:`Signature.level_range_db` is the plausible range to sweep
in sensitivity studies. Treat every default as an assumption to replace with measurements.

Labels are the acoustic class labels of the shared vocabulary: shahed, gerbera, jet,
helicopter, multicopter, propeller_aircraft, bird, background. ``background`` has variants
(road_traffic, generator, wind); ``jet`` has jet_drone and cruise_missile.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dronewall.acoustic.propagation import P_REF_PA

ACOUSTIC_LABELS = (
    "shahed", "gerbera", "jet", "helicopter", "multicopter", "propeller_aircraft", "bird",
    "background",
)
"""Acoustic class labels (VOCAB.md), in a fixed order."""


@dataclass(frozen=True)
class ToneFamily:
    """A fundamental ``f0_hz`` and harmonics ``k * f0`` (k = 1..n) with relative levels, dB.

    ``levels_db`` gives the level of each harmonic relative to the others (length n); when it
    is empty the harmonics fall by ``rolloff_db`` per harmonic from ``level_db``.
    """

    f0_hz: float
    n_harmonics: int = 10
    level_db: float = 0.0
    rolloff_db: float = 3.0
    levels_db: tuple[float, ...] = ()

    def harmonic_levels_db(self) -> NDArray[np.float64]:
        """Relative level of harmonics 1..n, dB."""
        if self.levels_db:
            return np.asarray(self.levels_db, dtype=float) + self.level_db
        return self.level_db - self.rolloff_db * np.arange(self.n_harmonics, dtype=float)

    def freqs_hz(self) -> NDArray[np.float64]:
        """Frequencies of harmonics 1..n, Hz."""
        n = len(self.levels_db) if self.levels_db else self.n_harmonics
        return self.f0_hz * np.arange(1, n + 1, dtype=float)


@dataclass(frozen=True)
class Broadband:
    """Broadband part: one-third-octave band levels peaking at ``peak_hz``.

    Band level falls ``low_slope_db_oct`` per octave below the peak and
    ``high_slope_db_oct`` per octave above it; ``level_db`` is its relative total level.
    """

    level_db: float
    peak_hz: float
    low_slope_db_oct: float = 6.0
    high_slope_db_oct: float = 6.0

    def shape_psd_db(self, freq_hz: ArrayLike) -> NDArray[np.float64]:
        """Un-normalised PSD shape, dB per Hz."""
        f = np.maximum(np.asarray(freq_hz, dtype=float), 1.0)
        octs = np.log2(f / self.peak_hz)
        band = np.where(octs < 0, self.low_slope_db_oct * octs, -self.high_slope_db_oct * octs)
        return np.asarray(band - 10.0 * np.log10(0.2316 * f))


@dataclass(frozen=True)
class Chirps:
    """Intermittent frequency sweeps (bird song): Poisson-timed, ``rate_per_s`` on average."""

    rate_per_s: float = 1.5
    duration_s: float = 0.12
    f_low_hz: float = 2500.0
    f_high_hz: float = 5000.0


@dataclass(frozen=True)
class Signature:
    """A target class's sound at 1 m. Build one with :meth:`for_label` or :meth:`named`."""

    label: str
    name: str
    source_level_db: float
    level_range_db: tuple[float, float]
    tones: tuple[ToneFamily, ...] = ()
    broadband: Broadband | None = None
    chirps: Chirps | None = None
    f0_wander: float = 0.01
    """Relative standard deviation of the slow speed wander of every tone family."""
    wander_time_s: float = 2.0
    """Correlation time of that wander, s."""
    am_depth: float = 0.0
    """Depth of slow amplitude modulation (passing traffic, gusts), 0..1."""
    am_rate_hz: float = 0.0
    local_wind_m_s: float = 0.0
    """Extra gusty wind at the microphone itself (the ``wind`` confuser), m/s."""

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def named(cls, name: str, **overrides: Any) -> Signature:
        """The catalogue signature ``name`` (see :data:`CATALOGUE`), with field overrides.

        Besides any dataclass field, ``dominant_hz`` rescales every tone family so that the
        strongest tone lands on that frequency (e.g. a different engine speed).
        """
        try:
            sig = CATALOGUE[name]
        except KeyError:
            raise ValueError(f"unknown signature {name!r}: one of {', '.join(CATALOGUE)}") from None
        return sig.with_overrides(**overrides)

    @classmethod
    def for_label(cls, label: str, variant: str | None = None, **overrides: Any) -> Signature:
        """The default signature of an acoustic class label (or its ``variant``)."""
        if label not in ACOUSTIC_LABELS:
            known = ", ".join(ACOUSTIC_LABELS)
            raise ValueError(f"unknown acoustic label {label!r}: one of {known}")
        name = variant or DEFAULT_VARIANT[label]
        sig = cls.named(name, **overrides)
        if sig.label != label:
            raise ValueError(f"signature {name!r} has label {sig.label!r}, not {label!r}")
        return sig

    def with_overrides(self, **overrides: Any) -> Signature:
        """A copy with fields replaced; ``dominant_hz`` rescales the tone families."""
        dominant = overrides.pop("dominant_hz", None)
        sig = dataclasses.replace(self, **overrides) if overrides else self
        if dominant is not None:
            if not sig.tones:
                raise ValueError(f"signature {sig.name!r} has no tones to move to {dominant} Hz")
            scale = float(dominant) / sig.dominant_hz
            sig = dataclasses.replace(
                sig, tones=tuple(dataclasses.replace(t, f0_hz=t.f0_hz * scale) for t in sig.tones)
            )
        return sig

    # ---- derived quantities -------------------------------------------------------------
    def _relative_powers(self) -> tuple[list[NDArray[np.float64]], float, float]:
        tones = [10.0 ** (t.harmonic_levels_db() / 10.0) for t in self.tones]
        bb = 10.0 ** (self.broadband.level_db / 10.0) if self.broadband else 0.0
        ch = 1.0 if self.chirps else 0.0
        total = sum(float(np.sum(t)) for t in tones) + bb + ch
        scale = (P_REF_PA**2) * 10.0 ** (self.source_level_db / 10.0) / max(total, 1e-30)
        return [t * scale for t in tones], bb * scale, ch * scale

    def tone_components(self) -> list[tuple[NDArray[np.float64], NDArray[np.float64]]]:
        """Per tone family: (frequencies Hz, rms pressure at 1 m, Pa) of its harmonics."""
        powers, _, _ = self._relative_powers()
        return [(t.freqs_hz(), np.sqrt(p)) for t, p in zip(self.tones, powers, strict=True)]

    def broadband_rms_pa(self) -> float:
        """Rms pressure at 1 m of the broadband part, Pa."""
        return float(np.sqrt(self._relative_powers()[1]))

    def chirp_rms_pa(self) -> float:
        """Rms pressure at 1 m during a chirp, Pa."""
        return float(np.sqrt(self._relative_powers()[2]))

    def broadband_psd_db(self, freq_hz: ArrayLike, fs: int = 16000) -> NDArray[np.float64]:
        """Broadband PSD at 1 m, dB re (20 uPa)^2/Hz, normalised over 0..fs/2."""
        f = np.asarray(freq_hz, dtype=float)
        if self.broadband is None:
            return np.full(f.shape, -200.0)
        grid = np.linspace(1.0, fs / 2.0, 8000)
        shape = self.broadband.shape_psd_db(grid)
        shape_total = np.sum(10.0 ** (shape / 10.0)) * (grid[1] - grid[0])
        p2 = self.broadband_rms_pa() ** 2 / (P_REF_PA**2)
        return np.asarray(self.broadband.shape_psd_db(f) + 10.0 * np.log10(p2 / shape_total))

    @property
    def dominant_hz(self) -> float:
        """Frequency of the strongest tone (or the broadband peak when there are none), Hz."""
        comps = self.tone_components()
        if comps:
            freqs = np.concatenate([f for f, _ in comps])
            amps = np.concatenate([a for _, a in comps])
            return float(freqs[int(np.argmax(amps))])
        if self.broadband is not None:
            return self.broadband.peak_hz
        if self.chirps is not None:
            return 0.5 * (self.chirps.f_low_hz + self.chirps.f_high_hz)
        return 0.0


# ---- the catalogue ----------------------------------------------------------------------
# Shahed-136 / Geran-2: MD-550 engine, a copy of the Limbach L550E four-cylinder two-stroke
# (~37 kW / 50 hp), driving a two-blade pusher propeller directly (Conflict Armament Research,
# "Dissecting Iranian drones employed by Russia in Ukraine", Nov 2022; Limbach L550E data
# sheet). At a cruise shaft speed of ~6000 rpm: shaft order 100 Hz, blade-passing frequency
# (BPF) 200 Hz, four-cylinder two-stroke firing 400 Hz. The comb below is on the 100 Hz shaft
# order with the even orders (BPF and firing harmonics) strongest, so the dominant tone is the
# 200 Hz BPF and the spectrum is the "moped" comb witnesses describe.
# Source level (not published): hand-held two-stroke tools of 2-4 kW (chainsaws) reach
# LpA 100-110 dB at the operator (~1 m) and LwA 110-118 dB (EU Directive 2000/14/EC
# declarations); scaling sound power with shaft power (+10 log10(37/3) ~ +11 dB) gives an
# unsilenced 37 kW two-stroke 110-125 dB at 1 m, and a light aircraft of 3x the power flying
# over at 300 m at ~75 dB(A) implies ~125 dB(A) at 1 m. Default 110 dB (conservative: partial
# cruise power, exhaust silencer), plausible range 100-125 dB.
_SHAHED = Signature(
    label="shahed", name="shahed", source_level_db=110.0, level_range_db=(100.0, 125.0),
    tones=(ToneFamily(100.0, levels_db=(-10.0, 0.0, -12.0, -4.0, -14.0, -8.0, -16.0, -10.0,
                                        -18.0, -13.0, -20.0, -15.0, -22.0, -18.0, -24.0, -20.0)),),
    broadband=Broadband(level_db=-8.0, peak_hz=400.0, low_slope_db_oct=4.0, high_slope_db_oct=5.0),
    f0_wander=0.01, wander_time_s=3.0,
)

# Gerbera-class decoy: foam/plywood airframe with a much smaller piston engine (model-aircraft
# class, a few kW) and a two-blade propeller at ~7500 rpm: shaft 125 Hz, BPF 250 Hz. Level
# ~10 dB below the Shahed default (about a tenth of the power), range 90-110 dB.
_GERBERA = Signature(
    label="gerbera", name="gerbera", source_level_db=100.0, level_range_db=(90.0, 110.0),
    tones=(ToneFamily(125.0, levels_db=(-8.0, 0.0, -10.0, -4.0, -13.0, -8.0, -16.0, -11.0,
                                        -19.0, -14.0, -22.0, -17.0)),),
    broadband=Broadband(level_db=-7.0, peak_hz=600.0, low_slope_db_oct=4.0, high_slope_db_oct=5.0),
    f0_wander=0.015, wander_time_s=2.0,
)

# Jet-powered drone (e.g. Shahed-238 / Geran-3 with a small turbojet of ~1-2 kN thrust) and
# cruise missiles (Kh-101 / Kalibr class, small turbofan / turbojet): broadband mixing noise
# peaking at a few hundred Hz to ~1 kHz for these nozzle sizes and speeds, plus a weak
# compressor tone. Small turbojets measure 120-140 dB at 1 m equivalent; defaults 130 / 135.
_JET_DRONE = Signature(
    label="jet", name="jet_drone", source_level_db=130.0, level_range_db=(120.0, 140.0),
    tones=(ToneFamily(3700.0, n_harmonics=1, level_db=-15.0),),
    broadband=Broadband(level_db=0.0, peak_hz=800.0, low_slope_db_oct=5.0, high_slope_db_oct=4.0),
    f0_wander=0.003,
)
_CRUISE_MISSILE = Signature(
    label="jet", name="cruise_missile", source_level_db=135.0, level_range_db=(125.0, 145.0),
    tones=(ToneFamily(2900.0, n_harmonics=1, level_db=-18.0),),
    broadband=Broadband(level_db=0.0, peak_hz=500.0, low_slope_db_oct=5.0, high_slope_db_oct=4.0),
    f0_wander=0.003,
)

# Helicopter (Mi-8/Mi-17 class): main rotor 192 rpm x 5 blades -> BPF 16 Hz with a long
# harmonic series (impulsive loading); tail rotor ~1120 rpm x 3 blades -> ~56 Hz family; turbine
# broadband. A flyover at 150 m measures ~85-90 dB(A) (+43.5 dB spreading) and the unweighted
# level is higher still (rotor harmonics below 100 Hz): default 135 dB, range 125-145.
_HELICOPTER = Signature(
    label="helicopter", name="helicopter", source_level_db=135.0, level_range_db=(125.0, 145.0),
    tones=(
        ToneFamily(16.0, n_harmonics=20, level_db=0.0, rolloff_db=1.2),
        ToneFamily(56.0, n_harmonics=8, level_db=-6.0, rolloff_db=2.5),
    ),
    broadband=Broadband(level_db=-8.0, peak_hz=1500.0, low_slope_db_oct=3.0, high_slope_db_oct=4.0),
    f0_wander=0.002, wander_time_s=5.0,
)

# Small multicopter (DJI Mavic / Phantom class quadcopter): four two-blade rotors at
# 5000-7000 rpm -> BPF ~170-230 Hz, each rotor at its own, quickly varying speed (attitude
# control), so four close combs. Hover levels of consumer quadcopters are ~70-85 dB(A) at 1 m;
# default 80 dB, range 70-95 dB.
_MULTICOPTER = Signature(
    label="multicopter", name="multicopter", source_level_db=80.0, level_range_db=(70.0, 95.0),
    tones=tuple(
        ToneFamily(200.0 * s, n_harmonics=12, level_db=0.0, rolloff_db=2.5)
        for s in (0.97, 0.99, 1.01, 1.03)
    ),
    broadband=Broadband(level_db=-5.0, peak_hz=2000.0, low_slope_db_oct=3.0, high_slope_db_oct=4.0),
    f0_wander=0.03, wander_time_s=0.7,
)

# Light aircraft (Cessna 172 class: 4-cylinder four-stroke at ~2500 rpm, two-blade propeller):
# BPF and firing both ~83 Hz. ICAO Annex 16 Chapter 10 take-off levels are 70-85 dB(A) at
# a few hundred metres: default 125 dB at 1 m, range 115-135 dB.
_PROPELLER_AIRCRAFT = Signature(
    label="propeller_aircraft", name="light_aircraft", source_level_db=125.0,
    level_range_db=(115.0, 135.0),
    tones=(ToneFamily(83.0, n_harmonics=14, level_db=0.0, rolloff_db=2.0),),
    broadband=Broadband(level_db=-8.0, peak_hz=500.0, low_slope_db_oct=4.0, high_slope_db_oct=5.0),
    f0_wander=0.005, wander_time_s=4.0,
)

# Birds: song-bird chirps, 2.5-5 kHz sweeps of ~0.1 s; songbirds sing at ~80-90 dB at 1 m.
_BIRD = Signature(
    label="bird", name="bird", source_level_db=85.0, level_range_db=(70.0, 95.0),
    chirps=Chirps(), f0_wander=0.0,
)

# Confusers labelled "background".
# Road traffic: a car passing at 50 km/h is ~70-75 dB(A) at 7.5 m (EU Reg. 540/2014 limits
# 68-72 dB(A)) -> ~90 dB at 1 m; tyre/road noise peaks near 1 kHz, engine orders at 30-100 Hz.
_ROAD_TRAFFIC = Signature(
    label="background", name="road_traffic", source_level_db=92.0, level_range_db=(80.0, 105.0),
    tones=(ToneFamily(45.0, n_harmonics=4, level_db=-10.0, rolloff_db=4.0),),
    broadband=Broadband(level_db=0.0, peak_hz=900.0, low_slope_db_oct=3.0, high_slope_db_oct=6.0),
    f0_wander=0.05, wander_time_s=2.0, am_depth=0.6, am_rate_hz=0.1,
)
# Diesel generator set on a 50 Hz grid: 1500 rpm engine, four-cylinder four-stroke firing at
# 50 Hz plus 100 Hz transformer/alternator hum; ~95-105 dB at 1 m for small open sets.
_GENERATOR = Signature(
    label="background", name="generator", source_level_db=100.0, level_range_db=(85.0, 110.0),
    tones=(ToneFamily(50.0, levels_db=(-3.0, 0.0, -6.0, -4.0, -10.0, -8.0, -14.0, -12.0)),),
    broadband=Broadband(level_db=-6.0, peak_hz=700.0, low_slope_db_oct=3.0, high_slope_db_oct=5.0),
    f0_wander=0.001, wander_time_s=5.0,
)
# Gusty wind on the microphone itself (not a propagating source): Strasberg wind noise at
# ``local_wind_m_s`` with slow gusts. Its source level is unused.
_WIND = Signature(
    label="background", name="wind", source_level_db=0.0, level_range_db=(0.0, 0.0),
    local_wind_m_s=7.0, am_depth=0.5, am_rate_hz=0.15, f0_wander=0.0,
)

CATALOGUE: dict[str, Signature] = {
    s.name: s
    for s in (_SHAHED, _GERBERA, _JET_DRONE, _CRUISE_MISSILE, _HELICOPTER, _MULTICOPTER,
              _PROPELLER_AIRCRAFT, _BIRD, _ROAD_TRAFFIC, _GENERATOR, _WIND)
}
"""Every built-in signature by name."""

DEFAULT_VARIANT: dict[str, str] = {
    "shahed": "shahed", "gerbera": "gerbera", "jet": "jet_drone", "helicopter": "helicopter",
    "multicopter": "multicopter", "propeller_aircraft": "light_aircraft", "bird": "bird",
    "background": "road_traffic",
}
"""The signature :meth:`Signature.for_label` returns for each label."""
