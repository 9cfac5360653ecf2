"""`dronewall demo` with the picture, as a user runs it: a real process serving on
127.0.0.1, the address printed with a token, the report at the end of the run, then the
stored run served for replay until Ctrl-C."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time

import pytest
import yaml

httpx = pytest.importorskip("httpx")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _line_with(proc: subprocess.Popen[str], text: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line and proc.poll() is not None:
            break
        if text in line:
            return line
    raise AssertionError(f"no line with {text!r} (exit {proc.poll()})")


def test_demo_serves_the_picture_then_the_replay(tmp_path):
    from dronewall.sim.loader import find_scenario

    spec = yaml.safe_load(find_scenario("romania-2025-09-13").read_text())
    spec["end"] = "2025-09-13T15:00:00Z"  # the first half hour: the incursion begins
    scenario = tmp_path / "short.yaml"
    scenario.write_text(yaml.safe_dump(spec))
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dronewall.cli", "demo", "-s", str(scenario), "--speed", "1500",
         "--port", str(port), "--no-browser", "--no-map", "-o", str(tmp_path / "out")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = _line_with(proc, "The picture: ").split()[2]
        assert url.startswith(f"http://127.0.0.1:{port}/?token=")
        token = url.split("token=")[1]
        auth = {"Authorization": f"Bearer {token}"}
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(base + "/api/whoami", headers=auth).json()["role"] == "commander"
        assert httpx.get(base + "/api/tracks").status_code == 401
        _line_with(proc, "served for replay")
        run = httpx.get(base + "/api/run", headers=auth).json()
        assert run["mode"] == "replay" and run["paused"] is True
        assert (tmp_path / "out" / "report.json").is_file()
        tokens = yaml.safe_load((tmp_path / "out" / "tokens.yaml").read_text())["tokens"]
        assert {t["role"] for t in tokens} == {"viewer", "operator", "commander"}
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stopped" in out


def test_serve_refuses_a_busy_port_clearly(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "dronewall.cli", "serve", "-s", "alaska-adiz", "--port",
             str(port), "--no-browser", "--store", str(tmp_path / "x.sqlite")],
            capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and f"--port {port}: cannot listen there" in proc.stderr
