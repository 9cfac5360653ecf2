"""Synthesised microphone audio: levels, Doppler, array delays, noise, determinism, I/O."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dronewall.acoustic.propagation import absorption_db_per_m
from dronewall.acoustic.synthesis import (
    ArrayGeometry,
    Environment,
    Signature,
    Trajectory,
    from_dbfs,
    spl_db,
    synthesize,
    to_dbfs,
    write_wav,
)
from dronewall.errors import BadInput

FS = 16000
QUIET = Environment(ambient="quiet", wind_m_s=0.0)


def _peak_hz(x: np.ndarray, lo: float, hi: float) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(x.shape[-1])))
    f = np.fft.rfftfreq(x.shape[-1], 1.0 / FS)
    band = (f > lo) & (f < hi)
    return float(f[band][np.argmax(spec[band])])


def test_shape_dtype_and_determinism():
    sig = Signature.for_label("shahed")
    traj = Trajectory.line((-1000, 200, 150), (45, 0, 0), 60)
    a = synthesize(sig, traj, ArrayGeometry.square(), duration_s=1.0, t0=5.0, seed=3)
    b = synthesize(sig, traj, ArrayGeometry.square(), duration_s=1.0, t0=5.0, seed=3)
    c = synthesize(sig, traj, ArrayGeometry.square(), duration_s=1.0, t0=5.0, seed=4)
    assert a.shape == (4, FS) and a.dtype == np.float32
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_level_at_range_is_source_level_minus_spreading():
    sig = Signature.for_label("shahed")
    x = synthesize(sig, Trajectory.static((100.0, 0.0, 0.0)), ArrayGeometry.single(),
                   duration_s=2.0, env=QUIET)
    assert spl_db(x) == pytest.approx(sig.source_level_db - 40.0, abs=0.5)


def test_broadband_absorption_at_3_km():
    sig = Signature.for_label("jet", tones=())
    r = 3000.0
    x = synthesize(sig, Trajectory.static((r, 0.0, 0.0)), ArrayGeometry.single(),
                   duration_s=2.0, env=QUIET)
    f = np.fft.rfftfreq(4096, 1.0 / FS)
    psd = sig.broadband_psd_db(f) - 20 * np.log10(r) - absorption_db_per_m(f) * r
    expected = 10 * np.log10(np.sum(10 ** (psd / 10)) * (f[1] - f[0]))
    assert spl_db(x) == pytest.approx(expected, abs=0.5)
    assert expected < sig.source_level_db - 20 * np.log10(r) - 5.0  # absorption matters here


@pytest.mark.parametrize("vx", [60.0, -60.0])
def test_doppler_shift_follows_range_rate(vx: float):
    sig = Signature.for_label("shahed", f0_wander=0.0)
    traj = Trajectory.line((-3000.0 * np.sign(vx), 0.0, 100.0), (vx, 0.0, 0.0), 100.0)
    x = synthesize(sig, traj, ArrayGeometry.single(), duration_s=4.0, t0=20.0, env=QUIET)
    c = QUIET.speed_of_sound
    tau = 22.0 - float(traj.range_to(22.0)) / c
    pos = traj.position(tau)
    rdot = float(pos @ np.array([vx, 0.0, 0.0]) / np.linalg.norm(pos))
    expected = 200.0 / (1.0 + rdot / c)
    assert abs(expected - 200.0) > 25.0
    assert _peak_hz(x[0], 120.0, 300.0) == pytest.approx(expected, abs=0.5)


def test_propagation_delay_is_applied():
    # Two mics 100 m apart on the line to the source: the far one hears it 100/c s later.
    sig = Signature.for_label("jet")
    arr = ArrayGeometry.from_positions(np.array([[0, 0, 0], [-100.0, 0, 0]]))
    x = synthesize(sig, Trajectory.static((100.0, 0.0, 0.0)), arr, duration_s=1.5,
                   env=QUIET).astype(float)
    n = 2 * x.shape[1]
    cc = np.fft.irfft(np.fft.rfft(x[1], n) * np.conj(np.fft.rfft(x[0], n)))
    expected = 100.0 / QUIET.speed_of_sound * FS
    assert int(np.argmax(cc[: n // 2])) == pytest.approx(expected, abs=1.0)


def test_array_tdoa_matches_geometry():
    az = np.radians(60.0)
    src = 400.0 * np.array([np.sin(az), np.cos(az), 0.0])
    arr = ArrayGeometry.from_positions(np.array([[0, 0, 0], [1.0, 0, 0]]))
    x = synthesize(Signature.for_label("jet"), Trajectory.static(src), arr, duration_s=1.0,
                   env=QUIET).astype(float)
    n = 2 * x.shape[1]
    cc = np.fft.irfft(np.fft.rfft(x[1], n) * np.conj(np.fft.rfft(x[0], n)))
    lags = np.r_[np.arange(-100, 0), np.arange(0, 100)]
    lag = lags[np.argmax(np.r_[cc[-100:], cc[:100]])]
    expected = -np.sin(az) * 1.0 / QUIET.speed_of_sound * FS  # east mic hears it earlier
    assert lag == pytest.approx(expected, abs=1.0)


def test_noise_only_level_matches_environment():
    silent = Signature.for_label("shahed", source_level_db=-100.0)
    x = synthesize(silent, Trajectory.static((1000, 0, 0)), ArrayGeometry.square(),
                   duration_s=2.0, env=Environment(ambient="urban", wind_m_s=0.0))
    # Unweighted level of the urban preset (60 dB(A)) is ~68.7 dB.
    assert spl_db(x) == pytest.approx(68.7, abs=1.0)
    # Diffuse ambient is coherent between mics 10 cm apart (mostly low frequency).
    assert np.corrcoef(x[0], x[1])[0, 1] > 0.8
    windy = synthesize(silent, Trajectory.static((1000, 0, 0)), ArrayGeometry.square(),
                       duration_s=2.0, env=Environment(ambient="quiet", wind_m_s=10.0))
    assert np.corrcoef(windy[0], windy[1])[0, 1] < 0.3  # wind noise is local to each mic


def test_ground_reflection_adds_the_image_path():
    sig = Signature.for_label("shahed", f0_wander=0.0)
    traj = Trajectory.static((2000.0, 0.0, 20.0))
    direct = synthesize(sig, traj, ArrayGeometry.single(), duration_s=1.0, env=QUIET)
    env = Environment(ambient="quiet", wind_m_s=0.0, ground_reflection=True,
                      ground_reflection_coeff=1.0)
    both = synthesize(sig, traj, ArrayGeometry.single(), duration_s=1.0, env=env)
    # Grazing incidence, low frequencies: the rays add nearly in phase (up to +6 dB).
    assert 3.0 < spl_db(both) - spl_db(direct) <= 6.1


def test_every_signature_synthesises():
    for label in ("gerbera", "helicopter", "multicopter", "propeller_aircraft", "bird"):
        x = synthesize(Signature.for_label(label), Trajectory.static((50, 0, 10)),
                       ArrayGeometry.single(), duration_s=1.0, env=QUIET)
        assert np.all(np.isfinite(x)) and spl_db(x) > 40.0
    for variant in ("road_traffic", "generator", "wind"):
        x = synthesize(Signature.for_label("background", variant=variant),
                       Trajectory.static((50, 0, 0)), ArrayGeometry.single(), duration_s=1.0,
                       env=QUIET)
        assert spl_db(x) > 40.0
    gen = synthesize(Signature.for_label("background", variant="generator", f0_wander=0.0),
                     Trajectory.static((20, 0, 0)), ArrayGeometry.single(), duration_s=1.0,
                     env=QUIET)
    assert _peak_hz(gen[0], 30.0, 400.0) == pytest.approx(100.0, abs=1.0)


def test_calibration_and_wav(tmp_path: Path):
    sf = pytest.importorskip("soundfile")
    t = np.arange(FS) / FS
    one_pa = np.sqrt(2.0) * np.sin(2 * np.pi * 1000 * t)  # 94 dB SPL
    d = to_dbfs(one_pa)
    assert 20 * np.log10(np.sqrt(np.mean(d.astype(float) ** 2)) * np.sqrt(2)) == pytest.approx(
        -26.02, abs=0.01)  # 1 Pa is 93.98 dB SPL
    assert np.allclose(from_dbfs(d), one_pa, atol=1e-5)
    assert float(np.max(to_dbfs(np.array([1e4])))) == 1.0  # clips like an ADC
    path = tmp_path / "a.wav"
    write_wav(path, np.stack([one_pa, -one_pa]), FS)
    data, fs = sf.read(str(path))
    assert fs == FS and data.shape == (FS, 2)
    assert np.allclose(from_dbfs(data[:, 0]), one_pa, atol=1e-4)


def test_array_yaml(tmp_path: Path):
    shipped = Path(__file__).parents[1] / "src/dronewall/acoustic/data/arrays/square_10cm.yaml"
    arr = ArrayGeometry.from_yaml(shipped)
    assert arr.n_channels == 4 and arr.aperture_m == pytest.approx(0.1 * np.sqrt(2))
    assert np.allclose(arr.positions, ArrayGeometry.square(0.1).positions)
    bad = tmp_path / "bad.yaml"
    bad.write_text("mics:\n  - [0, 0]\n")
    with pytest.raises(BadInput, match=r"mics\[0\]"):
        ArrayGeometry.from_yaml(bad)
    with pytest.raises(BadInput, match="cannot read"):
        ArrayGeometry.from_yaml(tmp_path / "missing.yaml")


def test_trajectory_validation():
    with pytest.raises(ValueError):
        Trajectory(np.array([0.0, 0.0]), np.zeros((2, 3)))
    with pytest.raises(ValueError):
        Trajectory(np.array([0.0, 1.0]), np.zeros((3, 3)))
    tr = Trajectory.line((0, 0, 0), (10, 0, 0), 10.0, t_start=5.0)
    assert np.allclose(tr.position(10.0), [50, 0, 0])
    assert np.allclose(tr.position(100.0), [100, 0, 0])  # held after the end
    assert np.allclose(tr.velocity(7.0), [10, 0, 0])


def test_time_base_shift_invariance_at_posix_times():
    sig = Signature.for_label("shahed")
    traj = Trajectory.line((-1500, 300, 200), (50, 0, 0), 60)
    t_big = 1.7e9
    moved = Trajectory(traj.times + t_big, traj.enu)
    a = synthesize(sig, traj, ArrayGeometry.square(), duration_s=0.5, t0=10.0, seed=1)
    b = synthesize(sig, moved, ArrayGeometry.square(), duration_s=0.5, t0=t_big + 10.0, seed=1)
    assert np.allclose(a, b, atol=1e-6 * float(np.max(np.abs(a))))
