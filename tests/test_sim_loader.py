"""Scenario loading: good files load, every kind of bad input names its file, line, field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dronewall.sim.loader import (
    ScenarioError,
    find_scenario,
    list_scenarios,
    load_scenario,
    parse_scenario,
)
from dronewall.timeutil import parse_iso

GOOD = """\
name: test
title: A test scenario
start: 2025-09-10T00:00:00Z
end: +02:00:00
seed: 7
watch: [POL]
zones:
  - id: z1
    name: Box
    kind: restricted
    file: zones/box.geojson
sensors:
  - type: radar
    id: r1
    position: {lat: 52.0, lon: 21.0, alt: 30}
  - type: adsb
    id: a1
    position: {lat: 52.0, lon: 21.0}
targets:
  - id: t1
    type: shahed
    route:
      - lat: 52.0
        lon: 23.0
        time: +0
      - lat: 52.0
        lon: 22.0
      - lat: 52.1
        lon: 21.5
        time: +1:30:00
    fate: {kind: downed, time: +01:00:00}
  - id: t2
    type: airliner
    transponder: {icao24: 48ae01, callsign: LOT1}
    route:
      - {lat: 51.0, lon: 20.0, time: 2025-09-10T00:10:00Z}
      - {lat: 53.0, lon: 20.0, time: +3600}
"""

BOX = {
    "type": "Feature",
    "properties": {},
    "geometry": {
        "type": "Polygon",
        "coordinates": [[[21, 51], [22, 51], [22, 52], [21, 52], [21, 51]]],
    },
}


def write(tmp_path: Path, text: str, zone: object = BOX) -> Path:
    (tmp_path / "zones").mkdir(exist_ok=True)
    if zone is not None:
        (tmp_path / "zones" / "box.geojson").write_text(json.dumps(zone))
    p = tmp_path / "s.yaml"
    p.write_text(text)
    return p


def line_of(text: str, needle: str, nth: int = 0) -> int:
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    return hits[nth]


def bad(tmp_path: Path, text: str, zone: object = BOX) -> ScenarioError:
    p = write(tmp_path, text, zone)
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    err = info.value
    assert err.file == str(p)
    assert str(err) == f"{p}:{err.line}: {err.field}: {err.message}"
    return err


def test_good_file_loads_with_times_and_zone(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path, GOOD))
    assert sc.name == "test" and len(sc.targets) == 2
    assert sc.end == "+02:00:00"  # kept as text: offsets stay offsets
    assert sc.targets[0].route[0].time == "+0"
    assert sc.targets[0].route[2].time == "+1:30:00"  # not the YAML sexagesimal int 5400
    assert sc.targets[1].route[0].time == "2025-09-10T00:10:00Z"  # not a datetime
    assert sc.targets[1].route[1].time == "+3600"
    assert sc.zones[0].geometry == BOX["geometry"]  # filled from the file


def test_parse_scenario_from_text(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    sc = parse_scenario(GOOD, base=tmp_path)
    assert parse_iso(sc.start) == parse_iso("2025-09-10T00:00:00Z")


def test_yaml_syntax_error(tmp_path: Path) -> None:
    text = GOOD.replace("watch: [POL]", "watch: [POL\n  oops: : x")
    err = bad(tmp_path, text)
    assert err.field == "yaml"
    assert err.line in (line_of(text, "watch"), line_of(text, "oops"), line_of(text, "oops") + 1)


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    text = GOOD.replace("seed: 7\n", "seed: 7\nseed: 8\n")
    err = bad(tmp_path, text)
    assert err.field == "yaml" and "duplicate key 'seed'" in err.message
    assert err.line == line_of(text, "seed: 8")


def test_wrong_type(tmp_path: Path) -> None:
    text = GOOD.replace("        lon: 22.0", "        lon: east")
    err = bad(tmp_path, text)
    assert err.field == "targets[0].route[1].lon"
    assert err.line == line_of(text, "lon: east")
    assert "Expected `float`" in err.message


def test_value_out_of_range(tmp_path: Path) -> None:
    text = GOOD.replace("{lat: 51.0, lon: 20.0", "{lat: 95.0, lon: 20.0")
    err = bad(tmp_path, text)
    assert err.field == "targets[1].route[0].lat"
    assert err.line == line_of(text, "lat: 95.0")
    assert "<= 90" in err.message


def test_missing_field(tmp_path: Path) -> None:
    text = GOOD.replace("    type: airliner\n", "")
    err = bad(tmp_path, text)
    assert err.field == "targets[1].type"
    assert err.line == line_of(text, "- id: t2")
    assert "missing" in err.message


def test_missing_top_level_field(tmp_path: Path) -> None:
    text = GOOD.replace("title: A test scenario\n", "")
    err = bad(tmp_path, text)
    assert err.field == "title" and err.line == 1


def test_unknown_key(tmp_path: Path) -> None:
    text = GOOD.replace("        lon: 22.0\n", "        lon: 22.0\n        colour: red\n")
    err = bad(tmp_path, text)
    assert err.field == "targets[0].route[1].colour"
    assert err.line == line_of(text, "colour: red")
    assert "unknown key" in err.message


def test_unknown_sensor_type(tmp_path: Path) -> None:
    text = GOOD.replace("type: adsb", "type: sonar")
    err = bad(tmp_path, text)
    assert err.field == "sensors[1].type" and err.line == line_of(text, "type: sonar")
    assert "radar, adsb, acoustic" in err.message


def test_unknown_target_type(tmp_path: Path) -> None:
    text = GOOD.replace("type: shahed", "type: shaheed")
    err = bad(tmp_path, text)
    assert err.field == "targets[0].type"
    assert err.line == line_of(text, "type: shaheed")
    assert "gerbera" in err.message and "shahed" in err.message


def test_bad_time_text(tmp_path: Path) -> None:
    text = GOOD.replace("time: +1:30:00", "time: half past nine")
    err = bad(tmp_path, text)
    assert err.field == "targets[0].route[2].time"
    assert err.line == line_of(text, "half past nine")


def test_time_without_zone(tmp_path: Path) -> None:
    text = GOOD.replace("time: 2025-09-10T00:10:00Z", "time: 2025-09-10T00:10:00")
    err = bad(tmp_path, text)
    assert err.field == "targets[1].route[0].time" and "zone" in err.message


def test_waypoint_times_backwards(tmp_path: Path) -> None:
    # the derived time of waypoint 1 (about 68 km at 50 m/s: +0:22:50) is after +0:10:00
    text = GOOD.replace("time: +1:30:00", "time: +0:10:00").replace(
        "fate: {kind: downed, time: +01:00:00}", ""
    )
    err = bad(tmp_path, text)
    assert err.field == "targets[0].route[2].time"
    assert err.line == line_of(text, "time: +0:10:00")
    assert "not after" in err.message and "derived" in err.message


def test_waypoint_times_equal(tmp_path: Path) -> None:
    text = GOOD.replace("time: +3600", "time: 2025-09-10T00:10:00Z")
    err = bad(tmp_path, text)
    assert err.field == "targets[1].route[1].time"
    assert err.line == line_of(text, "time: 2025-09-10T00:10:00Z", 1)


def test_first_waypoint_needs_time(tmp_path: Path) -> None:
    text = GOOD.replace("        time: +0\n", "")
    err = bad(tmp_path, text)
    assert err.field == "targets[0].route[0].time"
    assert err.line == line_of(text, "- lat: 52.0")


def test_end_before_start(tmp_path: Path) -> None:
    text = GOOD.replace("end: +02:00:00", "end: 2025-09-09T23:00:00Z")
    err = bad(tmp_path, text)
    assert err.field == "end" and err.line == line_of(text, "end:")


def test_downed_time_outside_route(tmp_path: Path) -> None:
    text = GOOD.replace("time: +01:00:00}", "time: +03:00:00}")
    err = bad(tmp_path, text)
    assert err.field == "targets[0].fate.time"
    assert err.line == line_of(text, "fate:")
    assert "outside the route" in err.message


def test_downed_needs_time(tmp_path: Path) -> None:
    text = GOOD.replace("fate: {kind: downed, time: +01:00:00}", "fate: {kind: downed}")
    err = bad(tmp_path, text)
    assert err.field == "targets[0].fate.time"


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("id: a1", "id: r1", "sensors[1].id"),
        ("id: t2", "id: t1", "targets[1].id"),
    ],
)
def test_duplicate_ids(tmp_path: Path, old: str, new: str, field: str) -> None:
    text = GOOD.replace(old, new)
    err = bad(tmp_path, text)
    assert err.field == field and "duplicate id" in err.message
    assert err.line == line_of(text, new, 1)


def test_duplicate_zone_id(tmp_path: Path) -> None:
    text = GOOD.replace(
        "sensors:\n",
        "  - id: z1\n    name: Again\n    kind: custom\n    file: zones/box.geojson\nsensors:\n",
    )
    err = bad(tmp_path, text)
    assert err.field == "zones[1].id" and err.line == line_of(text, "- id: z1", 1)


def test_zone_file_missing(tmp_path: Path) -> None:
    err = bad(tmp_path, GOOD, zone=None)
    assert err.field == "zones[0].file" and err.line == line_of(GOOD, "file: zones/box")
    assert "not found" in err.message


def test_zone_file_not_polygon(tmp_path: Path) -> None:
    line = {"type": "LineString", "coordinates": [[21, 51], [22, 52]]}
    err = bad(tmp_path, GOOD, zone=line)
    assert err.field == "zones[0].file" and "Polygon or MultiPolygon" in err.message


def test_zone_file_not_json(tmp_path: Path) -> None:
    p = write(tmp_path, GOOD)
    (tmp_path / "zones" / "box.geojson").write_text("{not json")
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert info.value.field == "zones[0].file" and "not JSON" in info.value.message


def test_feature_collection_merges_to_multipolygon(tmp_path: Path) -> None:
    coll = {"type": "FeatureCollection", "features": [BOX, BOX]}
    sc = load_scenario(write(tmp_path, GOOD, zone=coll))
    geom = sc.zones[0].geometry
    assert geom is not None and geom["type"] == "MultiPolygon"
    assert len(geom["coordinates"]) == 2  # type: ignore[arg-type]


def test_bad_icao24(tmp_path: Path) -> None:
    text = GOOD.replace("icao24: 48ae01", "icao24: LOT123")
    err = bad(tmp_path, text)
    assert err.field == "targets[1].transponder.icao24"
    assert err.line == line_of(text, "icao24")


def test_empty_and_non_mapping_files(tmp_path: Path) -> None:
    err = bad(tmp_path, "")
    assert err.line == 1
    err = bad(tmp_path, "- just\n- a list\n")
    assert err.field == "(top)" and err.line == 1


def test_find_scenario(tmp_path: Path) -> None:
    p = write(tmp_path, GOOD)
    assert find_scenario(p) == p
    with pytest.raises(ScenarioError) as info:
        find_scenario("no-such-scenario")
    assert "built-in" in str(info.value)
    names = list_scenarios()
    assert names == sorted(names)
    for name in names:
        assert find_scenario(name).name == f"{name}.yaml"
        assert load_scenario(name).name == name  # every built-in scenario is valid


def test_documented_example_loads_and_runs(tmp_path: Path) -> None:
    doc = Path(__file__).parents[1] / "docs" / "scenario-format.md"
    text = doc.read_text(encoding="utf-8")
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    sc = parse_scenario(example, file="example.yaml", base=tmp_path)
    assert sc.name == "example" and len(sc.targets) == 3

    from dronewall.sim import simulate

    res = simulate(sc)
    assert {d.sensor_id for d in res.detections} == {"radar-1", "adsb-1", "node-1"}
    assert res.target_info["g1"].fate == "downed"
