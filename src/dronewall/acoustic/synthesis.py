"""Synthesise the sound pressure a node's microphones record from a moving source.

API (all Pascals, float32, shape ``(n_channels, n_samples)``)::

    from dronewall.acoustic.synthesis import (
        ArrayGeometry, Environment, Signature, Trajectory, synthesize, to_dbfs, write_wav)

    sig = Signature.for_label("shahed", source_level_db=115.0)
    traj = Trajectory.line(start_enu=(-3000, 1000, 300), velocity_enu=(50, 0, 0), duration_s=120)
    audio = synthesize(sig, traj, ArrayGeometry.square(0.1), fs=16000, duration_s=10.0,
                       t0=55.0, env=Environment(ambient="rural_night", wind_m_s=3.0), seed=1)
    write_wav("shahed.wav", audio, 16000)        # 0 dBFS (full-scale sine) = 120 dB SPL

The physics, per microphone and per path (direct, and the ground-image path when
``env.ground_reflection``):

* **Retarded time.** The sample recorded at time ``t`` was emitted at ``tau`` with
  ``t - tau = |x_s(tau) - x_m| / c``; solved per sample by Newton's method on the trajectory
  (linear between its points, held before the first and after the last). Everything the
  source does is evaluated at ``tau``: this gives the propagation delay, the **Doppler** shift
  (through the time-varying delay, no separate formula) and the per-mic delays an array
  measures, all consistently.
* **Spreading** ``1/R`` per sample, R the emission-time path length.
* **Absorption** (ISO 9613-1): tonal parts get a per-harmonic gain ``10^(-alpha(f_k) R / 20)``
  per sample; broadband parts are filtered in 512-sample Hann-windowed blocks (50 % overlap),
  each block with the gain of its own range -- the filter is updated per block.
* **Noise**: ambient (diffuse, coherence ``sinc(2 f d / c)`` between mics), Strasberg wind
  noise and mic self-noise (:mod:`dronewall.acoustic.noise`), added at the microphones.

Deterministic per ``seed``: the same arguments give bit-identical output. Harmonics that would
exceed 0.45 fs after Doppler are dropped (no aliasing).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dronewall.acoustic.arrays import ArrayGeometry
from dronewall.acoustic.noise import shaped_gaussian, synthesize_noise, wind_psd_db
from dronewall.acoustic.propagation import DEFAULT_ENV, P_REF_PA, Environment, image_source
from dronewall.acoustic.signatures import Signature

__all__ = [
    "FULL_SCALE_DB_SPL",
    "ArrayGeometry",
    "Environment",
    "Signature",
    "Trajectory",
    "from_dbfs",
    "spl_db",
    "synthesize",
    "to_dbfs",
    "write_wav",
]

FULL_SCALE_DB_SPL = 120.0
"""Calibration of the assumed microphone + ADC: a full-scale sine (0 dBFS, AES17) is 120 dB
SPL (20 Pa rms, 28.3 Pa peak). That is a typical digital MEMS microphone (acoustic overload
point 120 dB SPL, sensitivity -26 dBFS at 94 dB SPL)."""

_BLOCK = 512  # broadband absorption filter block, samples


@dataclass(frozen=True)
class Trajectory:
    """A source path: ``times`` (n,) seconds, strictly increasing, and ``enu`` (n, 3) metres
    relative to the node. Positions are linear between points and held outside them."""

    times: NDArray[np.float64]
    enu: NDArray[np.float64]

    def __post_init__(self) -> None:
        t = np.atleast_1d(np.asarray(self.times, dtype=float))
        p = np.atleast_2d(np.asarray(self.enu, dtype=float))
        if p.shape != (t.shape[0], 3):
            raise ValueError(f"enu must be (len(times), 3) = ({t.shape[0]}, 3), got {p.shape}")
        if t.shape[0] > 1 and np.any(np.diff(t) <= 0):
            raise ValueError("trajectory times must be strictly increasing")
        if not (np.all(np.isfinite(t)) and np.all(np.isfinite(p))):
            raise ValueError("trajectory times and positions must be finite")
        object.__setattr__(self, "times", t)
        object.__setattr__(self, "enu", p)

    @classmethod
    def line(
        cls,
        start_enu: ArrayLike,
        velocity_enu: ArrayLike,
        duration_s: float,
        t_start: float = 0.0,
    ) -> Trajectory:
        """Straight, constant-velocity flight from ``start_enu`` for ``duration_s``."""
        s = np.asarray(start_enu, dtype=float)
        v = np.asarray(velocity_enu, dtype=float)
        return cls(np.array([t_start, t_start + duration_s]), np.stack([s, s + v * duration_s]))

    @classmethod
    def static(cls, enu: ArrayLike) -> Trajectory:
        """A source that does not move."""
        return cls(np.array([0.0]), np.asarray(enu, dtype=float).reshape(1, 3))

    def position(self, t: ArrayLike) -> NDArray[np.float64]:
        """Positions at times ``t`` (any shape), shape ``t.shape + (3,)``."""
        tt = np.asarray(t, dtype=float)
        if self.times.shape[0] == 1:
            return np.broadcast_to(self.enu[0], (*tt.shape, 3)).copy()
        return np.stack([np.interp(tt, self.times, self.enu[:, k]) for k in range(3)], axis=-1)

    def velocity(self, t: ArrayLike) -> NDArray[np.float64]:
        """Velocities at times ``t`` (zero outside the trajectory), shape ``t.shape + (3,)``."""
        tt = np.asarray(t, dtype=float)
        if self.times.shape[0] == 1:
            return np.zeros((*tt.shape, 3))
        seg_v = np.diff(self.enu, axis=0) / np.diff(self.times)[:, None]
        idx = np.clip(np.searchsorted(self.times, tt, side="right") - 1, 0, seg_v.shape[0] - 1)
        v = seg_v[idx]
        outside = (tt < self.times[0]) | (tt > self.times[-1])
        v[outside] = 0.0
        return v

    def range_to(self, t: ArrayLike, point: ArrayLike = (0.0, 0.0, 0.0)) -> NDArray[np.float64]:
        """Distance from ``point`` (node ENU) at times ``t``, m."""
        d = self.position(t) - np.asarray(point, dtype=float)
        return np.asarray(np.linalg.norm(d, axis=-1))


def emission_times(
    traj: Trajectory, t: NDArray[np.float64], mic: NDArray[np.float64], c: float,
    mirror_height_m: float | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Emission time ``tau`` and path length ``R`` for sound reaching ``mic`` at times ``t``.

    Newton's method on ``g(tau) = t - tau - R(tau)/c`` (converges in a few steps for any
    subsonic source). With ``mirror_height_m`` the source is mirrored in the ground plane
    ``z = -mirror_height_m`` (the image path of the two-ray model).
    """

    def geom(tau: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        pos = traj.position(tau)
        vel = traj.velocity(tau)
        if mirror_height_m is not None:
            pos = image_source(pos, mirror_height_m)
            vel[..., 2] = -vel[..., 2]
        d = pos - mic
        r = np.maximum(np.linalg.norm(d, axis=-1), 1e-3)
        rdot = np.einsum("...k,...k->...", d, vel) / r
        return r, rdot

    r, _ = geom(t)
    tau = t - r / c
    for _ in range(8):
        r, rdot = geom(tau)
        g = t - tau - r / c
        step = g / (1.0 + rdot / c)
        tau = tau + step
        if float(np.max(np.abs(step))) < 1e-9:
            break
    r, _ = geom(tau)
    return tau, r


def _wander(rng: np.random.Generator, te: NDArray[np.float64], rel_std: float, tc: float,
            ) -> NDArray[np.float64]:
    """Slow Gaussian speed wander (relative), correlation time ``tc``, on grid ``te``."""
    if rel_std <= 0.0:
        return np.zeros_like(te)
    step = tc / 4.0
    n = int(np.ceil((te[-1] - te[0]) / step)) + 3
    a = np.exp(-step / tc)
    x = np.empty(n)
    e = rng.standard_normal(n) * np.sqrt(1.0 - a * a)
    x[0] = rng.standard_normal()
    for i in range(1, n):  # AR(1) on a coarse grid (few hundred points)
        x[i] = a * x[i - 1] + e[i]
    grid = te[0] - step + step * np.arange(n)
    return rel_std * np.interp(te, grid, x)


def _chirp_signal(sig: Signature, te: NDArray[np.float64], fs: int,
                  rng: np.random.Generator) -> NDArray[np.float64]:
    """Bird chirps at 1 m, Pa, on the emission grid ``te``."""
    out = np.zeros_like(te)
    ch = sig.chirps
    if ch is None:
        return out
    span = te[-1] - te[0]
    n = rng.poisson(ch.rate_per_s * span)
    starts = te[0] + rng.uniform(0.0, span, n)
    amp = np.sqrt(2.0) * sig.chirp_rms_pa()
    m = int(ch.duration_s * fs)
    u = np.arange(m) / fs
    win = np.hanning(m) * np.sqrt(8.0 / 3.0)  # unit mean-square window
    for s in starts:
        f_a, f_b = rng.uniform(ch.f_low_hz, ch.f_high_hz, 2)
        phase = 2.0 * np.pi * (f_a * u + 0.5 * (f_b - f_a) / ch.duration_s * u**2)
        i0 = int((s - te[0]) * fs)
        seg = slice(i0, min(i0 + m, te.shape[0]))
        out[seg] += (amp * win * np.sin(phase))[: seg.stop - seg.start]
    return out


def _absorb_blocks(x: NDArray[np.float64], r: NDArray[np.float64], fs: int,
                   env: Environment) -> NDArray[np.float64]:
    """Apply range-dependent absorption to rows of ``x`` block by block (overlap-add)."""
    n_rows, n = x.shape
    hop = _BLOCK // 2
    n_frames = int(np.ceil(n / hop)) + 1
    pad = np.zeros((n_rows, (n_frames + 1) * hop))
    pad[:, hop : hop + n] = x
    rpad = np.pad(r, ((0, 0), (hop, pad.shape[1] - hop - n)), mode="edge")
    idx = np.arange(n_frames)[:, None] * hop + np.arange(_BLOCK)[None, :]
    win = np.hanning(_BLOCK + 1)[:-1]  # periodic Hann: sums to 1 at 50 % overlap
    frames = pad[:, idx] * win  # (rows, frames, block)
    r_frame = rpad[:, idx[:, hop]]  # range at each frame centre
    alpha = env.absorption_db_per_m(np.fft.rfftfreq(_BLOCK, 1.0 / fs))
    gain = 10.0 ** (-alpha[None, None, :] * r_frame[:, :, None] / 20.0)
    y = np.fft.irfft(np.fft.rfft(frames, axis=-1) * gain, n=_BLOCK, axis=-1)
    out = np.zeros_like(pad)
    for k in range(2):  # overlap-add: even frames and odd frames do not overlap each other
        sel = y[:, k::2, :].reshape(n_rows, -1)
        start = k * hop
        out[:, start : start + sel.shape[1]] += sel[:, : out.shape[1] - start]
    return out[:, hop : hop + n]


def synthesize(
    signature: Signature,
    trajectory: Trajectory,
    array: ArrayGeometry,
    *,
    fs: int = 16000,
    duration_s: float,
    t0: float = 0.0,
    env: Environment = DEFAULT_ENV,
    seed: int = 0,
) -> NDArray[np.float32]:
    """Pressure at each microphone (Pa), shape (n_channels, n_samples), float32.

    Sample ``i`` is recorded at time ``t0 + i / fs`` (the trajectory's time base).
    """
    if fs <= 0 or duration_s <= 0:
        raise ValueError("fs and duration_s must be positive")
    n = round(duration_s * fs)
    # Work relative to t0 so that POSIX-scale times keep sub-microsecond precision.
    trajectory = Trajectory(trajectory.times - t0, trajectory.enu)
    t = np.arange(n) / fs
    mics = array.positions
    c = env.speed_of_sound
    ss = np.random.SeedSequence(seed)
    rng_noise, rng_src, rng_phase, rng_wind = (np.random.default_rng(s) for s in ss.spawn(4))

    # Emission times and path lengths per (path, mic): rows = paths x mics.
    mirrors: list[float | None] = [None]
    gains = [1.0]
    if env.ground_reflection:
        mirrors.append(env.mic_height_m)
        gains.append(env.ground_reflection_coeff)
    taus, ranges, row_gain = [], [], []
    # Newton on a 1 ms grid, then linear interpolation: tau(t) is smooth enough that the
    # interpolation error is ~1e-8 s (a 0.1 mrad phase error at 2 kHz for a 50 m/s source
    # passing at 100 m).
    step = max(1, fs // 1000)
    t_coarse = t[::step] if (n - 1) % step == 0 else np.append(t[::step], t[-1])
    for mirror, g in zip(mirrors, gains, strict=True):
        for m in range(mics.shape[0]):
            tau_c, r_c = emission_times(trajectory, t_coarse, mics[m], c, mirror)
            taus.append(np.interp(t, t_coarse, tau_c))
            ranges.append(np.interp(t, t_coarse, r_c))
            row_gain.append(g)
    tau_all = np.stack(taus)
    r_all = np.stack(ranges)
    spread = np.asarray(row_gain)[:, None] / np.maximum(r_all, 1.0)

    # The source's own signals live on an emission-time grid covering every tau.
    te0 = float(tau_all.min()) - 2.0 / fs
    n_e = int(np.ceil((float(tau_all.max()) - te0) * fs)) + 4
    te = te0 + np.arange(n_e) / fs
    rx = np.zeros_like(tau_all)

    # Tonal parts: phase accumulated at emission, evaluated at tau; per-harmonic absorption.
    rdot_max = 0.0
    if trajectory.times.shape[0] > 1:
        rdot_max = float(np.max(np.linalg.norm(np.diff(trajectory.enu, axis=0), axis=1)
                                / np.diff(trajectory.times)))
    f_max = 0.45 * fs * max(1.0 - rdot_max / c, 0.05)
    am = np.ones_like(te)
    if signature.am_depth > 0.0 and signature.am_rate_hz > 0.0:
        am = 1.0 + signature.am_depth * np.sin(
            2.0 * np.pi * signature.am_rate_hz * te + rng_src.uniform(0, 2 * np.pi))
    am_rx = np.stack([np.interp(tau, te, am) for tau in tau_all]) if signature.am_depth else None
    for (freqs, rms), fam in zip(signature.tone_components(), signature.tones, strict=True):
        w = _wander(rng_src, te, signature.f0_wander, signature.wander_time_s)
        cycles = np.concatenate([[0.0], np.cumsum(fam.f0_hz * (1.0 + w[:-1]) / fs)])
        cyc_rx = np.stack([np.interp(tau, te, cycles) for tau in tau_all])
        phases = np.asarray(rng_phase.uniform(0.0, 2.0 * np.pi, size=freqs.shape[0]))
        alpha = env.absorption_db_per_m(freqs)
        # exp(i 2 pi k cycles) by recursion over k (complex multiply, no sin per harmonic);
        # absorption gains on a 1 ms grid (they change by < 1e-4 dB within it).
        z1 = np.exp(2j * np.pi * cyc_rx).astype(np.complex64)
        zk = np.ones_like(z1)
        r_c = r_all[:, ::step]
        for k, (f, a) in enumerate(zip(freqs, rms, strict=True)):
            zk *= z1
            if f * (1.0 + 3.0 * signature.f0_wander) > f_max:
                continue
            g_c = (np.sqrt(2.0) * a) * 10.0 ** (-alpha[k] * r_c / 20.0)
            gain_k = np.repeat(g_c, step, axis=1)[:, :n]
            rot = np.complex64(np.exp(1j * phases[k]))
            rx += gain_k * (zk * rot).imag
    if am_rx is not None:
        rx *= am_rx
    rx *= spread

    # Waveform parts (broadband, chirps): one source signal, delayed per row, block-absorbed.
    if signature.broadband is not None or signature.chirps is not None:
        src = np.zeros(n_e)
        if signature.broadband is not None:
            src += shaped_gaussian(lambda f: signature.broadband_psd_db(f, fs), n_e, fs, 1,
                                   rng_src)[0]
        src += _chirp_signal(signature, te, fs, rng_src)
        src *= am
        wave = np.stack([np.interp(tau, te, src) for tau in tau_all]) * spread
        rx += _absorb_blocks(wave, r_all, fs, env)

    n_m = mics.shape[0]
    out = rx.reshape(len(mirrors), n_m, n).sum(axis=0)
    out += synthesize_noise(mics, n, fs, env, rng_noise)
    if signature.local_wind_m_s > 0.0:
        gust = shaped_gaussian(
            lambda f: wind_psd_db(f, signature.local_wind_m_s, env.windscreen_diameter_m),
            n, fs, n_m, rng_wind)
        gust_env = 1.0 + signature.am_depth * np.sin(
            2.0 * np.pi * signature.am_rate_hz * t + rng_wind.uniform(0, 2 * np.pi))
        out += gust * gust_env
    return out.astype(np.float32)


def _full_scale_peak_pa(full_scale_db_spl: float) -> float:
    return P_REF_PA * 10.0 ** (full_scale_db_spl / 20.0) * np.sqrt(2.0)


def to_dbfs(pa: ArrayLike, full_scale_db_spl: float = FULL_SCALE_DB_SPL) -> NDArray[np.float32]:
    """Pascals to digital full-scale units in [-1, 1] (clipped like a real ADC)."""
    x = np.asarray(pa, dtype=float) / _full_scale_peak_pa(full_scale_db_spl)
    return np.clip(x, -1.0, 1.0).astype(np.float32)


def from_dbfs(x: ArrayLike, full_scale_db_spl: float = FULL_SCALE_DB_SPL) -> NDArray[np.float64]:
    """Digital full-scale units back to Pascals."""
    return np.asarray(x, dtype=float) * _full_scale_peak_pa(full_scale_db_spl)


def spl_db(pa: ArrayLike) -> float:
    """Unweighted SPL of a pressure signal (all samples), dB re 20 uPa."""
    p = np.asarray(pa, dtype=float)
    return float(10.0 * np.log10(np.mean(p**2) / P_REF_PA**2))


def write_wav(
    path: str | Path, pa: ArrayLike, fs: int, full_scale_db_spl: float = FULL_SCALE_DB_SPL,
    subtype: str = "PCM_24",
) -> None:
    """Write (n_channels, n_samples) Pascals as a WAV file, calibrated by ``full_scale_db_spl``."""
    import soundfile  # a core dependency; imported here so the physics loads without it

    x = to_dbfs(pa, full_scale_db_spl)
    soundfile.write(str(path), np.atleast_2d(x).T, fs, subtype=subtype)
