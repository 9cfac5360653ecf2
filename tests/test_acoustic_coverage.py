"""Coverage maps of acoustic node layouts and the acoustic CLI commands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from dronewall.acoustic.cli import acoustic
from dronewall.acoustic.coverage import Layout, Node, coverage, load_layout, nearest_ambient
from dronewall.acoustic.fastmode import FastAcousticModel, PdFit
from dronewall.acoustic.propagation import Environment
from dronewall.errors import BadInput

MODEL = FastAcousticModel(fits={"shahed": PdFit(12.0, 0.5)}, source="test fit")
# Three nodes 2.5 km apart along the Bug near Włodawa (from the Poland scenario's line).
LINE = Layout((Node("a", 51.5702, 23.5720), Node("b", 51.5480, 23.5730),
               Node("c", 51.5258, 23.5740)), ("POL",))


def test_layout_from_builtin_scenario_and_yaml(tmp_path: Path):
    lay = load_layout("poland-2025-09-10")
    assert len(lay.nodes) == 17 and lay.watch == ("POL",)
    assert lay.nodes[0].ambient == nearest_ambient(30.0) == "rural_night"
    f = tmp_path / "nodes.yaml"
    f.write_text("watch: [POL]\nnodes:\n  - {id: x, lat: 51.5, lon: 23.6, ambient: suburban}\n")
    assert load_layout(f).nodes[0] == Node("x", 51.5, 23.6, "suburban")
    f.write_text("nodes:\n  - {id: x, lat: north}\n")
    with pytest.raises(BadInput, match=r"nodes\[0\]"):
        load_layout(f)
    with pytest.raises(BadInput, match="no such"):
        load_layout(tmp_path / "missing.yaml")


def test_pd_map_matches_the_single_node_model():
    one = Layout((LINE.nodes[1],))
    res = coverage(one, "shahed", height_m=300.0, resolution_m=200.0, model=MODEL, border=())
    iy, ix = np.unravel_index(np.argmin(np.hypot(*np.meshgrid(
        res.x_m - res.node_enu[0, 0] - 2000.0, res.y_m - res.node_enu[0, 1]))), res.p_any.shape)
    dx = res.x_m[ix] - res.node_enu[0, 0]
    dy = res.y_m[iy] - res.node_enu[0, 1]
    expected = float(MODEL.p_detect(np.hypot(np.hypot(dx, dy), 300.0), "shahed", Environment()))
    assert res.p_any[iy, ix] == pytest.approx(expected, abs=0.02)
    assert res.p_any.max() > 0.99 and res.p_any.min() < 0.01


def test_border_coverage_grows_with_k_and_source_level():
    base = coverage(LINE, "shahed", height_m=300.0, model=MODEL, resolution_m=300.0)
    assert base.border_km > 5.0
    assert 0.0 < base.covered_km <= base.border_km
    one = coverage(LINE, "shahed", height_m=300.0, model=MODEL, resolution_m=300.0, k=1)
    assert one.covered_km > base.covered_km
    quiet = coverage(LINE, "shahed", height_m=300.0, model=MODEL, resolution_m=300.0,
                     source_level_db=95.0)
    assert quiet.covered_km < base.covered_km
    assert base.summary()["pd_model"] == "test fit"


def test_cli_coverage_writes_png_and_json(tmp_path: Path):
    png, js = tmp_path / "c.png", tmp_path / "c.json"
    layout = tmp_path / "line.yaml"
    layout.write_text("watch: [POL]\nnodes:\n" + "".join(
        f"  - {{id: {n.id}, lat: {n.lat}, lon: {n.lon}}}\n" for n in LINE.nodes))
    res = CliRunner().invoke(acoustic, ["coverage", str(layout), "--resolution", "400",
                                        "-o", str(png), "--json", str(js)])
    assert res.exit_code == 0, res.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads(js.read_text())
    assert summary["nodes"] == 3 and summary["border_in_window_km"] > 5.0
    bad = CliRunner().invoke(acoustic, ["coverage", str(tmp_path / "nope.yaml")])
    assert bad.exit_code == 2 and "no such layout" in bad.output


def test_cli_synth_writes_calibrated_wav(tmp_path: Path):
    sf = pytest.importorskip("soundfile")
    out = tmp_path / "s.wav"
    res = CliRunner().invoke(acoustic, ["synth", "--target", "shahed", "--duration", "1",
                                        "--array", "square", "-o", str(out)])
    assert res.exit_code == 0, res.output
    data, fs = sf.read(str(out))
    assert fs == 16000 and data.shape == (16000, 4)
    bad = CliRunner().invoke(acoustic, ["synth", "--start", "1,2", "-o", str(out)])
    assert bad.exit_code == 2 and "--start" in bad.output
    ranges = CliRunner().invoke(acoustic, ["ranges", "--classes", "shahed,gerbera",
                                           "--ambients", "rural_night,urban"])
    assert ranges.exit_code == 0 and "shahed" in ranges.output
    bad = CliRunner().invoke(acoustic, ["calibrate", "--classes", "ufo"])
    assert bad.exit_code == 2 and "ufo" in bad.output
