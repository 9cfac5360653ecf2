"""The live service: the same stages as the embedded run, driven by the clock, with the
picture published on a bus: to the store, to TAK devices as Cursor-on-Target, and to the
web picture (``dronewall.api``) when one subscribes.

Inputs, one time base at a time:

- a scenario played against the wall clock (``speed`` times real time): its simulated
  sensors' detections are released when the scenario clock passes their time;
- SAPIENT nodes over TCP (BSI Flex 335): third-party sensors register and report; their
  detections carry the nodes' own timestamps.

Every message on the bus is stored (SQLite, hash-chained, like a demo run): detections,
tracks, events, recommendations and the decisions people publish on the same bus.
Only this layer reads the wall clock; the stages keep the times of the messages.
"""

from __future__ import annotations

import asyncio
import logging
import time as wallclock
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import dronewall
from dronewall.bus import Bus
from dronewall.fusion.config import TrackerConfig
from dronewall.geo.frames import LocalFrame
from dronewall.model import Detection, Event, Sensor, Track, TruthState, Zone
from dronewall.pipeline import airspace_zones, frame_origin
from dronewall.sim.scenario import Scenario
from dronewall.stages import Picture, TrackStage
from dronewall.store import RunStore
from dronewall.timeutil import iso

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
    truth: bool = False  # scenario only: also store ground truth, so a report can be made
    identity: bool = True  # adjudicate NATO identities (dronewall.airspace.identity)
    doctrine: str | None = "layered"  # engagement recommendations; None: recommend nothing
    tracker: TrackerConfig | None = None  # the tracker's parameters; None: the defaults

    def check(self) -> None:
        """Raise ServeError for a configuration that cannot run."""
        if self.scenario is not None and self.sapient is not None:
            raise ServeError("choose one time base: a scenario or live SAPIENT nodes, not both")
        if self.scenario is None and self.sapient is None:
            raise ServeError("nothing to serve: give a scenario or a SAPIENT listen address")
        if not self.speed > 0:
            raise ServeError(f"speed must be positive, not {self.speed}")
        if self.scenario is None and self.origin is None:
            raise ServeError("live inputs need the tracker's origin: --origin LAT,LON")


@dataclass
class ServeStats:
    detections: int = 0
    tracks: int = 0
    events: int = 0
    recommendations: int = 0
    decisions: int = 0
    cot_sent: int = 0
    sapient_port: int | None = None
    clock: float | None = None  # the run's clock: scenario time, or the latest message's
    counters: dict[str, int] = field(default_factory=dict)

    def count(self, topic: str, messages: Sequence[Any]) -> None:
        """Bus handler: count what goes through."""
        if topic in ("detections", "tracks", "events", "recommendations", "decisions"):
            setattr(self, topic, getattr(self, topic) + len(messages))


def _standard_track_stages(config: ServeConfig, watch: Sequence[str],
                           zones: Sequence[Zone]) -> list[TrackStage]:
    """The identity adjudicator (with the scenario's flight plans), forgetting tracks an
    hour after they are lost so a long-running service does not grow without end."""
    if not config.identity:
        return []
    from dronewall.stages import identity_stage

    name = config.scenario.name if config.scenario is not None else None
    return [identity_stage(name, watch, zones, keep_lost_s=3600.0).process]


async def serve(config: ServeConfig, *, ready: Callable[[ServeStats], None] | None = None,
                bus: Bus | None = None, track_stages: Sequence[TrackStage] | None = None,
                engagement: Any = None) -> ServeStats:
    """Run the live service until the duration or the scenario's end; return its counts.

    ``ready`` is called once inputs listen (with the bound SAPIENT port) and the store
    is open. ``bus``: publish the picture on this bus (a web picture subscribes to it,
    and people's decisions are published on it); a private one otherwise.
    ``track_stages`` (None: the identity adjudicator, if ``config.identity``) and
    ``engagement`` (None: the engagement stage of ``config.doctrine`` for a scenario with
    a shipped effector laydown) replace the standard stages of :mod:`dronewall.stages`."""
    config.check()
    sensors: list[Sensor] = []
    pending: list[Detection] = []
    truth: list[TruthState] = []
    sim: Any = None
    sim_start = sim_end = 0.0
    watch = list(config.watch)
    extra_zones: list[Zone] = []
    if config.scenario is not None:
        from dronewall.sim.simulator import simulate

        sim = await asyncio.to_thread(simulate, config.scenario)  # keep the loop serving
        sensors, pending = list(sim.sensors), list(sim.detections)
        sim_start, sim_end = sim.start, sim.end
        watch = watch or list(config.scenario.watch)
        extra_zones = list(sim.zones)
        if config.truth:
            truth = sim.truth_states(config.scenario.truth_sample_s)
    if config.origin is not None:
        lat0, lon0 = config.origin
    elif sensors:
        lat0, lon0 = frame_origin(sensors)
    else:
        raise ServeError("live inputs need the tracker's origin: --origin LAT,LON")

    bus = bus if bus is not None else Bus()
    store = RunStore.create(config.store_path)
    store.set_meta("status", "running")
    _write_meta(store, config, watch, (lat0, lon0), sim)
    bus.subscribe("*", lambda topic, msgs: store.append(topic, msgs))
    stats = ServeStats(clock=sim_start if config.scenario is not None else None)
    bus.subscribe("*", stats.count)
    zones = [*airspace_zones(()), *extra_zones]
    bus.publish("sensors", sensors)
    bus.publish("zones", zones)
    store.flush()
    outbox: asyncio.Queue[Track | Event] = asyncio.Queue()

    def to_outbox(_topic: str, msgs: Sequence[Any]) -> None:
        for m in msgs:
            outbox.put_nowait(m)

    bus.subscribe("tracks", to_outbox)
    bus.subscribe("events", to_outbox)
    if track_stages is None:
        track_stages = _standard_track_stages(config, watch, zones)
    if engagement is None and config.scenario is not None and config.doctrine:
        from dronewall.stages import engagement_stage

        engagement = engagement_stage(config.scenario.name, config.scenario.assets, watch,
                                      config.doctrine)
    picture = Picture(LocalFrame(lat0, lon0), zones, watch, bus, track_stages=track_stages,
                      engagement=engagement, tracker_config=config.tracker)
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

    det_times = np.fromiter((d.time for d in pending), float, len(pending))
    truth_times = np.fromiter((s.time for s in truth), float, len(truth))
    i_det = i_truth = 0
    wall0 = wallclock.monotonic()
    last_time = sim_start
    try:
        while True:
            elapsed = wallclock.monotonic() - wall0
            if config.duration_s is not None and elapsed >= config.duration_s:
                break
            batch: list[Detection] = []
            if config.scenario is not None:
                now = min(sim_start + elapsed * config.speed, sim_end)
                k = int(np.searchsorted(det_times, now, side="right"))
                batch, i_det = pending[i_det:k], k
                k = int(np.searchsorted(truth_times, now, side="right"))
                bus.publish("truth.states", truth[i_truth:k])
                i_truth = k
                last_time = now
                stats.clock = now
            if server is not None:
                while not server.detections.empty():
                    batch.append(server.detections.get_nowait())
            if batch:
                picture.ingest(batch)
                last_time = max(last_time, max(d.time for d in batch))
                if config.scenario is None:
                    stats.clock = last_time
            store.flush()
            if config.scenario is not None and last_time >= sim_end and i_det >= len(pending):
                break
            await asyncio.sleep(config.tick_s)
    finally:
        if server is not None:
            stats.counters.update({f"sapient {k}": v for k, v in server.stats.rejected.items()})
            await server.stop()
        picture.finish(last_time)
        if config.scenario is not None and config.truth and last_time >= sim_end:
            from dronewall.eval.truth import truth_events

            bus.publish("truth.events",
                        truth_events(sim.truth_states(1.0), zones, watch, sim_end))
        await _drained(outbox, tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        store.set_meta("counts", dict(bus.published))
        store.set_meta("bus_errors", dict(bus.handler_errors))
        store.set_meta("status", "complete" if last_time >= sim_end or config.scenario is None
                       else "stopped")
        store.close()
    return stats


def _write_meta(store: RunStore, config: ServeConfig, watch: list[str],
                origin: tuple[float, float], sim: Any) -> None:
    """The run's metadata, the same keys as an embedded run where they apply."""
    meta: dict[str, Any] = {"watch": watch, "mode": "live", "speed": config.speed,
                            "frame_origin": list(origin),
                            "dronewall_version": dronewall.__version__}
    scn = config.scenario
    if scn is not None and sim is not None:
        meta.update({
            "scenario": scn.name, "title": scn.title, "description": scn.description,
            "seed": scn.seed, "start": sim.start, "end": sim.end,
            "start_iso": iso(sim.start), "end_iso": iso(sim.end),
            "assets": [[a.name, a.lat, a.lon] for a in scn.assets],
            "asset_details": [{"name": a.name, "lat": a.lat, "lon": a.lon, "kind": a.kind,
                               "value": a.value} for a in scn.assets],
            "target_info": {k: list(v) for k, v in sim.target_info.items()},
        })
    for key, value in meta.items():
        store.set_meta(key, value)


async def _drain(outbox: asyncio.Queue[Any]) -> None:
    while True:
        await outbox.get()
        outbox.task_done()


async def _drained(outbox: asyncio.Queue[Any], tasks: Sequence[asyncio.Task[Any]],
                   timeout_s: float = 30.0) -> None:
    """Wait until the outbox is empty, unless its consumer ended (a TAK end that went
    away) or it does not drain within ``timeout_s``: a service must be able to stop."""
    join = asyncio.ensure_future(outbox.join())
    done, _ = await asyncio.wait([join, *tasks], timeout=timeout_s,
                                 return_when=asyncio.FIRST_COMPLETED)
    if join not in done:
        join.cancel()
        ended = [t for t in done if t is not join]
        why = (f"its consumer ended ({ended[0].exception()!r})" if ended
               and not ended[0].cancelled() and ended[0].exception() else
               f"it did not drain within {timeout_s:g} s")
        log.warning("%d outgoing messages not delivered: %s", outbox.qsize(), why)


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
            except (ConnectionError, OSError):
                raise  # the TAK end is gone: the task ends, _drained stops waiting on it
            except Exception:  # one bad message is logged and counted, never the end
                log.exception("CoT: could not send %s %s", type(msg).__name__,
                              getattr(msg, "id", "?"))
                stats.counters["cot errors"] = stats.counters.get("cot errors", 0) + 1
            finally:
                outbox.task_done()
            if outbox.empty():
                await sender.flush()
