"""Load a scenario file (YAML) into a checked, self-contained :class:`Scenario`.

Every problem is reported as one :class:`ScenarioError` naming the file, the line and
the field (``targets[3].route[2].time``): YAML syntax, wrong types, missing or unknown
keys, out-of-range values (through msgspec's validation), unknown target types, bad
times, waypoints out of order, a downed time outside the route, duplicate ids and bad
zone files. Zone ``file:`` paths are read relative to the scenario file and their
geometry is put into the returned scenario.

YAML is read with two deliberate changes from plain ``safe_load``: ISO timestamps stay
text, and the values of ``start``, ``end`` and ``time`` keys are always text (so that
``+3600`` and ``+1:30:00`` are offsets, not YAML integers).
"""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import msgspec
import pyproj
import yaml

from dronewall.sim.catalog import UnknownTargetType, target_type
from dronewall.sim.kinematics import RouteError, build_trajectory, parse_time
from dronewall.sim.scenario import (
    AcousticNodeSpec,
    AcousticParams,
    NodeLine,
    Position,
    Scenario,
    SensorSpec,
    TdoaPartner,
    ZoneSpec,
)
from dronewall.yamlpath import PathItem, node_line

_TIME_KEYS = frozenset({"start", "end", "time"})
_PATH_TOKEN = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")
_ICAO24 = re.compile(r"^[0-9a-fA-F]{6}$")



class ScenarioError(Exception):
    """A scenario that cannot be used: ``str()`` is ``"{file}:{line}: {field}: {message}"``
    (``line`` is 1-based; None when there is no line, and then left out)."""

    def __init__(self, file: str, line: int | None, field: str, message: str) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.field}: {self.message}"


class _Loader(yaml.SafeLoader):
    """SafeLoader keeping timestamps and the values of time keys as text, and refusing
    duplicate keys (plain YAML keeps the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        out = super().construct_mapping(node, deep=deep)
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag.endswith(":str"):
                if key_node.value in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"duplicate key {key_node.value!r}", key_node.start_mark
                    )
                seen.add(key_node.value)
            if (
                isinstance(key_node, yaml.ScalarNode)
                and key_node.value in _TIME_KEYS
                and isinstance(value_node, yaml.ScalarNode)
                and value_node.tag != "tag:yaml.org,2002:null"
            ):
                out[key_node.value] = value_node.value
        return out


_Loader.add_constructor(
    "tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str  # type: ignore[type-var]
)


# --------------------------------------------------------------------------- finding files


def _builtin_dir() -> Path:
    return Path(str(resources.files("dronewall") / "scenarios"))


def list_scenarios() -> list[str]:
    """Names of the built-in scenarios (``src/dronewall/scenarios/NAME.yaml``)."""
    d = _builtin_dir()
    if not d.is_dir():
        return []
    return sorted(p.stem for p in d.glob("*.yaml"))


def find_scenario(name_or_path: str | Path) -> Path:
    """The file of a built-in scenario name (``poland-2025-09-10``) or of a path.

    Raises :class:`ScenarioError` (no line) when neither exists."""
    p = Path(name_or_path)
    if p.is_file():
        return p
    text = str(name_or_path)
    candidate = _builtin_dir() / f"{text.removesuffix('.yaml')}.yaml"
    if "/" not in text and candidate.is_file():
        return candidate
    names = ", ".join(list_scenarios()) or "none installed"
    raise ScenarioError(
        text, None, "file", f"no such scenario file or built-in scenario (built-ins: {names})"
    )


# --------------------------------------------------------------------------- lines


def _parse_path(text: str) -> list[PathItem]:
    """``$.targets[0].route[1].time`` -> ["targets", 0, "route", 1, "time"]."""
    out: list[PathItem] = []
    for key, index in _PATH_TOKEN.findall(text.removeprefix("$")):
        out.append(int(index) if index else key)
    return out


def _field_name(path: list[PathItem]) -> str:
    s = ""
    for p in path:
        s += f"[{p}]" if isinstance(p, int) else (f".{p}" if s else p)
    return s or "(top)"


class _Context:
    """What an error needs to name its place: the file and the YAML node tree."""

    def __init__(self, file: str, root: yaml.Node | None) -> None:
        self.file = file
        self.root = root

    def error(self, path: list[PathItem], message: str) -> ScenarioError:
        return ScenarioError(self.file, node_line(self.root, path), _field_name(path), message)


def _validation_error(ctx: _Context, err: msgspec.ValidationError) -> ScenarioError:
    text = str(err)
    message, _, where = text.partition(" - at ")
    where = where.strip("`")
    m = re.match(r"`?key`? in `(.*)", where)
    path = _parse_path(m.group(1)) if m else _parse_path(where)
    named = re.match(r"Object (missing required|contains unknown) field `([^`]*)`", message)
    if named:
        missing = named.group(1).startswith("missing")
        line_path = path if missing else [*path, named.group(2)]
        e = ctx.error(line_path, "missing required key" if missing else "unknown key")
        e.field = _field_name([*path, named.group(2)])
        e.args = (str(e),)
        return e
    if message.startswith("Invalid value") and path and path[-1] == "type":
        message += " (sensor types: radar, adsb, acoustic)"
    return ctx.error(path, message)


# --------------------------------------------------------------------------- checks


def _read_zone_geometry(ctx: _Context, i: int, z: ZoneSpec, base: Path) -> dict[str, Any]:
    if z.geometry is not None:
        geom: Any = z.geometry
        path: list[PathItem] = ["zones", i, "geometry"]
        src = "inline geometry"
    elif z.file is not None:
        path = ["zones", i, "file"]
        fp = base / z.file
        src = str(fp)
        try:
            geom = json.loads(fp.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ctx.error(path, f"zone file {fp} not found") from None
        except (OSError, UnicodeDecodeError) as e:
            raise ctx.error(path, f"cannot read zone file {fp}: {e}") from None
        except json.JSONDecodeError as e:
            raise ctx.error(
                path, f"zone file {fp} is not JSON (line {e.lineno}: {e.msg})"
            ) from None
    else:
        raise ctx.error(["zones", i], "a zone needs a `file` or a `geometry`")
    try:
        return _polygonal(geom)
    except ValueError as e:
        raise ctx.error(path, f"{src}: {e}") from None


def _polygonal(obj: Any) -> dict[str, Any]:
    """A GeoJSON Polygon/MultiPolygon geometry from a geometry, Feature or a
    FeatureCollection (whose polygons are merged into one MultiPolygon)."""
    if not isinstance(obj, dict):
        raise ValueError("not a GeoJSON object")
    kind = obj.get("type")
    if kind == "Feature":
        return _polygonal(obj.get("geometry"))
    if kind == "FeatureCollection":
        feats = obj.get("features") or []
        if not feats:
            raise ValueError("the FeatureCollection has no features")
        geoms = [_polygonal(f) for f in feats]
        if len(geoms) == 1:
            return geoms[0]
        polys: list[Any] = []
        for g in geoms:
            polys.extend([g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"])
        return {"type": "MultiPolygon", "coordinates": polys}
    if kind not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"geometry type is {kind!r}; a zone must be a Polygon or MultiPolygon")
    coords = obj.get("coordinates")
    parts = [coords] if kind == "Polygon" else coords
    if not isinstance(parts, list) or not parts:
        raise ValueError("malformed coordinates")
    try:
        for poly in parts:
            for ring in poly:
                if len(ring) < 4:
                    raise ValueError("a ring needs at least 4 positions (closed)")
                for pt in ring:
                    lon, lat = float(pt[0]), float(pt[1])
                    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
                        raise ValueError(f"position {pt} is not (lon, lat) in degrees")
    except (TypeError, IndexError):
        raise ValueError("malformed coordinates") from None
    return {"type": kind, "coordinates": coords}


def _check_unique(ctx: _Context, section: str, ids: list[str]) -> None:
    seen: dict[str, int] = {}
    for i, ident in enumerate(ids):
        if ident in seen:
            raise ctx.error(
                [section, i, "id"], f"duplicate id {ident!r} (also {section}[{seen[ident]}])"
            )
        seen[ident] = i


def expand_node_line(line: NodeLine) -> list[AcousticNodeSpec]:
    """The acoustic nodes of a node line: evenly spaced on the WGS84 geodesic from
    ``first`` to ``last`` (both included), each paired with the next for TDOA."""
    geod = pyproj.Geod(ellps="WGS84")
    inner = geod.npts(line.first.lon, line.first.lat, line.last.lon, line.last.lat,
                      line.count - 2) if line.count > 2 else []
    pts = [(line.first.lon, line.first.lat), *inner, (line.last.lon, line.last.lat)]
    width = max(3, len(str(line.count)))
    ids = [f"{line.id}-{k + 1:0{width}d}" for k in range(line.count)]
    positions = [Position(lat=la, lon=lo, alt=line.alt) for lo, la in pts]
    shared = {f: getattr(line, f) for f in AcousticParams.__struct_fields__}
    out = []
    for k, (ident, pos) in enumerate(zip(ids, positions, strict=True)):
        partner = None
        if line.tdoa and k + 1 < line.count:
            partner = TdoaPartner(id=ids[k + 1], position=positions[k + 1])
        out.append(AcousticNodeSpec(
            id=ident, name=f"{line.id} node {k + 1}", position=pos, tdoa_partner=partner,
            note=line.note, **shared,
        ))
    return out


def _expand_sensors(ctx: _Context, sc: Scenario) -> list[SensorSpec]:
    sensors: list[SensorSpec] = list(sc.sensors)
    seen = {s.id: ["sensors", i] for i, s in enumerate(sc.sensors)}
    for i, line in enumerate(sc.node_lines):
        for node in expand_node_line(line):
            if node.id in seen:
                where = _field_name(seen[node.id])  # type: ignore[arg-type]
                raise ctx.error(["node_lines", i, "id"],
                                f"node id {node.id!r} is already used ({where})")
            seen[node.id] = ["node_lines", i]
            sensors.append(node)
    if not sensors:
        raise ctx.error(["sensors"], "a scenario needs at least one sensor (sensors or "
                                     "node_lines)")
    return sensors


def _check_acoustic(ctx: _Context, sc: Scenario) -> None:
    """Acoustic node parameters that fit their model, and a sound for every target
    when some node synthesises or predicts it (``model`` fast or full)."""
    from dronewall.sim import acoustic_nodes

    specs: list[tuple[list[PathItem], AcousticParams]] = []
    specs += [(["sensors", i], s) for i, s in enumerate(sc.sensors)
              if isinstance(s, AcousticNodeSpec)]
    specs += [(["node_lines", i], line) for i, line in enumerate(sc.node_lines)]
    physical = False
    for path, spec in specs:
        for field, message in acoustic_nodes.param_problems(spec):
            raise ctx.error([*path, field], message)
        physical |= spec.resolved_model != "simple"
    if not physical:
        return
    for i, t in enumerate(sc.targets):
        tt = target_type(t.type)
        level = t.source_level_db if t.source_level_db is not None else tt.source_level_db
        try:
            acoustic_nodes.signature_for(tt.name, tt.family, level)
        except ValueError as e:
            raise ctx.error(["targets", i, "type"], (
                f"type {t.type!r} (acoustic family {tt.family!r}) has no acoustic signature "
                f"for the fast/full acoustic nodes: {e}")) from None


def _check(ctx: _Context, sc: Scenario, base: Path) -> Scenario:
    try:
        start = parse_time(sc.start)
    except ValueError as e:
        raise ctx.error(["start"], str(e)) from None
    try:
        end = parse_time(sc.end, start)
    except ValueError as e:
        raise ctx.error(["end"], str(e)) from None
    if not end > start:
        raise ctx.error(["end"], "the end is not after the start")
    _check_unique(ctx, "sensors", [s.id for s in sc.sensors])
    _check_unique(ctx, "node_lines", [n.id for n in sc.node_lines])
    sensors = _expand_sensors(ctx, sc)
    _check_unique(ctx, "targets", [t.id for t in sc.targets])
    _check_unique(ctx, "zones", [z.id for z in sc.zones])
    _check_unique(ctx, "assets", [a.id for a in sc.assets])
    for i, t in enumerate(sc.targets):
        try:
            build_trajectory(t, start)
        except UnknownTargetType as e:
            raise ctx.error(["targets", i, "type"], str(e)) from None
        except RouteError as e:
            path: list[PathItem] = ["targets", i]
            if e.index is not None:
                path += ["route", e.index]
            path += e.field.split(".")
            raise ctx.error(path, e.message) from None
        if t.transponder is not None and not _ICAO24.match(t.transponder.icao24):
            raise ctx.error(
                ["targets", i, "transponder", "icao24"],
                f"{t.transponder.icao24!r} is not a 24-bit address in 6 hex digits",
            )
    _check_acoustic(ctx, sc)
    zones = [
        msgspec.structs.replace(z, geometry=_read_zone_geometry(ctx, i, z, base))
        for i, z in enumerate(sc.zones)
    ]
    return msgspec.structs.replace(sc, zones=zones, sensors=sensors, node_lines=[])


# --------------------------------------------------------------------------- entry points


def parse_scenario(text: str, file: str = "<string>", base: Path | None = None) -> Scenario:
    """A checked scenario from YAML text; ``base`` is where zone files are looked for
    (default: the current directory). Raises :class:`ScenarioError`."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else 1
        msg = " ".join(x for x in (e.context, e.problem) if x)
        raise ScenarioError(file, line, "yaml", msg or "syntax error") from None
    except yaml.YAMLError as e:
        raise ScenarioError(file, 1, "yaml", str(e)) from None
    finally:
        loader.dispose()
    ctx = _Context(file, root)
    if not isinstance(data, dict):
        raise ctx.error([], "a scenario is a mapping of keys (name, start, sensors, ...)")
    try:
        sc = msgspec.convert(data, Scenario)
    except msgspec.ValidationError as e:
        raise _validation_error(ctx, e) from None
    return _check(ctx, sc, base if base is not None else Path("."))


def load_scenario(path: str | Path) -> Scenario:
    """Load and check a scenario file (or a built-in scenario by name).

    Raises :class:`ScenarioError` ``"{file}:{line}: {field}: {message}"`` on bad input."""
    fp = find_scenario(path)
    try:
        text = fp.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError(str(fp), None, "file", f"cannot read: {e}") from None
    return parse_scenario(text, file=str(fp), base=fp.parent)
