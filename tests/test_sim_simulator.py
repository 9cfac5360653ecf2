"""The whole simulator: ordering, registrations, zones, truth, determinism."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dronewall.model import Detection, Message, Sensor, TruthState, decode, encode
from dronewall.sim import Scenario, load_scenario, simulate
from dronewall.timeutil import parse_iso

SCENARIO = """\
name: small
title: Small
start: 2025-09-10T00:00:00Z
end: +00:40:00
seed: {seed}
watch: [POL]
truth_sample_s: 30
zones:
  - id: box
    name: Box
    kind: restricted
    country: POL
    geometry:
      type: Polygon
      coordinates: [[[21, 51.9], [21.5, 51.9], [21.5, 52.1], [21, 52.1], [21, 51.9]]]
sensors:
  - type: radar
    id: r1
    position: {{lat: 52.0, lon: 21.0, alt: 40}}
    false_alarms_per_scan: 2
{extra}  - type: adsb
    id: a1
    position: {{lat: 52.1, lon: 21.2, alt: 100}}
  - type: acoustic
    id: n1
    position: {{lat: 52.0, lon: 21.6, alt: 120}}
    ambient_db: 30
targets:
  - id: d1
    type: shahed
    label: drone one
    route:
      - {{lat: 52.0, lon: 22.0, time: +0, alt: 600}}
      - {{lat: 52.0, lon: 21.2}}
    fate: {{kind: downed, time: +00:15:00}}
  - id: p1
    type: airliner
    transponder: {{icao24: 48ae01, callsign: LOT1}}
    route:
      - {{lat: 51.5, lon: 20.5, time: 2025-09-09T23:50:00Z}}
      - {{lat: 52.5, lon: 21.5, time: +01:00:00}}
"""

EXTRA_RADAR = """\
  - type: radar
    id: r2
    position: {lat: 52.3, lon: 21.3, alt: 40}
"""


def load(tmp_path: Path, seed: int = 1, extra: str = "") -> Scenario:
    p = tmp_path / f"s{seed}{len(extra)}.yaml"
    p.write_text(SCENARIO.format(seed=seed, extra=extra))
    return load_scenario(p)


def test_simulation_result(tmp_path: Path) -> None:
    sc = load(tmp_path)
    fractions: list[float] = []
    res = simulate(sc, progress=fractions.append)
    assert fractions == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert res.start == parse_iso("2025-09-10T00:00:00Z") and res.end == res.start + 2400
    assert [s.id for s in res.sensors] == ["r1", "a1", "n1"]
    assert all(isinstance(s, Sensor) for s in res.sensors)
    assert res.sensors[2].details["speed_of_sound_mps"] == pytest.approx(337.3, abs=0.1)
    assert [z.id for z in res.zones] == ["box"] and res.zones[0].kind == "restricted"
    times = [d.time for d in res.detections]
    assert times == sorted(times) and res.start <= times[0] and times[-1] < res.end
    kinds = {d.sensor_id for d in res.detections}
    assert kinds == {"r1", "a1", "n1"}
    assert len({d.id for d in res.detections}) == len(res.detections)
    # every message re-validates through the strict decoder
    for d in res.detections[:: max(1, len(res.detections) // 300)]:
        assert decode(encode(d), Detection) == d
    assert res.target_info["d1"] == ("shahed", False, "downed", "drone one")
    assert res.target_info["p1"].cooperative
    assert res.trajectories["d1"].t1 == res.start + 900


def test_truth_states(tmp_path: Path) -> None:
    res = simulate(load(tmp_path))
    states = res.truth_states()
    assert all(isinstance(s, TruthState) for s in states)
    t = [s.time for s in states]
    assert t == sorted(t)
    d1 = [s for s in states if s.target_id == "d1"]
    p1 = [s for s in states if s.target_id == "p1"]
    assert [s.status for s in d1] == ["flying"] * (len(d1) - 1) + ["downed"]
    assert d1[-1].time == res.start + 900 and d1[0].time == res.start
    assert {s.time - res.start for s in d1[:-1]} <= set(np.arange(0, 2401, 30.0))
    # p1 starts before the scenario and flies beyond it: cut to the window, still flying
    assert p1[0].time == res.start and p1[-1].time == res.end
    assert all(s.status == "flying" and s.cooperative for s in p1)
    assert p1[0].target_type == "airliner"
    fine = res.truth_states(1.0)
    assert len([s for s in fine if s.target_id == "d1"]) == 901


def test_deterministic_for_a_seed(tmp_path: Path) -> None:
    def run(seed: int, extra: str = "") -> list[bytes]:
        res = simulate(load(tmp_path, seed, extra))
        msgs: list[Message] = [*res.detections, *res.truth_states()]
        return [encode(m) for m in msgs]

    a, b = run(1), run(1)
    assert a == b
    assert run(2) != a
    # adding a sensor leaves the other sensors' detections unchanged
    with_r2 = [m for m in run(1, EXTRA_RADAR) if b'"sensor_id":"r2"' not in m]
    assert with_r2 == a
