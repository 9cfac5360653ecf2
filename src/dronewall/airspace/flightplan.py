"""Flight plans: who is expected where and when, and does a track conform to its plan?

A flight-plan file is YAML (or JSON, which is YAML) with a ``version`` and a list of
plans (format documented in ``docs/identity.md``)::

    version: 1
    flight_plans:
      - id: BTI7AH-0919
        callsign: BTI7AH          # and/or icao24: 502cc4
        operator: civil           # civil | state | own_military | allied_military
        departure: {lat: 56.92, lon: 23.97, time: "2025-09-19T06:30:00Z"}   # EVRA
        destination: {lat: 60.32, lon: 24.96, time: "2025-09-19T07:10:00Z"} # EFHK
        route: [{lat: 59.2, lon: 24.72}]   # optional points in between
        corridor_km: 20           # full width of the corridor around the route
        time_margin_s: 900        # slack before the first and after the last time

A track *matches* a plan when its transponder names the plan (ICAO address or callsign,
case-insensitive), its time lies within the plan's time window (the first and last times
given, widened by ``time_margin_s``) and its position lies within half the corridor width
of the route (great-circle cross-track distance on a sphere, computed in a local
azimuthal plane). A named plan that the track does not keep to is a *deviation*.

The YAML helpers here (text timestamps, duplicate keys refused, errors as
``file:line: field: message``) are shared with the identity rules loader.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import numpy as np
import yaml
from msgspec import Meta, Struct
from numpy.typing import NDArray

from dronewall.model import Track
from dronewall.timeutil import parse_iso
from dronewall.yamlpath import PathItem, node_line

EARTH_RADIUS_M = 6_371_008.8
FLIGHT_PLAN_VERSION = 1

# --------------------------------------------------------------------------- YAML + errors


class DataFileError(ValueError):
    """A data file (flight plans, identity rules) that cannot be used: ``str()`` is
    ``"{file}:{line}: {field}: {message}"`` (the line left out when unknown)."""

    def __init__(self, file: str, line: int | None, field: str, message: str) -> None:
        self.file, self.line, self.field, self.message = file, line, field, message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.field}: {self.message}"


class _Loader(yaml.SafeLoader):
    """SafeLoader keeping timestamps as text and refusing duplicate keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key_node.value!r}", key_node.start_mark
                    )
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)


_Loader.add_constructor(
    "tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str  # type: ignore[type-var]
)

_PATH_TOKEN = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")


@dataclass
class YamlDoc:
    """A parsed YAML file: its data and node tree, to name the line of any field."""

    file: str
    data: Any
    root: yaml.Node | None

    def line(self, path: Sequence[PathItem]) -> int:
        """1-based line of the deepest node along ``path`` (a mapping entry's key line)."""
        return node_line(self.root, path)

    def error(self, path: Sequence[PathItem], message: str) -> DataFileError:
        return DataFileError(self.file, self.line(path), field_name(path), message)

    def convert(self, data: Any, type_: Any, path: Sequence[PathItem] = ()) -> Any:
        """msgspec.convert with errors turned into :class:`DataFileError` at the field."""
        try:
            return msgspec.convert(data, type=type_)
        except msgspec.ValidationError as e:
            raise self.validation_error(e, path) from None

    def validation_error(
        self, err: msgspec.ValidationError, base: Sequence[PathItem] = ()
    ) -> DataFileError:
        message, _, where = str(err).partition(" - at ")
        where = where.strip("`")
        m = re.match(r"`?key`? in `(.*)", where)
        path = [*base, *parse_path(m.group(1) if m else where)]
        named = re.match(r"Object (missing required|contains unknown) field `([^`]*)`", message)
        if named:
            missing = named.group(1).startswith("missing")
            e = self.error(path if missing else [*path, named.group(2)],
                           "missing required key" if missing else "unknown key")
            e.field = field_name([*path, named.group(2)])
            e.args = (str(e),)
            return e
        return self.error(path, message)


def parse_path(text: str) -> list[PathItem]:
    """``$.rules[0].when.speed`` -> ["rules", 0, "when", "speed"]."""
    return [int(i) if i else k for k, i in _PATH_TOKEN.findall(text.removeprefix("$"))]


def field_name(path: Sequence[PathItem]) -> str:
    s = ""
    for p in path:
        s += f"[{p}]" if isinstance(p, int) else (f".{p}" if s else p)
    return s or "(top)"


def read_yaml(path: str | Path, text: str | None = None) -> YamlDoc:
    """Parse a YAML (or JSON) file; syntax errors become :class:`DataFileError`."""
    file = str(path)
    try:
        if text is None:
            text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise DataFileError(file, None, "file", f"cannot read: {e.strerror or e}") from None
    try:
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        raise DataFileError(file, line, "(yaml)", str(e.problem or e)) from None
    except yaml.YAMLError as e:
        raise DataFileError(file, None, "(yaml)", str(e)) from None
    return YamlDoc(file, data, root)


# --------------------------------------------------------------------------- the format

Operator = Literal["civil", "state", "own_military", "allied_military"]


class PlanPoint(Struct, forbid_unknown_fields=True, kw_only=True):
    """A point of a planned route; ``time`` (ISO 8601 UTC) when planned to be there."""

    lat: Annotated[float, Meta(ge=-90.0, le=90.0)]
    lon: Annotated[float, Meta(ge=-180.0, le=180.0)]
    alt: float | None = None
    time: str | None = None
    name: str = ""


class FlightPlan(Struct, forbid_unknown_fields=True, kw_only=True):
    """One filed flight plan (see the module docstring)."""

    id: str
    callsign: str | None = None
    icao24: str | None = None
    operator: Operator = "civil"
    departure: PlanPoint | None = None
    destination: PlanPoint | None = None
    route: list[PlanPoint] = []
    corridor_km: Annotated[float, Meta(gt=0.0)] = 20.0
    time_margin_s: Annotated[float, Meta(ge=0.0)] = 900.0
    note: str = ""

    def points(self) -> list[PlanPoint]:
        """Departure, route points, destination, in order."""
        return [p for p in (self.departure, *self.route, self.destination) if p is not None]


class FlightPlanFile(Struct, forbid_unknown_fields=True, kw_only=True):
    version: int
    flight_plans: list[FlightPlan] = []
    note: str = ""


@dataclass(frozen=True)
class PlanCheck:
    """How a track relates to the flight plans: ``status`` is "match", "deviation" (a
    plan names the track but it is off the route or off the time window) or "none"."""

    status: Literal["match", "deviation", "none"]
    plan_id: str | None = None
    operator: str | None = None
    cross_track_km: float | None = None
    reason: str = ""

    def evidence(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status}
        if self.plan_id is not None:
            out.update(plan_id=self.plan_id, operator=self.operator)
        if self.cross_track_km is not None:
            out["cross_track_km"] = round(self.cross_track_km, 2)
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True)
class _Compiled:
    plan: FlightPlan
    route: Route
    t0: float  # time window (margins included); -inf/inf when no times
    t1: float


def _unit(lat: NDArray[np.float64], lon: NDArray[np.float64]) -> NDArray[np.float64]:
    la, lo = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


@dataclass(frozen=True)
class Route:
    """A polyline of great-circle legs on a sphere, prepared for distance queries:
    vertex unit vectors, leg pole unit vectors ``n = a x b / |a x b|`` and the two
    in-plane normals that bound each leg (``n x a``, ``b x n``)."""

    v: NDArray[np.float64]
    n: NDArray[np.float64]
    na: NDArray[np.float64]
    bn: NDArray[np.float64]

    @classmethod
    def of(cls, lat: NDArray[np.float64], lon: NDArray[np.float64]) -> Route:
        v = _unit(np.asarray(lat, float), np.asarray(lon, float))
        a, b = v[:-1], v[1:]
        n = np.cross(a, b)
        norm = np.linalg.norm(n, axis=1)
        ok = norm > 1e-12
        n = n[ok] / norm[ok, None]
        return cls(v, n, np.cross(n, a[ok]), np.cross(b[ok], n))

    def distance_m(self, lat: float, lon: float) -> float:
        """Shortest great-circle distance (m, spherical Earth) from a point to the
        route: the cross-track distance where the foot of the perpendicular falls on a
        leg, else the distance to the nearest vertex."""
        la, lo = math.radians(lat), math.radians(lon)
        p = np.array([math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])
        best = float(np.arccos(np.clip(self.v @ p, -1.0, 1.0)).min())
        if len(self.n):
            s = self.n @ p  # sin of the cross-track angle to each leg's great circle
            foot = p[None, :] - s[:, None] * self.n  # projection on the leg's plane
            on = (np.einsum("ij,ij->i", foot, self.na) >= 0.0) & (
                np.einsum("ij,ij->i", foot, self.bn) >= 0.0)
            if on.any():
                best = min(best, float(np.abs(np.arcsin(np.clip(s[on], -1.0, 1.0))).min()))
        return best * EARTH_RADIUS_M


def distance_to_route_m(
    lat: float, lon: float, route_lat: NDArray[np.float64], route_lon: NDArray[np.float64]
) -> float:
    """Shortest great-circle distance (m) from a point to a polyline (see :class:`Route`)."""
    return Route.of(route_lat, route_lon).distance_m(lat, lon)


class FlightPlans:
    """The plans in force, indexed by ICAO address and callsign."""

    def __init__(self, plans: Iterable[FlightPlan] = ()) -> None:
        self.plans = list(plans)
        self._by_icao: dict[str, list[_Compiled]] = {}
        self._by_callsign: dict[str, list[_Compiled]] = {}
        for plan in self.plans:
            c = _compile(plan)
            if plan.icao24:
                self._by_icao.setdefault(plan.icao24.strip().lower(), []).append(c)
            if plan.callsign:
                self._by_callsign.setdefault(plan.callsign.strip().upper(), []).append(c)

    def __len__(self) -> int:
        return len(self.plans)

    def check(self, track: Track) -> PlanCheck:
        """Does this track state keep to a plan filed for it?"""
        tr = track.transponder
        if tr is None:
            return PlanCheck("none", reason="no transponder identity to look a plan up by")
        cands: list[_Compiled] = []
        if tr.icao24:
            cands += self._by_icao.get(tr.icao24.strip().lower(), [])
        if tr.callsign:
            cands += [c for c in self._by_callsign.get(tr.callsign.strip().upper(), [])
                      if c not in cands]
        if not cands:
            return PlanCheck("none", reason="no plan filed for this ICAO address or callsign")
        best: PlanCheck | None = None
        for c in cands:
            d_km = c.route.distance_m(track.lat, track.lon) / 1000.0
            half = c.plan.corridor_km / 2.0
            in_time = c.t0 <= track.time <= c.t1
            op = c.plan.operator
            if in_time and d_km <= half:
                return PlanCheck("match", c.plan.id, op, d_km)
            why = (f"{d_km:.1f} km off the route (corridor half-width {half:g} km)"
                   if d_km > half else "outside the plan's time window")
            check = PlanCheck("deviation", c.plan.id, op, d_km, why)
            if best is None or (best.cross_track_km or 0.0) > d_km:
                best = check
        assert best is not None
        return best


def _compile(plan: FlightPlan) -> _Compiled:
    pts = plan.points()
    times = [parse_iso(p.time) for p in pts if p.time]
    t0 = min(times) - plan.time_margin_s if times else -np.inf
    t1 = max(times) + plan.time_margin_s if times else np.inf
    return _Compiled(
        plan,
        Route.of(np.array([p.lat for p in pts]), np.array([p.lon for p in pts])),
        float(t0),
        float(t1),
    )


def _check_plan(doc: YamlDoc, i: int, plan: FlightPlan) -> None:
    base: list[PathItem] = ["flight_plans", i]
    if not (plan.callsign or plan.icao24):
        raise doc.error(base, "a plan names the aircraft: give `callsign` and/or `icao24`")
    if plan.icao24 is not None and not re.fullmatch(r"[0-9a-fA-F]{6}", plan.icao24):
        raise doc.error([*base, "icao24"], f"{plan.icao24!r} is not 6 hex digits")
    if len(plan.points()) < 2:
        raise doc.error(base, "a plan needs at least two points (departure, route, "
                              "destination)")
    last = -np.inf
    named: list[tuple[list[PathItem], PlanPoint]] = []
    if plan.departure:
        named.append(([*base, "departure"], plan.departure))
    named += [([*base, "route", k], p) for k, p in enumerate(plan.route)]
    if plan.destination:
        named.append(([*base, "destination"], plan.destination))
    for path, p in named:
        if p.time is None:
            continue
        try:
            t = parse_iso(p.time)
        except ValueError as e:
            raise doc.error([*path, "time"], str(e)) from None
        if t <= last:
            raise doc.error([*path, "time"], "times must increase along the plan")
        last = t


def scenario_flight_plans(name: str) -> list[FlightPlan]:
    """The plans shipped for a built-in scenario
    (``dronewall/scenarios/flightplans/NAME.yaml``); [] when there is no such file."""
    ref = resources.files("dronewall") / "scenarios" / "flightplans" / f"{name}.yaml"
    path = Path(str(ref))
    return load_flight_plans(path) if path.is_file() else []


def load_flight_plans(path: str | Path, text: str | None = None) -> list[FlightPlan]:
    """Read and check a flight-plan file; raises :class:`DataFileError` naming
    file:line:field on any problem."""
    doc = read_yaml(path, text)
    if not isinstance(doc.data, dict):
        raise doc.error([], "a flight-plan file is a mapping with `version` and "
                            "`flight_plans`")
    f: FlightPlanFile = doc.convert(doc.data, FlightPlanFile)
    if f.version != FLIGHT_PLAN_VERSION:
        raise doc.error(["version"], f"version {f.version} is not supported "
                                     f"(this dronewall reads {FLIGHT_PLAN_VERSION})")
    ids: set[str] = set()
    for i, plan in enumerate(f.flight_plans):
        if plan.id in ids:
            raise doc.error(["flight_plans", i, "id"], f"duplicate plan id {plan.id!r}")
        ids.add(plan.id)
        _check_plan(doc, i, plan)
    return f.flight_plans
