"""A real server on 127.0.0.1 (uvicorn, random port) over a live scenario run: the stream
over a real socket, roles on decisions, and the decisions reaching the run's store."""

from __future__ import annotations

import json
import time

import pytest

httpx = pytest.importorskip("httpx")
ws_client = pytest.importorskip("websockets.sync.client")

from dronewall.api.testing import FixtureEngagement, start_server  # noqa: E402
from dronewall.store import RunStore  # noqa: E402


def _wait(cond, timeout=20.0, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(step)
    raise AssertionError("timed out waiting")


def test_live_run_decisions_are_stored_with_who_and_when(tmp_path):
    engagement = FixtureEngagement()
    url, tokens, stop = start_server(scenario="romania-2025-09-13", speed=300.0,
                                     engagement=engagement, out_dir=tmp_path, cycle_s=0.1)
    auth = {role: {"Authorization": f"Bearer {tok}"} for role, tok in tokens.items()}
    stopped = False
    try:
        with httpx.Client(base_url=url, timeout=10) as http:
            assert url.startswith("http://127.0.0.1:")
            with ws_client.connect(url.replace("http", "ws") + "/api/stream?token="
                                   + tokens["viewer"]) as ws:
                snap = json.loads(ws.recv(timeout=10))
                assert snap["type"] == "snapshot" and snap["run"]["mode"] == "live"
                # wait for the incursion's recommendation (the fixture engagement stage)
                rec = _wait(lambda: http.get("/api/recommendations?status=pending",
                                             headers=auth["viewer"]).json())[0]
                path = f"/api/recommendations/{rec['id']}/decision"
                r = http.post(path, headers=auth["viewer"], json={"action": "approve"})
                assert r.status_code == 403
                r = http.post(path, headers=auth["operator"], json={"action": "approve"})
                assert r.status_code == 403
                r = http.post(path, headers=auth["commander"],
                              json={"action": "approve", "reason": "over the delta, no people"})
                assert r.status_code == 200, r.text
                decision = r.json()
                assert decision["user"] == "commander" and decision["role"] == "commander"
                assert decision["recommendation_id"] == rec["id"]
                assert rec["time"] <= decision["time"] <= snap["run"]["end"]
                r = http.post(path, headers=auth["commander"], json={"action": "reject"})
                assert r.status_code == 409 and "already decided" in r.json()["detail"]
                ev = http.get("/api/events?kind=incursion_start",
                              headers=auth["viewer"]).json()[0]
                assert http.post(f"/api/events/{ev['id']}/ack",
                                 headers=auth["viewer"]).status_code == 403
                r = http.post(f"/api/events/{ev['id']}/ack", headers=auth["operator"])
                assert r.status_code == 200 and r.json()["action"] == "acknowledge"
                # the stream carries the decision and the recommendation's new status
                seen: dict[str, set[str]] = {"decisions": set(), "status": set()}
                deadline = time.monotonic() + 10
                while time.monotonic() < deadline and len(seen["decisions"]) < 2:
                    msg = json.loads(ws.recv(timeout=10))
                    seen["decisions"].update(d["id"] for d in msg["decisions"])
                    seen["status"].update(r["status"] for r in msg["recommendations"])
                assert decision["id"] in seen["decisions"] and "approved" in seen["status"]
            assert [d.id for d in engagement.decided][:1] == [decision["id"]]
        stop()  # mid-run: the run is stopped and its store closed
        stopped = True
        with RunStore.open(tmp_path / "live.sqlite") as store:
            stored = [m for _, _, m in store.messages(["decisions"])]
            assert store.verify()[0]
            assert store.meta()["status"] in ("stopped", "complete")
        assert (stored[0].id, stored[0].action, stored[0].user, stored[0].role) == (
            decision["id"], "approve", "commander", "commander")
        assert stored[0].time == decision["time"] and stored[0].reason.startswith("over")
        assert stored[1].action == "acknowledge" and stored[1].user == "operator"
    finally:
        if not stopped:
            stop()


def test_live_run_that_ends_is_served_as_a_replay(tmp_path):
    import msgspec

    from dronewall.sim.loader import find_scenario, load_scenario

    scn = load_scenario(find_scenario("romania-2025-09-13"))
    short = msgspec.structs.replace(scn, end="2025-09-13T14:50:00Z")  # 20 min
    url, tokens, stop = start_server(scenario=short, speed=4000.0, out_dir=tmp_path,
                                     recommend=True)
    auth = {"Authorization": f"Bearer {tokens['commander']}"}
    try:
        run = _wait(lambda: (r := httpx.get(url + "/api/run", headers=auth).json())["mode"]
                    == "replay" and r, timeout=30)
        assert run["paused"] is True and run["time"] == run["end"]
        assert run["end"] - run["start"] == 1200.0
        tracks = httpx.get(url + "/api/tracks", headers=auth).json()
        assert tracks == []  # every track was closed at the end of the run
        assert httpx.post(url + "/api/replay", headers=auth,
                          json={"time": run["start"] + 900}).status_code == 200
        assert httpx.get(url + "/api/tracks", headers=auth).json()  # mid-run: some tracks
    finally:
        stop()
    with RunStore.open(tmp_path / "live.sqlite") as store:
        assert store.meta()["status"] == "complete"


def test_shell_entry_prints_url_and_tokens(tmp_path):
    """`python -m dronewall.api.testing` for browser tests: one JSON line, then serves."""
    import subprocess
    import sys

    from test_api_support import make_run_store

    store = make_run_store(tmp_path / "run.sqlite")
    proc = subprocess.Popen([sys.executable, "-m", "dronewall.api.testing", "--store",
                             str(store), "--paused", "--max-seconds", "60"],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        assert set(info["tokens"]) == {"viewer", "operator", "commander"}
        r = httpx.get(info["url"] + "/api/run",
                      headers={"Authorization": f"Bearer {info['tokens']['viewer']}"})
        assert r.json()["scenario"] == "hand-made" and r.json()["paused"] is True
    finally:
        proc.terminate()
        assert proc.wait(20) == 0
