"""Measurement conversion: every usable detection becomes a position and its
covariance in the tracker's LocalFrame (ENU, metres).

The tracker then runs one linear filter with ``H = [I₃ 0]`` for all sensors
(a converted-measurement Kalman filter).

Radar plot (slant range r, azimuth a clockwise from north, elevation ε), in the ENU
frame tangent at the radar::

    p = r · (cos ε sin a,  cos ε cos a,  sin ε)

    J = ∂p/∂(r, a, ε) = | cos ε sin a   r cos ε cos a   -r sin ε sin a |
                        | cos ε cos a  -r cos ε sin a   -r sin ε cos a |
                        | sin ε          0               r cos ε       |

    R_local = J · C · Jᵀ      (C in m, rad, rad; the message gives degrees)

The conversion bias (a factor ``exp(-σ_a²/2)`` on the mean) is below 1e-5 for radar
angle errors under 0.25° and is not corrected.

2-D radar plot (no elevation): the height is not measured, so it enters as a weak
pseudo-measurement: the target is assumed at altitude h₀ above the ellipsoid with
standard deviation σ_h. In the radar's tangent frame that height is
``u₀ = h₀ - h_radar - ρ²/(2 R_⊕)`` (Earth curvature; ρ ground range), clipped to
``|u₀| ≤ 0.9 r``; then ``ρ = sqrt(r² - u₀²)`` and::

    p = (ρ sin a, ρ cos a, u₀),   J = ∂p/∂(r, a, u) = | sin a · r/ρ   ρ cos a   -sin a · u₀/ρ |
                                                      | cos a · r/ρ  -ρ sin a   -cos a · u₀/ρ |
                                                      | 0             0          1            |

    R_local = J · diag(C₂, σ_h²) · Jᵀ

so the range-height coupling (a higher target is nearer in ground range) is kept to
first order.

From the sensor's tangent frame to the tracker frame both positions and covariances
go through ECEF: ``p_frame = o + M p_local`` with ``M = R_frame · R_sensorᵀ`` and
``R_frame = M R_local Mᵀ`` (exact: both frames are rigid rotations of ECEF).

Geodetic reports (covariance in the local ENU at the reported point) and ENU reports
(covariance in the ENU frame of their origin) take the same route.

Bearing-only and TDOA detections cannot become positions on their own: they are
counted here and marked not converted; the tracker updates tracks with them through
the nonlinear models of :mod:`dronewall.fusion.acoustic`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dronewall.fusion.geodesy import FastFrame, enu_rotation
from dronewall.model.messages import (
    BearingOnly,
    Detection,
    EnuPosition,
    GeodeticPosition,
    RangeBearing,
    Tdoa,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]

EARTH_RADIUS_M = 6_371_008.8
_DEG = np.pi / 180.0
# C (m, deg, deg) -> (m, rad, rad): elementwise scale D C D, D = diag(1, deg, deg)
_SCALE3 = np.array([[1.0, _DEG, _DEG], [_DEG, _DEG**2, _DEG**2], [_DEG, _DEG**2, _DEG**2]])
_SCALE2 = _SCALE3[:2, :2]
# Added to every converted covariance (m²) so that a singular sensor covariance
# (perfectly correlated errors) cannot make a new track's covariance singular.
_EPS_M2 = 1e-4


def spherical_to_enu(
    rng: FloatArray, az_deg: FloatArray, el_deg: FloatArray, cov: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Positions (K, 3) and their Jacobian-propagated covariances (K, 3, 3) in the
    sensor's ENU frame, from range (m), azimuth, elevation (deg) with covariance
    ``cov`` (K, 3, 3) in m, deg, deg."""
    a = az_deg * _DEG
    e = el_deg * _DEG
    sa, ca, se, ce = np.sin(a), np.cos(a), np.sin(e), np.cos(e)
    rce = rng * ce
    p = np.empty((len(rng), 3))
    p[:, 0] = rce * sa
    p[:, 1] = rce * ca
    p[:, 2] = rng * se
    j = np.empty((len(rng), 3, 3))
    j[:, 0, 0] = ce * sa
    j[:, 0, 1] = p[:, 1]
    j[:, 0, 2] = -p[:, 2] * sa
    j[:, 1, 0] = ce * ca
    j[:, 1, 1] = -p[:, 0]
    j[:, 1, 2] = -p[:, 2] * ca
    j[:, 2, 0] = se
    j[:, 2, 1] = 0.0
    j[:, 2, 2] = rce
    c: FloatArray = j @ (cov * _SCALE3) @ j.transpose(0, 2, 1)
    return p, c


def polar_to_enu(
    rng: FloatArray,
    az_deg: FloatArray,
    cov2: FloatArray,
    u0: FloatArray,
    sigma_u: float,
) -> tuple[FloatArray, FloatArray]:
    """2-D radar plots: positions (K, 3) and covariances (K, 3, 3) in the sensor's ENU
    frame from slant range (m), azimuth (deg), their covariance ``cov2`` (K, 2, 2, m and
    deg) and an assumed height ``u0`` (m, in the sensor's frame) with standard
    deviation ``sigma_u``."""
    k = len(rng)
    u = np.clip(u0, -0.9 * rng, 0.9 * rng)
    rho = np.sqrt(rng * rng - u * u)
    rho = np.maximum(rho, 1e-3)
    a = az_deg * _DEG
    sa, ca = np.sin(a), np.cos(a)
    p = np.empty((k, 3))
    p[:, 0] = rho * sa
    p[:, 1] = rho * ca
    p[:, 2] = u
    j = np.zeros((k, 3, 3))
    rr = rng / rho
    ur = u / rho
    j[:, 0, 0] = sa * rr
    j[:, 0, 1] = p[:, 1]
    j[:, 0, 2] = -sa * ur
    j[:, 1, 0] = ca * rr
    j[:, 1, 1] = -p[:, 0]
    j[:, 1, 2] = -ca * ur
    j[:, 2, 2] = 1.0
    cm = np.zeros((k, 3, 3))
    cm[:, :2, :2] = cov2 * _SCALE2
    cm[:, 2, 2] = sigma_u * sigma_u
    c: FloatArray = j @ cm @ j.transpose(0, 2, 1)
    return p, c


@dataclass
class Converted:
    """Detections as tracker-frame positions, aligned with the input list: ``ok[k]``
    says whether detection k is usable (position ``z[k]`` (3,), covariance ``r[k]``
    (3, 3)); ``t[k]`` is its time either way."""

    ok: BoolArray
    z: FloatArray
    r: FloatArray
    t: FloatArray


class MeasurementConverter:
    """Turns detections into positions and covariances in one tracker frame.

    ``altitude_2d_m`` / ``altitude_2d_sigma_m``: the height pseudo-measurement for
    radar plots without elevation (see the module docstring). Sensor placements are
    cached (one rotation and offset per distinct origin). Converting many detections
    in one call costs little more than converting a few."""

    def __init__(
        self, frame: FastFrame, altitude_2d_m: float = 1000.0, altitude_2d_sigma_m: float = 3000.0
    ) -> None:
        self.frame = frame
        self.altitude_2d_m = altitude_2d_m
        self.altitude_2d_sigma_m = altitude_2d_sigma_m
        self._origins: dict[tuple[float, float, float], tuple[FloatArray, FloatArray]] = {}
        self.acoustic: dict[str, int] = {"bearing": 0, "tdoa": 0}

    def placement(self, lat: float, lon: float, alt: float) -> tuple[FloatArray, FloatArray]:
        """``(M, o)``: ``p_frame = o + M @ p_local`` for the ENU frame at a sensor."""
        key = (lat, lon, alt)
        hit = self._origins.get(key)
        if hit is None:
            hit = self.frame.from_local(lat, lon, alt)
            self._origins[key] = hit
        return hit

    def _placements(self, keys: list[tuple[float, float, float]]) -> tuple[FloatArray, FloatArray]:
        """Shared (3, 3), (3,) or stacked (K, 3, 3), (K, 3) placements for a group."""
        first = keys[0]
        if keys.count(first) == len(keys):
            return self.placement(*first)
        slots: dict[tuple[float, float, float], int] = {}
        which = [slots.setdefault(k, len(slots)) for k in keys]
        ms, os_ = zip(*(self.placement(*k) for k in slots), strict=True)
        sel = np.array(which, dtype=np.intp)
        return np.stack(ms).take(sel, axis=0), np.stack(os_).take(sel, axis=0)

    def convert(self, dets: Sequence[Detection]) -> Converted:
        """Convert ``dets``; bearing-only and TDOA detections are counted in
        :attr:`acoustic` and marked not ok (they take another route)."""
        b = len(dets)
        g3, g2, gg, ge = _Group(), _Group(), _Group(), _Group()
        times = [d.time for d in dets]
        for k, d in enumerate(dets):
            m = d.measurement
            if type(m) is RangeBearing:
                o = m.origin
                el = m.elevation
                if el is None:  # 2-D plot: the third value is the radar's altitude
                    g, el = g2, o.alt
                else:
                    g = g3
                g.idx.append(k)
                g.vals.append((m.range, m.azimuth, el))
                g.keys.append((o.lat, o.lon, o.alt))
                g.covs.append(d.covariance)
            elif type(m) is GeodeticPosition:
                gg.idx.append(k)
                gg.vals.append((m.lat, m.lon, m.alt))
                gg.covs.append(d.covariance)
            elif type(m) is EnuPosition:
                o = m.origin
                ge.idx.append(k)
                ge.vals.append((m.e, m.n, m.u))
                ge.keys.append((o.lat, o.lon, o.alt))
                ge.covs.append(d.covariance)
            elif isinstance(m, BearingOnly):
                self.acoustic["bearing"] += 1
            elif isinstance(m, Tdoa):
                self.acoustic["tdoa"] += 1
        t = np.fromiter(times, dtype=np.float64, count=b)
        ok = np.zeros(b, dtype=np.bool_)
        z = np.zeros((b, 3))
        r = np.zeros((b, 3, 3))
        for grp, fn in (
            (g3, self._rbe3),
            (g2, self._rbe2),
            (gg, self._geodetic),
            (ge, self._enu),
        ):
            if grp.idx:
                zi, ri = fn(grp)
                if len(grp.idx) == b:
                    z, r = zi, ri
                    ok[:] = True
                else:
                    sel = np.array(grp.idx, dtype=np.intp)
                    z[sel] = zi
                    r[sel] = ri
                    ok[sel] = True
        r[:, (0, 1, 2), (0, 1, 2)] += _EPS_M2
        return Converted(ok, z, r, t)

    def _rbe3(self, g: _Group) -> tuple[FloatArray, FloatArray]:
        v = g.values()
        p, c = spherical_to_enu(v[:, 0], v[:, 1], v[:, 2], g.covariances(3))
        return self._to_frame(g.keys, p, c)

    def _rbe2(self, g: _Group) -> tuple[FloatArray, FloatArray]:
        v = g.values()
        rng = v[:, 0]
        u0 = self.altitude_2d_m - v[:, 2] - rng * rng / (2.0 * EARTH_RADIUS_M)
        p, c = polar_to_enu(rng, v[:, 1], g.covariances(2), u0, self.altitude_2d_sigma_m)
        return self._to_frame(g.keys, p, c)

    def _to_frame(
        self, keys: list[tuple[float, float, float]], p: FloatArray, c: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        m, o = self._placements(keys)
        if m.ndim == 2:
            z = o + p @ m.T
            r = m @ c @ m.T
        else:
            z = o + (m @ p[:, :, None])[:, :, 0]
            r = m @ c @ m.transpose(0, 2, 1)
        return z, r

    def _geodetic(self, g: _Group) -> tuple[FloatArray, FloatArray]:
        v = g.values()
        lat, lon = v[:, 0], v[:, 1]
        z = self.frame.to_enu(lat, lon, v[:, 2])
        # covariance given in the ENU at the report: C_frame = M C Mᵀ, M = R_f · R_localᵀ
        m = self.frame.rotation @ enu_rotation(lat, lon).transpose(0, 2, 1)
        r = m @ g.covariances(3) @ m.transpose(0, 2, 1)
        return z, r

    def _enu(self, g: _Group) -> tuple[FloatArray, FloatArray]:
        return self._to_frame(g.keys, g.values(), g.covariances(3))


class _Group:
    """Detections of one kind gathered for a vectorised conversion."""

    __slots__ = ("covs", "idx", "keys", "vals")

    def __init__(self) -> None:
        self.idx: list[int] = []
        self.vals: list[tuple[float, float, float]] = []
        self.keys: list[tuple[float, float, float]] = []
        self.covs: list[list[list[float]]] = []

    def values(self) -> FloatArray:
        k = len(self.idx)
        return np.fromiter(_chain(self.vals), dtype=np.float64, count=3 * k).reshape(k, 3)

    def covariances(self, dim: int) -> FloatArray:
        """(K, dim, dim) from K row-major nested lists (much faster than np.array)."""
        k = len(self.covs)
        flat = np.fromiter(_chain(_chain(self.covs)), dtype=np.float64, count=k * dim * dim)
        return flat.reshape(k, dim, dim)


_chain = itertools.chain.from_iterable
