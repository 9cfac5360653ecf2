"""The server's moving parts in one place: the picture state, the source feeding it,
the tokens, and the WebSocket clients the picture's changes are streamed to.

One update cycle (``cycle_s``, 1 s by default, so at most 1 Hz per track): the changes
since the last cycle become one delta, encoded once and queued to every client. A
client that connects, or whose picture must be rebuilt (a replay seek, a queue it did
not keep up with), gets a full snapshot at the next cycle instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time as wallclock
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from dronewall.api.auth import Tokens
from dronewall.api.sources import LiveSource, ReplaySource
from dronewall.api.state import PictureState

log = logging.getLogger(__name__)

_encode = msgspec.json.Encoder().encode


@dataclass
class StreamStats:
    messages: int = 0
    bytes: int = 0
    snapshots: int = 0
    dropped_clients: int = 0


class Client:
    """One WebSocket subscriber: a bounded queue of encoded messages."""

    def __init__(self, maxsize: int = 64) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=maxsize)
        self.needs_snapshot = True

    def offer(self, data: bytes) -> None:
        """Queue a message; one it cannot keep up with is resynchronised by snapshot."""
        if self.needs_snapshot:
            return
        try:
            self.queue.put_nowait(data)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.needs_snapshot = True


class Hub:
    """State, source, tokens and stream clients of one server.

    ``replay_after_live``: when a live run ends, keep serving its stored run for replay
    (paused at its end)."""

    def __init__(self, state: PictureState, source: LiveSource | ReplaySource, tokens: Tokens,
                 *, cycle_s: float = 1.0, replay_after_live: bool = True,
                 replay_speed: float = 1.0) -> None:
        self.state = state
        self.source = source
        self.tokens = tokens
        self.cycle_s = cycle_s
        self.replay_after_live = replay_after_live
        self.replay_speed = replay_speed
        self.clients: set[Client] = set()
        self.stats = StreamStats()
        self._wake: asyncio.Event | None = None
        self._generation = state.generation
        self.on_replay: Callable[[ReplaySource], None] | None = None

    # ------------------------------------------------------------------ run info
    @property
    def mode(self) -> str:
        return self.source.mode

    def clock(self) -> float | None:
        return self.source.clock()

    def run_dict(self) -> dict[str, Any]:
        info = self.source.info()
        return {"scenario": info.scenario, "title": info.title, "start": info.start,
                "end": info.end, "time": self.clock(), "mode": info.mode,
                "speed": info.speed, "paused": info.paused}

    # ------------------------------------------------------------------ clients
    def connect(self) -> Client:
        client = Client()
        self.clients.add(client)
        if self._wake is not None:
            self._wake.set()
        return client

    def disconnect(self, client: Client) -> None:
        self.clients.discard(client)

    def cycle(self) -> None:
        """One update cycle: a delta to every synchronised client, snapshots to the rest."""
        if hasattr(self.source, "step"):
            self.source.step()
        state = self.state
        if state.generation != self._generation:  # the picture was rebuilt (seek)
            self._generation = state.generation
            state.clear_changes()
            for c in self.clients:
                c.needs_snapshot = True
        delta = state.take_delta()
        if delta is None and self.mode == "replay" and not self.source.info().paused:
            delta = {"type": "delta", "time": state.time, "tracks": [], "removed": [],
                     "events": [], "recommendations": [], "decisions": []}
        if delta is not None:
            delta["run"] = self.run_dict()
            data = _encode(delta)
            for c in self.clients:
                if not c.needs_snapshot:
                    c.offer(data)
                    self.stats.messages += 1
                    self.stats.bytes += len(data)
        stale = [c for c in self.clients if c.needs_snapshot]
        if stale:
            snap = _encode(state.snapshot(self.run_dict()))
            for c in stale:
                c.needs_snapshot = False
                c.offer(snap)
                self.stats.snapshots += 1
                self.stats.bytes += len(snap)

    async def broadcast(self) -> None:
        """Run update cycles for ever (started by the app's lifespan)."""
        self._wake = asyncio.Event()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.cycle_s)
            self._wake.clear()
            try:
                self.cycle()
            except Exception:  # a bad cycle must not stop the stream
                log.exception("update cycle failed")

    async def run_source(self) -> None:
        """Run the source; a live run that ends turns into a replay of its store."""
        while True:
            source = self.source
            try:
                await source.run()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the %s source failed", source.mode)
            if isinstance(source, LiveSource) and self.replay_after_live:
                path = source.config.store_path
                if not path.exists():
                    return
                end = source.info().end
                replay = ReplaySource(self.state, path, speed=self.replay_speed, paused=True,
                                      at=end if end is not None else source.clock())
                self.source = replay
                if self.on_replay:
                    self.on_replay(replay)
                if self._wake is not None:
                    self._wake.set()
                continue
            return

    def now_or_wall(self) -> float:
        """The run's clock for a new decision; the wall clock before any message."""
        t = self.clock()
        return float(t) if t is not None else wallclock.time()
