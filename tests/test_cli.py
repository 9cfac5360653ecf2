"""The command line as a user runs it: a real `dronewall` process on a built-in scenario,
its report, replay, and the bad-input contract (one clear line, exit status 2)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

DRONEWALL = [sys.executable, "-m", "dronewall.cli"]


def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*DRONEWALL, *args], capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="module")
def romania(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("romania")
    proc = run("demo", "--scenario", "romania-2025-09-13", "--headless", "--json",
               "--out", str(out))
    return out, json.loads(proc.stdout)


def test_demo_json_object(romania):
    out, rep = romania
    for key in ("scenario", "wall_seconds", "incursions", "adiz_events", "summary"):
        assert key in rep
    for key in ("truth_incursions", "detected", "missed", "false", "median_entry_error_s",
                "gospa_mean"):
        assert key in rep["summary"]
    inc = rep["incursions"][0]
    for key in ("track_id", "country", "entry_time", "exit_time", "seconds_inside",
                "max_depth_km", "truth_id", "entry_error_s", "inside_error_s"):
        assert key in inc
    assert inc["entry_time"].endswith("Z")
    assert {p.name for p in out.iterdir()} >= {"report.json", "report.md", "report.html",
                                               "map.png", "timeline.png", "run.sqlite"}
    assert json.loads((out / "report.json").read_text()) == rep


def test_report_from_store_equals_live_report(romania):
    out, live = romania
    again = json.loads(run("report", str(out / "run.sqlite"), "--json").stdout)
    assert again == live


def test_replay_verifies_chain_and_rederives_events(romania):
    out, _ = romania
    proc = run("replay", str(out / "run.sqlite"))
    assert "chain intact" in proc.stdout
    assert "identical" in proc.stdout
    assert "incursion_start" in proc.stdout


def test_replay_flags_a_tampered_store(romania, tmp_path):
    out, _ = romania
    copy = tmp_path / "tampered.sqlite"
    copy.write_bytes((out / "run.sqlite").read_bytes())
    conn = sqlite3.connect(copy)
    conn.execute("UPDATE messages SET time = time + 1 WHERE seq = 10")
    payload = conn.execute("SELECT payload FROM messages WHERE topic='events' "
                           "AND CAST(payload AS TEXT) LIKE '%entered%' LIMIT 1").fetchone()
    conn.execute("UPDATE messages SET payload=? WHERE payload=?",
                 (payload[0].replace(b"entered", b"visited"), payload[0]))
    conn.commit()
    conn.close()
    proc = run("replay", "-q", str(copy), check=False)
    assert proc.returncode == 1
    assert "FAILED" in proc.stdout


def test_terminal_report_is_readable(romania):
    out, _ = romania
    proc = run("report", str(out / "run.sqlite"))
    assert "Airspace incursions detected" in proc.stdout
    assert "ROU" in proc.stdout and " ok" in proc.stdout
    assert max(len(line) for line in proc.stdout.splitlines()) <= 80


BAD_SCENARIO = """\
schema: 1
name: bad
title: Bad
start: "2025-09-13T14:30:00Z"
end: "2025-09-13T15:30:00Z"
watch: [ROU]
sensors:
  - id: r1
    type: radar
    position: {lat: 45.2, lon: 28.8, alt: 100}
targets:
  - id: t1
    type: shahed
    route:
      - {lat: 45.5, lon: 29.5, time: "2025-09-13T14:40:00Z"}
      - {lat: 45.3, lon: 29.0, alt: "low"}
"""


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (BAD_SCENARIO, ":16: targets[0].route[1].alt"),
        (BAD_SCENARIO.replace('alt: "low"', "alt: 300, wings: 2"), "targets[0].route[1]"),
        (BAD_SCENARIO.replace("lat: 45.5", "lat: 145.5").replace('alt: "low"', "alt: 300"),
         ":15: targets[0].route[0].lat"),
        (BAD_SCENARIO.replace('alt: "low"', 'alt: 300, time: "2025-09-13T14:35:00Z"'),
         "targets[0].route[1].time"),
        (BAD_SCENARIO.replace("    type: shahed\n", "").replace('alt: "low"', "alt: 300"),
         "targets[0]"),
    ],
    ids=["wrong-type", "unknown-key", "off-the-globe", "time-backwards", "missing-field"],
)
def test_bad_scenario_one_clear_line_exit_2(tmp_path, text, where):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    out = tmp_path / "out"
    proc = run("demo", "--scenario", str(path), "--headless", "--out", str(out), check=False)
    assert proc.returncode == 2, proc.stderr
    assert str(path) in proc.stderr and where in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert not out.exists()  # nothing half-written
    assert run("validate", str(path), check=False).returncode == 2


def test_bad_store_exit_2(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_text("not a database")
    for cmd in ("report", "replay"):
        proc = run(cmd, str(junk), check=False)
        assert proc.returncode == 2 and "not a dronewall run store" in proc.stderr
    assert run("report", str(tmp_path / "none.sqlite"), check=False).returncode == 2


def test_unknown_scenario_name_exit_2():
    proc = run("demo", "--scenario", "atlantis-2030", "--headless", check=False)
    assert proc.returncode == 2 and "atlantis-2030" in proc.stderr


@pytest.mark.parametrize(
    "cmd",
    ["", "demo", "scenarios", "validate", "replay", "report", "export", "convert", "serve",
     "track", "score", "bench"],
)
def test_help(cmd):
    proc = run(*([cmd] if cmd else []), "--help")
    assert "Usage:" in proc.stdout


def test_scenarios_lists_the_builtins():
    out = run("scenarios").stdout
    for name in ("poland-2025-09-10", "estonia-2025-09-19", "romania-2025-09-13", "alaska-adiz"):
        assert name in out


def test_export_then_validate_message_file(romania, tmp_path):
    out, _ = romania
    jsonl = tmp_path / "run.jsonl"
    run("export", str(out / "run.sqlite"), "-t", "detections", "-t", "tracks", "-o", str(jsonl))
    proc = run("validate", str(jsonl))
    assert "valid" in proc.stdout and "detection" in proc.stdout and "track" in proc.stdout
    lines = jsonl.read_text().splitlines()
    lines[2] = lines[2].replace('"sensor_id":', '"sensor":', 1)
    jsonl.write_text("\n".join(lines) + "\n")
    proc = run("validate", str(jsonl), check=False)
    assert proc.returncode == 2 and f"{jsonl}:3:" in proc.stderr, proc.stderr
