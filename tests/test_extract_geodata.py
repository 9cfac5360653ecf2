"""tools/extract_geodata.py: its pieces, and a full run reproducing the shipped files."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import shapely

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tools" / "extract_geodata.py"
SOURCE = ROOT / ".." / "shared" / "data"
SHIPPED = ROOT / "src" / "dronewall" / "data"


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extract_geodata", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["extract_geodata"] = mod
    spec.loader.exec_module(mod)
    return mod


tool = _tool()


def test_help_runs() -> None:
    res = subprocess.run(
        [sys.executable, str(SCRIPT), "--help"], capture_output=True, text=True, check=True
    )
    assert "--source-dir" in res.stdout and "--out" in res.stdout


def test_missing_source_is_a_clear_error(tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, str(SCRIPT), "--source-dir", str(tmp_path), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2
    assert "borders-maritime.geojson" in res.stderr


def test_split_exclaves_turns_nested_shell_into_hole() -> None:
    host = shapely.box(0, 0, 1, 1)
    enclave = shapely.box(0.4, 0.4, 0.5, 0.5)
    island = shapely.box(2, 2, 3, 3)
    fixed, nested = tool.split_exclaves(shapely.MultiPolygon([host, enclave, island]))
    assert len(nested) == 1 and nested[0].equals(enclave)
    assert fixed.is_valid
    assert not fixed.contains(shapely.Point(0.45, 0.45))
    assert fixed.contains(shapely.Point(0.2, 0.2)) and fixed.contains(shapely.Point(2.5, 2.5))
    plain = shapely.MultiPolygon([host, island])
    assert tool.split_exclaves(plain) == (plain, [])


def test_simplify_metric_bounds_error_in_metres_and_keeps_antimeridian() -> None:
    # a wiggly coast 2 degrees long at 65 N, clipped at the antimeridian (like Alaska's)
    lon = np.linspace(-178.0, -180.0, 2001)
    lat = 65.0 + 0.002 * np.sin(np.linspace(0, 200, lon.size))  # +-220 m wiggles
    ring = np.concatenate([np.column_stack([lon, lat]), [[-180.0, 66.0], [-178.0, 66.0]]])
    poly = shapely.Polygon(ring)
    out = tool.simplify_metric(poly, 50.0)
    assert out.is_valid
    assert shapely.get_num_coordinates(out) < shapely.get_num_coordinates(poly) / 2
    x = shapely.get_coordinates(out)[:, 0]
    assert x.min() >= -180.0 - 1e-9 and x.max() <= -178.0 + 1e-9
    assert -180.0 in x  # the clip edge stays on the antimeridian, not at +180
    # error in metres: ~ 111 km per degree north-south, 47 km east-west at 65 N
    scale = np.array([111_320 * np.cos(np.radians(65.0)), 111_320])
    src = shapely.transform(poly, lambda c: c * scale)
    got = shapely.transform(out, lambda c: c * scale)
    assert 25.0 < shapely.hausdorff_distance(src, got) < 52.0


@pytest.mark.skipif(
    not (SOURCE / "borders-maritime.geojson").exists(), reason=f"reference data not at {SOURCE}"
)
def test_full_run_reproduces_shipped_files(tmp_path: Path) -> None:
    res = subprocess.run(
        [sys.executable, str(SCRIPT), "--source-dir", str(SOURCE), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "borders.geojson: 24 features" in res.stdout
    names = [
        "borders.geojson",
        "populated-places.geojson",
        "airports.geojson",
        "urban-areas.geojson",
        "ATTRIBUTION.md",
    ]
    for name in names:
        assert (tmp_path / name).read_bytes() == (SHIPPED / name).read_bytes(), name
    borders = json.loads((tmp_path / "borders.geojson").read_text(encoding="utf-8"))
    props = [f["properties"] for f in borders["features"]]
    assert all(set(p) == {"iso_a3", "name", "region"} for p in props)
    assert {p["region"] for p in props} == {"eastern-flank", "alaska", "chukotka"}
    assert [p["iso_a3"] for p in props].count("RUS") == 3
    est = next(f for f in borders["features"] if f["properties"]["iso_a3"] == "EST")
    ring = est["geometry"]["coordinates"][0]
    assert all(len(str(v).split(".")[-1]) <= 5 for pt in ring for v in pt)  # rounded
    assert shapely.Polygon(ring).exterior.is_ccw  # RFC 7946 winding
    places = json.loads((tmp_path / "populated-places.geojson").read_text(encoding="utf-8"))
    assert set(places["features"][0]["properties"]) == {"name", "iso_a3", "pop_max"}
    ports = json.loads((tmp_path / "airports.geojson").read_text(encoding="utf-8"))
    assert set(ports["features"][0]["properties"]) == {"name", "iata", "icao", "type"}
