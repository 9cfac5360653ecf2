"""SAPIENT over TCP: a fusion-node server that accepts edge nodes, and a node-side client.

The conversation of BSI Flex 335: a node connects, sends a ``Registration`` and waits for
the ``RegistrationAck``; then it sends ``StatusReport`` (heartbeat, with its location) and
``DetectionReport`` messages. Every message is framed as in :mod:`.framing`. The server
answers a message it cannot use with a SAPIENT ``Error`` (the offending packet and the
reason), counts it and goes on; an oversized frame (unknown boundary) closes that
connection only.
"""

from __future__ import annotations

import asyncio
import contextlib
import time as _time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType

from dronewall.interop.sapient.convert import (
    SapientError,
    SapientMessage,
    detection_from_sapient,
    node_position,
    set_time,
)
from dronewall.interop.sapient.framing import (
    HEADER,
    MAX_FRAME,
    FrameError,
    check_length,
    encode_frame,
    parse_message,
)
from dronewall.model.messages import Detection, GeoPoint


@dataclass
class ServerStats:
    """Counters of a :class:`SapientServer` (bad frames and rejected messages by reason)."""

    connections: int = 0
    messages: Counter[str] = field(default_factory=Counter)  # by content type
    bad_frames: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    detections: int = 0


async def _read_frame(reader: asyncio.StreamReader, max_frame: int) -> bytes | None:
    """The next frame's payload, None at a clean end of stream; FrameError if oversized."""
    try:
        head = await reader.readexactly(HEADER.size)
    except asyncio.IncompleteReadError as exc:
        if exc.partial:
            raise FrameError("truncated", "stream ended inside a length prefix") from None
        return None
    (length,) = HEADER.unpack(head)
    check_length(length, max_frame)
    try:
        return await reader.readexactly(length)
    except asyncio.IncompleteReadError:
        raise FrameError("truncated", "stream ended inside a frame") from None


class SapientServer:
    """A fusion node's SAPIENT endpoint: registers nodes, turns their detection reports
    into our :class:`Detection` messages (on :attr:`detections`, and ``on_detection``).

    ``sensor_positions`` seeds the node positions (node UUID -> GeoPoint); status reports
    with ``node_location`` update them. ``clock`` stamps the server's own messages."""

    def __init__(self, *, node_id: str, host: str = "127.0.0.1", port: int = 0,
                 max_frame: int = MAX_FRAME,
                 sensor_positions: Mapping[str, GeoPoint] | None = None,
                 on_detection: Callable[[Detection], None] | None = None,
                 clock: Callable[[], float] = _time.time) -> None:
        self.node_id, self.host, self.port = node_id, host, port
        self.max_frame = max_frame
        self.positions: dict[str, GeoPoint] = dict(sensor_positions or {})
        self.registered: dict[str, SapientMessage] = {}
        self.detections: asyncio.Queue[Detection] = asyncio.Queue()
        self.stats = ServerStats()
        self._on_detection = on_detection
        self._clock = clock
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen; :attr:`port` is the bound port afterwards (0 picks a free one)."""
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> SapientServer:
        await self.start()
        return self

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    def _reply(self, to: str) -> SapientMessage:
        msg = SapientMessage(node_id=self.node_id)
        if to:
            msg.destination_id = to
        set_time(msg, self._clock())
        return msg

    def _error(self, writer: asyncio.StreamWriter, to: str, packet: bytes, reason: str) -> None:
        msg = self._reply(to)
        msg.error.packet = packet[:4096]
        msg.error.error_message.append(reason)
        writer.write(encode_frame(msg))

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self.stats.connections += 1
        try:
            while True:
                try:
                    payload = await _read_frame(reader, self.max_frame)
                except FrameError as exc:  # the boundary is lost: close this connection
                    self.stats.bad_frames[exc.reason] += 1
                    self._error(writer, "", b"", str(exc))
                    break
                if payload is None:
                    break
                try:
                    msg = parse_message(payload)
                except FrameError as exc:
                    self.stats.bad_frames[exc.reason] += 1
                    self._error(writer, "", payload, str(exc))
                    await writer.drain()
                    continue
                self._dispatch(msg, payload, writer)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    def _dispatch(self, msg: SapientMessage, payload: bytes,
                  writer: asyncio.StreamWriter) -> None:
        kind = msg.WhichOneof("content") or ""
        self.stats.messages[kind] += 1
        sender = msg.node_id
        if kind == "registration":
            reasons = []
            if not sender:
                reasons.append("node_id: missing (mandatory)")
            if not msg.registration.node_definition:
                reasons.append("registration.node_definition: missing (mandatory)")
            if not msg.registration.icd_version:
                reasons.append("registration.icd_version: missing (mandatory)")
            ack = self._reply(sender)
            ack.registration_ack.acceptance = not reasons
            ack.registration_ack.ack_response_reason.extend(reasons)
            if reasons:
                self.stats.rejected["registration"] += 1
            else:
                self.registered[sender] = msg
            writer.write(encode_frame(ack))
        elif kind == "status_report":
            try:
                pos = node_position(msg)
            except SapientError as exc:
                self.stats.rejected["status_report"] += 1
                self._error(writer, sender, payload, str(exc))
                return
            if pos is not None:
                self.positions[sender] = pos
        elif kind == "detection_report":
            if sender not in self.registered:
                self.stats.rejected["unregistered"] += 1
                self._error(writer, sender, payload,
                            f"node_id: {sender!r} has not registered")
                return
            try:
                det = detection_from_sapient(msg, sensor_positions=self.positions)
            except SapientError as exc:
                self.stats.rejected["detection_report"] += 1
                self._error(writer, sender, payload, str(exc))
                return
            self.stats.detections += 1
            self.detections.put_nowait(det)
            if self._on_detection is not None:
                self._on_detection(det)


class SapientClient:
    """A node's side of the connection: register, then send reports."""

    def __init__(self, host: str, port: int, *, max_frame: int = MAX_FRAME) -> None:
        self.host, self.port, self.max_frame = host, port, max_frame
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)

    async def __aenter__(self) -> SapientClient:
        await self.connect()
        return self

    async def __aexit__(self, et: type[BaseException] | None, e: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    async def send(self, msg: SapientMessage) -> None:
        """Send one framed message."""
        await self.send_raw(encode_frame(msg))

    async def send_raw(self, data: bytes) -> None:
        """Send bytes as they are (a test's garbage, a recorded session)."""
        if self._writer is None:
            raise ConnectionError("not connected")
        self._writer.write(data)
        await self._writer.drain()

    async def receive(self, timeout: float = 5.0) -> SapientMessage | None:
        """The next message from the server, None when it closed the connection."""
        if self._reader is None:
            raise ConnectionError("not connected")
        payload = await asyncio.wait_for(_read_frame(self._reader, self.max_frame), timeout)
        return None if payload is None else parse_message(payload)

    async def register(self, registration: SapientMessage,
                       timeout: float = 5.0) -> SapientMessage:
        """Send a registration and return the server's ``registration_ack`` message."""
        await self.send(registration)
        while True:
            msg = await self.receive(timeout)
            if msg is None:
                raise ConnectionError("server closed the connection before acknowledging")
            if msg.WhichOneof("content") == "registration_ack":
                return msg

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError):
                await self._writer.wait_closed()
            self._writer = self._reader = None
