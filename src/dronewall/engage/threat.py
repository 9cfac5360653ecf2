"""Threat evaluation: where each track goes if it keeps its current velocity, how close it
comes to each protected asset and when, and what letting it through would cost.

For track i at plane position p_i with ground velocity v_i and asset a at q_a, the
straight-line closest approach is at t* = clip(-(p-q)·v / |v|², 0, H) (H the prediction
horizon), at distance d = |p + v t* - q|. The asset is threatened with
``proximity = exp(-d² / (2 R²))`` (R: the asset's radius by kind, :data:`ASSET_RADIUS_M`).
Threat score = max over assets of proximity (0..1: 1 = heading straight at one; >= 0.5
means the path passes within ~1.18 R: "threatens a protected asset"). Threat value in
USD = sovereignty value (hostile/suspect over own territory) + usd_per_value ×
E[damage factor of the class] × Σ_a value_a × proximity_a.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dronewall.engage.catalog import TRACK_CLASSES, Asset
from dronewall.engage.geometry import Plane

FloatArray = NDArray[np.float64]

ASSET_RADIUS_M = {"city": 5000.0, "airport": 3000.0, "military": 3000.0,
                  "power_plant": 2000.0, "village": 1500.0}
DEFAULT_RADIUS_M = 3000.0
# Harm a class does when it reaches an asset, relative to a Shahed (50 kg warhead).
# Gerbera: no warhead, an 18 kg airframe; cruise missile: ~400 kg warhead. Assumptions.
DAMAGE = {"shahed": 1.0, "gerbera": 0.02, "jet_shahed": 1.0, "cruise_missile": 3.0,
          "multicopter": 0.1, "unknown": 0.5}
DAMAGE_VECTOR = np.array([DAMAGE.get(c, 0.0) for c in TRACK_CLASSES])


@dataclass
class AssetTable:
    """Assets as arrays in one plane."""

    assets: list[Asset]
    x: FloatArray
    y: FloatArray
    value: FloatArray
    radius: FloatArray

    @classmethod
    def build(cls, assets: list[Asset], plane: Plane) -> AssetTable:
        x, y = plane.xy([a.lat for a in assets], [a.lon for a in assets])
        return cls(
            list(assets), np.atleast_1d(x), np.atleast_1d(y),
            np.array([a.value for a in assets], float),
            np.array([ASSET_RADIUS_M.get(a.kind, DEFAULT_RADIUS_M) for a in assets], float),
        )


@dataclass
class Threats:
    """Per track (N) and asset (A): closest approach, time to it, scores."""

    cpa_m: FloatArray        # (N, A)
    t_cpa_s: FloatArray      # (N, A)
    proximity: FloatArray    # (N, A)
    score: FloatArray        # (N,)
    asset: NDArray[np.int64]  # (N,) most threatened asset (-1: none)
    value_usd: FloatArray    # (N,)


def closest_approach(
    x: FloatArray, y: FloatArray, vx: FloatArray, vy: FloatArray,
    ax: FloatArray, ay: FloatArray, horizon_s: float,
) -> tuple[FloatArray, FloatArray]:
    """(distance, time) of each track's closest approach to each asset, (N, A)."""
    rx = x[:, None] - ax[None, :]
    ry = y[:, None] - ay[None, :]
    v2 = (vx * vx + vy * vy)[:, None]
    t = np.where(v2 > 1e-9, -(rx * vx[:, None] + ry * vy[:, None]) / np.maximum(v2, 1e-9), 0.0)
    t = np.clip(t, 0.0, horizon_s)
    dx = rx + vx[:, None] * t
    dy = ry + vy[:, None] * t
    return np.hypot(dx, dy), t


def evaluate(
    x: FloatArray, y: FloatArray, vx: FloatArray, vy: FloatArray,
    class_probs: FloatArray, hostile: NDArray[np.bool_], table: AssetTable,
    usd_per_value: float, sovereignty_usd: float, horizon_s: float = 3600.0,
) -> Threats:
    """Threat of N tracks (plane positions/velocities, class probabilities (N, C),
    hostile-or-suspect-over-own-territory flags) to the assets."""
    n = len(x)
    if len(table.assets) == 0:
        z = np.zeros((n, 0))
        return Threats(z, z, z, np.zeros(n), np.full(n, -1),
                       np.asarray(hostile * sovereignty_usd, dtype=np.float64))
    d, t = closest_approach(x, y, vx, vy, table.x, table.y, horizon_s)
    prox = np.exp(-0.5 * (d / table.radius[None, :]) ** 2)
    score = prox.max(axis=1)
    asset = np.where(score > 1e-6, prox.argmax(axis=1), -1)
    damage = class_probs @ DAMAGE_VECTOR
    value = hostile * sovereignty_usd + usd_per_value * damage * (prox @ table.value)
    return Threats(d, t, prox, score, asset, np.asarray(value, dtype=np.float64))


def warning_areas(
    lat: FloatArray, lon: FloatArray, vx: FloatArray, vy: FloatArray, age_s: FloatArray,
    track_ids: list[str], places: list[tuple[str, str, float, float, int]], plane: Plane,
    horizon_s: float = 1200.0, radius_m: float = 15000.0,
) -> list[dict[str, object]]:
    """Public-warning areas: the populated places ("districts": name, country, lat, lon,
    population) within ``radius_m`` of a track's straight-line path over the next
    ``horizon_s``, with the time the track comes closest and the track's age (how old
    the information is). One entry per (track, place), soonest first."""
    if len(places) == 0 or len(lat) == 0:
        return []
    x, y = plane.xy(lat, lon)
    px, py = plane.xy([p[2] for p in places], [p[3] for p in places])
    d, t = closest_approach(np.atleast_1d(x), np.atleast_1d(y), vx, vy,
                            np.atleast_1d(px), np.atleast_1d(py), horizon_s)
    out = []
    for i, k in zip(*np.nonzero(d <= radius_m), strict=True):
        name, country, plat, plon, pop = places[k]
        out.append({"track_id": track_ids[i], "place": name, "country": country,
                    "lat": plat, "lon": plon, "population": pop,
                    "eta_s": round(float(t[i, k]), 1), "closest_m": round(float(d[i, k])),
                    "track_age_s": round(float(age_s[i]), 1)})
    out.sort(key=lambda e: (float(e["eta_s"]), str(e["track_id"]), str(e["place"])))
    return out
