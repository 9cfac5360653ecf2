"""Coordinate frames: WGS84 geodetic, ECEF and local East-North-Up, vectorised.

The tracker of a region works in one :class:`LocalFrame` (an ENU tangent plane at the
region's centre); positions are exact there (ENU is a rigid rotation of ECEF), only
"up" tilts away from the local vertical far from the origin (2.7 degrees at 300 km).
Conversions use pymap3d, which is pure numpy and broadcasts over arrays; geodesic
distances and azimuths use pyproj's Geod (Karney's algorithm).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pymap3d
from numpy.typing import ArrayLike, NDArray
from pyproj import Geod

WGS84 = pymap3d.Ellipsoid.from_name("wgs84")
GEOD = Geod(ellps="WGS84")
EARTH_RADIUS_M = 6_371_008.8

FloatArray = NDArray[np.float64]


def geodetic_to_ecef(lat: ArrayLike, lon: ArrayLike, alt: ArrayLike) -> FloatArray:
    """ECEF x, y, z (m) stacked on the last axis."""
    x, y, z = pymap3d.geodetic2ecef(lat, lon, alt, ell=WGS84)
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1).astype(np.float64)


def ecef_to_geodetic(xyz: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Latitude, longitude (deg) and altitude (m) of ECEF points (..., 3)."""
    p = np.asarray(xyz, dtype=np.float64)
    lat, lon, alt = pymap3d.ecef2geodetic(p[..., 0], p[..., 1], p[..., 2], ell=WGS84)
    return np.asarray(lat, float), np.asarray(lon, float), np.asarray(alt, float)


def enu_rotation(lat: ArrayLike, lon: ArrayLike) -> FloatArray:
    """Rotation matrices R (..., 3, 3) with ``enu = R @ (ecef - ecef_origin)``."""
    la = np.radians(np.asarray(lat, dtype=np.float64))
    lo = np.radians(np.asarray(lon, dtype=np.float64))
    sla, cla, slo, clo = np.sin(la), np.cos(la), np.sin(lo), np.cos(lo)
    zero = np.zeros_like(la)
    r = np.stack(
        [
            np.stack([-slo, clo, zero], axis=-1),
            np.stack([-sla * clo, -sla * slo, cla], axis=-1),
            np.stack([cla * clo, cla * slo, sla], axis=-1),
        ],
        axis=-2,
    )
    return r


def _geodesic_inverse(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> tuple[FloatArray, FloatArray]:
    """Forward azimuth (deg) and distance (m) of the geodesics from 1 to 2, broadcast."""
    a1, o1, a2, o2 = np.broadcast_arrays(*(np.asarray(x, float) for x in (lat1, lon1, lat2, lon2)))
    az, _, dist = GEOD.inv(o1, a1, o2, a2)
    return np.asarray(az, dtype=np.float64), np.asarray(dist, dtype=np.float64)


def geodesic_distance(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> FloatArray:
    """Geodesic distance (m) on the WGS84 ellipsoid, vectorised."""
    return _geodesic_inverse(lat1, lon1, lat2, lon2)[1]


def geodesic_azimuth(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> FloatArray:
    """Forward azimuth (deg clockwise from north) of the geodesic from 1 to 2."""
    return _geodesic_inverse(lat1, lon1, lat2, lon2)[0] % 360.0


@dataclass(frozen=True)
class LocalFrame:
    """A local East-North-Up Cartesian frame with its origin on the ellipsoid."""

    lat0: float
    lon0: float
    alt0: float = 0.0
    _r: FloatArray = field(init=False, repr=False, compare=False)
    _origin_ecef: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_r", enu_rotation(self.lat0, self.lon0))
        object.__setattr__(self, "_origin_ecef", geodetic_to_ecef(self.lat0, self.lon0, self.alt0))

    @property
    def rotation(self) -> FloatArray:
        """R with ``enu = R @ (ecef - origin)``."""
        return self._r

    def ecef_to_enu(self, xyz: ArrayLike) -> FloatArray:
        return (np.asarray(xyz, float) - self._origin_ecef) @ self._r.T

    def enu_to_ecef(self, enu: ArrayLike) -> FloatArray:
        return np.asarray(enu, float) @ self._r + self._origin_ecef

    def to_enu(self, lat: ArrayLike, lon: ArrayLike, alt: ArrayLike) -> FloatArray:
        """ENU coordinates (..., 3) of geodetic points, metres."""
        return self.ecef_to_enu(geodetic_to_ecef(lat, lon, alt))

    def to_geodetic(self, enu: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Latitude, longitude (deg), altitude (m) of ENU points (..., 3)."""
        return ecef_to_geodetic(self.enu_to_ecef(enu))

    def local_rotation(self, lat: ArrayLike, lon: ArrayLike) -> FloatArray:
        """Rotations (..., 3, 3) taking vectors in this frame to the local ENU frame at
        (lat, lon): ``v_local = M @ v_frame``. Use it for velocities and covariances."""
        return enu_rotation(lat, lon) @ self._r.T
