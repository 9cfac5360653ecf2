"""The picture the server shows: the latest state of every track, bounded histories,
events, recommendations and decisions, built from bus messages.

:class:`PictureState` is a bus subscriber (``state.consume(topic, messages)``) and
nothing else feeds it, so a live run and a replay of a stored run build the same
picture. Between two update cycles it remembers what changed; :meth:`take_delta`
hands that over as one compact message for the WebSocket stream (see
``docs/api.md``): each changed track once, as a row of ``TRACK_FIELDS``, however many
updates it had in the cycle.
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from collections.abc import Sequence
from typing import Any, ClassVar

import msgspec

from dronewall.model import Decision, Event, Recommendation, Sensor, Track, Zone

TRACK_FIELDS = ("id", "lat", "lon", "alt", "speed", "course", "vu", "status", "identity",
                "class_label", "n_sensors", "time")
SNAPSHOT_EVENTS = 200


def track_row(t: Track) -> list[Any]:
    """A track as one compact row of ``TRACK_FIELDS``: lat/lon to 1e-5 deg (about 1 m),
    altitude and speed to 1 m(/s), course to 1 deg, vertical speed to 0.1 m/s."""
    course = round(math.degrees(math.atan2(t.ve, t.vn))) % 360
    return [t.id, round(t.lat, 5), round(t.lon, 5), round(t.alt), round(math.hypot(t.ve, t.vn)),
            course, round(t.vu, 1), t.status, t.identity, t.class_label, len(t.sensors),
            round(t.time, 2)]


def full(msg: Any) -> dict[str, Any]:
    """A message as JSON-ready builtins with its ``type`` tag and every field, also those
    equal to their default (which the compact wire form of the store leaves out)."""
    out: dict[str, Any] = msgspec.to_builtins(msg)
    for name in msg.__struct_fields__:
        if name not in out:
            out[name] = msgspec.to_builtins(getattr(msg, name))
    return out


def to_builtins(msgs: Sequence[Any]) -> list[dict[str, Any]]:
    """Messages as JSON-ready builtins, every field present (see :func:`full`)."""
    return [full(m) for m in msgs]


class PictureState:
    """Current picture plus the changes since the last :meth:`take_delta`.

    ``history_len``: track states kept per track; ``max_tracks_kept``: tracks (live or
    lost) whose last state and history are kept; ``max_events``: events kept."""

    def __init__(self, *, history_len: int = 300, max_tracks_kept: int = 5_000,
                 max_events: int = 20_000) -> None:
        self.history_len = history_len
        self.max_tracks_kept = max_tracks_kept
        self.max_events = max_events
        self.generation = 0  # bumped by reset(): clients then need a fresh snapshot
        self.reset()

    def reset(self) -> None:
        """Forget everything (a replay seek rebuilds the picture from the start)."""
        self.time: float | None = None
        self.sensors: dict[str, Sensor] = {}
        self.zones: dict[str, Zone] = {}
        self.tracks: dict[str, Track] = {}  # live (tentative or confirmed)
        self.last: OrderedDict[str, Track] = OrderedDict()  # live and lost, bounded
        self.history: dict[str, deque[Track]] = {}
        self.events: deque[Event] = deque(maxlen=self.max_events)
        self.event_ids: dict[str, Event] = {}
        self.recommendations: dict[str, Recommendation] = {}
        self.decisions: list[Decision] = []
        self.decided: dict[str, Decision] = {}  # recommendation id -> decision
        self.acks: dict[str, Decision] = {}  # event id -> acknowledgement
        self.counts: dict[str, int] = {}
        self._changed: dict[str, Track] = {}
        self._removed: set[str] = set()
        self._new_events: list[Event] = []
        self._changed_recs: dict[str, Recommendation] = {}
        self._new_decisions: list[Decision] = []
        self.generation += 1

    # ------------------------------------------------------------------ input
    def consume(self, topic: str, messages: Sequence[Any]) -> None:
        """Bus handler: take a batch of one topic (others, like truth, are ignored)."""
        self.counts[topic] = self.counts.get(topic, 0) + len(messages)
        handler = self._handlers.get(topic)
        if handler is not None:
            handler(self, messages)

    def _on_tracks(self, tracks: Sequence[Track]) -> None:
        for t in tracks:
            self._advance(t.time)
            tid = t.id
            hist = self.history.get(tid)
            if hist is None:
                hist = self.history[tid] = deque(maxlen=self.history_len)
            hist.append(t)
            self.last[tid] = t
            self.last.move_to_end(tid)
            if t.status == "lost":
                self.tracks.pop(tid, None)
                self._changed.pop(tid, None)
                self._removed.add(tid)
            else:
                self.tracks[tid] = t
                self._changed[tid] = t
                self._removed.discard(tid)
        while len(self.last) > self.max_tracks_kept:
            old, _ = self.last.popitem(last=False)
            self.history.pop(old, None)
            self.tracks.pop(old, None)

    def _on_events(self, events: Sequence[Event]) -> None:
        for e in events:
            self._advance(e.time)
            if len(self.events) == self.events.maxlen:
                self.event_ids.pop(self.events[0].id, None)
            self.events.append(e)
            self.event_ids[e.id] = e
            self._new_events.append(e)

    def _on_recommendations(self, recs: Sequence[Recommendation]) -> None:
        for r in recs:
            self._advance(r.time)
            done = self.decided.get(r.id)
            if done is not None and r.status == "pending":
                r = msgspec.structs.replace(r, status=_status_of(done))
            self.recommendations[r.id] = r
            self._changed_recs[r.id] = r

    def _on_decisions(self, decisions: Sequence[Decision]) -> None:
        for d in decisions:
            self._advance(d.time)
            self.decisions.append(d)
            self._new_decisions.append(d)
            if d.action == "acknowledge" and d.event_id is not None:
                self.acks[d.event_id] = d
            elif d.recommendation_id is not None:
                self.decided[d.recommendation_id] = d
                rec = self.recommendations.get(d.recommendation_id)
                if rec is not None and rec.status == "pending":
                    rec = msgspec.structs.replace(rec, status=_status_of(d))
                    self.recommendations[rec.id] = rec
                    self._changed_recs[rec.id] = rec

    def _on_sensors(self, sensors: Sequence[Sensor]) -> None:
        for s in sensors:
            self.sensors[s.id] = s

    def _on_zones(self, zones: Sequence[Zone]) -> None:
        for z in zones:
            self.zones[z.id] = z

    _handlers: ClassVar[dict[str, Any]] = {
        "tracks": _on_tracks,
        "events": _on_events,
        "recommendations": _on_recommendations,
        "decisions": _on_decisions,
        "sensors": _on_sensors,
        "zones": _on_zones,
    }

    def _advance(self, t: float) -> None:
        if self.time is None or t > self.time:
            self.time = t

    def advance_clock(self, t: float) -> None:
        """The run's clock moved (a live or replayed run between messages)."""
        self._advance(t)

    # ------------------------------------------------------------------ output
    def take_delta(self) -> dict[str, Any] | None:
        """What changed since the last call, as a ``delta`` message; None if nothing."""
        if not (self._changed or self._removed or self._new_events or self._changed_recs
                or self._new_decisions):
            return None
        delta = {
            "type": "delta",
            "time": self.time,
            "tracks": [track_row(t) for t in self._changed.values()],
            "removed": sorted(self._removed),
            "events": to_builtins(self._new_events),
            "recommendations": to_builtins(list(self._changed_recs.values())),
            "decisions": to_builtins(self._new_decisions),
        }
        self.clear_changes()
        return delta

    def clear_changes(self) -> None:
        self._changed = {}
        self._removed = set()
        self._new_events = []
        self._changed_recs = {}
        self._new_decisions = []

    def snapshot(self, run: dict[str, Any]) -> dict[str, Any]:
        """The whole current picture, the first message a stream client gets."""
        events = list(self.events)[-SNAPSHOT_EVENTS:]
        return {
            "type": "snapshot",
            "time": self.time,
            "track_fields": list(TRACK_FIELDS),
            "tracks": [track_row(t) for t in self.tracks.values()],
            "events": to_builtins(events),
            "recommendations": to_builtins(list(self.recommendations.values())),
            "decisions": to_builtins(self.decisions[-SNAPSHOT_EVENTS:]),
            "run": run,
        }

    # ------------------------------------------------------------------ queries
    def track_history(self, track_id: str, since: float | None = None) -> list[Track] | None:
        hist = self.history.get(track_id)
        if hist is None:
            return None
        return [t for t in hist if since is None or t.time >= since]

    def identity_evidence(self, track_id: str) -> list[Event]:
        return [e for e in self.events if e.track_id == track_id
                and e.kind == "identity_change"]


def _status_of(d: Decision) -> Any:
    return "approved" if d.action == "approve" else "rejected"
