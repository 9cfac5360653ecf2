"""WGS84 conversions for the tracker's hot path: the same maths as
:mod:`dronewall.geo.frames`, with a small fixed cost per call.

The tracker converts a few dozen points per radar frame, tens of thousands of times
per scenario. pymap3d (behind :class:`~dronewall.geo.frames.LocalFrame`) costs ~50 µs
(geodetic -> ENU) and ~190 µs (ENU -> geodetic) per call whatever the size; these
functions cost ~10 and ~40 µs. They agree with pymap3d to 1e-9 degrees and 0.1 mm
(``tests/test_fusion_measurements.py`` checks both).

- geodetic -> ECEF: ``N = a / sqrt(1 - e² sin²φ)``,
  ``x = (N + h) cosφ cosλ``, ``y = (N + h) cosφ sinλ``, ``z = (N (1 - e²) + h) sinφ``.
- ECEF -> geodetic: Heikkinen's closed form (1982; Zhu 1993), exact, no iteration.
- ENU rotation at (φ, λ): rows east ``(-sinλ, cosλ, 0)``,
  north ``(-sinφ cosλ, -sinφ sinλ, cosφ)``, up ``(cosφ cosλ, cosφ sinλ, sinφ)``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from dronewall.geo.frames import LocalFrame

FloatArray = NDArray[np.float64]

A = 6378137.0
F = 1.0 / 298.257223563
B = A * (1.0 - F)
E2 = F * (2.0 - F)
EP2 = E2 / (1.0 - E2)
_A2 = A * A
_B2 = B * B
_E4 = E2 * E2
_AB2 = _A2 - _B2


def geodetic_to_ecef(lat: FloatArray, lon: FloatArray, alt: FloatArray) -> FloatArray:
    """ECEF (..., 3), metres, of geodetic degrees/metres."""
    la = np.radians(lat)
    lo = np.radians(lon)
    sla = np.sin(la)
    cla = np.cos(la)
    n = A / np.sqrt(1.0 - E2 * sla * sla)
    rc = (n + alt) * cla
    out = np.empty((*np.shape(rc), 3))
    out[..., 0] = rc * np.cos(lo)
    out[..., 1] = rc * np.sin(lo)
    out[..., 2] = (n * (1.0 - E2) + alt) * sla
    return out


def ecef_to_geodetic(xyz: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Latitude, longitude (degrees) and altitude (m) of ECEF points (..., 3)."""
    x = xyz[..., 0]
    y = xyz[..., 1]
    z = xyz[..., 2]
    z2 = z * z
    p2 = x * x + y * y
    p = np.sqrt(p2)
    f = 54.0 * _B2 * z2
    g = p2 + (1.0 - E2) * z2 - E2 * _AB2
    c = _E4 * f * p2 / (g * g * g)
    s = np.cbrt(1.0 + c + np.sqrt(c * c + 2.0 * c))
    k = s + 1.0 + 1.0 / s
    pp = f / (3.0 * k * k * g * g)
    q = np.sqrt(1.0 + 2.0 * _E4 * pp)
    r0 = -(pp * E2 * p) / (1.0 + q) + np.sqrt(
        0.5 * _A2 * (1.0 + 1.0 / q) - pp * (1.0 - E2) * z2 / (q * (1.0 + q)) - 0.5 * pp * p2
    )
    w = p - E2 * r0
    w2 = w * w
    u = np.sqrt(w2 + z2)
    v = np.sqrt(w2 + (1.0 - E2) * z2)
    bav = _B2 / (A * v)
    alt = u * (1.0 - bav)
    lat = np.degrees(np.arctan2(z + EP2 * bav * z, p))
    lon = np.degrees(np.arctan2(y, x))
    return lat, lon, alt


def enu_rotation(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Rotations (..., 3, 3) with ``enu = R @ (ecef - ecef_origin)``."""
    la = np.radians(lat)
    lo = np.radians(lon)
    sla = np.sin(la)
    cla = np.cos(la)
    slo = np.sin(lo)
    clo = np.cos(lo)
    r = np.zeros((*np.shape(la), 3, 3))
    r[..., 0, 0] = -slo
    r[..., 0, 1] = clo
    r[..., 1, 0] = -sla * clo
    r[..., 1, 1] = -sla * slo
    r[..., 1, 2] = cla
    r[..., 2, 0] = cla * clo
    r[..., 2, 1] = cla * slo
    r[..., 2, 2] = sla
    return r


class FastFrame:
    """The tracker's view of a :class:`LocalFrame`: same results, low per-call cost."""

    def __init__(self, frame: LocalFrame) -> None:
        self.frame = frame
        self.rotation: FloatArray = np.array(frame.rotation, dtype=np.float64)
        self.origin_ecef: FloatArray = geodetic_to_ecef(
            np.array(frame.lat0), np.array(frame.lon0), np.array(frame.alt0)
        )

    def to_enu(self, lat: FloatArray, lon: FloatArray, alt: FloatArray) -> FloatArray:
        """Frame ENU (..., 3) of geodetic points."""
        out: FloatArray = (geodetic_to_ecef(lat, lon, alt) - self.origin_ecef) @ self.rotation.T
        return out

    def to_geodetic(self, enu: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Geodetic coordinates of frame ENU points (..., 3)."""
        return ecef_to_geodetic(enu @ self.rotation + self.origin_ecef)

    def local_rotation(self, lat: FloatArray, lon: FloatArray) -> FloatArray:
        """``M`` (..., 3, 3) with ``v_local = M @ v_frame`` at (lat, lon)."""
        out: FloatArray = enu_rotation(lat, lon) @ self.rotation.T
        return out

    def from_local(self, lat: float, lon: float, alt: float) -> tuple[FloatArray, FloatArray]:
        """For a local ENU frame at (lat, lon, alt): ``(M, o)`` with
        ``p_frame = o + M @ p_local`` (a rotation and the local origin in this frame)."""
        la, lo, al = np.array(lat), np.array(lon), np.array(alt)
        m: FloatArray = self.rotation @ enu_rotation(la, lo).T
        o: FloatArray = self.to_enu(la, lo, al)
        return m, o
