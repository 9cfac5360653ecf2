"""Where the pieces fall, and the expected casualties of a shot (Ec).

**Target debris** (the target is hit, probability Pk). A fragment leaves the intercept
point at height h with the target's ground velocity v and falls with drag. With a linear
drag time constant τ = v_t / g (v_t: the fragments' terminal speed) the fall takes
t_f ≈ h / v_t + τ and the forward throw is x = |v| τ (1 - exp(-t_f / τ)). The footprint is
a Gaussian centred x ahead of the intercept's ground point, with
σ_cross² = (σ_wind t_f)² + (v_ej τ)² (wind uncertainty 3 m/s, fragment ejection 15 m/s) and
σ_along² = σ_cross² + (0.3 x)² (±30 % spread of the fragments' drag).

**Failed interceptor** (probability 1 - Pk): a missile that misses flies on along its line
of fire (effector -> intercept point) for ``miss_flyout_m`` and comes down anywhere along
it: five points evenly along that segment, each a Gaussian of σ = 500 m. Guns' spent
rounds and ditched interceptor drones are not modelled (casualty area 0).

**Casualties**: Ec = Σ_cells P(debris in cell) × density × A_c × exposure, with A_c the
casualty area of the debris for a person in the open (:data:`TARGET_DEBRIS`) and
exposure = f_out + (1 - f_out) × shelter_penetration: f_out, the fraction of people out
of doors, is 0.05 at night (22-06 local solar time) and 0.25 by day; shelter penetration
is the share of A_c that still applies to people indoors (light debris does not come
through a roof, a warhead does). The Gaussian is integrated by 5×5 Gauss-Hermite
quadrature against the population grid. All figures are assumptions, documented in
docs/engage.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dronewall.engage.catalog import TRACK_CLASSES
from dronewall.engage.geometry import Plane
from dronewall.geo.population import PopulationGrid

FloatArray = NDArray[np.float64]
G = 9.81
SIGMA_WIND = 3.0
V_EJECT = 15.0
MISS_SIGMA_M = 500.0


@dataclass(frozen=True)
class DebrisClass:
    terminal_mps: float
    casualty_area_m2: float
    shelter_penetration: float


# Per Track class. Gerbera: 18 kg foam/plywood, no warhead -> ~3 m² (a person's ~0.4 m²
# grown by the fragment size and bounce), no roof penetration. Shahed: ~200 kg with a
# ~50 kg warhead that may go off on the ground: 500 m² and 10 % through shelter.
# Cruise missile (~400 kg warhead): 3,000 m², 30 %. Manned aircraft: very large (never
# engaged by the default ROE; listed for completeness).
TARGET_DEBRIS: dict[str, DebrisClass] = {
    "shahed": DebrisClass(60.0, 500.0, 0.1),
    "gerbera": DebrisClass(25.0, 3.0, 0.0),
    "jet_shahed": DebrisClass(70.0, 500.0, 0.1),
    "cruise_missile": DebrisClass(90.0, 3000.0, 0.3),
    "fighter": DebrisClass(80.0, 2000.0, 0.5),
    "bomber": DebrisClass(80.0, 10000.0, 0.5),
    "airliner": DebrisClass(80.0, 20000.0, 0.5),
    "light_aircraft": DebrisClass(50.0, 300.0, 0.2),
    "helicopter": DebrisClass(50.0, 1000.0, 0.3),
    "multicopter": DebrisClass(15.0, 0.5, 0.0),
    "bird": DebrisClass(10.0, 0.0, 0.0),
    "unknown": DebrisClass(50.0, 100.0, 0.05),
}
_TV = np.array([TARGET_DEBRIS[c].terminal_mps for c in TRACK_CLASSES])
_AE = np.array([TARGET_DEBRIS[c].casualty_area_m2 for c in TRACK_CLASSES])
_SP = np.array([TARGET_DEBRIS[c].shelter_penetration for c in TRACK_CLASSES])
MISSILE_SHELTER_PENETRATION = 0.3

_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(5)  # probabilists' Hermite: N(0, 1)
_GH_W = _GH_W / _GH_W.sum()
_QX = np.repeat(_GH_X, 5)
_QY = np.tile(_GH_X, 5)
_QW = np.repeat(_GH_W, 5) * np.tile(_GH_W, 5)


def outdoor_fraction(time_s: FloatArray, lon: FloatArray) -> FloatArray:
    """Share of people out of doors: 0.05 at night (22-06 local solar time), else 0.25."""
    hour = ((np.asarray(time_s) % 86400.0) / 3600.0 + np.asarray(lon) / 15.0) % 24.0
    return np.where((hour >= 22.0) | (hour < 6.0), 0.05, 0.25)


def target_footprint(h: FloatArray, vx: FloatArray, vy: FloatArray, terminal: FloatArray
                     ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """(mean dx, mean dy, σ_along, σ_cross) of the debris from the intercept's ground
    point, metres (see module doc)."""
    tau = terminal / G
    t_f = np.maximum(h, 0.0) / terminal + tau
    speed = np.hypot(vx, vy)
    throw = speed * tau * (1.0 - np.exp(-t_f / tau))
    ux = np.where(speed > 1e-6, vx / np.maximum(speed, 1e-6), 0.0)
    uy = np.where(speed > 1e-6, vy / np.maximum(speed, 1e-6), 0.0)
    s_cross = np.hypot(SIGMA_WIND * t_f, V_EJECT * tau)
    s_along = np.hypot(s_cross, 0.3 * throw)
    return throw * ux, throw * uy, s_along, s_cross


def gaussian_mean_density(
    cx: FloatArray, cy: FloatArray, ux: FloatArray, uy: FloatArray,
    s_along: FloatArray, s_cross: FloatArray, plane: Plane, grid: PopulationGrid,
) -> FloatArray:
    """E[density (people/m²)] under Gaussians centred (cx, cy) with axes along (ux, uy)."""
    px = cx[:, None] + _QX * s_along[:, None] * ux[:, None] - _QY * s_cross[:, None] * uy[:, None]
    py = cy[:, None] + _QX * s_along[:, None] * uy[:, None] + _QY * s_cross[:, None] * ux[:, None]
    lat, lon = plane.latlon(px, py)
    return (grid.density_at(lat, lon) * _QW).sum(axis=1) * 1e-6


def shot_ec(
    plane: Plane, grid: PopulationGrid, time_s: FloatArray,
    ix: FloatArray, iy: FloatArray, ih: FloatArray, vx: FloatArray, vy: FloatArray,
    class_probs: FloatArray, pk: FloatArray,
    ex: FloatArray, ey: FloatArray, miss_flyout_m: FloatArray, miss_area_m2: FloatArray,
    baseline_density: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(Ec, incremental Ec, people/km² at the intercept's ground point) of M candidate
    shots: intercept (ix, iy, altitude ih) of a target with ground velocity (vx, vy) and
    class probabilities (M, C), single-shot pk, effector at (ex, ey).

    Ec is the full expected casualties of the shot's debris (target hit, interceptor
    missed). The incremental Ec counts the target's debris only beyond what the target's
    own fall would cause at ``baseline_density`` (people/km²: a one-way drone comes down
    in any case; shooting it moves where): pk × A × max(0, E[density] - baseline), plus
    the failed interceptor's debris in full."""
    m = len(ix)
    if m == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    base = np.zeros(m) if baseline_density is None else np.asarray(baseline_density) * 1e-6
    lat0, lon0 = plane.latlon(ix, iy)
    f_out = outdoor_fraction(time_s, lon0)
    terminal = class_probs @ _TV
    dx, dy, s_al, s_cr = target_footprint(ih, vx, vy, terminal)
    speed = np.hypot(vx, vy)
    ux = np.where(speed > 1e-6, vx / np.maximum(speed, 1e-6), 1.0)
    uy = np.where(speed > 1e-6, vy / np.maximum(speed, 1e-6), 0.0)
    dens = gaussian_mean_density(ix + dx, iy + dy, ux, uy, s_al, s_cr, plane, grid)
    exposure = f_out[:, None] + (1 - f_out[:, None]) * _SP[None, :]
    area_eff = (class_probs * _AE[None, :] * exposure).sum(axis=1)
    ec = pk * dens * area_eff
    inc = pk * np.maximum(dens - base - 1e-12, 0.0) * area_eff  # 1e-12: quadrature round-off
    fly = miss_flyout_m > 0
    if fly.any():
        lx, ly = ix - ex, iy - ey
        norm = np.maximum(np.hypot(lx, ly), 1.0)
        lx, ly = lx / norm, ly / norm
        miss = np.zeros(m)
        sig = np.full(m, MISS_SIGMA_M)
        for frac in np.linspace(0.1, 1.0, 5):
            miss += gaussian_mean_density(ix + lx * frac * miss_flyout_m,
                                          iy + ly * frac * miss_flyout_m,
                                          lx, ly, sig, sig, plane, grid) / 5.0
        expo = f_out + (1 - f_out) * MISSILE_SHELTER_PENETRATION
        miss_ec = np.where(fly, (1 - pk) * miss * miss_area_m2 * expo, 0.0)
        ec = ec + miss_ec
        inc = inc + miss_ec
    return ec, inc, grid.density_at(lat0, lon0)
