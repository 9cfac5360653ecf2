"""Node lines in scenario files and simulated TDOA between paired acoustic nodes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dronewall.geo.frames import GEOD, geodetic_to_ecef
from dronewall.model import Tdoa
from dronewall.sim.loader import ScenarioError, expand_node_line, load_scenario, parse_scenario
from dronewall.sim.scenario import LinePoint, NodeLine, Position, TdoaPartner
from dronewall.sim.sensors import simulate_acoustic, speed_of_sound
from test_sim_sensors import T0, flight, node

TEXT = """\
schema: 1
name: lines
title: node line test
start: 2025-09-10T00:00:00Z
end: +600
watch: [POL]
node_lines:
  - id: ac
    first: {lat: 52.0, lon: 23.0}
    last: {lat: 52.0, lon: 23.1}
    count: 5
    alt: 100
    ambient_db: 30
targets:
  - id: t1
    type: shahed
    route:
      - {lat: 52.02, lon: 23.05, alt: 300, time: +0}
      - {lat: 51.98, lon: 23.05}
"""


def test_node_line_expands_into_evenly_spaced_paired_nodes() -> None:
    sc = parse_scenario(TEXT)
    assert [s.id for s in sc.sensors] == ["ac-001", "ac-002", "ac-003", "ac-004", "ac-005"]
    d = [GEOD.inv(a.position.lon, a.position.lat, b.position.lon, b.position.lat)[2]
         for a, b in zip(sc.sensors, sc.sensors[1:], strict=False)]
    assert np.allclose(d, d[0], rtol=1e-6) and d[0] == pytest.approx(6860 / 4, rel=0.01)
    first, last = sc.sensors[0], sc.sensors[-1]
    assert first.tdoa_partner is not None and first.tdoa_partner.id == "ac-002"  # type: ignore[union-attr]
    assert last.tdoa_partner is None  # type: ignore[union-attr]
    assert first.ambient_db == 30 and first.position.alt == 100


def test_node_line_errors_name_file_line_field(tmp_path: Path) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(TEXT.replace("count: 5", "count: 1"))
    with pytest.raises(ScenarioError) as e:
        load_scenario(p)
    assert e.value.line == 11 and e.value.field == "node_lines[0].count"
    clash = TEXT.replace("node_lines:", """sensors:
  - {type: acoustic, id: ac-003, position: {lat: 52.1, lon: 23.0}}
node_lines:""")
    p.write_text(clash)
    with pytest.raises(ScenarioError) as e:
        load_scenario(p)
    assert e.value.field == "node_lines[0].id" and "ac-003" in e.value.message
    p.write_text(TEXT.replace(TEXT[TEXT.index("node_lines:"):TEXT.index("targets:")], ""))
    with pytest.raises(ScenarioError) as e:
        load_scenario(p)
    assert e.value.field == "sensors" and "at least one sensor" in e.value.message


def test_tdoa_reports_the_range_difference_at_emission_time() -> None:
    """A hovering source between two paired nodes: TDOA = (r1 - r2)/c, within noise."""
    spec = node(pd=1.0, ambient_db=30.0)
    lon2, lat2, _ = GEOD.fwd(spec.position.lon, spec.position.lat, 90.0, 800.0)
    partner = TdoaPartner(id="n2", position=Position(lat=lat2, lon=lon2, alt=spec.position.alt))
    spec = type(spec)(**{**{f: getattr(spec, f) for f in spec.__struct_fields__},
                         "tdoa_partner": partner, "sigma_tdoa_s": 1e-4})
    lon_t, lat_t, _ = GEOD.fwd(spec.position.lon, spec.position.lat, 60.0, 500.0)
    tr = flight("h", [(lat_t, lon_t, 300.0, "+0"), (lat_t, lon_t, 300.0, "+300")])
    dets = simulate_acoustic(spec, [tr], T0, T0 + 300.0, seed=3)
    tdoa = [d for d in dets if isinstance(d.measurement, Tdoa)]
    assert len(tdoa) > 200 and len(dets) - len(tdoa) > 200
    p = geodetic_to_ecef(lat_t, lon_t, 300.0)
    r1 = np.linalg.norm(p - geodetic_to_ecef(spec.position.lat, spec.position.lon,
                                             spec.position.alt))
    r2 = np.linalg.norm(p - geodetic_to_ecef(lat2, lon2, spec.position.alt))
    want = (r1 - r2) / speed_of_sound(spec.temperature_c)
    got = np.array([d.measurement.tdoa for d in tdoa])  # type: ignore[union-attr]
    assert abs(got.mean() - want) < 3e-5 and 0.5e-4 < got.std() < 1.5e-4
    assert tdoa[0].measurement.sensor2_id == "n2"  # type: ignore[union-attr]
    # adding the partner does not change the bearings' noise
    plain = simulate_acoustic(node(pd=1.0, ambient_db=30.0), [tr], T0, T0 + 300.0, seed=3)
    assert [d.measurement for d in dets if not isinstance(d.measurement, Tdoa)] == [
        d.measurement for d in plain]


def test_acoustic_wall_builtin_has_200_nodes_and_low_shaheds() -> None:
    sc = load_scenario("acoustic-wall")
    assert len(sc.sensors) == 200 and all(s.tdoa_partner is not None for s in sc.sensors[:-1])  # type: ignore[union-attr]
    a, b = sc.sensors[0].position, sc.sensors[-1].position
    assert GEOD.inv(a.lon, a.lat, b.lon, b.lat)[2] >= 100_000.0
    assert all(t.type == "shahed" and t.speed_mps == 50 for t in sc.targets)
    # the calibrated fast model: azimuth only, its error from the calibration (about 3.6
    # degrees at the Pd 0.5 range, the 3-degree bearings)
    assert {(s.resolved_model, s.ambient_name, s.elevation_sigma_deg)  # type: ignore[union-attr]
            for s in sc.sensors} == {("fast", "rural_night", None)}


def test_expand_node_line_of_two() -> None:
    line = NodeLine(id="x", first=LinePoint(lat=1.0, lon=2.0), last=LinePoint(lat=1.0, lon=2.01),
                    count=2)
    nodes = expand_node_line(line)
    assert [n.id for n in nodes] == ["x-001", "x-002"]
