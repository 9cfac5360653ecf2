"""CoT out through pytak, received by real sockets on 127.0.0.1 and parsed back.

Our :class:`CotSender` queues events into pytak's TX worker over pytak's TCP and UDP
transports, in CoT XML and in TAK protobuf (pytak's own XML->protobuf conversion); the
receivers here are plain asyncio servers, and what arrives is parsed with our parsers
and with takproto's.
"""

from __future__ import annotations

import asyncio
import socket

import numpy as np
import pytest
import takproto

from dronewall.interop.cot import from_xml, track_to_cot
from dronewall.interop.cot.event import CotEvent
from dronewall.interop.cot.proto import from_mesh, from_stream
from dronewall.interop.cot.transport import CotSender, send_events
from dronewall.model import Track

T0 = 1_790_000_000.0
N = 25


def tracks(n: int = N) -> list[Track]:
    cov = np.diag([100.0, 400.0, 900.0, 4.0, 4.0, 1.0]).tolist()
    return [Track(id=f"T{i:04d}", time=T0 + i, status="confirmed", lat=50.0 + i * 1e-3,
                  lon=30.0, alt=200.0 + i, ve=10.0, vn=-40.0, vu=0.0, covariance=cov,
                  born=T0 - 5, class_label="shahed", identity="hostile")
            for i in range(n)]


def split_xml(data: bytes) -> list[CotEvent]:
    parts = [p.strip() for p in data.split(b"</event>") if p.strip()]
    return [from_xml(p + b"</event>") for p in parts]


def check(received: list[CotEvent], sent: list[Track]) -> None:
    assert [e.uid for e in received] == [f"dronewall.{t.id}" for t in sent]
    for e, t in zip(received, sent, strict=True):
        assert e.type == "a-h-A-M-F-Q"
        assert (e.lat, e.lon, e.hae) == pytest.approx((t.lat, t.lon, t.alt))
        assert e.stale == pytest.approx(t.time + 10.0, abs=1e-3)


async def _tcp_round(protobuf: bool) -> bytes:
    got = bytearray()
    closed = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while chunk := await reader.read(65536):
            got.extend(chunk)
        writer.close()
        closed.set()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        async with CotSender(f"tcp://127.0.0.1:{port}", protobuf=protobuf) as sender:
            for t in tracks():
                await sender.send(track_to_cot(t))
            await sender.flush()
            assert sender.sent == N
        await asyncio.wait_for(closed.wait(), 5.0)
    return bytes(got)


def test_pytak_tcp_xml() -> None:
    check(split_xml(asyncio.run(_tcp_round(protobuf=False))), tracks())


def test_pytak_tcp_protobuf_stream() -> None:
    data = asyncio.run(_tcp_round(protobuf=True))
    assert data[0] == 0xBF and not data.startswith(b"\xbf\x01\xbf")  # stream framing
    check(from_stream(data), tracks())
    # takproto's parser reads the first frame too.
    assert takproto.parse_proto(bytearray(data)).cotEvent.uid == "dronewall.T0000"


class _Collect(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.datagrams: list[bytes] = []

    def datagram_received(self, data: bytes, addr: object) -> None:
        self.datagrams.append(data)


async def _udp_round(protobuf: bool) -> list[bytes]:
    loop = asyncio.get_running_loop()
    transport, proto = await loop.create_datagram_endpoint(
        _Collect, local_addr=("127.0.0.1", 0))
    port = transport.get_extra_info("sockname")[1]
    try:
        async with CotSender(f"udp://127.0.0.1:{port}", protobuf=protobuf) as sender:
            for t in tracks():
                await sender.send(track_to_cot(t))
            await sender.flush()
        for _ in range(200):
            if len(proto.datagrams) >= N:
                break
            await asyncio.sleep(0.01)
    finally:
        transport.close()
    return proto.datagrams


def test_pytak_udp_xml() -> None:
    check([from_xml(d) for d in asyncio.run(_udp_round(protobuf=False))], tracks())


def test_pytak_udp_protobuf() -> None:
    # pytak uses stream framing to a unicast address (mesh only for multicast groups).
    grams = asyncio.run(_udp_round(protobuf=True))
    check([from_stream(d)[0] for d in grams], tracks())


def test_plain_socket_sender_tcp_and_udp() -> None:
    evs = [track_to_cot(t) for t in tracks(5)]
    with socket.create_server(("127.0.0.1", 0)) as srv:
        port = srv.getsockname()[1]
        assert send_events(f"tcp://127.0.0.1:{port}", evs, "proto") == 5
        conn, _ = srv.accept()
        with conn:
            conn.settimeout(5.0)
            data = b""
            while chunk := conn.recv(65536):
                data += chunk
    check(from_stream(data), tracks(5))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as rx:
        rx.bind(("127.0.0.1", 0))
        rx.settimeout(5.0)
        send_events(f"udp://127.0.0.1:{rx.getsockname()[1]}", evs, "proto")
        grams = [rx.recv(65536) for _ in evs]
    check([from_mesh(g) for g in grams], tracks(5))
    with pytest.raises(ValueError, match="tcp://HOST:PORT"):
        send_events("http://x", evs)


def test_forward_live_stream_over_pytak() -> None:
    """``forward``: what ``dronewall serve --cot`` runs, tracks and events from an async
    message stream to a TAK peer; detections and other kinds are skipped."""
    from dronewall.interop.cot.transport import forward
    from dronewall.model import Event, GeoPoint

    msgs: list[object] = [*tracks(3), Event(
        id="E1", time=T0, kind="incursion_start", message="T0000 entered", track_id="T0000",
        zone_id="UKR", position=GeoPoint(lat=50.0, lon=30.0)), "not a message"]

    async def run() -> tuple[int, bytes]:
        got = bytearray()
        done = asyncio.Event()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            while chunk := await reader.read(65536):
                got.extend(chunk)
            done.set()

        async def stream():  # type: ignore[no-untyped-def]
            for m in msgs:
                yield m

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            n = await forward(stream(), f"tcp://127.0.0.1:{port}", protobuf=True)
            await asyncio.wait_for(done.wait(), 5.0)
        return n, bytes(got)

    n, data = asyncio.run(run())
    evs = from_stream(data)
    assert n == 4 and [e.type for e in evs] == ["a-h-A-M-F-Q"] * 3 + ["b-a-g"]
