"""Acoustic nodes in the simulator: the calibrated fast model, full physics through the
node pipeline, their agreement, and the scenario fields that choose between them."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from dronewall.acoustic.synthesis import synthesize
from dronewall.geo.frames import GEOD
from dronewall.model import BearingOnly, Tdoa
from dronewall.sim import catalog
from dronewall.sim.acoustic_classes import calibrated_class_probs, noise_class_probs
from dronewall.sim.acoustic_nodes import (
    _enu_path,
    _signature,
    _silent,
    environment,
    geometry,
    model,
    simulate_fast,
    simulate_full,
)
from dronewall.sim.kinematics import Trajectory, build_trajectory
from dronewall.sim.loader import ScenarioError, load_scenario, parse_scenario
from dronewall.sim.scenario import AcousticNodeSpec, Position, Target, Waypoint
from dronewall.sim.sensors import _Site, emission_times

T0 = 1_757_462_400.0
SITE = Position(lat=52.0, lon=21.0, alt=10.0)


def hover(slant_m: float, duration_s: float, az_deg: float = 60.0,
          type_name: str = "shahed") -> Trajectory:
    """A target holding still ``slant_m`` from SITE, 8 degrees above the horizon."""
    el = math.radians(8.0)
    lon, lat, _ = GEOD.fwd(SITE.lon, SITE.lat, az_deg, slant_m * math.cos(el))
    h = SITE.alt + slant_m * math.sin(el)
    wps = [Waypoint(lat=lat, lon=lon, alt=h, time="+0"),
           Waypoint(lat=lat, lon=lon, alt=h, time=f"+{duration_s}")]
    return build_trajectory(Target(id=f"h{slant_m:.0f}", type=type_name, route=wps), T0)


def node(**kw: object) -> AcousticNodeSpec:
    args: dict[str, object] = {"id": "n1", "position": SITE}
    args.update(kw)
    return AcousticNodeSpec(**args)  # type: ignore[arg-type]


def range_at(pd: float, spec: AcousticNodeSpec, tr: Trajectory) -> float:
    return model().range_at_pd(_signature(tr), pd, environment(spec))


# --------------------------------------------------------------------------- fields


def test_model_defaults_to_fast_and_stand_in_fields_mean_simple() -> None:
    assert node().resolved_model == "fast" and node().ambient_name == "rural_night"
    assert node(pd=0.9).resolved_model == "simple"
    assert node(sigma_azimuth_deg=0.5).resolved_model == "simple"
    assert node(model="full").resolved_model == "full"
    assert geometry(node()).n_channels == 4 and geometry(node()).aperture_m == pytest.approx(
        0.1 * math.sqrt(2))


# --------------------------------------------------------------------------- fast


def test_fast_mode_detects_and_errs_as_calibrated() -> None:
    """A source held at the fast model's Pd = 0.5 range: detection rate, SNR and azimuth
    scatter are the calibration's (binomial / chi-square allowances at 4 sigma)."""
    spec = node()
    tr = hover(1000.0, 10.0)
    r50 = range_at(0.5, spec, tr)
    tr = hover(r50, 2100.0)
    dets = simulate_fast(spec, [tr], T0 + 60.0, T0 + 2060.0, seed=3)
    bearings = [d for d in dets if isinstance(d.measurement, BearingOnly)]
    n = 2000
    m, env = model(), environment(spec)
    p = float(m.p_detect(r50, _signature(tr), env))
    assert p == pytest.approx(0.5, abs=0.02)
    assert abs(len(bearings) - n * p) <= 4 * math.sqrt(n * p * (1 - p))
    snr = float(m.snr_db(r50, _signature(tr), env))
    sigma = float(m.sigma_deg(snr, "shahed"))
    err = np.array([(d.measurement.azimuth - 60.0 + 180.0) % 360.0 - 180.0  # type: ignore[union-attr]
                    for d in bearings])
    k = len(err)
    assert abs(err.std() / sigma - 1.0) < 4 / math.sqrt(2 * k)
    d0 = bearings[0]
    assert d0.measurement.elevation is None  # type: ignore[union-attr]  # planar array
    s0 = float(m.sigma_deg(d0.snr_db, "shahed"))  # type: ignore[arg-type]
    assert d0.covariance == [[pytest.approx(s0**2, rel=3e-3)]]  # snr_db is rounded
    assert d0.snr_db == pytest.approx(snr, abs=0.01)
    assert d0.class_probs == calibrated_class_probs("shahed", d0.snr_db)  # type: ignore[arg-type]
    # beyond the hearing range nothing but (rare) false alarms
    far = hover(3 * r50, 2100.0)
    assert all(":fa" in d.id for d in simulate_fast(spec, [far], T0 + 60, T0 + 2060, 3))


def test_fast_mode_bearing_points_at_the_emission_time_position() -> None:
    """A Shahed passing 1.5 km from the node: each azimuth is the emission-time one."""
    lon_a, lat_a, _ = GEOD.fwd(SITE.lon, SITE.lat, 0.0, 1500.0)
    lon1, lat1, _ = GEOD.fwd(lon_a, lat_a, 270.0, 3000.0)
    lon2, lat2, _ = GEOD.fwd(lon_a, lat_a, 90.0, 3000.0)
    tr = build_trajectory(Target(id="s", type="shahed", route=[
        Waypoint(lat=lat1, lon=lon1, alt=300.0, time="+0"),
        Waypoint(lat=lat2, lon=lon2, alt=300.0, time="+120")]), T0)
    spec = node(elevation_sigma_deg=2.0)
    dets = [d for d in simulate_fast(spec, [tr], T0, T0 + 130.0, seed=1)
            if ":fa" not in d.id]
    assert len(dets) > 100
    site = _Site(SITE)
    t = np.array([d.time for d in dets])
    te = emission_times(tr, site.ecef, t, environment(spec).speed_of_sound)
    _, az_e, el_e = site.look(tr.ecef(te))
    _, az_a, _ = site.look(tr.ecef(t))
    az = np.array([d.measurement.azimuth for d in dets])  # type: ignore[union-attr]
    el = np.array([d.measurement.elevation for d in dets])  # type: ignore[union-attr]
    sig = np.sqrt(np.array([d.covariance[0][0] for d in dets]))
    assert np.all(np.abs((az - az_e + 180) % 360 - 180) < 5 * sig)
    assert np.all(np.abs(el - el_e) < 5 * 2.0)
    off_e = np.abs((az - az_e + 180) % 360 - 180)
    off_a = np.abs((az - az_a + 180) % 360 - 180)
    assert np.median(np.abs((az_a - az_e + 180) % 360 - 180)) > 4.0  # ~4.5 s of flight
    assert np.median(off_e) < 0.5 * np.median(off_a)


def test_fast_mode_false_alarms_at_the_detector_pfa() -> None:
    """No target, 30 days of 1-s decisions: Binomial(n, 1.2e-5) false bearings."""
    spec = node()
    n = 30 * 86400
    dets = simulate_fast(spec, [], T0, T0 + n, seed=9)
    p = model().pfa["rural_night"]
    assert abs(len(dets) - n * p) <= 5 * math.sqrt(n * p)
    assert all(d.class_probs == noise_class_probs() for d in dets)
    az = np.array([d.measurement.azimuth for d in dets])  # type: ignore[union-attr]
    assert az.min() >= 0.0 and az.max() < 360.0


def test_fast_mode_tdoa_needs_both_nodes_to_detect() -> None:
    from dronewall.sim.scenario import TdoaPartner

    lon2, lat2, _ = GEOD.fwd(SITE.lon, SITE.lat, 90.0, 800.0)
    spec = node(tdoa_partner=TdoaPartner(id="n2", position=Position(lat=lat2, lon=lon2,
                                                                    alt=SITE.alt)))
    near = hover(2000.0, 400.0)
    dets = simulate_fast(spec, [near], T0 + 30, T0 + 330, seed=2)
    tdoa = [d for d in dets if isinstance(d.measurement, Tdoa)]
    bear = [d for d in dets if isinstance(d.measurement, BearingOnly)]
    assert 250 <= len(tdoa) <= len(bear) <= 300


# --------------------------------------------------------------------------- full


def test_full_mode_sums_sources_over_one_noise() -> None:
    """The synthesiser's noise depends only on its seed: a silent copy of a source gives
    exactly the noise that full mode removes from every source but the first. Shown by
    removing it in two ambients 20 dB apart: what is left (the source) is the same."""
    spec = node(model="full")
    tr = hover(2000.0, 100.0)
    site = _Site(SITE)
    path = _enu_path(site, tr, T0 + 10.0, T0 + 12.0)
    sig = _signature(tr)
    left = []
    for ambient in ("rural_night", "urban"):
        env = environment(node(model="full", ambient=ambient))
        kw = {"fs": 16000, "duration_s": 1.0, "t0": T0 + 11.0, "env": env, "seed": 77}
        loud = synthesize(sig, path, geometry(spec), **kw).astype(float)  # type: ignore[arg-type]
        quiet = synthesize(_silent(sig), path, geometry(spec), **kw)  # type: ignore[arg-type]
        noise_rms = float(np.sqrt(np.mean(quiet.astype(float) ** 2)))
        assert noise_rms > 1e-3  # ambient + wind + self-noise, Pa
        left.append(loud - quiet)
    source_rms = float(np.sqrt(np.mean(left[0] ** 2)))
    assert source_rms > 1e-3  # a Shahed at 2 km: ~45 dB SPL
    assert float(np.max(np.abs(left[0] - left[1]))) < 1e-4 * source_rms + 1e-6


def test_full_and_fast_agree_near_and_far() -> None:
    """Full physics (synthesised audio through the node pipeline) against the fast model
    at the fast model's Pd = 0.99 and Pd = 0.01 ranges, 12 frames each (the transition
    is compared over 100 frames a range in bench/acoustic_sim_modes.py: it is slow).

    Allowance: |Pd_full - Pd_fast| <= 0.05 + 2 SE, SE = sqrt(max(p(1-p), 0.25/n)/n)
    with p the fast Pd and n the frames (the 0.25/n floor keeps SE > 0 at p ~ 0 or 1)."""
    full, fast = node(model="full"), node()
    probe = hover(1000.0, 10.0)
    n = 12
    for pd_level, az in ((0.99, 60.0), (0.01, 200.0)):
        r = range_at(pd_level, fast, probe)
        tr = hover(r, 60.0, az)
        dets = simulate_full(full, [tr], T0 + 30.0, T0 + 30.0 + n, seed=4)
        p = float(model().p_detect(r, _signature(tr), environment(fast)))
        pd_full = len({d.frame for d in dets}) / n
        se = math.sqrt(max(p * (1 - p), 0.25 / n) / n)
        assert abs(pd_full - p) <= 0.05 + 2 * se, (r, pd_full, p)
        errs, sigmas = [], []
        for d in dets:
            assert isinstance(d.measurement, BearingOnly) and d.snr_db is not None
            assert d.class_probs and sum(d.class_probs.values()) <= 1.0 + 1e-6
            assert d.frame is not None and d.time == T0 + 30.0 + d.frame
            if d.id.endswith(":0"):  # the frame's first bearing (a second may be a ghost)
                errs.append(abs((d.measurement.azimuth - az + 180.0) % 360.0 - 180.0))
                sigmas.append(math.sqrt(d.covariance[0][0]))
        if pd_level > 0.5:  # a clear source: most bearings near the truth (the node's DOA
            # has outliers near its threshold, as the bench shows)
            good = np.array(errs) < 4 * np.array(sigmas) + 2.0
            assert good.mean() >= 0.75 and np.median(errs) < 5.0, (errs, sigmas)


# --------------------------------------------------------------------------- loader


TEXT = """\
schema: 1
name: modes
title: acoustic modes
start: 2025-09-10T00:00:00Z
end: +600
watch: [POL]
node_lines:
  - id: ac
    first: {lat: 52.0, lon: 23.0}
    last: {lat: 52.0, lon: 23.1}
    count: 3
    model: fast
    ambient: rural_night
targets:
  - id: t1
    type: shahed
    route:
      - {lat: 52.02, lon: 23.05, alt: 300, time: +0}
      - {lat: 51.98, lon: 23.05}
"""


def error(text: str, tmp_path: Path) -> ScenarioError:
    p = tmp_path / "s.yaml"
    p.write_text(text)
    with pytest.raises(ScenarioError) as e:
        load_scenario(p)
    return e.value


def test_scenario_fields_reach_the_nodes() -> None:
    sc = parse_scenario(TEXT.replace("ambient: rural_night", "ambient: suburban\n"
                                     "    wind_m_s: 4\n    elevation_sigma_deg: 2"))
    s = sc.sensors[0]
    assert isinstance(s, AcousticNodeSpec)
    assert (s.resolved_model, s.ambient_name, s.wind, s.elevation_sigma_deg) == (
        "fast", "suburban", 4.0, 2.0)


def test_loader_errors_name_the_field(tmp_path: Path) -> None:
    e = error(TEXT.replace("    ambient: rural_night\n",
                           "    ambient: rural_night\n    pd: 0.9\n"), tmp_path)
    assert e.field == "node_lines[0].pd" and e.line == 14
    assert "model: simple" in e.message
    e = error(TEXT.replace("ambient: rural_night", "ambient: downtown"), tmp_path)
    assert e.field == "node_lines[0].ambient" and "rural_night" in e.message
    assert e.line == 13
    e = error(TEXT.replace("model: fast", "ambient_db: 30"), tmp_path)
    assert e.field == "node_lines[0].ambient" and "ambient_db is set" in e.message
    e = error(TEXT.replace("model: fast", "model: full\n    period_s: 2"), tmp_path)
    assert e.field == "node_lines[0].period_s" and "1-s frames" in e.message
    e = error(TEXT.replace("model: fast", "model: full\n    elevation_sigma_deg: 3"), tmp_path)
    assert e.field == "node_lines[0].elevation_sigma_deg"
    tri = "[[0.1, 0, 0], [-0.05, 0.0866, 0], [-0.05, -0.0866, 0]]"
    e = error(TEXT.replace("model: fast", f"model: fast\n    array: {tri}"), tmp_path)
    assert e.field == "node_lines[0].array" and "model: full" in e.message
    ok = parse_scenario(TEXT.replace("model: fast", f"model: full\n    array: {tri}"))
    assert geometry(ok.sensors[0]).n_channels == 3  # type: ignore[arg-type]
    e = error(TEXT.replace("model: fast", "model: fast\n    array: [[0, 0]]"), tmp_path)
    assert e.field.startswith("node_lines[0].array")


def test_a_target_without_a_sound_is_refused(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(catalog.CATALOG, "rocket", catalog.TargetType(
        "rocket", "missile", "rocket_motor", 600.0, 5000.0, 0.05, 150.0, "a rocket"))
    text = TEXT.replace("type: shahed", "type: rocket")
    e = error(text, tmp_path)
    assert e.field == "targets[0].type" and "rocket_motor" in e.message
    # a scenario whose nodes all run the stand-in does not need a signature
    assert parse_scenario(text.replace("model: fast\n    ambient: rural_night",
                                       "ambient_db: 30")).targets[0].type == "rocket"


def test_node_registration_states_the_model_and_its_range() -> None:
    from dronewall.sim.sensors import sensor_message

    s = sensor_message(node(ambient="suburban"), T0)
    assert s.details["model"] == "fast" and s.details["ambient"] == "suburban"
    shahed = catalog.target_type("shahed")
    want = model().range_at_pd(_signature(hover(1000.0, 10.0)), 0.5,
                               environment(node(ambient="suburban")))
    assert shahed.source_level_db == 115.0 and s.max_range_m == pytest.approx(want)
    old = sensor_message(node(pd=0.9), T0)
    assert old.details["model"] == "simple" and old.max_range_m == 8000.0


def test_builtin_acoustic_scenarios_choose_their_models() -> None:
    def models(name: str) -> set[str]:
        return {s.resolved_model for s in load_scenario(name).sensors
                if isinstance(s, AcousticNodeSpec)}

    assert models("poland-2025-09-10-acoustic") == {"fast"}
    assert models("acoustic-wall") == {"fast"}
    assert models("poland-2025-09-10") == {"simple"}  # written for the stand-in
