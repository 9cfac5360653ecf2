"""The shipped national airspace (land + territorial sea), places and airports.

Loads ``dronewall/data/*.geojson`` (see its ATTRIBUTION.md: borders are OpenStreetMap,
ODbL; places and airports are Natural Earth) once, with ``importlib.resources`` so it
works from a wheel or a zip. Geometries are in lon/lat degrees. Neighbouring countries
were simplified independently (50 m tolerance), so along a land border there are slivers
up to about twice that wide that are in both or in neither. The source itself gives some
places to two states; the extract gives Crimea and its territorial sea to Ukraine alone
(the recognised border, UN GA res. 68/262). Small overlaps remain: a wedge of the
Beaufort Sea (CAN and USA, ~110 km2), patches of the NOR/SWE (~17 km2) and FIN/RUS
(~3 km2) borders; :func:`country_at` answers the first in file order there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from dronewall.model import Zone

DATA_PACKAGE = "dronewall"


@dataclass(frozen=True)
class Place:
    """A populated place (Natural Earth): ``country`` is ISO 3166-1 alpha-3."""

    name: str
    lat: float
    lon: float
    country: str
    pop: int


@dataclass(frozen=True)
class Airport:
    """An airport (Natural Earth); codes are None where the source has none."""

    name: str
    lat: float
    lon: float
    icao: str | None
    iata: str | None
    kind: str


def _load(name: str) -> dict[str, Any]:
    ref = resources.files(DATA_PACKAGE).joinpath("data", name)
    data: dict[str, Any] = json.loads(ref.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True)
class _Borders:
    """Borders as loaded: one entry per source feature (a country in one region)."""

    iso: tuple[str, ...]
    geoms: tuple[shapely.MultiPolygon, ...]  # prepared
    bounds: NDArray[np.float64]  # (n, 4): lon_min, lat_min, lon_max, lat_max
    names: dict[str, str]
    geojson: dict[str, list[dict[str, Any]]]  # iso -> GeoJSON geometries of its features
    tolerance_m: float


def _as_multi(geom: shapely.Geometry) -> shapely.MultiPolygon:
    if isinstance(geom, shapely.MultiPolygon):
        return geom
    return shapely.MultiPolygon([geom])


@cache
def _borders() -> _Borders:
    data = _load("borders.geojson")
    iso, geoms, names = [], [], {}
    geojson: dict[str, list[dict[str, Any]]] = {}
    for feat in data["features"]:
        code = feat["properties"]["iso_a3"]
        geom = _as_multi(shapely.geometry.shape(feat["geometry"]))
        shapely.prepare(geom)
        iso.append(code)
        geoms.append(geom)
        names[code] = feat["properties"].get("name", code)
        geojson.setdefault(code, []).append(feat["geometry"])
    bounds = shapely.bounds(np.array(geoms, dtype=object)).astype(np.float64)
    tol = float(data.get("simplify_tolerance_m", float("nan")))
    return _Borders(tuple(iso), tuple(geoms), bounds, names, geojson, tol)


def simplify_tolerance_m() -> float:
    """The Douglas-Peucker tolerance (m) the shipped borders were simplified with."""
    return _borders().tolerance_m


@cache
def _countries() -> dict[str, shapely.MultiPolygon]:
    parts: dict[str, list[shapely.Polygon]] = {}
    b = _borders()
    for code, geom in zip(b.iso, b.geoms, strict=True):
        parts.setdefault(code, []).extend(geom.geoms)
    return {code: shapely.MultiPolygon(p) for code, p in parts.items()}


def countries() -> dict[str, shapely.MultiPolygon]:
    """ISO alpha-3 -> national airspace (land + territorial sea), lon/lat degrees.

    A country cut into several regions (Russia) is one MultiPolygon of all its parts."""
    return dict(_countries())


def _check(iso3: str) -> str:
    names = _borders().names
    if iso3 not in names:
        known = ", ".join(sorted(names))
        raise KeyError(f"no shipped borders for country {iso3!r}; known codes: {known}")
    return iso3


def country_name(iso3: str) -> str:
    """English short name of a country in the shipped borders (``"POL"`` -> Poland)."""
    return _borders().names[_check(iso3)]


def _merged_geojson(geoms: list[dict[str, Any]]) -> dict[str, Any]:
    if len(geoms) == 1:
        return geoms[0]
    coords: list[Any] = []
    for g in geoms:
        coords.extend([g["coordinates"]] if g["type"] == "Polygon" else g["coordinates"])
    return {"type": "MultiPolygon", "coordinates": coords}


@cache
def national_airspace(iso3: str) -> Zone:
    """The national-airspace zone of a country (land + territorial sea, unlimited height).

    The zone is cached and shared: treat it as read-only. Unknown code -> KeyError."""
    _check(iso3)
    geometry = _merged_geojson(_borders().geojson[iso3])
    return Zone(
        id=f"airspace-{iso3}",
        name=f"{country_name(iso3)} national airspace",
        kind="national_airspace",
        geometry=geometry,
        country=iso3,
    )


def country_at(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.str_]:
    """ISO alpha-3 of the national airspace holding each point, "" for none (or NaN).

    Vectorised over broadcast ``lat``/``lon`` (degrees); the result has their shape (a
    0-d array for scalars: ``.item()`` gives the str). A bounding-box filter per
    feature, then shapely's ``contains_xy`` on the prepared geometry: ~0.07 s per 1e5
    points. Points exactly on a boundary count as outside."""
    la, lo = np.broadcast_arrays(np.asarray(lat, np.float64), np.asarray(lon, np.float64))
    shape = la.shape
    y, x = la.ravel(), lo.ravel()
    out = np.full(x.shape, "", dtype="<U3")
    todo = np.ones(x.shape, dtype=bool)
    b = _borders()
    for code, geom, (x0, y0, x1, y1) in zip(b.iso, b.geoms, b.bounds, strict=True):
        idx = np.flatnonzero(todo & (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1))
        if idx.size == 0:
            continue
        hit = idx[shapely.contains_xy(geom, x[idx], y[idx])]
        out[hit] = code
        todo[hit] = False
    return out.reshape(shape)


@cache
def _places() -> tuple[Place, ...]:
    out = []
    for f in _load("populated-places.geojson")["features"]:
        lon, lat = f["geometry"]["coordinates"]
        p = f["properties"]
        out.append(Place(p["name"], float(lat), float(lon), p["iso_a3"], int(p["pop_max"])))
    return tuple(out)


def populated_places() -> list[Place]:
    """Populated places of the shipped regions (Natural Earth 1:10m), file order."""
    return list(_places())


@cache
def _airports() -> tuple[Airport, ...]:
    out = []
    for f in _load("airports.geojson")["features"]:
        lon, lat = f["geometry"]["coordinates"]
        p = f["properties"]
        out.append(Airport(p["name"], float(lat), float(lon), p["icao"], p["iata"], p["type"]))
    return tuple(out)


def airports() -> list[Airport]:
    """Airports of the shipped regions (Natural Earth 1:10m), file order."""
    return list(_airports())


@cache
def _urban() -> tuple[shapely.Polygon | shapely.MultiPolygon, ...]:
    return tuple(
        shapely.geometry.shape(f["geometry"]) for f in _load("urban-areas.geojson")["features"]
    )


def urban_areas() -> list[shapely.Polygon | shapely.MultiPolygon]:
    """Urban-area polygons of the shipped regions (Natural Earth 1:50m), lon/lat."""
    return list(_urban())
