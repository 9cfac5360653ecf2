"""A population-density grid (people per km²) from the shipped Natural Earth data.

Built for a bounding box on a regular latitude/longitude grid (cells of about
``cell_km``): each urban-area polygon gets the largest ``pop_max`` of the populated
places inside it spread evenly over its area (``pop_max`` is a metropolitan figure, so the
largest, not the sum); a place outside every urban polygon becomes a disc of
``TOWN_DENSITY`` people/km² holding its population; every other land cell gets its
country's rural floor (:data:`RURAL_FLOOR`), sea cells 0. A lookup outside the box
returns the floor of the country there.

Rural floors are rural population / rural area from national statistics, rounded; they
are averages (people live in villages, not spread evenly), which is what an expected
casualty figure needs when the exact village layout is not known. Limitation: the shipped
borders are national airspace (land plus territorial sea), so the territorial sea gets
the land floor (conservative), and lakes and forests are not told apart from farmland.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray

from dronewall.geo.borders import country_at, populated_places, urban_areas

FloatArray = NDArray[np.float64]

# People per km² outside the mapped towns. Approximate (rural population over rural
# land area), from the statistical offices' headline figures:
#   POL ~15 M rural inhabitants on ~290,000 km² of rural gminas (GUS) -> ~52;
#   ROU ~8.9 M rural on ~210,000 km² (INS) -> ~40 (the Danube Delta is far emptier);
#   EST ~0.4 M rural on ~40,000 km² (Statistics Estonia) -> ~10;
#   LTU ~0.9 M / 60,000 -> ~15; LVA ~0.6 M / 60,000 -> ~10; FIN ~0.9 M / 300,000 -> ~3;
#   BLR ~2 M / 190,000 -> ~11; UKR ~12 M / 500,000 -> ~24; MDA ~1.5 M / 30,000 -> ~50;
#   RUS (European north-west) ~5; USA (Alaska: 0.73 M on 1.7 M km², most in towns) ~0.1;
#   CAN (Yukon/NWT) ~0.01. Others: 30.
RURAL_FLOOR: dict[str, float] = {
    "POL": 52.0, "ROU": 40.0, "EST": 10.0, "LTU": 15.0, "LVA": 10.0, "FIN": 3.0,
    "BLR": 11.0, "UKR": 24.0, "MDA": 50.0, "RUS": 5.0, "USA": 0.1, "CAN": 0.01,
}
DEFAULT_FLOOR = 30.0
TOWN_DENSITY = 1500.0  # people/km² of a small town outside the urban-area polygons
URBAN_DENSITY_RANGE = (500.0, 20000.0)


@dataclass
class PopulationGrid:
    """Density (people/km²) on cells [i, j] centred at (lat_min + (i+.5) dlat,
    lon_min + (j+.5) dlon)."""

    lat_min: float
    lon_min: float
    dlat: float
    dlon: float
    density: FloatArray  # (ny, nx)

    @classmethod
    def build(
        cls,
        lat_min: float,
        lat_max: float,
        lon_min: float,
        lon_max: float,
        cell_km: float = 1.0,
        floors: dict[str, float] | None = None,
    ) -> PopulationGrid:
        """Rasterise the shipped places and urban areas over a box (degrees)."""
        floors = RURAL_FLOOR if floors is None else floors
        lat_c = 0.5 * (lat_min + lat_max)
        dlat = cell_km / 111.2
        dlon = cell_km / (111.32 * max(np.cos(np.radians(lat_c)), 0.05))
        ny = max(1, int(np.ceil((lat_max - lat_min) / dlat)))
        nx = max(1, int(np.ceil((lon_max - lon_min) / dlon)))
        lat = lat_min + (np.arange(ny) + 0.5) * dlat
        lon = lon_min + (np.arange(nx) + 0.5) * dlon
        glat, glon = np.meshgrid(lat, lon, indexing="ij")
        iso = country_at(glat, glon)
        dens = np.zeros((ny, nx))
        for code in np.unique(iso):
            if code:
                dens[iso == code] = floors.get(str(code), DEFAULT_FLOOR)
        cell_area = (dlat * 111.2) * (dlon * 111.32 * np.cos(np.radians(glat)))
        box = shapely.box(lon_min, lat_min, lon_max, lat_max)
        places = [p for p in populated_places()
                  if lat_min <= p.lat <= lat_max and lon_min <= p.lon <= lon_max]
        p_lat = np.array([p.lat for p in places])
        p_lon = np.array([p.lon for p in places])
        p_pop = np.array([float(p.pop) for p in places])
        covered = np.zeros(len(places), dtype=bool)
        for poly in urban_areas():
            if not poly.intersects(box):
                continue
            x0, y0, x1, y1 = poly.bounds
            i0, i1 = np.searchsorted(lat, [y0, y1])
            j0, j1 = np.searchsorted(lon, [x0, x1])
            if i1 <= i0 or j1 <= j0:
                continue
            sub_lat, sub_lon = glat[i0:i1, j0:j1], glon[i0:i1, j0:j1]
            inside = shapely.contains_xy(poly, sub_lon, sub_lat)
            if not inside.any():
                continue
            inp = shapely.contains_xy(poly, p_lon, p_lat) if len(places) else np.zeros(0, bool)
            covered |= inp
            area = float(cell_area[i0:i1, j0:j1][inside].sum())
            pop = float(p_pop[inp].max()) if inp.any() else TOWN_DENSITY * area
            d = float(np.clip(pop / area, *URBAN_DENSITY_RANGE))
            block = dens[i0:i1, j0:j1]
            block[inside] = np.maximum(block[inside], d)
        for k in np.flatnonzero(~covered):
            r_km = max(np.sqrt(p_pop[k] / (np.pi * TOWN_DENSITY)), 0.5)
            dy = (glat - p_lat[k]) * 111.2
            dx = (glon - p_lon[k]) * 111.32 * np.cos(np.radians(p_lat[k]))
            near = dx * dx + dy * dy <= r_km * r_km
            if not near.any():
                i = min(max(int((p_lat[k] - lat_min) / dlat), 0), ny - 1)
                j = min(max(int((p_lon[k] - lon_min) / dlon), 0), nx - 1)
                dens[i, j] += p_pop[k] / cell_area[i, j]
            else:
                dens[near] = np.maximum(dens[near], TOWN_DENSITY)
        return cls(lat_min, lon_min, dlat, dlon, dens)

    @classmethod
    def around(cls, lat: ArrayLike, lon: ArrayLike, margin_deg: float = 1.0,
               max_cells: float = 1.5e6) -> PopulationGrid:
        """A grid covering points (plus a margin), 1 km cells or coarser when large."""
        la, lo = np.asarray(lat, float), np.asarray(lon, float)
        box = (la.min() - margin_deg, la.max() + margin_deg,
               lo.min() - margin_deg, lo.max() + margin_deg)
        h = (box[1] - box[0]) * 111.2
        w = (box[3] - box[2]) * 111.32 * np.cos(np.radians(0.5 * (box[0] + box[1])))
        cell = max(1.0, float(np.sqrt(h * w / max_cells)))
        return cls.build(*box, cell_km=cell)

    def density_at(self, lat: ArrayLike, lon: ArrayLike) -> FloatArray:
        """People per km² at each point (vectorised; outside the box: the country floor)."""
        la, lo = np.broadcast_arrays(np.asarray(lat, float), np.asarray(lon, float))
        ny, nx = self.density.shape
        i = np.floor((la - self.lat_min) / self.dlat).astype(np.int64)
        j = np.floor((lo - self.lon_min) / self.dlon).astype(np.int64)
        ok = (i >= 0) & (i < ny) & (j >= 0) & (j < nx)
        out = np.empty(la.shape)
        out[ok] = self.density[i[ok], j[ok]]
        if (~ok).any():
            iso = country_at(la[~ok], lo[~ok])
            out[~ok] = [RURAL_FLOOR.get(str(c), DEFAULT_FLOOR) if c else 0.0 for c in iso]
        return out
