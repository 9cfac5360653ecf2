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

**Unscented option** (``radar_conversion="unscented"``): the Jacobian misses the
conversion bias and the curvature of the range-angle arc, which grow with range times
the angle variance (``r σ²/2``: 0.3 m at 200 km for 0.1°, 200 m at 150 km for 3°, as
for passive or degraded radars). The option pushes the six sigma points
``(r, a, ε) ± sqrt(3) L eᵢ`` (``L Lᵀ = C``, n + κ = 3) through the exact conversion and
takes their mean and covariance (for 2-D plots the height pseudo-measurement is the
third variable). Vectorised over the batch, it costs ~2.5 µs per plot against ~0.65 µs
for the Jacobian (50,000 plots with distinct covariances; one Cholesky factor when the
covariance is shared).

**Calibration** (per sensor id, known to the deployment): ``latency_s`` is subtracted
from the time of every positional detection of the sensor (the tracker then uses the
corrected time everywhere: gating, prediction, output); ``range_bias_m``,
``azimuth_bias_deg`` and ``elevation_bias_deg`` are subtracted from a radar plot's
range, azimuth and elevation before conversion (a plot reads true + bias).

**Range rate** (``RangeBearing.range_rate``) is not converted: it is not a function of
position, and the message carries no variance for it. :func:`range_rate_h` gives the
model and Jacobian for a scalar EKF update after the position update.

Bearing-only and TDOA detections cannot become positions on their own: they are
counted here and marked not converted; the tracker updates tracks with them through
the nonlinear models of :mod:`dronewall.fusion.acoustic`.

Speed: a batch is split by measurement kind with C-level passes (``map`` over
attribute getters, ``np.fromiter``, list ``count`` to detect one shared origin or one
shared covariance, whose rotation is then done once), and every group is converted by
array operations; radar covariances take ``G C Gᵀ`` with ``G = M J`` (one stacked
3 × 3 product fewer than rotating ``J C Jᵀ`` afterwards).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from dronewall.fusion.geodesy import FastFrame, enu_rotation
from dronewall.model.messages import (
    BearingOnly,
    Detection,
    EnuPosition,
    GeodeticPosition,
    Measurement,
    RangeBearing,
    Tdoa,
)

if TYPE_CHECKING:
    from dronewall.fusion.config import TrackerConfig

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


def spherical_jacobian(
    rng: FloatArray, az_deg: FloatArray, el_deg: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Positions (K, 3) in the sensor's ENU frame and the Jacobians (K, 3, 3)
    ``∂p/∂(r, a, ε)`` (angles in radians) of radar plots (m, deg, deg)."""
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
    return p, j


def spherical_to_enu(
    rng: FloatArray, az_deg: FloatArray, el_deg: FloatArray, cov: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Positions (K, 3) and their Jacobian-propagated covariances (K, 3, 3) in the
    sensor's ENU frame, from range (m), azimuth, elevation (deg) with covariance
    ``cov`` (K, 3, 3) in m, deg, deg."""
    p, j = spherical_jacobian(rng, az_deg, el_deg)
    c: FloatArray = j @ (cov * _SCALE3) @ j.transpose(0, 2, 1)
    return p, c


def polar_jacobian(
    rng: FloatArray, az_deg: FloatArray, u0: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """2-D radar plots: positions (K, 3) in the sensor's ENU frame and the Jacobians
    (K, 3, 3) ``∂p/∂(r, a, u)`` (azimuth in radians) for an assumed height ``u0``."""
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
    return p, j


def _polar_noise(cov2: FloatArray, sigma_u: float) -> FloatArray:
    """``diag(C₂, σ_u²)`` (K or 1, 3, 3) in m, rad, m from C₂ in m, deg."""
    cm = np.zeros((len(cov2), 3, 3))
    cm[:, :2, :2] = cov2 * _SCALE2
    cm[:, 2, 2] = sigma_u * sigma_u
    return cm


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
    p, j = polar_jacobian(rng, az_deg, u0)
    c: FloatArray = j @ _polar_noise(cov2, sigma_u) @ j.transpose(0, 2, 1)
    return p, c


def _sigma_points(mean: FloatArray, cov: FloatArray) -> FloatArray:
    """The 2n = 6 sigma points ``mean ± sqrt(3) L eᵢ`` (``L Lᵀ = cov``), (K, 6, 3).

    With n + κ = 3 (κ = 0, weights 1/6) the points match the Gaussian's moments to the
    fourth along each axis (Julier & Uhlmann, Proc. IEEE 92(3), 2004, §IV). A covariance
    that is not numerically positive definite falls back to its symmetric square root
    with negative eigenvalues clipped."""
    try:
        root = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh(cov)
        root = v * np.sqrt(np.maximum(w, 0.0))[:, None, :]
    spread = np.sqrt(3.0) * root.transpose(0, 2, 1)  # rows: the sigma offsets
    out: FloatArray = np.concatenate([mean[:, None, :] + spread, mean[:, None, :] - spread], 1)
    return out


def _unscented(pts: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Mean (K, 3) and covariance (K, 3, 3) of the transformed sigma points ``y``
    (K, 6, 3), equal weights."""
    mean = y.mean(1)
    dy = y - mean[:, None, :]
    cov: FloatArray = dy.transpose(0, 2, 1) @ dy / pts.shape[1]
    return mean, cov


def spherical_to_enu_unscented(
    rng: FloatArray, az_deg: FloatArray, el_deg: FloatArray, cov: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Like :func:`spherical_to_enu`, by the unscented transform of (r, a, ε): the mean
    carries the conversion bias (``r cos ε cos a`` shrinks by ``exp(-σ²/2)``) and the
    covariance the curvature of the range-angle arc, which matter for wide angle
    errors at long range."""
    k = len(rng)
    mean = np.empty((k, 3))
    mean[:, 0] = rng
    mean[:, 1] = az_deg * _DEG
    mean[:, 2] = el_deg * _DEG
    pts = _sigma_points(mean, cov * _SCALE3)
    r, a, e = pts[..., 0], pts[..., 1], pts[..., 2]
    rce = r * np.cos(e)
    y = np.stack([rce * np.sin(a), rce * np.cos(a), r * np.sin(e)], -1)
    return _unscented(pts, y)


def polar_to_enu_unscented(
    rng: FloatArray, az_deg: FloatArray, cov2: FloatArray, u0: FloatArray, sigma_u: float
) -> tuple[FloatArray, FloatArray]:
    """Like :func:`polar_to_enu`, by the unscented transform of (r, a, u) with the height
    pseudo-measurement ``u ~ N(u0, σ_u²)`` as the third variable (each sigma point's
    height clipped to ``|u| ≤ 0.9 r`` as in the linear conversion)."""
    k = len(rng)
    mean = np.empty((k, 3))
    mean[:, 0] = rng
    mean[:, 1] = az_deg * _DEG
    mean[:, 2] = np.clip(u0, -0.9 * rng, 0.9 * rng)
    c = np.zeros((k, 3, 3))
    c[:, :2, :2] = cov2 * _SCALE2
    c[:, 2, 2] = sigma_u * sigma_u
    pts = _sigma_points(mean, c)
    r, a = pts[..., 0], pts[..., 1]
    u = np.clip(pts[..., 2], -0.9 * np.abs(r), 0.9 * np.abs(r))
    rho = np.maximum(np.sqrt(np.maximum(r * r - u * u, 0.0)), 1e-3)
    y = np.stack([rho * np.sin(a), rho * np.cos(a), u], -1)
    return _unscented(pts, y)


def range_rate_h(x: FloatArray, o: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Predicted radar range rate (K,) (m/s) of states ``x`` (K, 6: position, velocity
    in the tracker frame) seen from radars at ``o`` (K, 3, tracker frame), and its
    Jacobian (K, 1, 6)::

        d = p - o,  r = |d|,  ṙ = d·v / r
        ∂ṙ/∂p = (v - ṙ d / r) / r,   ∂ṙ/∂v = d / r

    A scalar nonlinear measurement for an EKF update after the position update (not
    used by the tracker yet: the message carries no range-rate variance)."""
    d = x[:, :3] - o
    v = x[:, 3:6]
    r = np.maximum(np.linalg.norm(d, axis=1), 1e-3)
    u = d / r[:, None]
    rdot = (u * v).sum(1)
    j = np.empty((len(x), 1, 6))
    j[:, 0, :3] = (v - rdot[:, None] * u) / r[:, None]
    j[:, 0, 3:] = u
    return rdot, j


RADAR_CONVERSIONS = ("linear", "unscented")


@dataclass
class Converted:
    """Detections as tracker-frame positions, aligned with the input list: ``ok[k]``
    says whether detection k is usable (position ``z[k]`` (3,), covariance ``r[k]``
    (3, 3)); ``t[k]`` is its time either way (less the sensor's latency)."""

    ok: BoolArray
    z: FloatArray
    r: FloatArray
    t: FloatArray


_MEAS = attrgetter("measurement")
_TIME = attrgetter("time")
_COV = attrgetter("covariance")
_SID = attrgetter("sensor_id")
_ORIGIN = attrgetter("origin")
_ELEV = attrgetter("elevation")
_LLA = attrgetter("lat", "lon", "alt")
_RAE = attrgetter("range", "azimuth", "elevation")
_RA = attrgetter("range", "azimuth")
_ENU = attrgetter("e", "n", "u")
# measurement type -> group number (-1: not a measurement this module knows)
_KIND: defaultdict[type, int] = defaultdict(
    lambda: -1, {RangeBearing: 0, GeodeticPosition: 1, EnuPosition: 2, BearingOnly: 3, Tdoa: 4}
)

Key = tuple[float, float, float]


class MeasurementConverter:
    """Turns detections into positions and covariances in one tracker frame.

    ``altitude_2d_m`` / ``altitude_2d_sigma_m``: the height pseudo-measurement for
    radar plots without elevation (see the module docstring). ``radar_conversion``:
    "linear" (Jacobian) or "unscented" (sigma points) for radar plots. Per sensor id:
    ``latency_s`` is subtracted from the time of every positional detection,
    ``range_bias_m`` / ``azimuth_bias_deg`` / ``elevation_bias_deg`` from a radar
    plot's range, azimuth and elevation (known calibration errors). Sensor placements
    are cached (one rotation and offset per distinct origin). Converting many
    detections in one call costs little more than converting a few."""

    def __init__(
        self,
        frame: FastFrame,
        altitude_2d_m: float = 1000.0,
        altitude_2d_sigma_m: float = 3000.0,
        *,
        radar_conversion: str = "linear",
        latency_s: Mapping[str, float] | None = None,
        range_bias_m: Mapping[str, float] | None = None,
        azimuth_bias_deg: Mapping[str, float] | None = None,
        elevation_bias_deg: Mapping[str, float] | None = None,
    ) -> None:
        if radar_conversion not in RADAR_CONVERSIONS:
            raise ValueError(f"radar_conversion must be one of {RADAR_CONVERSIONS}")
        self.frame = frame
        self.altitude_2d_m = altitude_2d_m
        self.altitude_2d_sigma_m = altitude_2d_sigma_m
        self.radar_conversion = radar_conversion
        self.latency_s = dict(latency_s or {})
        self.range_bias_m = dict(range_bias_m or {})
        self.azimuth_bias_deg = dict(azimuth_bias_deg or {})
        self.elevation_bias_deg = dict(elevation_bias_deg or {})
        self._origins: dict[Key, tuple[FloatArray, FloatArray]] = {}
        self.acoustic: dict[str, int] = {"bearing": 0, "tdoa": 0}

    @classmethod
    def from_config(cls, frame: FastFrame, config: TrackerConfig) -> MeasurementConverter:
        """The converter a tracker with ``config`` uses."""
        return cls(
            frame,
            config.altitude_2d_m,
            config.altitude_2d_sigma_m,
            radar_conversion=config.radar_conversion,
            latency_s=config.sensor_latency_s,
            range_bias_m=config.sensor_range_bias_m,
            azimuth_bias_deg=config.sensor_azimuth_bias_deg,
            elevation_bias_deg=config.sensor_elevation_bias_deg,
        )

    def placement(self, lat: float, lon: float, alt: float) -> tuple[FloatArray, FloatArray]:
        """``(M, o)``: ``p_frame = o + M @ p_local`` for the ENU frame at a sensor."""
        key = (lat, lon, alt)
        hit = self._origins.get(key)
        if hit is None:
            hit = self.frame.from_local(lat, lon, alt)
            self._origins[key] = hit
        return hit

    def _placements(self, keys: list[Key], sel: IntArray | None) -> tuple[FloatArray, FloatArray]:
        """Shared (3, 3), (3,) placements (one key, ``sel`` None) or stacked (K, 3, 3),
        (K, 3) ones (distinct ``keys``, ``sel`` numbering each detection's)."""
        if sel is None:
            return self.placement(*keys[0])
        ms, os_ = zip(*(self.placement(*k) for k in keys), strict=True)
        return np.stack(ms).take(sel, axis=0), np.stack(os_).take(sel, axis=0)

    def convert(self, dets: Sequence[Detection]) -> Converted:
        """Convert ``dets``; bearing-only and TDOA detections are counted in
        :attr:`acoustic` and marked not ok (they take another route).

        Detections are grouped by kind with C-level passes (``map`` over attribute
        getters, ``np.fromiter``), so the Python work per detection is a few
        operations; each group is then converted with array operations."""
        b = len(dets)
        ok = np.zeros(b, dtype=np.bool_)
        z = np.zeros((b, 3))
        r = np.zeros((b, 3, 3))
        t = np.fromiter(map(_TIME, dets), dtype=np.float64, count=b)
        if b == 0:
            return Converted(ok, z, r, t)
        if self.latency_s:
            lat = self.latency_s
            t -= np.fromiter(map(lat.get, map(_SID, dets), repeat(0.0)), np.float64, count=b)
        ms = list(map(_MEAS, dets))
        kinds = list(map(_KIND.__getitem__, map(type, ms)))
        k0 = kinds[0]
        if kinds.count(k0) == b:
            groups: dict[int, list[int] | None] = {k0: None}
        else:
            groups = {}
            for i, kd in enumerate(kinds):
                g = groups.get(kd)
                if g is None:
                    groups[kd] = [i]
                else:
                    g.append(i)
        for kd, idx in groups.items():
            if kd == 3 or kd == 4:
                self.acoustic["bearing" if kd == 3 else "tdoa"] += b if idx is None else len(idx)
                continue
            if kd < 0:
                continue
            sub_d = dets if idx is None else [dets[i] for i in idx]
            sub_m = ms if idx is None else [ms[i] for i in idx]
            if kd == 0:
                self._radar(sub_d, sub_m, idx, z, r, ok)
                continue
            zi, ri = self._geodetic(sub_d, sub_m) if kd == 1 else self._enu(sub_d, sub_m)
            _put(idx, zi, ri, z, r, ok)
        r[:, (0, 1, 2), (0, 1, 2)] += _EPS_M2
        return Converted(ok, z, r, t)

    # ---------------------------------------------------------------- per kind

    def _radar(
        self,
        dets: list[Detection] | Sequence[Detection],
        ms: list[Measurement],
        idx: list[int] | None,
        z: FloatArray,
        r: FloatArray,
        ok: BoolArray,
    ) -> None:
        els = list(map(_ELEV, ms))
        if None not in els:
            parts: list[tuple[list[int] | None, bool]] = [(None, True)]
        elif els.count(None) == len(els):
            parts = [(None, False)]
        else:
            three = [i for i, e in enumerate(els) if e is not None]
            two = [i for i, e in enumerate(els) if e is None]
            parts = [(three, True), (two, False)]
        for sel, is3 in parts:
            d = dets if sel is None else [dets[i] for i in sel]
            m = ms if sel is None else [ms[i] for i in sel]
            zi, ri = self._rbe3(d, m) if is3 else self._rbe2(d, m)
            where = idx if sel is None else sel if idx is None else [idx[i] for i in sel]
            _put(where, zi, ri, z, r, ok)

    def _biases(self, dets: list[Detection] | Sequence[Detection], v: FloatArray, dim: int) -> None:
        """Subtract the per-sensor calibration biases from plot values ``v`` (K, 3)."""
        maps = (self.range_bias_m, self.azimuth_bias_deg, self.elevation_bias_deg)[:dim]
        if not any(maps):
            return
        sids = list(map(_SID, dets))
        k = len(sids)
        for col, bias in enumerate(maps):
            if bias:
                v[:, col] -= np.fromiter(map(bias.get, sids, repeat(0.0)), np.float64, count=k)

    def _rbe3(
        self, dets: list[Detection] | Sequence[Detection], ms: list[Measurement]
    ) -> tuple[FloatArray, FloatArray]:
        k = len(ms)
        v = np.fromiter(_chain(map(_RAE, ms)), np.float64, count=3 * k).reshape(k, 3)
        self._biases(dets, v, 3)
        cov = _covariances(dets, 3)
        keys, sel = _keys(ms)
        if self.radar_conversion == "unscented":
            p, c = spherical_to_enu_unscented(v[:, 0], v[:, 1], v[:, 2], cov)
            return self._to_frame(keys, sel, p, c)
        p, j = spherical_jacobian(v[:, 0], v[:, 1], v[:, 2])
        return self._to_frame(keys, sel, p, cov * _SCALE3, j)

    def _rbe2(
        self, dets: list[Detection] | Sequence[Detection], ms: list[Measurement]
    ) -> tuple[FloatArray, FloatArray]:
        k = len(ms)
        v = np.fromiter(_chain(map(_RA, ms)), np.float64, count=2 * k).reshape(k, 2)
        self._biases(dets, v, 2)
        keys, sel = _keys(ms)
        radar_alt = np.fromiter(map(itemgetter(2), keys), np.float64, count=len(keys))
        if sel is not None:
            radar_alt = radar_alt.take(sel)
        rng = v[:, 0]
        u0 = self.altitude_2d_m - radar_alt - rng * rng / (2.0 * EARTH_RADIUS_M)
        cov2 = _covariances(dets, 2)
        sigma_u = self.altitude_2d_sigma_m
        if self.radar_conversion == "unscented":
            p, c = polar_to_enu_unscented(rng, v[:, 1], cov2, u0, sigma_u)
            return self._to_frame(keys, sel, p, c)
        p, j = polar_jacobian(rng, v[:, 1], u0)
        return self._to_frame(keys, sel, p, _polar_noise(cov2, sigma_u), j)

    def _to_frame(
        self,
        keys: list[Key],
        sel: IntArray | None,
        p: FloatArray,
        c: FloatArray,
        j: FloatArray | None = None,
    ) -> tuple[FloatArray, FloatArray]:
        """Local positions ``p`` (K, 3) and covariances to the tracker frame. With a
        Jacobian ``j`` (K, 3, 3), ``c`` is the covariance of the sensor's variables and
        the frame covariance is ``G c Gᵀ`` with ``G = M J`` (one stacked product fewer
        than ``M (J c Jᵀ) Mᵀ``); ``c`` may be one (1, 3, 3) matrix shared by all."""
        m, o = self._placements(keys, sel)
        if m.ndim == 2:
            z = o + p @ m.T
            if j is None:
                r = m @ c @ m.T
            else:
                g = m @ j
                r = g @ c @ g.transpose(0, 2, 1)
        else:
            z = o + (m @ p[:, :, None])[:, :, 0]
            g = m if j is None else m @ j
            r = g @ c @ g.transpose(0, 2, 1)
        return z, r

    def _geodetic(
        self, dets: list[Detection] | Sequence[Detection], ms: list[Measurement]
    ) -> tuple[FloatArray, FloatArray]:
        k = len(ms)
        v = np.fromiter(_chain(map(_LLA, ms)), np.float64, count=3 * k).reshape(k, 3)
        lat, lon = v[:, 0], v[:, 1]
        z = self.frame.to_enu(lat, lon, v[:, 2])
        # covariance given in the ENU at the report: C_frame = M C Mᵀ, M = R_f · R_localᵀ
        m = self.frame.rotation @ enu_rotation(lat, lon).transpose(0, 2, 1)
        r = m @ _covariances(dets, 3) @ m.transpose(0, 2, 1)
        return z, r

    def _enu(
        self, dets: list[Detection] | Sequence[Detection], ms: list[Measurement]
    ) -> tuple[FloatArray, FloatArray]:
        k = len(ms)
        v = np.fromiter(_chain(map(_ENU, ms)), np.float64, count=3 * k).reshape(k, 3)
        keys, sel = _keys(ms)
        return self._to_frame(keys, sel, v, _covariances(dets, 3))


def _put(
    idx: list[int] | None,
    zi: FloatArray,
    ri: FloatArray,
    z: FloatArray,
    r: FloatArray,
    ok: BoolArray,
) -> None:
    """Write a group's results into the batch arrays (all rows when ``idx`` is None)."""
    if idx is None:
        z[:] = zi
        r[:] = ri
        ok[:] = True
    else:
        sel = np.array(idx, dtype=np.intp)
        z[sel] = zi
        r[sel] = ri
        ok[sel] = True


def _covariances(dets: list[Detection] | Sequence[Detection], dim: int) -> FloatArray:
    """(K, dim, dim) from the detections' row-major nested lists (much faster than
    np.array), or (1, dim, dim) when they are all equal (a sensor reporting a constant
    covariance: one C-level comparison per detection instead of reading dim² floats;
    the result broadcasts in every use)."""
    covs = list(map(_COV, dets))
    k = len(covs)
    first = covs[0]
    if covs.count(first) == k:
        return np.fromiter(_chain(first), np.float64, count=dim * dim).reshape(1, dim, dim)
    flat = np.fromiter(_chain(_chain(covs)), np.float64, count=k * dim * dim)
    return flat.reshape(k, dim, dim)


def _keys(ms: list[Measurement]) -> tuple[list[Key], IntArray | None]:
    """The distinct (lat, lon, alt) of the measurements' origins and the number of each
    measurement's (None when they all share one). Cheap passes first: equal points
    compare in C; a few origin objects shared by many plots (one per radar) are read
    once each."""
    origins = list(map(_ORIGIN, ms))
    first = origins[0]
    k = len(origins)
    if origins.count(first) == k:
        return [_LLA(first)], None
    ids = list(map(id, origins))
    objs = dict(zip(ids, origins, strict=True))  # the objects are alive: ids are unique
    if 4 * len(objs) <= k:
        slots: dict[Key, int] = {}
        at = {i: slots.setdefault(_LLA(o), len(slots)) for i, o in objs.items()}
        sel = np.fromiter(map(at.__getitem__, ids), np.intp, count=k)
    else:
        keys = list(map(_LLA, origins))
        slots = {key: i for i, key in enumerate(dict.fromkeys(keys))}
        sel = np.fromiter(map(slots.__getitem__, keys), np.intp, count=k)
    if len(slots) == 1:
        return list(slots), None
    return list(slots), sel


_chain = itertools.chain.from_iterable
