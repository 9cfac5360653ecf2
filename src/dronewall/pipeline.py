"""The embedded mode: one process runs a scenario end to end, faster than real time.

    simulator --detections--> tracker + classifier + identity --tracks--> airspace monitor
                      \\_____________ every message ______________/--> store       --events-->

Stages are plain objects joined by the in-process bus; the store subscribes to every
topic and writes each batch as it is published. Simulation time drives everything,
so a run is reproducible bit for bit for a given scenario and seed. The only wall
clock read here measures how long the run took.
"""

from __future__ import annotations

import logging
import time as wallclock
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import dronewall
from dronewall.bus import Bus
from dronewall.eval.truth import truth_events
from dronewall.fusion.config import TrackerConfig
from dronewall.geo.borders import countries, national_airspace
from dronewall.geo.frames import LocalFrame
from dronewall.model import Detection, Event, Sensor, Track, TruthState, Zone
from dronewall.sim.scenario import Scenario
from dronewall.sim.simulator import simulate
from dronewall.stages import Picture, identity_stage
from dronewall.store import RunStore
from dronewall.timeutil import iso

log = logging.getLogger(__name__)



@dataclass
class RunData:
    """What a run produced, as the report needs it: built live from the bus, or read
    back from a store. Detections are counted, not kept (the store has them)."""

    meta: dict[str, Any] = field(default_factory=dict)
    sensors: list[Sensor] = field(default_factory=list)
    zones: list[Zone] = field(default_factory=list)
    tracks: list[Track] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    truth: list[TruthState] = field(default_factory=list)
    truth_events: list[Event] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def collect(self, topic: str, messages: Sequence[Any]) -> None:
        """Bus handler: keep what the report needs."""
        self.counts[topic] = self.counts.get(topic, 0) + len(messages)
        lists: dict[str, list[Any]] = {
            "sensors": self.sensors,
            "zones": self.zones,
            "tracks": self.tracks,
            "events": self.events,
            "truth.states": self.truth,
            "truth.events": self.truth_events,
        }
        target = lists.get(topic)
        if target is not None:
            target.extend(messages)

    @classmethod
    def from_store(cls, store: RunStore) -> RunData:
        run = cls(meta=store.meta())
        for _seq, topic, msg in store.messages():
            run.collect(topic, (msg,))
        return run


def frame_origin(sensors: Sequence[Sensor]) -> tuple[float, float]:
    """The tracker's ENU origin: the centre of the sensor laydown (a deployment choice,
    known without any truth)."""
    lat = np.array([s.position.lat for s in sensors])
    lon = np.array([s.position.lon for s in sensors])
    return float(lat.mean()), float(lon.mean())


def airspace_zones(extra: Sequence[Zone]) -> list[Zone]:
    """National airspace of every shipped country plus the scenario's own zones."""
    return [national_airspace(iso3) for iso3 in sorted(countries())] + list(extra)


def run_scenario(
    scenario: Scenario,
    store_path: Path,
    *,
    chunk_s: float = 60.0,
    progress: Callable[[float, float], None] | None = None,
    tracker_config: TrackerConfig | None = None,
) -> RunData:
    """Simulate, fuse, watch and store a scenario; return what the report needs.
    ``tracker_config``: the tracker's parameters (default: :class:`TrackerConfig`).

    ``progress(done_s, total_s)`` is called as scenario time advances."""
    t_wall = wallclock.perf_counter()
    sim = simulate(scenario)
    t_sim = wallclock.perf_counter() - t_wall
    lat0, lon0 = frame_origin(sim.sensors)
    frame = LocalFrame(lat0, lon0)
    zones = airspace_zones(sim.zones)
    watch = list(scenario.watch)

    bus = Bus()
    run = RunData()
    store = RunStore.create(store_path)
    store.set_meta("status", "running")
    bus.subscribe("*", lambda topic, msgs: store.append(topic, msgs))
    bus.subscribe("*", run.collect)

    identity = identity_stage(scenario.name, watch, zones)
    picture = Picture(frame, zones, watch, bus, track_stages=[identity.process],
                      tracker_config=tracker_config)

    bus.publish("sensors", sim.sensors)
    bus.publish("zones", zones)

    dets: list[Detection] = sim.detections
    det_times = np.fromiter((d.time for d in dets), float, len(dets))
    truth = sim.truth_states(scenario.truth_sample_s)
    truth_times = np.fromiter((s.time for s in truth), float, len(truth))
    total = sim.end - sim.start
    t = sim.start
    while t < sim.end:
        t_next = min(t + chunk_s, sim.end)
        last = t_next >= sim.end  # the last chunk also takes what lies exactly at the end
        a, b = (int(i) for i in np.searchsorted(det_times, [t, t_next]))
        b = len(dets) if last else b
        picture.ingest(dets[a:b])
        ta, tb = (int(i) for i in np.searchsorted(truth_times, [t, t_next]))
        tb = len(truth) if last else tb
        bus.publish("truth.states", truth[ta:tb])
        store.flush()
        t = t_next
        if progress:
            progress(t - sim.start, total)
    picture.finish(sim.end)

    reference = truth_events(sim.truth_states(1.0), zones, watch, sim.end)
    bus.publish("truth.events", reference)

    wall = wallclock.perf_counter() - t_wall
    meta = {
        "scenario": scenario.name,
        "title": scenario.title,
        "description": scenario.description,
        "seed": scenario.seed,
        "start": sim.start,
        "end": sim.end,
        "start_iso": iso(sim.start),
        "end_iso": iso(sim.end),
        "watch": watch,
        "frame_origin": [lat0, lon0],
        "assets": [[a.name, a.lat, a.lon] for a in scenario.assets],
        "target_info": {k: list(v) for k, v in sim.target_info.items()},
        "wall_seconds": round(wall, 3),
        "simulation_seconds": round(t_sim, 3),
        "tracker_stats": dict(picture.tracker.stats),
        "identity_rules": {"name": identity.rules.name, "version": identity.rules.version},
        "bus_errors": dict(bus.handler_errors),
        "counts": dict(bus.published),
        "dronewall_version": dronewall.__version__,
        "status": "complete" if not bus.handler_errors else "complete_with_errors",
    }
    for key, value in meta.items():
        store.set_meta(key, value)
    store.close()
    run.meta = meta
    log.info(
        "run %s: %.1f s wall, %d detections, %d track states, %d events",
        scenario.name,
        wall,
        run.counts.get("detections", 0),
        len(run.tracks),
        len(run.events),
    )
    return run
