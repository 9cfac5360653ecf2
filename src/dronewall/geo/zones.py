"""Zones as shapely geometry: loading, vectorised point-in-zone, a metric plane for distances.

Zone geometries are GeoJSON (lon, lat) in :class:`~dronewall.model.messages.Zone`;
containment is tested in that lon/lat plane (exact for the polygon as drawn). Distances
and border crossings are computed in a :class:`MetricProjection`, an azimuthal
equidistant plane centred on the area of interest: distances from its centre are exact
and, within a few hundred km of it, distances between points are off by well under 1 %.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from os import PathLike
from pathlib import Path
from typing import Any, TypeAlias, get_args

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import Transformer
from scipy.spatial import cKDTree
from shapely.geometry import LineString, MultiPolygon, Polygon, box, mapping, shape
from shapely.geometry.base import BaseGeometry

from dronewall.model.messages import Zone, ZoneKind

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
Polygonal: TypeAlias = Polygon | MultiPolygon

__all__ = [
    "BoundaryIndex",
    "MetricProjection",
    "ZoneIndex",
    "crossing_fraction",
    "distance_to",
    "polygonal",
    "shared_boundary",
    "unshared_boundary",
    "zone_geometry",
    "zones_from_geojson",
]

# --------------------------------------------------------------------------- geometry


def polygonal(obj: dict[str, Any] | BaseGeometry, where: str = "geometry") -> Polygonal:
    """A valid Polygon/MultiPolygon from GeoJSON (or shapely), repaired if self-intersecting.

    Raises ValueError naming ``where`` for a wrong type, unreadable or out-of-range
    coordinates, or a geometry with no area left after repair."""
    try:
        geom = obj if isinstance(obj, BaseGeometry) else shape(obj)
    except Exception as exc:  # shapely raises several types for malformed GeoJSON
        raise ValueError(f"{where}: unreadable GeoJSON geometry ({exc})") from exc
    if not isinstance(geom, Polygon | MultiPolygon):
        raise ValueError(
            f"{where}: geometry must be a Polygon or MultiPolygon, not {geom.geom_type}"
        )
    if geom.is_empty:
        raise ValueError(f"{where}: geometry is empty")
    xy = shapely.get_coordinates(geom)
    if not np.isfinite(xy).all():
        raise ValueError(f"{where}: geometry has non-finite coordinates")
    if (np.abs(xy[:, 0]) > 180.0).any() or (np.abs(xy[:, 1]) > 90.0).any():
        raise ValueError(f"{where}: coordinates must be (lon, lat) degrees within ±180, ±90")
    if not geom.is_valid:
        # Self-intersections etc. (two countries of the border data have them): keep the
        # polygonal part of GEOS's repair.
        fixed = shapely.make_valid(geom)
        parts = [
            p
            for p in shapely.get_parts(fixed)
            if isinstance(p, Polygon | MultiPolygon) and not p.is_empty
        ]
        repaired = shapely.union_all(parts) if parts else Polygon()
        if not isinstance(repaired, Polygon | MultiPolygon) or repaired.is_empty:
            raise ValueError(f"{where}: invalid geometry with no area left after repair")
        geom = repaired
    if geom.area <= 0.0:
        raise ValueError(f"{where}: geometry has no area")
    return geom


_cache: dict[str, tuple[dict[str, Any], Polygonal]] = {}


def zone_geometry(zone: Zone) -> Polygonal:
    """The zone's shapely geometry (lon, lat), valid and prepared; cached per zone id.

    The cache keeps the GeoJSON it was built from: a zone with the same id but another
    geometry is rebuilt, never served a stale shape."""
    hit = _cache.get(zone.id)
    if hit is not None and (hit[0] is zone.geometry or hit[0] == zone.geometry):
        return hit[1]
    geom = polygonal(zone.geometry, where=f"zone {zone.id!r}")
    shapely.prepare(geom)
    _cache[zone.id] = (zone.geometry, geom)
    return geom


def zones_from_geojson(
    path: str | PathLike[str],
    kind: ZoneKind,
    *,
    id_property: str | None = None,
    id_prefix: str = "",
    name_property: str | None = "name",
    country_property: str | None = None,
    floor_m: float | None = None,
    ceiling_m: float | None = None,
) -> list[Zone]:
    """Zones from a GeoJSON file: a FeatureCollection, a Feature or a bare geometry.

    A zone's id is ``id_prefix + properties[id_property]`` (else ``<file stem>-<index>``);
    features that give the same id are merged into one zone (the border data holds
    Russia three times, one piece per region). Geometry is checked and repaired as in
    :func:`polygonal`; errors name the file and the feature index."""
    p = Path(path)
    if kind not in get_args(ZoneKind):
        raise ValueError(f"zone kind {kind!r} is not one of {', '.join(get_args(ZoneKind))}")
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{p}: not valid JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise ValueError(f"{p}: expected a GeoJSON object, got {type(doc).__name__}")
    if doc.get("type") == "FeatureCollection":
        features = doc.get("features")
        if not isinstance(features, list):
            raise ValueError(f"{p}: FeatureCollection without a 'features' list")
    elif doc.get("type") == "Feature":
        features = [doc]
    else:
        features = [{"type": "Feature", "geometry": doc, "properties": {}}]

    merged: dict[str, list[Any]] = {}  # id -> [geometries, name, country, first index]
    for i, feat in enumerate(features):
        where = f"{p}: feature {i}"
        if not isinstance(feat, dict) or feat.get("geometry") is None:
            raise ValueError(f"{where}: no geometry")
        props = feat.get("properties") or {}
        geom = polygonal(feat["geometry"], where=where)
        if id_property is not None:
            if props.get(id_property) in (None, ""):
                raise ValueError(f"{where}: property {id_property!r} is missing")
            zid = f"{id_prefix}{props[id_property]}"
        else:
            zid = f"{id_prefix}{p.stem}-{i}"
        country = props.get(country_property) if country_property else None
        name = props.get(name_property) if name_property else None
        entry = merged.setdefault(zid, [[], name, country, i])
        entry[0].append(geom)
        if entry[2] != country:
            raise ValueError(f"{where}: id {zid!r} is used with two countries")

    zones = []
    for zid, (geoms, name, country, i) in merged.items():
        geom = geoms[0] if len(geoms) == 1 else polygonal(shapely.union_all(geoms), f"{p}: {zid}")
        try:
            zones.append(
                Zone(
                    id=zid,
                    name=str(name) if name else zid,
                    kind=kind,
                    geometry=mapping(geom),
                    country=None if country is None else str(country),
                    floor_m=floor_m,
                    ceiling_m=ceiling_m,
                )
            )
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{p}: feature {i}: {exc}") from exc
    return zones


# --------------------------------------------------------------------------- containment


class ZoneIndex:
    """Vectorised point-in-zone for a fixed set of zones.

    Each zone is a prepared geometry behind a bounding-box pre-filter, tested with
    :func:`shapely.contains_xy` on all points at once (a point exactly on the boundary
    is outside). ~0.1 s for 1e5 points x 10 border zones of ~10^4 vertices."""

    def __init__(self, zones: Sequence[Zone]) -> None:
        self.zones: tuple[Zone, ...] = tuple(zones)
        self.geometries: tuple[Polygonal, ...] = tuple(zone_geometry(z) for z in self.zones)
        self.bounds: FloatArray = np.asarray(
            shapely.bounds(np.asarray(self.geometries, dtype=object)), dtype=np.float64
        ).reshape(-1, 4)
        self.floors: FloatArray = np.array(
            [-np.inf if z.floor_m is None else z.floor_m for z in self.zones], dtype=np.float64
        )
        self.ceilings: FloatArray = np.array(
            [np.inf if z.ceiling_m is None else z.ceiling_m for z in self.zones], dtype=np.float64
        )

    def __len__(self) -> int:
        return len(self.zones)

    def contains_horizontal(self, lat: ArrayLike, lon: ArrayLike) -> BoolArray:
        """(n_points, n_zones): inside each zone's outline, ignoring its floor/ceiling."""
        la = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        lo = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        out = np.zeros((la.size, len(self.zones)), dtype=bool)
        for j, geom in enumerate(self.geometries):
            x0, y0, x1, y1 = self.bounds[j]
            m = (lo >= x0) & (lo <= x1) & (la >= y0) & (la <= y1)
            if m.all():
                out[:, j] = shapely.contains_xy(geom, lo, la)
            elif m.any():
                out[m, j] = shapely.contains_xy(geom, lo[m], la[m])
        return out

    def within_limits(self, alt: ArrayLike) -> BoolArray:
        """(n_points, n_zones): between each zone's floor and ceiling (inclusive)."""
        a = np.atleast_1d(np.asarray(alt, dtype=np.float64))[:, None]
        return np.asarray((a >= self.floors) & (a <= self.ceilings))

    def contains(self, lat: ArrayLike, lon: ArrayLike, alt: ArrayLike | None = None) -> BoolArray:
        """(n_points, n_zones) bool. Floor/ceiling are honoured when ``alt`` is given;
        without it the test is 2-D (vertical limits are not checked)."""
        out = self.contains_horizontal(lat, lon)
        if alt is not None:
            out &= self.within_limits(np.broadcast_to(alt, out.shape[:1]))
        return out


# --------------------------------------------------------------------------- metric plane


class MetricProjection:
    """Azimuthal equidistant plane (metres) centred on (lat0, lon0), WGS84 ellipsoid."""

    def __init__(self, lat0: float, lon0: float) -> None:
        self.lat0 = float(lat0)
        self.lon0 = float(lon0)
        crs = f"+proj=aeqd +lat_0={self.lat0} +lon_0={self.lon0} +ellps=WGS84 +units=m +no_defs"
        self._fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
        self._inv = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)

    @classmethod
    def for_geometry(cls, geom: BaseGeometry) -> MetricProjection:
        """Centred on the bounding box of the geometry's largest part (a country split
        by the antimeridian is centred on its main body, not on longitude 0)."""
        parts = shapely.get_parts(geom)
        main = max(parts, key=lambda g: g.area) if len(parts) else geom
        x0, y0, x1, y1 = main.bounds
        return cls((y0 + y1) / 2.0, (x0 + x1) / 2.0)

    def forward(self, lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Plane x (east), y (north), metres."""
        x, y = self._fwd.transform(np.asarray(lon, np.float64), np.asarray(lat, np.float64))
        return np.asarray(x, np.float64), np.asarray(y, np.float64)

    def inverse(self, x: ArrayLike, y: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Longitude, latitude (deg) of plane points; longitude wrapped to [-180, 180)."""
        lon, lat = self._inv.transform(np.asarray(x, np.float64), np.asarray(y, np.float64))
        lon = (np.asarray(lon, np.float64) + 180.0) % 360.0 - 180.0
        return lon, np.asarray(lat, np.float64)

    def project(self, geom: BaseGeometry) -> BaseGeometry:
        """A lon/lat geometry in this plane."""

        def fwd(xy: FloatArray) -> FloatArray:
            x, y = self.forward(xy[:, 0], xy[:, 1])
            return np.column_stack([x, y])

        return shapely.transform(geom, fwd)


# --------------------------------------------------------------------------- distances


def distance_to(geom: BaseGeometry, x: ArrayLike, y: ArrayLike) -> FloatArray:
    """Distance (plane units) from points to a geometry; simple and exact, O(vertices)
    per point. For many points against one long line use :class:`BoundaryIndex`."""
    return np.asarray(shapely.distance(shapely.points(x, y), geom), dtype=np.float64)


def shared_boundary(a: BaseGeometry, b: BaseGeometry, tolerance_m: float = 300.0) -> BaseGeometry:
    """The part of A's boundary that runs along B (within ``tolerance_m``), in the metric
    plane: A.boundary ∩ buffer(B). The tolerance absorbs the small gaps and overlaps of
    independently drawn borders. B is clipped to A's neighbourhood before buffering."""
    x0, y0, x1, y1 = a.bounds
    pad = 2.0 * tolerance_m
    near = shapely.intersection(b, box(x0 - pad, y0 - pad, x1 + pad, y1 + pad))
    if near.is_empty:
        return LineString()
    return shapely.intersection(a.boundary, near.buffer(tolerance_m))


def unshared_boundary(
    a: BaseGeometry, others: Sequence[BaseGeometry], tolerance_m: float = 300.0
) -> BaseGeometry:
    """The part of A's boundary along none of ``others`` (for a country's national
    airspace: its territorial-sea limit, facing international airspace)."""
    x0, y0, x1, y1 = a.bounds
    pad = 2.0 * tolerance_m
    frame = box(x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    near = [shapely.intersection(o, frame) for o in others]
    near = [g for g in near if not g.is_empty]
    if not near:
        return a.boundary
    return shapely.difference(a.boundary, shapely.union_all(near).buffer(tolerance_m))


def _segments(line: BaseGeometry) -> NDArray[np.object_]:
    """The 2-point LineStrings of every part of a (multi)line geometry."""
    out = []
    for part in shapely.get_parts(line):
        if isinstance(part, Polygon):  # a polygon in a collection: its rings
            out.append(_segments(part.boundary))
            continue
        if not isinstance(part, LineString):  # LinearRing is a LineString; points: skip
            continue
        xy = shapely.get_coordinates(part)
        if len(xy) >= 2:
            out.append(shapely.linestrings(np.stack([xy[:-1], xy[1:]], axis=1)))
    if not out:
        return np.empty(0, dtype=object)
    return np.concatenate(out)


def _fractions(p0: FloatArray, p1: FloatArray, pts: FloatArray) -> FloatArray:
    d = p1 - p0
    dd = float(d @ d)
    if dd == 0.0:
        return np.zeros(len(pts))
    return np.clip((pts - p0) @ d / dd, 0.0, 1.0)


def crossing_fraction(p0: ArrayLike, p1: ArrayLike, boundary: BaseGeometry) -> float | None:
    """Where the segment p0→p1 first meets ``boundary``: the fraction (0..1) along it of
    the intersection nearest to p0, or None when they do not meet. Coordinates in any
    one plane; interpolate time and position with the fraction."""
    a = np.asarray(p0, dtype=np.float64)[:2]
    b = np.asarray(p1, dtype=np.float64)[:2]
    seg = LineString([a, b]) if (a != b).any() else shapely.points(a)
    hit = shapely.intersection(seg, boundary)
    if hit.is_empty:
        return None
    return float(_fractions(a, b, shapely.get_coordinates(hit)).min())


class BoundaryIndex:
    """A line geometry (a border, in the metric plane) cut into segments, indexed for
    many point distances and segment crossings.

    Crossings query an STRtree of the segments (exact). Distances use a KD-tree of
    points sampled every ``spacing`` along the segments: the nearest samples name
    candidate segments, whose exact distance is taken. The result is never below the
    true distance and at most ``spacing / 2`` above it (in practice exact); it is ~10x
    faster than ``STRtree.query_nearest`` for 10^5 points."""

    def __init__(self, line: BaseGeometry, spacing: float = 1000.0) -> None:
        self.line = line
        self.spacing = float(spacing)
        self.segments = _segments(line)
        self.tree = shapely.STRtree(self.segments)
        xy = shapely.get_coordinates(self.segments).reshape(-1, 2, 2)
        self._a, self._ab = xy[:, 0], xy[:, 1] - xy[:, 0]
        self._ab2 = np.einsum("ij,ij->i", self._ab, self._ab)
        n = np.maximum(1, np.ceil(np.sqrt(self._ab2) / self.spacing).astype(np.int64))
        seg = np.repeat(np.arange(len(n)), n + 1)
        first = np.repeat(np.cumsum(n + 1) - (n + 1), n + 1)
        t = (np.arange(len(seg)) - first) / n[seg] if len(seg) else np.empty(0)
        self._sample_seg = seg
        self._kd = cKDTree(self._a[seg] + t[:, None] * self._ab[seg]) if len(seg) else None

    @property
    def empty(self) -> bool:
        return len(self.segments) == 0

    def distance(self, x: ArrayLike, y: ArrayLike, k: int = 4) -> FloatArray:
        """Distance (plane units) from each point to the line; +inf for an empty line."""
        p = np.column_stack([np.atleast_1d(x), np.atleast_1d(y)]).astype(np.float64)
        if self._kd is None or len(p) == 0:
            return np.full(len(p), np.inf)
        k = min(k, self._kd.n)
        _, idx = self._kd.query(p, k=k)
        seg = self._sample_seg[np.asarray(idx).reshape(len(p), k)]  # (n, k) candidates
        a, ab, ab2 = self._a[seg], self._ab[seg], self._ab2[seg]
        ap = p[:, None, :] - a
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.clip(np.where(ab2 > 0, np.einsum("nkj,nkj->nk", ap, ab) / ab2, 0.0), 0, 1)
        d = np.hypot(*np.moveaxis(ap - t[..., None] * ab, -1, 0))
        return np.asarray(d.min(axis=1), dtype=np.float64)

    def crossing_fraction(self, p0: ArrayLike, p1: ArrayLike) -> float | None:
        """As :func:`crossing_fraction`, against the indexed segments only near p0→p1."""
        a = np.asarray(p0, dtype=np.float64)[:2]
        b = np.asarray(p1, dtype=np.float64)[:2]
        seg = LineString([a, b]) if (a != b).any() else shapely.points(a)
        cand = self.tree.query(seg, predicate="intersects")
        if len(cand) == 0:
            return None
        hits = shapely.get_coordinates(shapely.intersection(seg, self.segments[cand]))
        if len(hits) == 0:
            return None
        return float(_fractions(a, b, hits).min())
