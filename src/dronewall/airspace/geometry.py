"""The geometry the monitor needs around one zone: where a segment crosses its boundary,
which country lies across a border, and the border line that depth is measured from.

Everything metric happens in the zone's own :class:`MetricProjection` (centred on the
zone), so watching Poland and Alaska at once costs no accuracy. Heavy pieces (the
projected outline, neighbours, reference borders) are built on first use and kept.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import shapely
from numpy.typing import ArrayLike
from shapely.geometry import Point, box
from shapely.geometry.base import BaseGeometry

from dronewall.airspace.wording import INTERNATIONAL
from dronewall.geo.zones import (
    BoundaryIndex,
    FloatArray,
    MetricProjection,
    ZoneIndex,
    shared_boundary,
    unshared_boundary,
    zone_geometry,
)
from dronewall.model.messages import Zone

NEIGHBOURHOOD_DEG = 1.0  # neighbours are clipped to the zone's bounding box plus this


class Countries:
    """The national airspaces the monitor was given, for "which country is here?"."""

    def __init__(self, zones: Sequence[Zone]) -> None:
        national = [z for z in zones if z.kind == "national_airspace" and z.country]
        self.index = ZoneIndex(national)
        self.codes: list[str] = [str(z.country) for z in national]
        geoms: dict[str, list[BaseGeometry]] = {}
        for code, geom in zip(self.codes, self.index.geometries, strict=True):
            geoms.setdefault(code, []).append(geom)
        self.geometries: dict[str, BaseGeometry] = {
            c: g[0] if len(g) == 1 else shapely.union_all(g) for c, g in geoms.items()
        }

    def at(self, lon: float, lat: float) -> list[str]:
        """Countries whose airspace holds the point (two where borders overlap), sorted."""
        if not self.codes:
            return []
        hit = self.index.contains_horizontal([lat], [lon])[0]
        return sorted({c for c, h in zip(self.codes, hit, strict=True) if h})


class ZoneGeometry:
    """Crossings, far-side country and depth references of one zone, in its metric plane."""

    def __init__(self, zone: Zone, countries: Countries, tolerance_m: float, probe_m: float):
        self.zone = zone
        self.geom = zone_geometry(zone)
        self.proj = MetricProjection.for_geometry(self.geom)
        self.countries = countries
        self.tolerance_m = tolerance_m
        self.probe_m = probe_m
        self._geom_m: BaseGeometry | None = None
        self._boundary: BoundaryIndex | None = None
        self._near: dict[str, BaseGeometry] | None = None
        self._refs: dict[str | None, BoundaryIndex] = {}

    # ---------------------------------------------------------------- lazy pieces
    @property
    def geom_m(self) -> BaseGeometry:
        """The zone's outline in its metric plane."""
        if self._geom_m is None:
            self._geom_m = self.proj.project(self.geom)
        return self._geom_m

    @property
    def boundary(self) -> BoundaryIndex:
        """The whole boundary, indexed."""
        if self._boundary is None:
            self._boundary = BoundaryIndex(self.geom_m.boundary)
        return self._boundary

    @property
    def near(self) -> dict[str, BaseGeometry]:
        """Other countries' airspace near this zone, clipped and in the metric plane."""
        if self._near is None:
            x0, y0, x1, y1 = self.geom.bounds
            d = NEIGHBOURHOOD_DEG
            frame = box(
                max(x0 - d, -180.0), max(y0 - d, -90.0), min(x1 + d, 180.0), min(y1 + d, 90.0)
            )
            near = {}
            for code, geom in self.countries.geometries.items():
                if code == self.zone.country or not geom.intersects(frame):
                    continue
                clipped = shapely.intersection(geom, frame)
                if not clipped.is_empty:
                    near[code] = self.proj.project(clipped)
            self._near = near
        return self._near

    # ---------------------------------------------------------------- crossings
    def to_plane(self, lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
        return self.proj.forward(lon, lat)

    def point_at(
        self, lon0: float, lat0: float, lon1: float, lat1: float, f: float
    ) -> tuple[float, float]:
        """Lon, lat at fraction ``f`` of the straight metric segment between two points."""
        x, y = self.proj.forward([lon0, lon1], [lat0, lat1])
        lo, la = self.proj.inverse(x[0] + f * (x[1] - x[0]), y[0] + f * (y[1] - y[0]))
        return float(lo), float(la)

    def crossing_fraction(self, lon0: float, lat0: float, lon1: float, lat1: float) -> float:
        """Fraction along p0→p1 (one inside, one outside the outline) of the first
        boundary crossing: the segment ∩ boundary nearest p0, in the metric plane. If
        that finds nothing (the segment grazes a vertex), bisect on containment."""
        x, y = self.proj.forward([lon0, lon1], [lat0, lat1])
        f = self.boundary.crossing_fraction((x[0], y[0]), (x[1], y[1]))
        if f is not None:
            return f
        inside0 = bool(shapely.contains_xy(self.geom, lon0, lat0))
        lo_f, hi_f = 0.0, 1.0
        for _ in range(40):
            mid = 0.5 * (lo_f + hi_f)
            lo, la = self.proj.inverse(x[0] + mid * (x[1] - x[0]), y[0] + mid * (y[1] - y[0]))
            if bool(shapely.contains_xy(self.geom, float(lo), float(la))) == inside0:
                lo_f = mid
            else:
                hi_f = mid
        return 0.5 * (lo_f + hi_f)

    def across(self, lon: float, lat: float, lon_far: float, lat_far: float) -> str:
        """The country on the far side of a boundary point (toward ``far``), or
        ``"international"``.

        Looks ``probe_m`` beyond the crossing (never past ``far``); if no other country
        holds that point (a sliver between independently drawn borders), the nearest
        other country within ``tolerance_m`` of the crossing; else international."""
        x, y = self.proj.forward([lon, lon_far], [lat, lat_far])
        dist = math.hypot(float(x[1] - x[0]), float(y[1] - y[0]))
        f = 1.0 if dist <= self.probe_m else self.probe_m / dist
        px, py = x[0] + f * (x[1] - x[0]), y[0] + f * (y[1] - y[0])
        plo, pla = self.proj.inverse(px, py)
        found = [c for c in self.countries.at(float(plo), float(pla)) if c != self.zone.country]
        if found:
            return found[0]
        point = Point(float(x[0]), float(y[0]))
        best, best_d = INTERNATIONAL, self.tolerance_m
        for code, geom in sorted(self.near.items()):
            d = float(shapely.distance(point, geom))
            if d <= best_d:
                best, best_d = code, d
        return best

    # ---------------------------------------------------------------- depth
    def reference(self, entry_from: str | None) -> BoundaryIndex:
        """The border that depth is measured from, for a track that came from
        ``entry_from``: the boundary shared with that country; for "international" the
        boundary shared with no country (the territorial-sea limit); the whole boundary
        when unknown or when that part turns out empty."""
        ref = self._refs.get(entry_from)
        if ref is not None:
            return ref
        line: BaseGeometry | None = None
        if entry_from == INTERNATIONAL:
            line = unshared_boundary(self.geom_m, list(self.near.values()), self.tolerance_m)
        elif entry_from is not None and entry_from in self.near:
            line = shared_boundary(self.geom_m, self.near[entry_from], self.tolerance_m)
        if line is None or line.is_empty or line.length == 0.0:
            ref = self.boundary
        else:
            ref = BoundaryIndex(line)
        self._refs[entry_from] = ref
        return ref
