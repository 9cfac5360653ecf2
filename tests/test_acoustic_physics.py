"""Propagation, noise and signature physics checked against published numbers."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.acoustic.noise import (
    AMBIENT_PRESETS,
    a_weighting_db,
    ambient_psd_db,
    level_db,
    noise_psd_db,
    wind_psd_db,
)
from dronewall.acoustic.propagation import (
    Environment,
    absorption_db_per_m,
    doppler_factor,
    ground_effect_db,
    speed_of_sound,
    transmission_loss_db,
)
from dronewall.acoustic.signatures import ACOUSTIC_LABELS, CATALOGUE, Signature

# ISO 9613-2:1996 Table 2 (computed by its authors with ISO 9613-1), dB/km at the octave
# mid-band frequencies 63 Hz .. 8 kHz, for (temperature degC, relative humidity %).
ISO_9613_2_TABLE2 = {
    (10.0, 70.0): [0.1, 0.4, 1.0, 1.9, 3.7, 9.7, 32.8, 117.0],
    (20.0, 70.0): [0.1, 0.3, 1.1, 2.8, 5.0, 9.0, 22.9, 76.6],
    (30.0, 70.0): [0.1, 0.3, 1.0, 3.1, 7.4, 12.7, 23.1, 59.3],
    (15.0, 20.0): [0.3, 0.6, 1.2, 2.7, 8.2, 28.2, 88.8, 202.0],
    (15.0, 50.0): [0.1, 0.5, 1.2, 2.2, 4.2, 10.8, 36.2, 129.0],
    (15.0, 80.0): [0.1, 0.3, 1.1, 2.4, 4.1, 8.3, 23.7, 82.8],
}
OCTAVES_HZ = 1000.0 * 10.0 ** (0.3 * np.arange(-4, 4))  # exact base-10 mid-band: 63.1 .. 7943


@pytest.mark.parametrize(("cond", "table"), ISO_9613_2_TABLE2.items())
def test_absorption_matches_the_standards_table(cond: tuple[float, float], table: list[float]):
    got = absorption_db_per_m(OCTAVES_HZ, cond[0], cond[1], 101.325) * 1000.0
    # The table is rounded to 0.1 dB/km (three significant figures above 100).
    np.testing.assert_allclose(got, table, rtol=0.02, atol=0.06)


def test_absorption_brief_check_values_at_15c_70pct():
    a200, a1k = absorption_db_per_m([200.0, 1000.0], 15.0, 70.0, 101.325) * 1000.0
    assert a200 == pytest.approx(0.82, abs=0.02)  # ~0.8 dB/km
    assert a1k == pytest.approx(4.08, abs=0.03)  # ~4 dB/km


def test_absorption_grows_with_frequency_and_depends_on_humidity():
    a = absorption_db_per_m([100, 500, 2000, 8000], 15.0, 70.0)
    assert np.all(np.diff(a) > 0)
    assert absorption_db_per_m(4000.0, 15.0, 20.0) > 3 * absorption_db_per_m(4000.0, 15.0, 80.0)


def test_speed_of_sound_and_delay():
    assert float(speed_of_sound(0.0)) == pytest.approx(331.3)
    assert float(speed_of_sound(20.0)) == pytest.approx(343.2, abs=0.2)
    assert Environment(temperature_c=15).speed_of_sound == pytest.approx(340.3, abs=0.1)


def test_transmission_loss_is_spreading_plus_absorption():
    tl = transmission_loss_db(1000.0, 2000.0, Environment())
    assert float(tl) == pytest.approx(20 * np.log10(2000.0) + 2.0 * 4.08, abs=0.1)


def test_doppler_factor_sign():
    c = Environment().speed_of_sound
    assert float(doppler_factor(-50.0)) == pytest.approx(c / (c - 50.0))  # approaching: higher
    assert float(doppler_factor(50.0)) < 1.0


def test_ground_effect_two_ray():
    env = Environment(ground_reflection=True, ground_reflection_coeff=1.0, mic_height_m=1.5)
    # Far away at grazing incidence both rays are in phase at low frequency: +6 dB.
    assert float(ground_effect_db(10.0, 5000.0, 10.0, env)) == pytest.approx(6.0, abs=0.1)
    # Path difference 2 hs hr / d = 0.5 m -> first null at c / (2 * 0.5) = 340 Hz.
    null = env.speed_of_sound / (2 * 2 * 50.0 * 1.5 / 300.0)
    assert float(ground_effect_db(null, 300.0, 50.0, env)) < -20.0
    assert float(ground_effect_db(null, 300.0, 50.0, Environment())) == 0.0


def test_a_weighting_reference_points():
    # IEC 61672-1 Table 3: -26.2 dB at 63 Hz, -8.6 at 250 Hz, 0 at 1 kHz, +1.2 at 2 kHz.
    np.testing.assert_allclose(a_weighting_db([63.1, 251.2, 1000.0, 1995.0]),
                               [-26.2, -8.6, 0.0, 1.2], atol=0.1)


@pytest.mark.parametrize("name", list(AMBIENT_PRESETS))
def test_ambient_presets_integrate_to_their_a_level(name: str):
    f = np.arange(1.0, 8001.0)
    assert level_db(ambient_psd_db(f, name), f, "A") == pytest.approx(
        AMBIENT_PRESETS[name].la_db, abs=0.3)


def test_ambient_ordering_and_ranges():
    f = np.arange(1.0, 8001.0)
    rural = level_db(ambient_psd_db(f, "rural_night"), f, "A")
    urban = level_db(ambient_psd_db(f, "urban"), f, "A")
    assert 30.0 <= rural <= 35.0
    assert 55.0 <= urban <= 65.0
    with pytest.raises(ValueError, match="unknown ambient"):
        ambient_psd_db(f, "moon")


def test_wind_noise_grows_with_speed_and_is_low_frequency():
    f = np.array([20.0, 100.0, 1000.0])
    low, high = wind_psd_db(f, 2.0), wind_psd_db(f, 8.0)
    assert np.all(high > low + 20.0)  # 40 log10(4) + 23 log10(4) = 38 dB in the fit's range
    assert high[0] > high[1] > high[2]
    # At 8 m/s wind noise dominates a rural night below 100 Hz.
    env = Environment(wind_m_s=8.0)
    assert float(noise_psd_db(30.0, env)) > float(ambient_psd_db(30.0, "rural_night")) + 10


def test_every_label_has_a_signature_with_that_label():
    for label in ACOUSTIC_LABELS:
        assert Signature.for_label(label).label == label
    assert Signature.for_label("jet", variant="cruise_missile").name == "cruise_missile"
    with pytest.raises(ValueError):
        Signature.for_label("ufo")
    with pytest.raises(ValueError):
        Signature.for_label("shahed", variant="helicopter")


def test_signature_source_level_and_overrides():
    sig = Signature.for_label("shahed")
    assert 180.0 <= sig.dominant_hz <= 220.0
    lo, hi = sig.level_range_db
    assert lo <= sig.source_level_db <= hi
    p2 = sum(float(np.sum(a**2)) for _, a in sig.tone_components()) + sig.broadband_rms_pa() ** 2
    assert 10 * np.log10(p2 / 4e-10) == pytest.approx(sig.source_level_db, abs=1e-9)
    louder = Signature.for_label("shahed", source_level_db=120.0, dominant_hz=180.0)
    assert louder.dominant_hz == pytest.approx(180.0)
    assert louder.tone_components()[0][1][1] == pytest.approx(
        sig.tone_components()[0][1][1] * 10 ** 0.5)


def test_catalogue_fundamentals_are_in_the_documented_bands():
    assert Signature.for_label("gerbera").dominant_hz > Signature.for_label("shahed").dominant_hz
    assert (Signature.for_label("gerbera").source_level_db
            < Signature.for_label("shahed").source_level_db)
    assert 10.0 <= CATALOGUE["helicopter"].tones[0].f0_hz <= 20.0
    assert 150.0 <= Signature.for_label("multicopter").dominant_hz <= 400.0
    assert 80.0 <= Signature.for_label("propeller_aircraft").dominant_hz <= 120.0
    gen = Signature.for_label("background", variant="generator")
    assert gen.dominant_hz == pytest.approx(100.0)
    assert Signature.for_label("jet").broadband is not None
