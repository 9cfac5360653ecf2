"""The live service: the same stages as the embedded run, driven by the clock, with the
picture streamed out to TAK devices as Cursor-on-Target.

Inputs, one time base at a time:

- a scenario played against the wall clock (``speed`` times real time): its simulated
  sensors' detections are released when the scenario clock passes their time;
- SAPIENT nodes over TCP (BSI Flex 335): third-party sensors register and report; their
  detections carry the nodes' own timestamps.

Every detection, track and event is stored (SQLite, hash-chained, like a demo run) and
tracks and events go to a TAK server or client as CoT (``tcp://``, ``udp://``,
``tls://``). Only this layer reads the wall clock; the stages keep the times of the
messages.
"""

from __future__ import annotations

import asyncio
import logging
import time as wallclock
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dronewall.airspace.classify import KinematicClassifier
from dronewall.airspace.monitor import AirspaceMonitor
from dronewall.fusion.tracker import Tracker
from dronewall.geo.frames import LocalFrame
from dronewall.model import Detection, Event, Sensor, Track, Zone
from dronewall.pipeline import airspace_zones, frame_origin
from dronewall.sim.scenario import Scenario
from dronewall.store import RunStore

log = logging.getLogger(__name__)


class ServeError(Exception):
    """A service that cannot start as configured."""


@dataclass
class ServeConfig:
    store_path: Path
    scenario: Scenario | None = None
    speed: float = 1.0
    sapient: tuple[str, int] | None = None  # listen address for SAPIENT nodes
    origin: tuple[float, float] | None = None  # tracker frame origin (live inputs)
    watch: Sequence[str] = ()
    cot_url: str | None = None
    cot_proto: bool = False
    duration_s: float | None = None  # wall seconds; None: to the scenario's end, or forever
    tick_s: float = 0.25


@dataclass
class ServeStats:
    detections: int = 0
    tracks: int = 0
    events: int = 0
    cot_sent: int = 0
    sapient_port: int | None = None
    counters: dict[str, int] = field(default_factory=dict)


class Picture:
    """Tracker, classifier and airspace monitor, fed in batches; what they emit is stored
    and handed to ``publish``."""

    def __init__(self, frame: LocalFrame, zones: Sequence[Zone], watch: Sequence[str],
                 store: RunStore, publish: Callable[[Sequence[Track | Event]], None]) -> None:
        self.tracker = Tracker(frame)
        self.classifier = KinematicClassifier()
        self.monitor = AirspaceMonitor(zones, watch)
        self.store = store
        self.publish = publish
        self.stats = ServeStats()

    def ingest(self, detections: Sequence[Detection]) -> None:
        ordered = sorted(detections, key=lambda d: d.time)
        self.store.append("detections", ordered)
        self.stats.detections += len(ordered)
        self._emit(self.classifier.process(self.tracker.process(ordered)))

    def finish(self, time: float) -> None:
        self._emit(self.classifier.process(self.tracker.finish(time)))
        events = self.monitor.finish(time)
        self.store.append("events", events)
        self.stats.events += len(events)
        self.publish(events)

    def _emit(self, tracks: list[Track]) -> None:
        events = self.monitor.process(tracks)
        self.store.append("tracks", tracks)
        self.store.append("events", events)
        self.stats.tracks += len(tracks)
        self.stats.events += len(events)
        self.publish([*tracks, *events])
        self.store.flush()


async def serve(config: ServeConfig, *, ready: Callable[[ServeStats], None] | None = None
                ) -> ServeStats:
    """Run the live service until the duration or the scenario's end; return its counts.

    ``ready`` is called once inputs listen (with the bound SAPIENT port)."""
    if config.scenario is not None and config.sapient is not None:
        raise ServeError("choose one time base: a scenario or live SAPIENT nodes, not both")
    if config.scenario is None and config.sapient is None:
        raise ServeError("nothing to serve: give a scenario or a SAPIENT listen address")
    sensors: list[Sensor] = []
    pending: list[Detection] = []
    sim_start = sim_end = 0.0
    watch = list(config.watch)
    extra_zones: list[Zone] = []
    if config.scenario is not None:
        from dronewall.sim.simulator import simulate

        sim = simulate(config.scenario)
        sensors, pending = list(sim.sensors), list(sim.detections)
        sim_start, sim_end = sim.start, sim.end
        watch = watch or list(config.scenario.watch)
        extra_zones = list(sim.zones)
    if config.origin is not None:
        lat0, lon0 = config.origin
    elif sensors:
        lat0, lon0 = frame_origin(sensors)
    else:
        raise ServeError("live inputs need the tracker's origin: --origin LAT,LON")

    store = RunStore.create(config.store_path)
    store.set_meta("status", "running")
    store.append("sensors", sensors)
    zones = [*airspace_zones(()), *extra_zones]
    store.append("zones", zones)
    outbox: asyncio.Queue[Track | Event] = asyncio.Queue()

    def publish(msgs: Sequence[Track | Event]) -> None:
        for m in msgs:
            outbox.put_nowait(m)

    picture = Picture(LocalFrame(lat0, lon0), zones, watch, store, publish)
    stats = picture.stats
    tasks: list[asyncio.Task[Any]] = []
    server: Any = None
    if config.cot_url:
        tasks.append(asyncio.create_task(_cot_out(config.cot_url, config.cot_proto, outbox,
                                                  stats)))
    else:
        tasks.append(asyncio.create_task(_drain(outbox)))
    if config.sapient is not None:
        from dronewall.interop.sapient.transport import SapientServer

        host, port = config.sapient
        server = SapientServer(node_id="dronewall-fusion", host=host, port=port)
        await server.start()
        stats.sapient_port = server.port
        log.info("SAPIENT nodes: listening on %s:%d", host, server.port)
    if ready:
        ready(stats)

    wall0 = wallclock.monotonic()
    last_time = 0.0
    try:
        while True:
            elapsed = wallclock.monotonic() - wall0
            if config.duration_s is not None and elapsed >= config.duration_s:
                break
            batch: list[Detection] = []
            if config.scenario is not None:
                now = sim_start + elapsed * config.speed
                k = 0
                while k < len(pending) and pending[k].time <= now:
                    k += 1
                batch, pending = pending[:k], pending[k:]
                last_time = min(now, sim_end)
            if server is not None:
                while not server.detections.empty():
                    batch.append(server.detections.get_nowait())
            if batch:
                picture.ingest(batch)
                last_time = max(last_time, max(d.time for d in batch))
            if config.scenario is not None and last_time >= sim_end and not pending:
                break
            await asyncio.sleep(config.tick_s)
    finally:
        if server is not None:
            stats.counters.update({f"sapient {k}": v for k, v in server.stats.rejected.items()})
            await server.stop()
        picture.finish(last_time)
        await outbox.join()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        store.set_meta("status", "complete")
        store.set_meta("watch", watch)
        store.close()
    return stats


async def _drain(outbox: asyncio.Queue[Any]) -> None:
    while True:
        await outbox.get()
        outbox.task_done()


async def _cot_out(url: str, protobuf: bool, outbox: asyncio.Queue[Any],
                   stats: ServeStats) -> None:
    """Send tracks and events as CoT for as long as the service runs."""
    from dronewall.interop.cot.build import CotConverter
    from dronewall.interop.cot.transport import CotSender

    conv = CotConverter()
    async with CotSender(url, protobuf=protobuf) as sender:
        while True:
            msg = await outbox.get()
            try:
                event = conv.convert(msg)
                if event is not None:
                    await sender.send(event)
                    stats.cot_sent += 1
            finally:
                outbox.task_done()
            if outbox.empty():
                await sender.flush()
