"""Target kinematics: a scenario route becomes a trajectory that can be sampled at many
times at once.

A route is a list of waypoints joined by legs. Each leg follows the WGS84 geodesic
between its ends (pyproj's Geod, Karney's algorithm) at constant speed
``v = s / (t_b - t_a)`` over the ground (``s`` the geodesic length on the ellipsoid),
with altitude linear in time. The velocity at a point is along the geodesic's local
azimuth ``az``: ``ve = v' sin az``, ``vn = v' cos az``, ``vu = (h_b - h_a) / (t_b - t_a)``,
with ``v' = v (1 + h / R)`` the speed at height ``h`` (R = mean earth radius). Turns at
waypoints are sharp (the velocity jumps); smooth turns are not modelled.

Waypoint times are absolute (ISO 8601 UTC), offsets from the scenario start
(``+HH:MM:SS`` or ``+SECONDS``), or derived from the previous waypoint and the leg's
speed: the waypoint's ``speed_mps``, else the target's, else its type's cruise speed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from dronewall.geo.frames import EARTH_RADIUS_M, GEOD, FloatArray, geodetic_to_ecef
from dronewall.sim.catalog import target_type
from dronewall.sim.scenario import Target, TransponderSpec
from dronewall.timeutil import iso, parse_iso

TABLE_STEP_S = 5.0  # spacing of the exact positions that ``Trajectory.ecef`` interpolates
FateKind = Literal["left", "crashed", "downed", "landed"]
_HMS = re.compile(r"^\+(\d+):([0-5]?\d):([0-5]?\d(?:\.\d*)?)$")
_SECONDS = re.compile(r"^\+(\d+(?:\.\d*)?)$")


class RouteError(ValueError):
    """A route that cannot be flown; ``index`` is the waypoint, ``field`` its key."""

    def __init__(self, index: int | None, field: str, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.field = field
        self.message = message


def parse_time(text: str, start: float | None = None) -> float:
    """POSIX seconds of a scenario time: ISO 8601 UTC (``2025-09-10T03:29:00Z``) or an
    offset from ``start`` (``+HH:MM:SS``, ``+SECONDS``, fractions allowed).

    Raises ValueError with a readable message."""
    s = str(text).strip()
    if s.startswith("+"):
        if start is None:
            raise ValueError(f"{s!r}: an offset needs a scenario start; write an ISO time")
        m = _HMS.match(s)
        if m:
            h, mi, se = m.groups()
            return start + int(h) * 3600 + int(mi) * 60 + float(se)
        m = _SECONDS.match(s)
        if m:
            return start + float(m.group(1))
        raise ValueError(f"{s!r} is not an offset: write +HH:MM:SS or +SECONDS")
    try:
        return parse_iso(s)
    except ValueError as e:
        if "no zone" in str(e):
            raise ValueError(f"{s!r} has no time zone: write UTC with a trailing Z") from None
        raise ValueError(
            f"{s!r} is not a time: write ISO 8601 UTC (2025-09-10T03:29:00Z) or an offset "
            "from the start (+HH:MM:SS or +SECONDS)"
        ) from None


def _resolve_fate_time(target: Target, start: float, times: FloatArray) -> float | None:
    """The time at which the fate cuts the route (None: the route is flown to its end)."""
    fate = target.fate
    if fate.kind == "downed" and fate.time is None:
        raise RouteError(None, "fate.time", "a downed target needs the time it was downed")
    if fate.time is None:
        return None
    if fate.kind not in ("downed", "crashed"):
        raise RouteError(
            None, "fate.time", f"a time is only used for downed/crashed, not {fate.kind}"
        )
    try:
        t = parse_time(fate.time, start)
    except ValueError as e:
        raise RouteError(None, "fate.time", str(e)) from None
    if not times[0] < t <= times[-1]:
        raise RouteError(
            None,
            "fate.time",
            f"{iso(t)} is outside the route ({iso(times[0])} .. {iso(times[-1])})",
        )
    return t


def route_times(target: Target, start: float) -> FloatArray:
    """POSIX time of each waypoint: given, or derived from the leg's length and speed.

    Raises :class:`RouteError` (naming the waypoint) for a bad time text, a missing first
    time, or times that do not strictly increase."""
    ttype = target_type(target.type)
    wps = target.route
    lat = np.array([w.lat for w in wps], dtype=float)
    lon = np.array([w.lon for w in wps], dtype=float)
    _, _, dist = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    dist = np.atleast_1d(np.asarray(dist, float))
    times = np.empty(len(wps))
    derived = [False] * len(wps)
    for i, w in enumerate(wps):
        if w.time is not None:
            try:
                times[i] = parse_time(w.time, start)
            except ValueError as e:
                raise RouteError(i, "time", str(e)) from None
        elif i == 0:
            raise RouteError(0, "time", "the first waypoint needs a time")
        else:
            speed = w.speed_mps or target.speed_mps or ttype.cruise_mps
            times[i] = times[i - 1] + dist[i - 1] / speed
            derived[i] = True
        if i > 0 and not times[i] > times[i - 1]:
            how = " (derived from its speed)" if derived[i - 1] else ""
            if derived[i]:
                msg = "is at the same place as the previous waypoint: give it a time"
            else:
                msg = (
                    f"{iso(times[i])} is not after the previous waypoint's time"
                    f" {iso(times[i - 1])}{how}"
                )
            raise RouteError(i, "time", msg)
    return times


class TrajectorySample(NamedTuple):
    """Arrays of the same shape as the sample times; NaN outside [t0, t1]."""

    lat: FloatArray
    lon: FloatArray
    alt: FloatArray
    ve: FloatArray
    vn: FloatArray
    vu: FloatArray


@dataclass(frozen=True, eq=False)
class Trajectory:
    """One target's flight: waypoints (already cut at a downed/crashed time) and the
    target's physical attributes. ``sample`` evaluates it at many times at once."""

    target_id: str
    target_type: str  # catalogue name
    label: str
    kind: str  # catalogue kind: drone, decoy, missile, aircraft, bird
    family: str  # acoustic class family
    fate: FateKind
    transponder: TransponderSpec | None
    rcs_m2: float
    source_level_db: float
    times: FloatArray  # (n,) waypoint times, strictly increasing
    lat: FloatArray
    lon: FloatArray
    alt: FloatArray
    az: FloatArray  # (n-1,) forward azimuth of each leg at its start, degrees
    dist: FloatArray  # (n-1,) geodesic length of each leg, m

    @property
    def t0(self) -> float:
        return float(self.times[0])

    @property
    def t1(self) -> float:
        """End of the flight: the downed/crash time if cut, else the last waypoint."""
        return float(self.times[-1])

    @property
    def cooperative(self) -> bool:
        """True when the target broadcasts ADS-B (a transponder with ``adsb``)."""
        return self.transponder is not None and self.transponder.adsb

    @property
    def max_speed(self) -> float:
        """Fastest leg's 3-D speed, m/s."""
        dt = np.diff(self.times)
        return float(np.max(np.hypot(self.dist, np.diff(self.alt)) / dt))

    def sample(self, times: ArrayLike, *, clip: bool = False) -> TrajectorySample:
        """Positions (deg, m) and ENU velocities (m/s) at ``times`` (POSIX s).

        Outside [t0, t1] the values are NaN, or with ``clip=True`` those of the nearest
        end (the position held, velocity of the end leg)."""
        t = np.asarray(times, dtype=float)
        shape = t.shape
        t = t.ravel()
        tc = np.clip(t, self.times[0], self.times[-1])
        i = np.clip(np.searchsorted(self.times, tc, side="right") - 1, 0, len(self.times) - 2)
        dt = self.times[i + 1] - self.times[i]
        s = (tc - self.times[i]) / dt
        if t.size:
            lon, lat, baz = GEOD.fwd(self.lon[i], self.lat[i], self.az[i], s * self.dist[i])
            lon, lat, baz = (np.asarray(x, dtype=float) for x in (lon, lat, baz))
        else:
            lon, lat, baz = (np.empty(0) for _ in range(3))
        alt = self.alt[i] + s * (self.alt[i + 1] - self.alt[i])
        az_here = np.radians(baz + 180.0)
        # the geodesic length is on the ellipsoid; at height h the path is longer
        speed = self.dist[i] / dt * (1.0 + alt / EARTH_RADIUS_M)
        ve = speed * np.sin(az_here)
        vn = speed * np.cos(az_here)
        vu = (self.alt[i + 1] - self.alt[i]) / dt
        out = [lat, lon, alt, ve, vn, vu]
        if not clip:
            outside = (t < self.times[0]) | (t > self.times[-1])
            if outside.any():
                for a in out:
                    a[outside] = np.nan
        return TrajectorySample(*(a.reshape(shape) for a in out))

    def altitude(self, times: ArrayLike) -> FloatArray:
        """Altitude (m) at ``times`` (exact: linear between waypoints), held at the ends."""
        return np.interp(np.asarray(times, dtype=float), self.times, self.alt)

    @cached_property
    def _table(self) -> tuple[FloatArray, FloatArray]:
        """Exact ECEF positions at the waypoints and every ``TABLE_STEP_S`` between."""
        grid = np.arange(self.times[0], self.times[-1], TABLE_STEP_S)
        knots = np.unique(np.concatenate([grid, self.times]))
        p = self.sample(knots, clip=True)
        return knots, geodetic_to_ecef(p.lat, p.lon, p.alt)

    def ecef(self, times: ArrayLike) -> FloatArray:
        """ECEF positions (..., 3) at ``times``, held at the ends outside [t0, t1].

        Interpolated linearly between exact positions at most ``TABLE_STEP_S`` apart: the
        chord of a geodesic arc of length L is off by L²/(8R), 3 cm at 250 m/s; the
        sensor simulators call this many times per sample, ``sample`` is exact."""
        t = np.asarray(times, dtype=float)
        knots, xyz = self._table
        out = np.empty((*t.shape, 3))
        for j in range(3):
            out[..., j] = np.interp(t, knots, xyz[:, j])
        return out

    def ecef_velocity(self, times: ArrayLike) -> FloatArray:
        """ECEF velocity (..., 3), m/s: the slope of the position table (zero outside
        [t0, t1])."""
        t = np.asarray(times, dtype=float)
        knots, xyz = self._table
        i = np.clip(np.searchsorted(knots, t, side="right") - 1, 0, len(knots) - 2)
        v = (xyz[i + 1] - xyz[i]) / (knots[i + 1] - knots[i])[..., None]
        outside = (t < knots[0]) | (t > knots[-1])
        v[outside] = 0.0
        return v


def build_trajectory(target: Target, start: float) -> Trajectory:
    """The trajectory of a scenario target (route times resolved, cut at its fate time).

    Raises :class:`RouteError` for routes that cannot be flown and
    :class:`~dronewall.sim.catalog.UnknownTargetType` for an unknown type."""
    ttype = target_type(target.type)
    times = route_times(target, start)
    lat = np.array([w.lat for w in target.route], dtype=float)
    lon = np.array([w.lon for w in target.route], dtype=float)
    alt = np.empty(len(target.route))
    prev = ttype.altitude_m
    for k, w in enumerate(target.route):
        prev = w.alt if w.alt is not None else prev
        alt[k] = prev
    az, _, dist = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    az = np.atleast_1d(np.asarray(az, float))
    dist = np.atleast_1d(np.asarray(dist, float))
    t_end = _resolve_fate_time(target, start, times)
    if t_end is not None and t_end < times[-1]:
        j = int(np.searchsorted(times, t_end, side="left")) - 1  # leg holding t_end
        s = (t_end - times[j]) / (times[j + 1] - times[j])
        lo, la, _ = GEOD.fwd(lon[j], lat[j], az[j], s * dist[j])
        h = alt[j] + s * (alt[j + 1] - alt[j])
        times = np.append(times[: j + 1], t_end)
        lat = np.append(lat[: j + 1], la)
        lon = np.append(lon[: j + 1], lo)
        alt = np.append(alt[: j + 1], h)
        az = np.append(az[:j], az[j])
        dist = np.append(dist[:j], s * dist[j])
    return Trajectory(
        target_id=target.id,
        target_type=ttype.name,
        label=target.label,
        kind=ttype.kind,
        family=ttype.family,
        fate=target.fate.kind,
        transponder=target.transponder,
        rcs_m2=target.rcs_m2 if target.rcs_m2 is not None else ttype.rcs_m2,
        source_level_db=(
            target.source_level_db if target.source_level_db is not None
            else ttype.source_level_db
        ),
        times=times,
        lat=lat,
        lon=lon,
        alt=alt,
        az=az,
        dist=dist,
    )
