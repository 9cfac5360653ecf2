"""Intercept geometry for constant-velocity targets (vectorised).

An interceptor leaving point P at time t_l with speed s meets a target that is at X at
t_l and flies with constant velocity V after a time-to-go τ solving |X - P + V τ| = s τ:

    (V·V - s²) τ² + 2 (r·V) τ + r·r = 0,   r = X - P,

whose smallest positive root is taken (none: the interceptor cannot catch the target).
The intercept point is X + V τ. Engagement windows sample launch times on a grid of slots
and keep the intercepts inside the effector's envelope (slant range, altitude, target
speed); the window is the span of feasible intercept times.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def time_to_go(r: FloatArray, v: FloatArray, speed: FloatArray) -> FloatArray:
    """τ (s) for relative positions r (..., 3), target velocities v (..., 3) and
    interceptor speeds (...); NaN where there is no intercept."""
    a = np.einsum("...i,...i->...", v, v) - speed * speed
    b = 2.0 * np.einsum("...i,...i->...", r, v)
    c = np.einsum("...i,...i->...", r, r)
    with np.errstate(divide="ignore", invalid="ignore"):
        disc = b * b - 4 * a * c
        sq = np.sqrt(np.where(disc >= 0, disc, np.nan))
        t1 = (-b - sq) / (2 * a)
        t2 = (-b + sq) / (2 * a)
        lin = np.where(np.abs(b) > 1e-12, -c / b, np.nan)  # a == 0: linear equation
    t1 = np.where(t1 > 0, t1, np.inf)
    t2 = np.where(t2 > 0, t2, np.inf)
    tau = np.where(np.abs(a) < 1e-9, np.where(lin > 0, lin, np.inf), np.minimum(t1, t2))
    tau = np.where(c < 1e-12, 0.0, tau)
    return np.where(np.isfinite(tau), tau, np.nan)


def lead_point(x: FloatArray, v: FloatArray, p: FloatArray, speed: FloatArray
               ) -> tuple[FloatArray, FloatArray]:
    """(τ, intercept point (..., 3)) for a target at x with velocity v, shooter at p."""
    tau = time_to_go(x - p, v, speed)
    return tau, x + v * tau[..., None]


def engagement_slots(
    unit_pos: FloatArray, unit_ready: FloatArray, unit_speed: FloatArray,
    tgt_pos: FloatArray, tgt_vel: FloatArray, now: float, slot_s: float, n_slots: int,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Intercepts of U units against T targets for launches at
    t_l = max(now, ready_u) + k·slot_s, k < n_slots.

    Returns launch times (U, T, K), intercept times (U, T, K) (NaN: none) and intercept
    points (U, T, K, 3) in the plane (z = altitude)."""
    k = np.arange(n_slots) * slot_s
    t_l = np.maximum(now, unit_ready)[:, None, None] + k[None, None, :]
    t_l = np.broadcast_to(t_l, (len(unit_pos), len(tgt_pos), n_slots))
    x_l = tgt_pos[None, :, None, :] + tgt_vel[None, :, None, :] * (t_l - now)[..., None]
    tau, point = lead_point(x_l, np.broadcast_to(tgt_vel[None, :, None, :], x_l.shape),
                            unit_pos[:, None, None, :], unit_speed[:, None, None])
    return t_l, t_l + tau, point


def window(t_int: FloatArray, feasible: NDArray[np.bool_]) -> tuple[FloatArray, FloatArray]:
    """First and last feasible intercept times along the last axis (NaN if none)."""
    t = np.where(feasible, t_int, np.nan)
    with np.errstate(all="ignore"):
        ok = np.asarray(feasible.any(axis=-1), dtype=bool)
        first = np.where(ok, np.nanmin(np.where(ok[..., None], t, 0), axis=-1), np.nan)
        last = np.where(ok, np.nanmax(np.where(ok[..., None], t, 0), axis=-1), np.nan)
    return first, last
