"""Bearings: NormMUSIC on harmonic bins, SRP-PHAT fallback, and the Cramér–Rao bound."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.acoustic.arrays import ArrayGeometry
from dronewall.acoustic.detector import analyse
from dronewall.acoustic.doa import DoaEstimator, crb_deg, spread
from dronewall.acoustic.framing import FrameSpec, stft

FS = 16000
GEO = ArrayGeometry.square(0.10)


def plane_wave(bearing_deg: float, f0: float = 117.0, n_harm: int = 12, amp: float = 0.05,
               noise: float = 0.1, seed: int = 0, geo: ArrayGeometry = GEO) -> np.ndarray:
    """A harmonic source far away at ``bearing_deg`` (from north) on the horizon."""
    rng = np.random.default_rng(seed)
    t = np.arange(FS) / FS
    u = np.array([np.sin(np.radians(bearing_deg)), np.cos(np.radians(bearing_deg)), 0.0])
    tau = -(geo.positions @ u) / 343.0  # mics nearer the source hear it earlier
    sig = np.array([sum(amp * np.sin(2 * np.pi * f0 * k * (t - tm) + k)
                        for k in range(1, n_harm + 1)) for tm in tau])
    return sig + noise * rng.standard_normal(sig.shape)


@pytest.fixture(scope="module")
def est() -> DoaEstimator:
    return DoaEstimator(GEO, FS)


@pytest.mark.parametrize("bearing", [0.0, 37.0, 90.0, 181.0, 300.0])
def test_music_finds_the_bearing_on_harmonic_bins(est, bearing):
    spec = FrameSpec()
    x = stft(plane_wave(bearing, seed=int(bearing)), spec)
    a = analyse(x, spec)
    bins = a.harm.bins[a.harm.bins <= est.max_bin]
    rho = (a.p[bins] - a.floor[bins]) / a.floor[bins]
    b = est.estimate(x, bins, rho)
    assert b.method == "normmusic" and b.n_bins >= 5
    err = abs((b.azimuth - bearing + 180) % 360 - 180)
    assert err < 2.0
    assert 0.5 <= b.sigma < 5.0


def test_srp_phat_fallback_without_harmonic_bins(est):
    rng = np.random.default_rng(3)
    # broadband source (a jet's noise), no harmonics: SRP-PHAT over 200-3000 Hz
    s = rng.standard_normal(FS + 64)
    bearing = 135.0
    u = np.array([np.sin(np.radians(bearing)), np.cos(np.radians(bearing)), 0.0])
    delays = -(GEO.positions @ u) / 343.0 * FS
    f = np.fft.rfftfreq(len(s), 1 / FS)
    spec_s = np.fft.rfft(s)
    x = np.array([np.fft.irfft(spec_s * np.exp(-2j * np.pi * f * d / FS), len(s))[:FS]
                  for d in delays]) + 0.2 * rng.standard_normal((4, FS))
    b = est.estimate(stft(x, FrameSpec()), np.array([], dtype=int), np.array([]))
    assert b.method == "srp-phat"
    assert abs((b.azimuth - bearing + 180) % 360 - 180) < 5.0


def test_crb_closed_form_for_the_square():
    # G = L^2 in every direction for a square of side L
    for az in (0.0, 30.0, 77.0):
        assert spread(GEO, az) == pytest.approx(0.01, rel=1e-9)
    rho, n, f = 10.0, 8.0, 500.0
    k = 2 * np.pi * f / 343.0
    expect = np.degrees(np.sqrt((1 + 1 / (4 * rho)) / (2 * n * rho * k**2 * 0.01)))
    assert crb_deg(GEO, np.array([f]), np.array([rho]), n) == pytest.approx(expect, rel=1e-9)
    # more SNR, more harmonics, bigger array: a smaller bound
    assert crb_deg(GEO, np.array([f]), np.array([100.0]), n) < expect
    assert crb_deg(GEO, np.array([f, 2 * f]), np.array([rho, rho]), n) < expect
    assert crb_deg(ArrayGeometry.square(0.2), np.array([f]), np.array([rho]), n) < expect


def test_error_spread_is_near_the_bound(est):
    """Over many noisy frames the MUSIC error spread stays within a few CRBs."""
    spec = FrameSpec()
    errs, crbs = [], []
    for seed in range(12):
        x = stft(plane_wave(60.0, amp=0.01, noise=0.1, seed=seed), spec)
        a = analyse(x, spec)
        bins = a.harm.bins[a.harm.bins <= est.max_bin]
        rho = np.maximum(a.p[bins] - a.floor[bins], 0) / a.floor[bins]
        b = est.estimate(x, bins, rho)
        errs.append((b.azimuth - 60.0 + 180) % 360 - 180)
        crbs.append(b.crb)
    rmse = float(np.sqrt(np.mean(np.square(errs))))
    assert 0.3 * np.median(crbs) < rmse < 5 * np.median(crbs) + 0.5


def test_same_spectra_as_pyroomacoustics(est):
    pra = pytest.importorskip("pyroomacoustics")
    x = stft(plane_wave(200.0, seed=9), FrameSpec())
    bins = np.array([15, 30, 45, 60, 75, 90, 105])
    locs = GEO.positions[:, :2].T
    music = pra.doa.algorithms["NormMUSIC"](locs, FS, 2048, c=343.0, num_src=1,
                                             azimuth=est._az)
    music.locate_sources(x, freq_bins=bins)
    np.testing.assert_allclose(est.normmusic(x, bins), music.grid.values, atol=1e-5)
    srp = pra.doa.algorithms["SRP"](locs, FS, 2048, c=343.0, num_src=1, azimuth=est._az)
    fb = np.arange(26, 300)
    srp.locate_sources(x, freq_bins=fb)
    assert est._peak(est.srp_phat(x, fb)) == pytest.approx(est._peak(srp.grid.values), abs=0.5)
