"""CoT out through a real TAK server: FreeTAKServer 2.2.1 relays our tracks to a client.

FreeTAKServer binds every interface, so the test runs it in private network, mount and
PID namespaces (``unshare -n -m -p -f``; needs root): only loopback exists there, its
``/opt/fts`` state lives in a temporary directory, and every FTS process dies with the
namespace. Inside, this file runs as a script (``--relay-check``): a plain-socket TAK
client announces itself with an SA event, our :class:`CotSender` (pytak, TCP 8087)
announces itself and sends tracks, and the first client must receive them, relayed by
FTS. FTS lives in its own venv (``tools/freetakserver.sh``); without it the test is
skipped, unless ``DRONEWALL_REQUIRE_TAK=1`` makes that a failure.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import msgspec
import numpy as np
import pytest

FTS_VENV = Path(os.environ.get("DRONEWALL_FTS_VENV", "/tmp/dronewall-fts-venv"))
REQUIRED = os.environ.get("DRONEWALL_REQUIRE_TAK") == "1"
N_TRACKS = 5
TLS_PORT = 8089


def _sa(uid: str, callsign: str, now: float) -> bytes:
    """The SA (position) event a TAK end-user device sends first on connecting."""
    t = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now))
    s = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now + 300))
    return (
        f'<event version="2.0" uid="{uid}" type="a-f-G-U-C" how="h-e" time="{t}" '
        f'start="{t}" stale="{s}"><point lat="50.4" lon="30.5" hae="150" ce="10" le="10"/>'
        f'<detail><contact callsign="{callsign}" endpoint="*:-1:stcp"/>'
        f'<__group name="Cyan" role="Team Member"/>'
        f'<takv device="test" platform="dronewall-test" os="linux" version="1"/>'
        f"</detail></event>"
    ).encode()


def relay_check(host: str, port: int) -> dict[str, object]:
    """Run inside the namespace, FTS starting: connect, send, collect what is relayed."""
    from dronewall.interop.cot import from_xml, track_to_cot
    from dronewall.interop.cot.event import CotError
    from dronewall.interop.cot.transport import CotSender
    from dronewall.model import Track

    t_start = time.monotonic()
    deadline = t_start + 90.0
    while True:  # FTS takes ~10 s to open its CoT port
        try:
            rx = socket.create_connection((host, port), timeout=2.0)
            break
        except OSError:
            if time.monotonic() > deadline:
                return {"error": f"FTS CoT port {port} never opened"}
            time.sleep(0.5)
    t_port = time.monotonic() - t_start
    time.sleep(2.0)  # let its routing workers settle
    rx.sendall(_sa("dronewall-test-eud", "EUD-1", time.time()))
    buf = bytearray()

    def read() -> None:
        rx.settimeout(0.5)
        while not stop.is_set():
            try:
                chunk = rx.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            buf.extend(chunk)

    stop = threading.Event()
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    time.sleep(1.0)

    now = time.time()  # a live peer drops stale events: stamp them with the wall clock
    cov = np.diag([100.0, 400.0, 900.0, 4.0, 4.0, 1.0]).tolist()
    tracks = [Track(id=f"FTS{i}", time=now, status="confirmed", lat=50.45 + 0.01 * i,
                    lon=30.52, alt=300.0, ve=-30.0, vn=40.0, vu=0.0, covariance=cov,
                    born=now - 10, class_label="shahed", identity="hostile")
              for i in range(N_TRACKS)]
    want = {f"dronewall.{t.id}" for t in tracks}
    tls_tracks = [msgspec.structs.replace(t, id=f"TLS{i}") for i, t in enumerate(tracks[:2])]
    want_tls = {f"dronewall.{t.id}" for t in tls_tracks}

    marks: dict[str, float] = {}

    async def send() -> None:
        marks["sending"] = time.monotonic() - t_start
        async with CotSender(f"tcp://{host}:{port}") as sender:
            await sender.send_xml(_sa("dronewall-c2", "DRONEWALL", now))
            await asyncio.sleep(1.0)
            for t in tracks:
                await sender.send(track_to_cot(t, stale_s=120.0))
            await sender.flush()
            # Stay connected while the server relays.
            end = time.monotonic() + 20.0
            while time.monotonic() < end and not want <= _uids(bytes(buf)):
                await asyncio.sleep(0.2)
            marks["tcp relayed"] = time.monotonic() - t_start
        # The same over TLS (port 8089), with the client certificate FTS generated.
        certs = "/opt/fts/certs"
        tls = {"PYTAK_TLS_CLIENT_CERT": f"{certs}/Client.pem",
               "PYTAK_TLS_CLIENT_KEY": f"{certs}/Client.key",
               "PYTAK_TLS_CLIENT_CAFILE": f"{certs}/ca.pem",
               "PYTAK_TLS_DONT_CHECK_HOSTNAME": "1"}  # FTS's server cert is for "server"
        async with CotSender(f"tls://{host}:{TLS_PORT}", extra=tls) as sender:
            await sender.send_xml(_sa("dronewall-c2-tls", "DRONEWALL-TLS", now))
            await asyncio.sleep(1.0)
            for t in tls_tracks:
                await sender.send(track_to_cot(t, stale_s=120.0))
            await sender.flush()
            end = time.monotonic() + 15.0
            while time.monotonic() < end and not want_tls <= _uids(bytes(buf)):
                await asyncio.sleep(0.2)
            marks["tls relayed"] = time.monotonic() - t_start

    def _uids(data: bytes) -> set[str]:
        return {e["uid"] for e in _parse(data)}

    def _parse(data: bytes) -> list[dict[str, str]]:
        out = []
        for part in data.split(b"</event>"):
            start = part.find(b"<event")
            if start < 0:
                continue
            try:
                ev = from_xml(part[start:] + b"</event>")
            except CotError:
                continue
            out.append({"uid": ev.uid, "type": ev.type, "lat": repr(ev.lat),
                        "callsign": ev.callsign or ""})
        return out

    asyncio.run(send())
    marks["sent"] = time.monotonic() - t_start
    stop.set()
    reader.join(2.0)
    rx.close()
    return {"received": _parse(bytes(buf)), "bytes": len(buf), "port_open_s": t_port,
            "total_s": time.monotonic() - t_start, "marks": marks}


def _skip_or_fail(reason: str) -> None:
    if REQUIRED:
        pytest.fail(reason + " (DRONEWALL_REQUIRE_TAK=1)")
    pytest.skip(reason + "; run tools/freetakserver.sh, or set DRONEWALL_REQUIRE_TAK=1 to "
                "make this a failure")


def test_freetakserver_relays_our_tracks(tmp_path: Path) -> None:
    fts_python = FTS_VENV / "bin" / "python"
    if not fts_python.exists():
        _skip_or_fail(f"no FreeTAKServer venv at {FTS_VENV} (DRONEWALL_FTS_VENV)")
    if shutil.which("unshare") is None or os.geteuid() != 0:
        _skip_or_fail("FreeTAKServer runs in a private network namespace: needs root and "
                      "unshare")
    state = tmp_path / "fts-state"
    state.mkdir()
    # FTS keeps its state in the hard-coded /opt/fts: give it our temporary directory
    # there. If /opt/fts does not exist, a tmpfs over /opt (seen only inside the
    # namespace) avoids creating it on the host, unless a Python we run lives in /opt.
    pythons = (os.path.realpath(sys.executable), os.path.realpath(fts_python))
    make_opt = ("mkdir -p /opt/fts" if any(p.startswith("/opt/") for p in pythons)
                else "mount -t tmpfs tmpfs /opt && mkdir /opt/fts")
    script = f"""
set -e
ip link set lo up
[ -d /opt/fts ] || {{ {make_opt}; }}
mount --bind {state} /opt/fts
cd {tmp_path}
FTS_FIRST_START=false {fts_python} -m FreeTAKServer.controllers.services.FTS \\
    -AutoStart True -CoTIP 0.0.0.0 -DataPackageIP 127.0.0.1 > {tmp_path}/fts.log 2>&1 &
{sys.executable} {Path(__file__).resolve()} --relay-check 127.0.0.1 8087
"""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    proc = subprocess.run(
        ["unshare", "--net", "--mount", "--pid", "--fork", "--mount-proc", "bash", "-c", script],
        capture_output=True, text=True, timeout=150, env=env,
    )
    log = (tmp_path / "fts.log").read_text(errors="replace")[-3000:] if (
        tmp_path / "fts.log").exists() else ""
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    assert proc.returncode == 0 and lines, (
        f"relay check failed rc={proc.returncode}\nstdout:{proc.stdout[-2000:]}\n"
        f"stderr:{proc.stderr[-2000:]}\nFTS log:{log}")
    result = json.loads(lines[-1])
    print(f"FTS relayed {len(result['received'])} events, {result['bytes']} bytes; port "
          f"open after {result['port_open_s']:.1f} s, check took {result['total_s']:.1f} s "
          f"{result['marks']}")
    assert "error" not in result, f"{result}\nFTS log:{log}"
    got = {e["uid"]: e for e in result["received"] if e["uid"].startswith("dronewall.")}
    want = {f"dronewall.FTS{i}" for i in range(N_TRACKS)} | {"dronewall.TLS0", "dronewall.TLS1"}
    assert set(got) == want, (result, log)  # TCP and TLS senders, relayed to a TCP client
    for i in range(N_TRACKS):
        assert got[f"dronewall.TLS{min(i, 1)}"]["type"] == "a-h-A-M-F-Q"
        ev = got[f"dronewall.FTS{i}"]
        assert ev["type"] == "a-h-A-M-F-Q"
        assert float(ev["lat"]) == pytest.approx(50.45 + 0.01 * i)
        assert ev["callsign"] == f"FTS{i} shahed"


if __name__ == "__main__" and len(sys.argv) == 4 and sys.argv[1] == "--relay-check":
    print(json.dumps(relay_check(sys.argv[2], int(sys.argv[3]))), flush=True)
