"""Where the picture comes from: a live run (a scenario paced against the clock, or
SAPIENT nodes) or a stored run replayed at a chosen speed, with seek and pause.

Both feed a :class:`~dronewall.api.state.PictureState` through bus messages and say
what the run is (:meth:`info`); only a live run takes decisions (they are published on
its bus, so its store keeps them).
"""

from __future__ import annotations

import asyncio
import logging
import time as wallclock
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dronewall.api.state import PictureState
from dronewall.bus import Bus
from dronewall.model import Decision
from dronewall.store import RunStore

log = logging.getLogger(__name__)

PICTURE_TOPICS = ("sensors", "zones", "tracks", "events", "recommendations", "decisions")
STATIC_TOPICS = ("sensors", "zones")


class NotLive(Exception):
    """A request only a live run can answer (a decision on a replayed run)."""


class NotReplay(Exception):
    """A replay control sent to a live run."""


@dataclass
class RunInfo:
    """What /api/run says."""

    mode: str = "live"
    scenario: str | None = None
    title: str | None = None
    start: float | None = None
    end: float | None = None
    speed: float = 1.0
    paused: bool = False
    assets: list[dict[str, Any]] = field(default_factory=list)
    store_path: str | None = None


def assets_of(meta: dict[str, Any]) -> list[dict[str, Any]]:
    """Protected assets from a run's metadata (detailed, or [name, lat, lon] rows)."""
    if meta.get("asset_details"):
        return list(meta["asset_details"])
    return [{"name": a[0], "lat": a[1], "lon": a[2], "kind": "asset", "value": 1.0}
            for a in meta.get("assets", [])]


class LiveSource:
    """A live run: ``dronewall.live.serve`` publishing on a bus the picture subscribes
    to. Decisions are published on the same bus (stored, and handed to the engagement
    stage)."""

    mode = "live"

    def __init__(self, state: PictureState, config: Any, *,
                 track_stages: Sequence[Any] | None = None, engagement: Any = None) -> None:
        self.state = state
        self.config = config
        self.bus = Bus()
        self.bus.subscribe("*", state.consume)
        self.track_stages = track_stages
        self.engagement = engagement
        self.stats: Any = None
        self.running = False
        self.finished = asyncio.Event()
        self.error: BaseException | None = None
        scn = config.scenario
        self.run_info = RunInfo(mode="live", speed=config.speed if scn else 1.0,
                                store_path=str(config.store_path))
        if scn is not None:
            from dronewall.sim.simulator import scenario_window

            self.run_info.scenario, self.run_info.title = scn.name, scn.title
            self.run_info.start, self.run_info.end = scenario_window(scn)
            self.run_info.assets = [{"name": a.name, "lat": a.lat, "lon": a.lon,
                                     "kind": a.kind, "value": a.value} for a in scn.assets]

    def info(self) -> RunInfo:
        return self.run_info

    def clock(self) -> float | None:
        stats_clock = self.stats.clock if self.stats is not None else None
        return stats_clock if stats_clock is not None else self.state.time

    async def run(self) -> None:
        from dronewall.live import serve

        def ready(stats: Any) -> None:
            self.stats = stats
            self.running = True

        try:
            self.stats = await serve(self.config, ready=ready, bus=self.bus,
                                     track_stages=self.track_stages, engagement=self.engagement)
        except BaseException as exc:
            self.error = exc
            raise
        finally:
            self.running = False
            self.finished.set()

    def publish_decision(self, decision: Decision) -> None:
        if not self.running:
            raise NotLive("the live run has ended: decisions are no longer taken")
        self.bus.publish("decisions", [decision])

    def control(self, **_: Any) -> RunInfo:
        raise NotReplay("a live run cannot be paused, sped up or seeked: only a stored run")


class ReplaySource:
    """A stored run played into the picture at ``speed`` times real time, from ``start``;
    :meth:`control` seeks, changes speed, pauses. At the end it pauses."""

    mode = "replay"

    def __init__(self, state: PictureState, store_path: Path, *, speed: float = 1.0,
                 tick_s: float = 0.1, paused: bool = False, at: float | None = None) -> None:
        self.state = state
        self.tick_s = tick_s
        with RunStore.open(store_path) as store:
            meta = store.meta()
            self.messages = [(float(getattr(m, "time", 0.0)), topic, m)
                             for _seq, topic, m in store.messages(list(PICTURE_TOPICS))]
        self.static = [(t, topic, m) for t, topic, m in self.messages if topic in STATIC_TOPICS]
        self.timed = [(t, topic, m) for t, topic, m in self.messages
                      if topic not in STATIC_TOPICS]
        self.timed.sort(key=lambda x: x[0])  # stable: publication order within a time
        times = [t for t, _, _ in self.timed]
        start = float(meta.get("start", times[0] if times else 0.0))
        end = float(meta.get("end", times[-1] if times else start))
        self.run_info = RunInfo(mode="replay", scenario=meta.get("scenario"),
                                title=meta.get("title"), start=start, end=max(end, start),
                                speed=speed, paused=paused, assets=assets_of(meta),
                                store_path=str(store_path))
        self._now = start
        self._next = 0
        self._wall = wallclock.monotonic()
        self.seek(start if at is None else at)

    def info(self) -> RunInfo:
        return self.run_info

    def clock(self) -> float | None:
        return self._now

    def publish_decision(self, decision: Decision) -> None:
        raise NotLive("a stored run is being replayed: decisions are taken on live runs only")

    def seek(self, t: float) -> None:
        """Rebuild the picture as it stood at ``t`` (clients get a fresh snapshot)."""
        info = self.run_info
        t = min(max(t, info.start or 0.0), info.end if info.end is not None else t)
        self.state.reset()
        self._feed(self.static)
        self._next = 0
        self._now = t
        self._advance_to(t)
        self.state.advance_clock(t)
        self._wall = wallclock.monotonic()

    def control(self, *, speed: float | None = None, time: float | None = None,
                paused: bool | None = None) -> RunInfo:
        self.step()  # account for the time played so far at the old speed
        if speed is not None:
            self.run_info.speed = speed
        if paused is not None:
            self.run_info.paused = paused
        if time is not None:
            self.seek(time)
        elif paused is False and self.run_info.end is not None and self._now >= self.run_info.end:
            self.seek(self.run_info.start or 0.0)  # play again from the start
        return self.run_info

    def step(self) -> None:
        """Advance the clock by the wall time elapsed since the last step."""
        wall = wallclock.monotonic()
        dt, self._wall = wall - self._wall, wall
        info = self.run_info
        if info.paused:
            return
        end = info.end if info.end is not None else self._now
        self._now = min(self._now + dt * info.speed, end)
        self._advance_to(self._now)
        self.state.advance_clock(self._now)
        if self._now >= end:
            info.paused = True

    def _advance_to(self, t: float) -> None:
        j = self._next
        timed = self.timed
        while j < len(timed) and timed[j][0] <= t:
            j += 1
        self._feed(timed[self._next:j])
        self._next = j

    def _feed(self, rows: Sequence[tuple[float, str, Any]]) -> None:
        """Publish rows to the state in batches of consecutive same-topic messages."""
        batch: list[Any] = []
        topic = None
        for _t, tp, m in rows:
            if tp != topic and batch:
                self.state.consume(topic or "", batch)
                batch = []
            topic = tp
            batch.append(m)
        if batch:
            self.state.consume(topic or "", batch)

    async def run(self) -> None:
        while True:
            self.step()
            await asyncio.sleep(self.tick_s)


Source = LiveSource | ReplaySource
ClockFn = Callable[[], float | None]
