"""Point-in-airspace speed: our vectorised lookups against plain per-point shapely.

    python bench/geo_containment.py [N] [--json]

N random points (default 100,000) over the eastern flank: ``country_at`` (which national
airspace holds each point) and ``ZoneIndex.contains`` (points x 10 zones), each against
the straightforward loop a newcomer would write (``geometry.contains(Point)`` per point
and zone, prepared geometries), timed on a sample and scaled; prints the speed-up.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import shapely

from dronewall.geo import borders
from dronewall.geo.zones import ZoneIndex


def _timed(fn, *args):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t, out


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv and argv[0].isdigit() else 100_000
    rng = np.random.default_rng(1)
    lat, lon = rng.uniform(49.0, 60.0, n), rng.uniform(14.0, 32.0, n)
    codes = ["POL", "BLR", "UKR", "LTU", "LVA", "EST", "RUS", "DEU", "CZE", "SVK"]
    zones = [borders.national_airspace(c) for c in codes]
    borders.country_at(lat[:10], lon[:10])
    index = ZoneIndex(zones)
    index.contains(lat[:10], lon[:10])

    t_ours, ours = _timed(index.contains, lat, lon)
    geoms = [shapely.geometry.shape(z.geometry) for z in zones]
    for g in geoms:
        shapely.prepare(g)
    sample = min(n, 5_000)

    def naive() -> np.ndarray:
        return np.array([[g.contains(shapely.Point(x, y)) for g in geoms]
                         for x, y in zip(lon[:sample], lat[:sample], strict=True)])

    t_naive, ref = _timed(naive)
    assert (ref == ours[:sample]).all(), "vectorised and per-point results differ"
    t_country, _ = _timed(borders.country_at, lat, lon)
    result = {
        "points": n, "zones": len(zones),
        "zone_index_s": round(t_ours, 3),
        "per_point_shapely_s": round(t_naive * n / sample, 3),
        "speedup": round(t_naive * n / sample / t_ours, 1),
        "country_at_s": round(t_country, 3),
        "country_at_points_per_s": round(n / t_country),
    }
    print(json.dumps(result) if "--json" in argv else
          "\n".join(f"{k:24s} {v}" for k, v in result.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
