"""The engagement catalogue files: effectors, laydowns, doctrines, assets (YAML).

Files ship in ``dronewall/data/`` (``effectors.yaml``, ``laydowns/``, ``doctrines/``,
``assets/``, ``roe/``); a name is looked up there, a path is read as is. Every file is
validated into typed structures; a bad one raises :class:`CatalogError` naming the file
and the field.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import yaml
from msgspec import Meta, Struct

from dronewall.model.messages import Lat, Lon

TRACK_CLASSES = (
    "shahed", "gerbera", "jet_shahed", "cruise_missile", "fighter", "bomber", "airliner",
    "light_aircraft", "helicopter", "multicopter", "bird", "unknown",
)
EffectorKind = Literal["gun", "missile", "interceptor_drone", "fighter", "ew"]
Mobility = Literal["static", "ground_mobile", "airborne"]
NonNeg = Annotated[float, Meta(ge=0.0)]


class CatalogError(ValueError):
    """A catalogue file is missing or invalid (the message names file and field)."""


class _S(Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class EffectorType(_S):
    """What one kind of effector can do (see effectors.yaml for the fields' meaning)."""

    name: str
    kind: EffectorKind
    range_m: tuple[NonNeg, NonNeg]
    altitude_m: tuple[float, float]
    max_target_speed_mps: NonNeg
    speed_mps: Annotated[float, Meta(gt=0.0)]
    reaction_s: NonNeg
    channels: Annotated[int, Meta(ge=1)]
    magazine: Annotated[int, Meta(ge=1)]
    reload_s: NonNeg
    mobility: Mobility
    cost_per_shot_usd: NonNeg
    miss_flyout_m: NonNeg = 0.0
    casualty_area_m2: NonNeg = 0.0
    pk: dict[str, Annotated[float, Meta(ge=0.0, le=1.0)]] = {}
    id: str = ""

    def pk_of(self, label: str) -> float:
        return float(self.pk.get(label, 0.0))


class Unit(_S):
    """One effector on the map (a laydown entry)."""

    id: str
    type: str
    lat: Lat
    lon: Lon
    alt: float = 150.0
    note: str = ""


class Laydown(_S):
    name: str
    country: str
    scenarios: list[str] = []
    units: list[Unit] = []


class Weights(_S):
    """Cost weights of the assignment's objective (all in US dollars)."""

    usd_per_value: NonNeg = 1.0e6
    sovereignty_usd: NonNeg = 1.0e5
    cost: NonNeg = 1.0
    ec_usd: NonNeg = 1.0e7


class Planning(_S):
    replan_s: Annotated[float, Meta(gt=0.0)] = 30.0
    horizon_s: Annotated[float, Meta(gt=0.0)] = 1200.0
    slot_s: Annotated[float, Meta(gt=0.0)] = 30.0


class Doctrine(_S):
    name: str
    description: str = ""
    effectors: list[str] | Literal["all"] = "all"
    roe: list[str] = msgspec.field(default_factory=lambda: ["default"])
    weights: Weights = msgspec.field(default_factory=Weights)
    planning: Planning = msgspec.field(default_factory=Planning)

    def allows(self, effector_type: str) -> bool:
        return self.effectors == "all" or effector_type in self.effectors


class Asset(_S):
    """A protected asset: a city, airport, power plant, base. ``value`` 0-10."""

    id: str
    name: str
    lat: Lat
    lon: Lon
    kind: str = "city"
    value: NonNeg = 1.0


class AssetFile(_S):
    name: str
    country: str = ""
    assets: list[Asset] = []


def _path(kind: str, name: str | Path) -> Path | Any:
    p = Path(name)
    if p.suffix in (".yaml", ".yml") and (p.exists() or p.is_absolute() or len(p.parts) > 1):
        return p
    ref = resources.files("dronewall").joinpath("data", kind, f"{name}.yaml")
    if not ref.is_file():
        raise CatalogError(f"no {kind} file named {name!r} (looked in dronewall/data/{kind}/)")
    return ref


def _read(path: Any, type_: type[Any], where: str) -> Any:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"{where}: {exc}") from None
    try:
        return msgspec.convert(raw, type_, strict=False)
    except msgspec.ValidationError as exc:
        raise CatalogError(f"{where}: {exc}") from None


@cache
def effector_types(path: str | None = None) -> dict[str, EffectorType]:
    """The effector catalogue (``data/effectors.yaml`` unless a path is given)."""
    ref = Path(path) if path else resources.files("dronewall").joinpath("data", "effectors.yaml")
    raw = _read(ref, dict[str, dict[str, EffectorType]], str(ref))
    types = raw.get("effectors", {})
    for key, et in types.items():
        bad = set(et.pk) - set(TRACK_CLASSES)
        if bad:
            raise CatalogError(f"{ref}: effectors.{key}.pk: unknown classes {sorted(bad)}")
        if et.range_m[0] > et.range_m[1] or et.altitude_m[0] > et.altitude_m[1]:
            raise CatalogError(f"{ref}: effectors.{key}: an envelope's min exceeds its max")
    return {k: msgspec.structs.replace(v, id=k) for k, v in types.items()}


def load_laydown(name: str | Path) -> Laydown:
    """A laydown by name (``data/laydowns/NAME.yaml``) or path; unit types are checked."""
    ref = _path("laydowns", name)
    lay: Laydown = _read(ref, Laydown, str(ref))
    types = effector_types()
    for i, u in enumerate(lay.units):
        if u.type not in types:
            raise CatalogError(f"{ref}: units[{i}].type: unknown effector type {u.type!r}")
    ids = [u.id for u in lay.units]
    if len(set(ids)) != len(ids):
        raise CatalogError(f"{ref}: units: duplicate ids")
    return lay


def load_doctrine(name: str | Path) -> Doctrine:
    ref = _path("doctrines", name)
    doc: Doctrine = _read(ref, Doctrine, str(ref))
    if doc.effectors != "all":
        bad = set(doc.effectors) - set(effector_types())
        if bad:
            raise CatalogError(f"{ref}: effectors: unknown types {sorted(bad)}")
    return doc


def load_assets(name: str | Path) -> list[Asset]:
    ref = _path("assets", name)
    return list(_read(ref, AssetFile, str(ref)).assets)


def laydown_for(scenario: str) -> Laydown | None:
    """The shipped laydown that lists ``scenario``, if any."""
    folder = resources.files("dronewall").joinpath("data", "laydowns")
    for ref in sorted(folder.iterdir(), key=lambda r: r.name):
        if ref.name.endswith(".yaml"):
            lay = load_laydown(ref.name[:-5])
            if scenario in lay.scenarios:
                return lay
    return None


def assets_for(country: str) -> list[Asset]:
    """Shipped extra assets (power plants, bases) of one country (ISO alpha-3)."""
    folder = resources.files("dronewall").joinpath("data", "assets")
    out: list[Asset] = []
    for ref in sorted(folder.iterdir(), key=lambda r: r.name):
        if ref.name.endswith(".yaml"):
            f: AssetFile = _read(ref, AssetFile, str(ref))
            if f.country == country:
                out.extend(f.assets)
    return out


AIRPORT_VALUE = {"major": 5.0, "military major": 6.0, "mid and military": 4.0,
                 "military mid": 4.0, "mid": 3.0}


def shipped_assets(countries: list[str] | set[str], min_pop: int = 100_000,
                   existing: list[Asset] | None = None, dedupe_km: float = 5.0) -> list[Asset]:
    """Cities (Natural Earth places of at least ``min_pop``; value pop / 200k, 1-10) and
    airports (value by kind: major 5, mid 3, military 4-6) of the given countries, from
    the shipped data; those within ``dedupe_km`` of an ``existing`` asset are left out
    (a scenario's own list wins). Values are a default ranking, not an assessment."""
    from dronewall.geo.borders import airports, country_at, populated_places

    have = list(existing or [])
    out: list[Asset] = []

    def near(lat: float, lon: float) -> bool:
        return any(abs(a.lat - lat) * 111.2 < dedupe_km and
                   abs(a.lon - lon) * 111.32 * 0.6 < dedupe_km for a in have + out)

    for p in populated_places():
        if p.country in countries and p.pop >= min_pop and not near(p.lat, p.lon):
            out.append(Asset(id=f"city-{p.name.lower().replace(' ', '-')}", name=p.name,
                             lat=p.lat, lon=p.lon, kind="city",
                             value=float(min(10.0, max(1.0, p.pop / 2e5)))))
    aps = airports()
    iso = [str(c) for c in country_at([a.lat for a in aps], [a.lon for a in aps])]
    for a, c in zip(aps, iso, strict=True):
        if c in countries and not near(a.lat, a.lon):
            out.append(Asset(id=f"airport-{(a.icao or a.name).lower()}", name=a.name,
                             lat=a.lat, lon=a.lon, kind="airport",
                             value=AIRPORT_VALUE.get(a.kind, 2.0)))
    return out
