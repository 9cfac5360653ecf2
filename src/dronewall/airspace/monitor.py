"""The airspace monitor: tracks in, incursion / ADIZ / zone events out.

For each track and each monitored zone the monitor keeps one *visit* (a stay inside),
opened at the boundary crossing and closed when the track leaves, is lost, is
identified or the run ends. What a visit means depends on the zone and the track:

======================  ==========================  ===================================
zone                    unidentified track          cooperative track (ICAO 24 known)
======================  ==========================  ===================================
watched national        incursion (critical)        zone_entry / zone_exit (info)
adiz                    adiz_entry / _exit (warn.)  nothing (it is identified)
restricted              zone_entry / _exit (warn.)  zone_entry / zone_exit (warning)
custom                  zone_entry / _exit (info)   zone_entry / zone_exit (info)
======================  ==========================  ===================================

A track counts as cooperative from its first state carrying a transponder ICAO address
on (sticky: a transponder going quiet is the identity stage's business). An incursion
or ADIZ stay open when that happens ends with reason ``identified``.

**Crossings.** Every state is used, the tentative history included. A zone change
between two consecutive states of a track is placed on the segment between them: the
intersection nearest the first state of the straight segment with the zone boundary,
in the zone's metric plane (see :mod:`dronewall.airspace.geometry`), or the altitude
crossing of a floor/ceiling; time, position and altitude are interpolated linearly.
A track first seen inside enters "unobserved" at its first state. (Two states both
outside whose segment clips a corner of a zone are not seen: states come seconds apart.)

**Hysteresis** (every kind of visit). A track leaving a zone has its exit held for
``min_outside_s``: if it comes back in within that time (crossing time minus exit
time) the exit is forgotten and the visit goes on (counted in ``flickers``); the end
event is emitted once a state at least ``min_outside_s`` after the exit is seen
outside, or when the track is lost or the run ends, always dated at the interpolated
exit. A later re-entry opens a new visit (a new ``incursion_start``).

**Depth** of an incursion is the largest metric distance, over its states inside and
its entry/exit points, from the border it came through: the stretch of the watched
boundary shared with the entry country; for ``international`` the stretch shared with
no country (the territorial-sea limit); the whole boundary when unknown. The monitor
knows only the countries whose national-airspace zones it is given.

**Speed.** One :meth:`process` call tests all its states against all monitored zones
at once (:class:`~dronewall.geo.zones.ZoneIndex`, one vectorised test per zone) and
packs each state's memberships into an integer bit mask; walking a track's states is
then one integer comparison per state. Only the few states that change something get
exact crossing geometry, and depth distances are batched per reference border at the
end of the call. Pass a tracker update's states in one call, not one state per call
(the fixed cost of a call is ~0.1-1 ms).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from dronewall.airspace.events import END, START, visit_event
from dronewall.airspace.geometry import Countries, ZoneGeometry
from dronewall.airspace.incursion import EndReason, Incursion
from dronewall.airspace.visit import Crossing, Role, Visit
from dronewall.geo.zones import BoundaryIndex, ZoneIndex
from dronewall.model.messages import Event, EventKind, Track, Transponder, Zone

BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class MonitorConfig:
    """Tuning of the airspace monitor.

    min_outside_s: an exit followed by re-entry within this many seconds is a flicker
        at the border, not a new incursion (20 s: a few tracker updates).
    border_tolerance_m: two countries' boundaries closer than this count as one shared
        border (the shipped borders were simplified independently, leaving slivers of
        ~100 m in both or neither); also the reach of the "nearest country" fallback.
    probe_m: how far beyond a crossing to look for the country on the other side.
    """

    min_outside_s: float = 20.0
    border_tolerance_m: float = 300.0
    probe_m: float = 200.0


DEFAULT_CONFIG = MonitorConfig()


@dataclass
class _TrackState:
    """What the monitor remembers of a track between states: its last state. Zone
    memberships are bit masks (bit j = zone column j)."""

    time: float
    lat: float
    lon: float
    alt: float
    h: int  # inside each zone's outline
    v: int  # within each zone's floor/ceiling
    coop: bool
    transponder: Transponder | None
    visits: dict[int, Visit] = field(default_factory=dict)


@dataclass
class _Emit:
    """An event to build once depths are up to date."""

    kind: EventKind
    visit: Visit
    time: float
    seq: int


@dataclass
class _Batch:
    """The states of one process call, as plain lists (cheap to index one by one)."""

    ids: list[str]
    time: list[float]
    lat: list[float]
    lon: list[float]
    alt: list[float]
    coop: list[bool]
    lost: list[bool]
    h: list[int]  # zone bit masks per state
    v: list[int]
    tracks: list[Track]


@dataclass
class _DepthGroup:
    """Points whose distance to one reference border is pending, per visit."""

    zone: int
    ref: BoundaryIndex
    visits: list[Visit] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)


def _identified(t: Track) -> bool:
    return t.transponder is not None and bool(t.transponder.icao24)


def _masks(mat: BoolArray) -> list[int]:
    """Each row of a (n, m) bool matrix as an int with bit j = column j."""
    m = mat.shape[1]
    if m <= 62:
        return (mat.astype(np.int64) @ (np.int64(1) << np.arange(m, dtype=np.int64))).tolist()
    packed = np.packbits(mat, axis=1, bitorder="little")
    return [int.from_bytes(row.tobytes(), "little") for row in packed]


def _bits(mask: int) -> list[int]:
    """The set bit positions of a mask, ascending."""
    out, j = [], 0
    while mask:
        if mask & 1:
            out.append(j)
        mask >>= 1
        j += 1
    return out


class AirspaceMonitor:
    """Watches national airspaces, ADIZs and restricted zones; emits events.

    ``zones``: national-airspace zones (with ``country``) of the watched countries and
    of their neighbours (to name where a track came from), plus any ``adiz``,
    ``restricted`` or ``custom`` zones, which are always monitored. ``watch``: ISO
    alpha-3 codes of the countries whose national airspace is guarded."""

    def __init__(
        self, zones: Sequence[Zone], watch: Sequence[str], config: MonitorConfig = DEFAULT_CONFIG
    ) -> None:
        self.config = config
        watched = set(watch)
        have = {z.country for z in zones if z.kind == "national_airspace"}
        missing = sorted(watched - have)
        if missing:
            raise ValueError(f"no national_airspace zone given for watched {', '.join(missing)}")
        self.zones: tuple[Zone, ...] = tuple(
            z
            for z in zones
            if (z.kind == "national_airspace" and z.country in watched)
            or z.kind != "national_airspace"
        )
        self._index = ZoneIndex(self.zones)
        countries = Countries(zones)
        cfg = self.config
        self._geo = [
            ZoneGeometry(z, countries, cfg.border_tolerance_m, cfg.probe_m) for z in self.zones
        ]
        self._has_limits = bool(
            np.isfinite(self._index.floors).any() or np.isfinite(self._index.ceilings).any()
        )
        self._all = (1 << len(self.zones)) - 1
        self._tracks: dict[str, _TrackState] = {}
        self._counters: dict[tuple[str, Role], int] = {}
        self._incursions: list[Visit] = []
        self._emits: list[_Emit] = []
        self._depth: dict[tuple[int, int], _DepthGroup] = {}
        self.out_of_order = 0  # states older than their track's last one: skipped, counted

    # ================================================================ public
    def process(self, tracks: Iterable[Track]) -> list[Event]:
        """Take track states (time-ordered per track) and return the events they cause,
        in time order."""
        b = self._batch(list(tracks))
        if b is not None:
            groups: dict[str, list[int]] = {}
            for g, tid in enumerate(b.ids):
                groups.setdefault(tid, []).append(g)
            for tid, rows in groups.items():
                rows.sort(key=b.time.__getitem__)  # stable; already sorted in practice
                self._track_rows(tid, rows, b)
        return self._flush()

    def finish(self, time: float) -> list[Event]:
        """End of run at ``time``: close every open visit (held exits as exits, the rest
        as still inside, reason ``end_of_run``)."""
        for tid in sorted(self._tracks):
            st = self._tracks[tid]
            for j in sorted(st.visits):
                visit = st.visits[j]
                if visit.exit is not None:
                    self._close(st, visit, "exited", visit.exit.time)
                else:
                    self._close(st, visit, "end_of_run", max(time, visit.entry.time))
        self._tracks.clear()
        return self._flush()

    def incursions(self) -> list[Incursion]:
        """Every incursion so far, open ones included, by entry time."""
        out = [v.incursion(self.zones[v.zone]) for v in self._incursions]
        return sorted(out, key=lambda i: (i.entry_time, i.track_id))

    # ================================================================ batching
    def _batch(self, tracks: list[Track]) -> _Batch | None:
        """Zone membership of all states at once (one vectorised test per zone)."""
        if not tracks:
            return None
        lat = [t.lat for t in tracks]
        lon = [t.lon for t in tracks]
        alt = [t.alt for t in tracks]
        h = self._index.contains_horizontal(np.array(lat), np.array(lon))
        v = _masks(self._index.within_limits(np.array(alt))) if self._has_limits else None
        return _Batch(
            ids=[t.id for t in tracks],
            time=[t.time for t in tracks],
            lat=lat,
            lon=lon,
            alt=alt,
            coop=[_identified(t) for t in tracks],
            lost=[t.status == "lost" for t in tracks],
            h=_masks(h),
            v=v if v is not None else [self._all] * len(tracks),
            tracks=tracks,
        )

    def _track_rows(self, tid: str, rows: list[int], b: _Batch) -> None:
        """Walk one track's states: a state that changes its zones, its identity or ends
        it is a step (exact geometry); the runs between steps are handled in bulk."""
        st = self._tracks.get(tid)
        run: list[int] = []
        for g in rows:
            if st is not None and b.time[g] < st.time:
                self.out_of_order += 1  # older than what was seen: cannot be placed
                continue
            if (
                st is None
                or b.lost[g]
                or (b.h[g] & b.v[g]) != (st.h & st.v)
                or (b.coop[g] and not st.coop)
            ):
                if run and st is not None:
                    self._run_rows(st, b, run)
                st = self._step(tid, st, b, g)
                run = [g] if st is not None else []
            else:
                run.append(g)
        if st is None:
            self._tracks.pop(tid, None)
            return
        if run:
            self._run_rows(st, b, run)
        self._tracks[tid] = st

    def _run_rows(self, st: _TrackState, b: _Batch, run: list[int]) -> None:
        """States with no zone change: feed depth, confirm held exits, remember the last."""
        last = run[-1]
        if st.visits:
            t_last = b.time[last]
            for visit in list(st.visits.values()):
                if visit.exit is not None:
                    if t_last - visit.exit.time >= self.config.min_outside_s:
                        self._close(st, visit, "exited", visit.exit.time)
                    continue
                visit.last_inside = max(visit.last_inside, t_last)
                if visit.role == "incursion":
                    self._add_depth(visit, [b.lon[g] for g in run], [b.lat[g] for g in run])
        self._remember(st, b, last)

    @staticmethod
    def _remember(st: _TrackState, b: _Batch, g: int) -> None:
        st.time, st.lat, st.lon, st.alt = b.time[g], b.lat[g], b.lon[g], b.alt[g]
        st.h, st.v = b.h[g], b.v[g]

    # ================================================================ one state
    def _step(self, tid: str, st: _TrackState | None, b: _Batch, g: int) -> _TrackState | None:
        """Move a track from its remembered state to state ``g``: crossings, identity,
        loss. Returns None when the track ended (lost)."""
        coop_g = b.coop[g]
        t_g = b.time[g]
        fresh = st is None
        if st is None:
            st = _TrackState(
                time=t_g,
                lat=b.lat[g],
                lon=b.lon[g],
                alt=b.alt[g],
                h=0,
                v=0,
                coop=coop_g,
                transponder=b.tracks[g].transponder if coop_g else None,
            )
        was_in = st.h & st.v
        now_in = b.h[g] & b.v[g]
        for j in _bits(was_in ^ now_in):
            entering = bool((now_in >> j) & 1)
            if fresh:
                cross = Crossing(t_g, b.lat[g], b.lon[g], b.alt[g], observed=False)
            else:
                cross = self._crossing(j, st, b, g, entering)
            if entering:
                self._enter(tid, st, j, cross)
            else:
                self._leave(st, j, cross, b, g)
        self._remember(st, b, g)
        if coop_g and not st.coop:
            st.coop = True
            st.transponder = b.tracks[g].transponder
            for visit in [v for v in st.visits.values() if v.role != "zone"]:
                if visit.exit is not None:
                    self._close(st, visit, "exited", visit.exit.time)
                else:
                    self._close(st, visit, "identified", t_g)
        if b.lost[g]:
            for visit in list(st.visits.values()):
                if visit.exit is not None:
                    self._close(st, visit, "exited", visit.exit.time)
                else:
                    self._close(st, visit, "track_lost", t_g)
            return None
        return st

    def _crossing(self, j: int, st: _TrackState, b: _Batch, g: int, entering: bool) -> Crossing:
        """Where and when the segment from the remembered state to state g changes zone j:
        the outline crossing and/or the floor/ceiling crossing (entering needs both
        conditions, so the later one; leaving needs one, so the earlier)."""
        fracs: list[float] = []
        horizontal = bool(((st.h ^ b.h[g]) >> j) & 1)
        lon1, lat1, alt1 = b.lon[g], b.lat[g], b.alt[g]
        if horizontal:
            fracs.append(self._geo[j].crossing_fraction(st.lon, st.lat, lon1, lat1))
        if ((st.v ^ b.v[g]) >> j) & 1:
            fracs.append(self._vertical_fraction(j, st.alt, alt1))
        f = max(fracs) if entering else min(fracs)
        lon, lat = self._geo[j].point_at(st.lon, st.lat, lon1, lat1, f)
        time = st.time + f * (b.time[g] - st.time)
        return Crossing(time, lat, lon, st.alt + f * (alt1 - st.alt), True, horizontal)

    def _vertical_fraction(self, j: int, alt0: float, alt1: float) -> float:
        """Fraction along the segment where altitude crosses zone j's floor or ceiling."""
        if alt1 == alt0:
            return 0.5
        lo, hi = float(self._index.floors[j]), float(self._index.ceilings[j])
        hits = [(lim - alt0) / (alt1 - alt0) for lim in (lo, hi) if np.isfinite(lim)]
        hits = [f for f in hits if 0.0 <= f <= 1.0]
        return min(hits) if hits else 0.5

    def _role(self, j: int, coop: bool) -> Role | None:
        kind = self.zones[j].kind
        if kind == "national_airspace":
            return "zone" if coop else "incursion"
        if kind == "adiz":
            return None if coop else "adiz"
        return "zone"

    def _enter(self, tid: str, st: _TrackState, j: int, cross: Crossing) -> None:
        visit = st.visits.get(j)
        if visit is not None and visit.exit is not None:
            if cross.time - visit.exit.time < self.config.min_outside_s:
                visit.exit, visit.exit_to = None, None  # a flicker: the stay goes on
                visit.flickers += 1
                return
            self._close(st, visit, "exited", visit.exit.time)
        elif visit is not None:  # already inside (cannot happen: entering means was outside)
            return
        role = self._role(j, st.coop)
        if role is None:
            return
        zone = self.zones[j]
        entry_from: str | None = None
        if zone.kind == "national_airspace" and cross.observed and cross.horizontal:
            entry_from = self._geo[j].across(cross.lon, cross.lat, st.lon, st.lat)
        key = (tid, role)
        self._counters[key] = n = self._counters.get(key, 0) + 1
        ref = self._geo[j].reference(entry_from) if role == "incursion" else None
        visit = Visit(
            tid,
            j,
            role,
            n,
            cross,
            entry_from,
            ref,
            last_inside=cross.time,
            transponder=st.transponder if st.coop else None,
        )
        st.visits[j] = visit
        if role == "incursion":
            self._incursions.append(visit)
            self._add_depth(visit, [cross.lon], [cross.lat])
        self._emit(START[role], visit, cross.time)

    def _leave(self, st: _TrackState, j: int, cross: Crossing, b: _Batch, g: int) -> None:
        visit = st.visits.get(j)
        if visit is None or visit.exit is not None:
            return
        visit.exit = cross
        if self.zones[j].kind == "national_airspace" and cross.horizontal:
            visit.exit_to = self._geo[j].across(cross.lon, cross.lat, b.lon[g], b.lat[g])
        if visit.role == "incursion":
            self._add_depth(visit, [cross.lon], [cross.lat])

    def _close(self, st: _TrackState, visit: Visit, reason: EndReason, end_time: float) -> None:
        """End a visit; its end point is the exit crossing, else the track's last state."""
        visit.end_reason = reason
        visit.end_time = end_time
        if reason == "exited" and visit.exit is not None:
            visit.end_at = visit.exit
            visit.last_inside = end_time
        else:
            visit.exit, visit.exit_to = None, None
            visit.end_at = Crossing(end_time, st.lat, st.lon, st.alt)
        st.visits.pop(visit.zone, None)
        self._emit(END[visit.role], visit, end_time)

    def _emit(self, kind: EventKind, visit: Visit, time: float) -> None:
        self._emits.append(_Emit(kind, visit, time, len(self._emits)))

    # ================================================================ output
    def _flush(self) -> list[Event]:
        """Update depths in batches, then build the pending events in time order."""
        self._update_depths()
        emits, self._emits = self._emits, []
        emits.sort(key=lambda e: (e.time, e.seq))
        return [visit_event(e.kind, e.visit, self.zones[e.visit.zone], e.time) for e in emits]

    def _add_depth(self, visit: Visit, lon: list[float], lat: list[float]) -> None:
        """Queue points of an incursion for its depth (computed in batches at flush)."""
        assert visit.ref is not None
        key = (visit.zone, id(visit.ref))
        grp = self._depth.get(key)
        if grp is None:
            grp = self._depth[key] = _DepthGroup(visit.zone, visit.ref)
        grp.visits.append(visit)
        grp.sizes.append(len(lon))
        grp.lon.extend(lon)
        grp.lat.extend(lat)

    def _update_depths(self) -> None:
        """Distances of all queued points to their reference borders, one query per
        border; each incursion keeps its maximum."""
        groups, self._depth = self._depth, {}
        for grp in groups.values():
            x, y = self._geo[grp.zone].to_plane(np.array(grp.lon), np.array(grp.lat))
            d = grp.ref.distance(x, y)
            offsets = np.concatenate([[0], np.cumsum(grp.sizes)[:-1]])
            best = np.maximum.reduceat(d, offsets).tolist()
            for visit, m in zip(grp.visits, best, strict=True):
                if m > visit.max_depth_m and m != float("inf"):
                    visit.max_depth_m = m
