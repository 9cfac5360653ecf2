"""Sending CoT to TAK peers: asynchronously through pytak, or plainly to a socket/file.

- :class:`CotSender` queues events into pytak's ``TXWorker`` over pytak's own transport
  (``COT_URL`` ``tcp://host:8087``, ``udp://host:port`` or ``udp://239.2.3.1:6969``
  multicast, both sent write-only as ``udp+wo://``, ``tls://host:8089`` with pytak's
  ``PYTAK_TLS_*`` settings). With ``protobuf=True`` pytak sends TAK Protocol v1
  (``TAK_PROTO=1``: stream framing on TCP/TLS, mesh framing to a multicast group);
  otherwise CoT XML. :func:`forward` pipes a live message stream through one.
- :func:`encode_events` / :func:`write_events` / :func:`write_cot`: XML one event per
  line, or a TAK protobuf stream, for ``dronewall convert --to cot`` (file or stdout).
- :func:`send_events`: the same bytes over one plain TCP connection or UDP datagrams.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterable, Iterable, Iterator, Mapping
from configparser import ConfigParser
from typing import IO, Any, Literal
from urllib.parse import urlparse

from dronewall.interop.cot.build import CotConverter, messages_to_cot
from dronewall.interop.cot.event import CotEvent, to_xml
from dronewall.interop.cot.proto import to_proto

Encoding = Literal["xml", "proto"]


def encode_events(events: Iterable[CotEvent], encoding: Encoding = "xml", *,
                  datagram: bool = False) -> Iterator[bytes]:
    """Wire bytes of each event: XML plus a newline, or a TAK protobuf frame (stream
    framing; mesh framing when ``datagram``, as TAK expects on UDP)."""
    for ev in events:
        if encoding == "xml":
            yield to_xml(ev) + b"\n"
        else:
            yield to_proto(ev, "mesh" if datagram else "stream")


def write_events(events: Iterable[CotEvent], out: IO[bytes], encoding: Encoding = "xml") -> int:
    """Write events to a binary file (XML lines or a protobuf stream); returns the count."""
    n = 0
    for chunk in encode_events(events, encoding):
        out.write(chunk)
        n += 1
    return n


def write_cot(messages: Iterable[object], out: IO[bytes], encoding: Encoding = "xml") -> int:
    """Write the CoT events of a message stream's tracks and events (other kinds are
    skipped); returns the number of events written."""
    return write_events(messages_to_cot(messages), out, encoding)


def send_events(url: str, events: Iterable[CotEvent], encoding: Encoding = "xml", *,
                timeout: float = 10.0) -> int:
    """Send events synchronously to ``tcp://host:port`` (one connection) or
    ``udp://host:port`` (one datagram each); returns the number sent."""
    u = urlparse(url)
    if u.scheme not in ("tcp", "udp") or not u.hostname or not u.port:
        raise ValueError(f"CoT URL must be tcp://HOST:PORT or udp://HOST:PORT, not {url!r}")
    n = 0
    if u.scheme == "tcp":
        with socket.create_connection((u.hostname, u.port), timeout=timeout) as s:
            for chunk in encode_events(events, encoding):
                s.sendall(chunk)
                n += 1
    else:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for chunk in encode_events(events, encoding, datagram=True):
                s.sendto(chunk, (u.hostname, u.port))
                n += 1
    return n


def pytak_config(url: str, *, protobuf: bool = False,
                 extra: Mapping[str, str] | None = None) -> Any:
    """A pytak configuration section for ``url`` (``extra`` adds e.g. PYTAK_TLS_*)."""
    parser = ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep key case
    parser["dronewall"] = {"COT_URL": url, "TAK_PROTO": "1" if protobuf else "0",
                           **dict(extra or {})}
    return parser["dronewall"]


class CotSender:
    """Queue CoT events into pytak's TX worker; use as ``async with CotSender(url) as s``.

    ``send`` enqueues (dropping the oldest when the queue is full, pytak's policy);
    ``flush`` waits until everything enqueued has been written to the transport.
    """

    def __init__(self, url: str, *, protobuf: bool = False, max_queue: int = 10_000,
                 extra: Mapping[str, str] | None = None) -> None:
        if url.startswith("udp://"):
            # A sender only writes: pytak would otherwise also bind a reader to the
            # destination's address and port.
            url = "udp+wo://" + url[len("udp://"):]
        self.config = pytak_config(url, protobuf=protobuf, extra=extra)
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(max_queue)
        self.enqueued = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._writer: Any = None
        self._worker: Any = None

    async def start(self) -> None:
        """Open pytak's transport and start its TX worker (and a discarding RX worker,
        so a server's replies never fill the socket buffer)."""
        import pytak

        reader, self._writer = await pytak.protocol_factory(self.config)
        self._worker = _CountingTXWorker(self.queue, self.config, self._writer)
        self._tasks.append(asyncio.create_task(self._worker.run()))
        if reader is not None and hasattr(reader, "readuntil"):
            rx = pytak.DiscardRXWorker(asyncio.Queue(1), self.config, reader)
            self._tasks.append(asyncio.create_task(rx.run()))

    async def send(self, event: CotEvent) -> None:
        """Enqueue one event (XML; pytak converts to protobuf when configured)."""
        await self.send_xml(to_xml(event))

    async def send_xml(self, data: bytes) -> None:
        """Enqueue one CoT XML event as is (e.g. our own SA/presence event)."""
        await self.queue.put(data)
        self.enqueued += 1

    @property
    def sent(self) -> int:
        """Events written to the transport so far."""
        return self._worker.sent if self._worker is not None else 0

    async def flush(self, timeout: float = 10.0) -> None:
        """Wait until every enqueued event is written; TimeoutError otherwise."""
        async def done() -> None:
            while self.sent < self.enqueued:
                for t in self._tasks:
                    if t.done() and t.exception() is not None:
                        raise ConnectionError(f"pytak worker failed: {t.exception()}")
                await asyncio.sleep(0.005)
        await asyncio.wait_for(done(), timeout)

    async def close(self) -> None:
        """Flush what can be flushed, stop the workers and close the transport."""
        try:
            await self.flush(timeout=5.0)
        finally:
            for t in self._tasks:
                t.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            if self._writer is not None and hasattr(self._writer, "close"):
                self._writer.close()
                if hasattr(self._writer, "wait_closed"):
                    # A TLS peer may never answer our close_notify: do not hang on it.
                    with contextlib.suppress(ConnectionError, OSError, TimeoutError):
                        await asyncio.wait_for(self._writer.wait_closed(), 2.0)

    async def __aenter__(self) -> CotSender:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _CountingTXWorker(queue: asyncio.Queue[bytes], config: Any, writer: Any) -> Any:
    """pytak's TX worker, counting what it has written (for ``flush``); pytak is
    imported here so the module loads without it."""
    import pytak

    class CountingTXWorker(pytak.TXWorker):
        sent = 0

        async def handle_data(self, data: bytes) -> None:
            await super().handle_data(data)
            self.sent += 1

    return CountingTXWorker(queue, config, writer)


async def forward(messages: AsyncIterable[object], url: str, *, protobuf: bool = False,
                  extra: Mapping[str, str] | None = None) -> int:
    """Send the CoT events of a live message stream (tracks, events) to a TAK peer
    until the stream ends; returns the number sent. Stale times follow each track's
    update interval, as in :func:`~dronewall.interop.cot.build.messages_to_cot`."""
    conv = CotConverter()
    async with CotSender(url, protobuf=protobuf, extra=extra) as sender:
        async for msg in messages:
            ev = conv.convert(msg)
            if ev is not None:
                await sender.send(ev)
        await sender.flush()
        return sender.sent
