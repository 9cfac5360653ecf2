"""Load figures of the picture server (dronewall.api); prints one JSON object.

1. ``stream``: 1,000 live tracks, each updated at 1 Hz, streamed over the WebSocket with
   the default 1 s update cycle. The track updates are synthetic Track messages (1,000
   objects flying, published once a second into the server's picture, exactly as the
   tracker's batches are); what is measured is what the stream carries: bytes per second
   of deltas over a real socket on 127.0.0.1. Goal: <= 200 kB/s.
2. ``rest``: a real server in a separate process playing a scenario (the tracker
   running: live mode at --speed), and this process sending GET requests on the track
   endpoints (/api/tracks, /api/tracks/{id}, /api/tracks/{id}/history?since=<the run's
   clock - 300 s>: a 5-minute trail, as the map asks for a selected track) in turn at a fixed
   rate (open loop: each request is started at its scheduled time whatever the earlier
   ones do) for --seconds, over 32 kept-alive connections. Latency is measured from the
   scheduled start (no coordinated omission). Goal: p99 <= 50 ms at 200 requests/s.

    .venv/bin/python bench/api_load.py                      # both
    .venv/bin/python bench/api_load.py --only stream --stream-seconds 20
    .venv/bin/python bench/api_load.py --only rest --rate 200 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import threading
import time
from typing import Any

import numpy as np

from dronewall.api.auth import Tokens
from dronewall.api.hub import Hub
from dronewall.api.server import PictureServer
from dronewall.api.sources import RunInfo
from dronewall.api.state import PictureState
from dronewall.model import Track

TOKEN = "bench-token-0123456789abcdef"
COV = [[100.0 if i == j else 0.0 for j in range(6)] for i in range(6)]


class SyntheticTracks:
    """A source of N tracks flying straight at 20-60 m/s, all updated every second."""

    mode = "live"

    def __init__(self, state: PictureState, n: int, seed: int = 1) -> None:
        self.state = state
        rng = np.random.default_rng(seed)
        self.lat = 52.0 + rng.uniform(-1.5, 1.5, n)
        self.lon = 21.0 + rng.uniform(-2.5, 2.5, n)
        self.alt = rng.uniform(100, 3000, n)
        speed = rng.uniform(20, 60, n)
        course = rng.uniform(0, 2 * math.pi, n)
        self.ve, self.vn = speed * np.sin(course), speed * np.cos(course)
        self.t = 1_757_451_600.0
        self.ids = [f"T{i + 1:04d}" for i in range(n)]
        self.info_ = RunInfo(mode="live", scenario="synthetic", title=f"{n} synthetic tracks")

    def info(self) -> RunInfo:
        return self.info_

    def clock(self) -> float:
        return self.t

    def publish_decision(self, decision: Any) -> None:
        raise RuntimeError("not in this benchmark")

    def control(self, **_: Any) -> RunInfo:
        raise RuntimeError("not in this benchmark")

    def step(self) -> None:
        self.t += 1.0
        self.lat += self.vn / 111_320.0
        self.lon += self.ve / (111_320.0 * np.cos(np.radians(self.lat)))
        tracks = [Track(id=i, time=self.t, status="confirmed", lat=float(la), lon=float(lo),
                        alt=float(al), ve=float(e), vn=float(n), vu=0.0, covariance=COV,
                        born=self.t - 100, hits=10, sensors=["radar-1", "adsb-1"],
                        class_label="shahed", identity="suspect")
                  for i, la, lo, al, e, n in zip(self.ids, self.lat, self.lon, self.alt,
                                                 self.ve, self.vn, strict=True)]
        self.state.consume("tracks", tracks)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.step()


def bench_stream(n_tracks: int, seconds: float) -> dict[str, Any]:
    """Bytes per second the WebSocket carries for n_tracks updated at 1 Hz."""
    import websockets.sync.client as wsc

    state = PictureState()
    source = SyntheticTracks(state, n_tracks)
    source.step()
    hub = Hub(state, source, Tokens.from_mapping({TOKEN: "viewer"}),  # type: ignore[arg-type]
              cycle_s=1.0, replay_after_live=False)
    server = PictureServer(hub, "127.0.0.1", 0)
    started = threading.Event()
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(
        on_started=lambda _s: started.set())), daemon=True)
    thread.start()
    started.wait(30)
    url = server.url.replace("http", "ws") + f"/api/stream?token={TOKEN}"
    try:
        with wsc.connect(url, max_size=None) as ws:
            snap = ws.recv(timeout=10)
            t0 = time.monotonic()
            n_bytes = n_msgs = rows = 0
            while time.monotonic() - t0 < seconds:
                msg = ws.recv(timeout=10)
                n_bytes += len(msg.encode() if isinstance(msg, str) else msg)
                n_msgs += 1
                rows += len(json.loads(msg)["tracks"])
            elapsed = time.monotonic() - t0
    finally:
        server.stop()
        thread.join(10)
    return {
        "tracks": n_tracks, "update_hz": 1.0, "seconds": round(elapsed, 2),
        "snapshot_bytes": len(snap), "delta_messages": n_msgs,
        "track_rows_per_s": round(rows / elapsed, 1),
        "bytes_per_s": round(n_bytes / elapsed), "kB_per_s": round(n_bytes / elapsed / 1e3, 1),
        "bytes_per_track_row": round(n_bytes / max(rows, 1), 1),
        "goal_kB_per_s": 200, "ok": n_bytes / elapsed <= 200_000,
    }


async def _get(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str,
               path: str, token: str) -> tuple[int, bytes]:
    """One HTTP/1.1 GET on a kept-alive connection: (status, body)."""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
                 "Connection: keep-alive\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = next(int(v) for k, _, v in (ln.partition(":") for ln in lines[1:])
                  if k.lower() == "content-length")
    return status, await reader.readexactly(length)


async def _rest_load(url: str, token: str, rate: float, seconds: float,
                     connections: int = 32) -> dict[str, Any]:
    """Open-loop load: request k is due at t0 + k/rate; ``connections`` kept-alive
    connections take the due requests in turn (a raw asyncio HTTP/1.1 client: a
    general-purpose client costs more CPU than the server on a small machine)."""
    host_port = url.split("//", 1)[1]
    host, port = host_port.rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    ids: list[str] = []
    deadline = time.monotonic() + 120
    while not ids and time.monotonic() < deadline:  # wait for the first tracks
        _, body = await _get(reader, writer, host_port, "/api/tracks", token)
        ids = [t["id"] for t in json.loads(body)]
        await asyncio.sleep(0.5)
    _, body = await _get(reader, writer, host_port, "/api/run", token)
    clock = [float(json.loads(body)["time"] or 0.0)]
    writer.close()
    n = int(rate * seconds)
    lat = np.zeros(n)
    sizes = np.zeros(n)
    codes: dict[str, int] = {}
    next_k = [0]
    t0 = time.monotonic() + 0.2

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while True:
                k = next_k[0]
                if k >= n:
                    return
                next_k[0] += 1
                t_sched = t0 + k / rate
                delay = t_sched - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                kind = k % 3
                tid = ids[k % len(ids)]
                path = ("/api/tracks" if kind == 0 else f"/api/tracks/{tid}" if kind == 1
                        else f"/api/tracks/{tid}/history?since={clock[0] - 300:.1f}")
                try:
                    status, body = await _get(reader, writer, host_port, path, token)
                    key = str(status)
                    sizes[k] = len(body)
                    if kind == 0 and status == 200:
                        fresh = json.loads(body)
                        if fresh:
                            ids[:] = [t["id"] for t in fresh]
                            clock[0] = max(t["time"] for t in fresh)
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    key = type(exc).__name__
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, int(port))
                lat[k] = time.monotonic() - t_sched
                codes[key] = codes.get(key, 0) + 1
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    elapsed = time.monotonic() - t0
    ms = lat * 1e3
    return {
        "rate_target": rate, "seconds": seconds, "requests": n, "connections": connections,
        "achieved_rate": round(n / elapsed, 1), "status": codes,
        "latency_ms": {q: round(float(np.percentile(ms, p)), 2) for q, p in
                       (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))},
        "mean_response_bytes": round(float(sizes.mean())),
        "goal_p99_ms": 50, "ok": float(np.percentile(ms, 99)) <= 50.0,
    }


def bench_rest(scenario: str, speed: float, rate: float, seconds: float) -> dict[str, Any]:
    """A server in another process plays ``scenario``; requests at ``rate`` for ``seconds``."""
    proc = subprocess.Popen([sys.executable, "-m", "dronewall.api.testing", "--scenario",
                             scenario, "--speed", str(speed), "--cycle", "1.0",
                             "--max-seconds", str(seconds + 300)],
                            stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        assert proc.stdout is not None
        info = json.loads(proc.stdout.readline())
        out = asyncio.run(_rest_load(info["url"], info["tokens"]["viewer"], rate, seconds))
        import httpx

        run = httpx.get(info["url"] + "/api/run",
                        headers={"Authorization": f"Bearer {info['tokens']['viewer']}"}).json()
        out.update({"scenario": scenario, "speed": speed, "mode_at_end": run["mode"],
                    "live_tracks_at_end": len(httpx.get(
                        info["url"] + "/api/tracks", headers={
                            "Authorization": f"Bearer {info['tokens']['viewer']}"}).json())})
        return out
    finally:
        proc.terminate()
        proc.wait(30)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("--only", choices=["stream", "rest"], default=None)
    ap.add_argument("--tracks", type=int, default=1000)
    ap.add_argument("--stream-seconds", type=float, default=20.0)
    ap.add_argument("--scenario", default="poland-2025-09-10")
    ap.add_argument("--speed", type=float, default=10.0,
                    help="scenario speed while the REST load runs (the tracker keeps working)")
    ap.add_argument("--rate", type=float, default=200.0, help="requests per second")
    ap.add_argument("--seconds", type=float, default=30.0)
    args = ap.parse_args(argv)
    result: dict[str, Any] = {"cpus": os.cpu_count(),
                              "loadavg_1min_at_start": round(os.getloadavg()[0], 2)}
    if args.only in (None, "stream"):
        result["stream"] = bench_stream(args.tracks, args.stream_seconds)
    if args.only in (None, "rest"):
        result["rest"] = bench_rest(args.scenario, args.speed, args.rate, args.seconds)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
