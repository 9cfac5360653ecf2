"""Replay a stored run: its messages in order, optionally paced against the clock, with
two checks that the record can be trusted:

- the store's hash chain is intact (nothing altered, inserted or removed);
- the airspace monitor, fed the stored tracks, emits exactly the stored events
  (the run is reproducible from its record).
"""

from __future__ import annotations

import time as wallclock
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from dronewall.airspace.monitor import AirspaceMonitor
from dronewall.bus import Bus
from dronewall.model import Event, Track, Zone, encode
from dronewall.store import RunStore
from dronewall.timeutil import iso


@dataclass
class ReplayResult:
    counts: Counter[str] = field(default_factory=Counter)
    chain: tuple[bool, str] | None = None
    events_stored: int = 0
    events_reproduced: int | None = None
    first_mismatch: str | None = None

    @property
    def ok(self) -> bool:
        chain_ok = self.chain is None or self.chain[0]
        return chain_ok and self.first_mismatch is None

    def summary_lines(self) -> list[str]:
        lines = ["Replayed " + ", ".join(f"{n} {t}" for t, n in sorted(self.counts.items()))]
        if self.chain is not None:
            lines.append(
                ("Hash chain: " if self.chain[0] else "Hash chain FAILED: ") + self.chain[1]
            )
        if self.events_reproduced is not None:
            if self.first_mismatch is None:
                lines.append(
                    f"Events re-derived from stored tracks: {self.events_reproduced}"
                    f"/{self.events_stored} identical"
                )
            else:
                lines.append(f"Events differ when re-derived: {self.first_mismatch}")
        return lines


def event_line(ev: Event) -> str:
    return f"{iso(ev.time)}  {ev.kind:15s} {ev.severity:8s} {ev.message}"


# The events the airspace monitor makes from tracks; identity changes and alerts come
# from the identity adjudicator, which the check does not re-run.
MONITOR_KINDS = frozenset({"incursion_start", "incursion_end", "adiz_entry", "adiz_exit",
                           "zone_entry", "zone_exit"})


def replay_store(
    store: RunStore,
    *,
    speed: float = 0.0,
    verify: bool = True,
    on_event: Callable[[str], None] | None = None,
) -> ReplayResult:
    """Publish every stored message again on a bus, in order; report and check."""
    result = ResultCollector(on_event)
    bus = Bus()
    bus.subscribe("*", result.collect)
    t_wall0 = wallclock.monotonic()
    t_sim0: float | None = None
    for _seq, topic, msg in store.messages():
        t = getattr(msg, "time", None)
        if speed > 0 and t is not None and topic in ("detections", "tracks", "events"):
            t_sim0 = t if t_sim0 is None else t_sim0
            delay = (t - t_sim0) / speed - (wallclock.monotonic() - t_wall0)
            if delay > 0:
                wallclock.sleep(delay)
        bus.publish(topic, (msg,))
    out = result.result
    if verify:
        out.chain = store.verify()
        meta = store.meta()
        monitor = AirspaceMonitor(result.zones, meta.get("watch", []))
        derived = monitor.process(result.tracks)
        if "end" in meta:
            derived += monitor.finish(float(meta["end"]))
        # Batching may order events of equal standing differently: compare in (time, id).
        again = sorted(encode(e) for e in sorted(derived, key=lambda e: (e.time, e.id)))
        mine = [e for e in result.events if e.kind in MONITOR_KINDS]
        stored = sorted(encode(e) for e in sorted(mine, key=lambda e: (e.time, e.id)))
        out.events_stored = len(stored)
        out.events_reproduced = sum(a == b for a, b in zip(again, stored, strict=False))
        if len(again) != len(stored) or out.events_reproduced != len(stored):
            first = next(
                (i for i, (a, b) in enumerate(zip(again, stored, strict=False)) if a != b),
                min(len(again), len(stored)),
            )
            out.first_mismatch = (
                f"event #{first} of {len(stored)} stored differs ({len(again)} re-derived)"
            )
    return out


class ResultCollector:
    """Bus subscriber gathering what the checks need and echoing events."""

    def __init__(self, on_event: Callable[[str], None] | None) -> None:
        self.result = ReplayResult()
        self.on_event = on_event
        self.zones: list[Zone] = []
        self.tracks: list[Track] = []
        self.events: list[Event] = []

    def collect(self, topic: str, messages: Sequence[object]) -> None:
        self.result.counts[topic] += len(messages)
        for msg in messages:
            if topic == "zones" and isinstance(msg, Zone):
                self.zones.append(msg)
            elif topic == "tracks" and isinstance(msg, Track):
                self.tracks.append(msg)
            elif topic == "events" and isinstance(msg, Event):
                self.events.append(msg)
                if self.on_event:
                    self.on_event(event_line(msg))
