"""The picture API over a replayed stored run, in process (FastAPI TestClient): REST,
roles, errors, replay control, the WebSocket snapshot and deltas, offline docs."""

from __future__ import annotations

import time

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi import WebSocketDisconnect
from fastapi.testclient import TestClient

from dronewall.api.app import create_app
from dronewall.api.auth import Tokens
from dronewall.api.server import replay_hub
from dronewall.api.state import TRACK_FIELDS, PictureState, track_row
from dronewall.errors import BadInput
from dronewall.model import Decision
from test_api_support import T0, make_run_store, track

TOKENS = {"v" * 20: "viewer", "o" * 20: "operator", "c" * 20: "commander"}
V, OP, C = ({"Authorization": f"Bearer {t}"} for t in TOKENS)


@pytest.fixture
def client(tmp_path):
    store = make_run_store(tmp_path / "run.sqlite")
    hub = replay_hub(store, Tokens.from_mapping(TOKENS), speed=1.0, cycle_s=0.05,
                     paused=True, at=T0 + 100.0)
    with TestClient(create_app(hub, static_dir=tmp_path / "nostatic")) as c:
        yield c


# ---------------------------------------------------------------------- state
def test_state_deltas_carry_each_changed_track_once_and_removals():
    st = PictureState()
    st.consume("tracks", [track("A", 0), track("B", 0), track("A", 1)])
    d = st.take_delta()
    assert d is not None and d["type"] == "delta"
    rows = {r[0]: r for r in d["tracks"]}
    assert set(rows) == {"A", "B"} and rows["A"] == track_row(track("A", 1))
    assert st.take_delta() is None  # nothing new
    st.consume("tracks", [track("B", 1, "lost")])
    d = st.take_delta()
    assert d["tracks"] == [] and d["removed"] == ["B"] and set(st.tracks) == {"A"}
    assert len(st.history["B"]) == 2  # a lost track keeps its history


def test_track_row_is_compact_and_rounded():
    row = track_row(track("T0001", 3))
    assert len(row) == len(TRACK_FIELDS)
    r = dict(zip(TRACK_FIELDS, row, strict=True))
    assert r["lat"] == 52.003 and r["course"] == 45 and r["speed"] == 42
    assert isinstance(r["alt"], int) and r["n_sensors"] == 1


def test_decision_updates_the_recommendation_status():
    from dronewall.model import Recommendation

    st = PictureState()
    st.consume("recommendations", [Recommendation(
        id="R", time=T0, track_id="A", effector_id="e", effector_type="gun",
        verdict="needs_approval", reason="x")])
    st.take_delta()
    st.consume("decisions", [Decision(id="D", time=T0 + 1, action="reject", user="u",
                                      role="commander", recommendation_id="R")])
    d = st.take_delta()
    assert d["recommendations"][0]["status"] == "rejected" and d["decisions"][0]["id"] == "D"


# ---------------------------------------------------------------------- auth
def test_tokens_file_errors_name_the_field(tmp_path):
    p = tmp_path / "tokens.yaml"
    p.write_text("tokens:\n  - {token: abcdefghijklmnopq, user: al, role: admiral}\n")
    with pytest.raises(BadInput, match=r"tokens\[0\]\.role: 'admiral'"):
        Tokens.load(p)
    p.write_text("tokens:\n  - {token: short, user: al, role: viewer}\n")
    with pytest.raises(BadInput, match=r"tokens\[0\]\.token: too short"):
        Tokens.load(p)
    t = Tokens.generate()
    t.write(p)
    assert (p.stat().st_mode & 0o777) == 0o600
    assert Tokens.load(p).by_role() == t.by_role()


def test_no_token_401_and_roles(client):
    r = client.get("/api/tracks")
    assert r.status_code == 401 and "Bearer" in r.json()["detail"]
    assert client.get("/api/tracks", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/whoami", headers=V).json() == {"user": "viewer", "role": "viewer"}
    assert client.get("/api/health").json()["mode"] == "replay"
    # a viewer may not acknowledge nor decide nor control replay
    assert client.post("/api/events/EV-1/ack", headers=V).status_code == 403
    r = client.post("/api/recommendations/REC-1/decision", headers=V,
                    json={"action": "approve"})
    assert r.status_code == 403 and "commander" in r.json()["detail"]
    r = client.post("/api/recommendations/REC-1/decision", headers=OP,
                    json={"action": "approve"})
    assert r.status_code == 403
    assert client.post("/api/replay", headers=V, json={"paused": True}).status_code == 403


# ---------------------------------------------------------------------- REST
def test_rest_reads_the_picture(client):
    run = client.get("/api/run", headers=V).json()
    assert run["mode"] == "replay" and run["scenario"] == "hand-made"
    assert run["time"] == T0 + 100 and run["paused"] is True
    tracks = client.get("/api/tracks", headers=V).json()
    assert [t["id"] for t in tracks] == ["T0001"] and tracks[0]["type"] == "track"
    assert client.get("/api/tracks?status=tentative", headers=V).json() == []
    one = client.get("/api/tracks/T0001", headers=V).json()
    assert [e["id"] for e in one["evidence"]] == ["EV-2"]
    assert one["sensors_detail"][0]["id"] == "radar-1" and one["sensors"] == ["radar-1"]
    lost = client.get("/api/tracks/T0002", headers=V).json()
    assert lost["status"] == "lost"
    hist = client.get(f"/api/tracks/T0001/history?since={T0 + 55}", headers=V).json()
    assert [h["time"] for h in hist] == [T0 + 60 + 10 * k for k in range(4)]
    hist = client.get("/api/tracks/T0001/history?limit=2", headers=V).json()
    assert [h["time"] for h in hist] == [T0 + 80, T0 + 90]
    assert len(client.get("/api/events", headers=V).json()) == 2
    ev = client.get("/api/events?kind=adiz_entry&limit=5", headers=V).json()
    assert [e["id"] for e in ev] == ["EV-1"]
    assert client.get(f"/api/events?since={T0 + 21}", headers=V).json() == []
    zones = client.get("/api/zones?kind=adiz", headers=V).json()
    assert [z["id"] for z in zones] == ["ADIZ-X"]
    assert client.get("/api/zones?kind=restricted", headers=V).json() == []
    assert client.get("/api/sensors", headers=V).json()[0]["kind"] == "radar"
    assert client.get("/api/assets", headers=V).json()[0]["name"] == "Warsaw"
    recs = client.get("/api/recommendations?status=pending", headers=V).json()
    assert [r["id"] for r in recs] == ["REC-1"]
    assert client.get("/api/decisions", headers=V).json() == []
    names = [s["name"] for s in client.get("/api/scenarios", headers=V).json()]
    assert "poland-2025-09-10" in names


def test_large_responses_are_compressed_when_accepted(client):
    big = client.get("/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert big.headers.get("content-encoding") == "gzip" and big.json()["openapi"]
    plain = client.get("/openapi.json", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.json() == big.json()


def test_bad_requests_get_clear_4xx(client):
    r = client.get("/api/tracks/T9999", headers=V)
    assert r.status_code == 404 and r.json() == {"detail": "no track 'T9999'"}
    assert client.get("/api/tracks/T9999/history", headers=V).status_code == 404
    r = client.get("/api/zones?kind=adiz,moon", headers=V)
    assert r.status_code == 422 and r.json()["detail"] == (
        "query.kind: 'adiz,moon' is not a comma-separated list of: national_airspace, adiz, "
        "restricted, custom")
    r = client.get("/api/events?limit=0", headers=V)
    assert r.status_code == 422 and r.json()["detail"].startswith("query.limit:")
    r = client.get("/api/events?since=soon", headers=V)
    assert r.status_code == 422 and "since" in r.json()["detail"]
    r = client.post("/api/recommendations/REC-1/decision", headers=C, json={"action": "fire"})
    assert r.status_code == 422 and "body.action" in r.json()["detail"]
    r = client.post("/api/recommendations/NOPE/decision", headers=C, json={"action": "reject"})
    assert r.status_code == 404
    # a stored run is replayed: no decisions are taken on it
    r = client.post("/api/recommendations/REC-1/decision", headers=C,
                    json={"action": "approve", "reason": "ok"})
    assert r.status_code == 409 and "replayed" in r.json()["detail"]
    assert client.post("/api/events/EV-1/ack", headers=OP).status_code == 409
    assert client.post("/api/events/NOPE/ack", headers=OP).status_code == 404
    r = client.post("/api/replay", headers=OP, json={"time": T0 - 5})
    assert r.status_code == 409 and "outside the run" in r.json()["detail"]
    r = client.post("/api/replay", headers=OP, json={"speed": -1})
    assert r.status_code == 422
    r = client.post("/api/replay", headers=OP, json={"warp": 9})
    assert r.status_code == 422 and "warp" in r.json()["detail"]


def test_replay_seek_rebuilds_the_picture(client):
    r = client.post("/api/replay", headers=OP, json={"time": T0 + 15})
    assert r.status_code == 200 and r.json()["time"] == T0 + 15
    ids = {t["id"] for t in client.get("/api/tracks", headers=V).json()}
    assert ids == {"T0001", "T0002"}  # T0002 is lost at +20 s (its last update)
    assert len(client.get("/api/tracks/T0001/history", headers=V).json()) == 2
    assert client.get("/api/recommendations", headers=V).json() == []
    r = client.post("/api/replay", headers=OP, json={"time": T0 + 25})
    assert {t["id"] for t in client.get("/api/tracks", headers=V).json()} == {"T0001"}
    assert len(client.get("/api/recommendations", headers=V).json()) == 1


# ---------------------------------------------------------------------- stream
def test_stream_snapshot_then_deltas_and_snapshot_after_seek(client):
    with pytest.raises(WebSocketDisconnect) as closed,  \
            client.websocket_connect("/api/stream?token=bad") as ws:
        ws.receive_json()
    assert closed.value.code == 4401
    with client.websocket_connect(f"/api/stream?token={next(iter(TOKENS))}") as ws:
        snap = ws.receive_json()
        assert snap["type"] == "snapshot" and snap["track_fields"] == list(TRACK_FIELDS)
        assert [r[0] for r in snap["tracks"]] == ["T0001"]
        assert snap["run"]["mode"] == "replay" and len(snap["events"]) == 2
        assert [r["id"] for r in snap["recommendations"]] == ["REC-1"]
        # seek back and play fast: a fresh snapshot, then deltas as the run plays
        client.post("/api/replay", headers=OP, json={"time": T0, "speed": 200.0,
                                                    "paused": False})
        msg = ws.receive_json()
        while msg["type"] != "snapshot":
            msg = ws.receive_json()
        assert T0 <= msg["time"] < T0 + 15 and len(msg["events"]) < 2
        seen_rows, removed, events = set(), set(), set()
        deadline = time.monotonic() + 10
        while "T0002" not in removed and time.monotonic() < deadline:
            msg = ws.receive_json()
            if msg["type"] == "delta":
                seen_rows.update(r[0] for r in msg["tracks"])
                removed.update(msg["removed"])
                events.update(e["id"] for e in msg["events"])
        assert removed == {"T0002"} and "T0001" in seen_rows and events == {"EV-1", "EV-2"}


# ---------------------------------------------------------------------- docs / static
def test_docs_are_offline_and_the_spec_has_the_models(client):
    html = client.get("/docs").text
    assert "/docs-assets/swagger-ui-bundle.js" in html
    assert "https://" not in html and "http://" not in html
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert {"Track", "Event", "Recommendation", "Decision", "Zone", "Sensor"} <= set(schemas)
    assert "/api/recommendations/{rec_id}/decision" in spec["paths"]
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
    page = client.get("/")
    assert page.status_code == 200 and "not built" in page.text


def test_static_web_app_is_served_when_built(tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "index.html").write_text("<html>the map</html>")
    hub = replay_hub(make_run_store(tmp_path / "run.sqlite"), Tokens.from_mapping(TOKENS),
                     paused=True)
    with TestClient(create_app(hub, static_dir=static, start_tasks=False)) as c:
        assert c.get("/").text == "<html>the map</html>"
        assert c.get("/api/run", headers=V).status_code == 200


def test_no_browser_is_no_failure(monkeypatch):
    import webbrowser

    from dronewall.api.server import open_browser

    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    assert open_browser("http://127.0.0.1:8080/") is False  # headless Linux: not even tried

    def none() -> None:
        raise webbrowser.Error("no runnable browser")

    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(webbrowser, "get", lambda *a: none())
    assert open_browser("http://127.0.0.1:8080/") is False
