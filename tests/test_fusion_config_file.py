"""Tracker parameters from a YAML file (`--config` / `--tracker-config`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dronewall.fusion.config import TrackerConfig
from dronewall.fusion.config_file import TrackerConfigError, load_tracker_config
from test_batch import scene


def test_a_file_sets_the_fields_it_names_and_leaves_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "tracker.yaml"
    path.write_text(
        "# manoeuvring aircraft\n"
        "motion: imm\n"
        "imm_turn_rate_deg_s: 4\n"
        "imm_sojourn_s: [30, 15, 5]\n"
        "sensor_latency_s: {r1: 0.5}\n"
        "output_every_update: false\n"
    )
    cfg = load_tracker_config(path)
    assert cfg.motion == "imm" and cfg.imm_turn_rate_deg_s == 4.0
    assert cfg.imm_sojourn_s == (30.0, 15.0, 5.0)
    assert cfg.sensor_latency_s == {"r1": 0.5} and cfg.output_every_update is False
    assert cfg.gate_probability == TrackerConfig().gate_probability
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert load_tracker_config(empty) == TrackerConfig()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("motion: imm\nmotoin: cv\n", ":2: motoin: not a tracker parameter"),
        ("gate_probability: high\n", ":1: gate_probability: expected a number, got 'high'"),
        ("confirm_hits: 2.5\n", ":1: confirm_hits: expected an integer"),
        ("q_horizontal: 1\nmotion: ballistic\n", ":2: motion must be 'cv' or 'imm'"),
        ("imm_sojourn_s: [1, 2]\n", ":1: imm_sojourn_s: expected a list of 3 numbers"),
        ("- motion\n", ":1: expected a mapping"),
        ("motion: [imm\n", "not valid YAML"),
    ],
)
def test_bad_files_are_named_with_line_and_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "tracker.yaml"
    path.write_text(text)
    with pytest.raises(TrackerConfigError) as info:
        load_tracker_config(path)
    assert str(info.value).startswith(str(path))
    assert expected in str(info.value)


def test_cli_track_takes_a_config_and_names_a_bad_one(tmp_path: Path) -> None:
    dpath, _ = scene(tmp_path)
    cfg = tmp_path / "imm.yaml"
    cfg.write_text("motion: imm\n")
    cli = [sys.executable, "-m", "dronewall.cli", "track", "-i", str(dpath)]
    out = tmp_path / "tracks.jsonl"
    proc = subprocess.run([*cli, "-o", str(out), "--config", str(cfg)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "-> 2 tracks" in proc.stderr
    cfg.write_text("motion: imm\nassocation: jpda\n")
    proc = subprocess.run([*cli, "-o", str(tmp_path / "x.jsonl"), "--config", str(cfg)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert f"{cfg}:2: assocation: not a tracker parameter" in proc.stderr
