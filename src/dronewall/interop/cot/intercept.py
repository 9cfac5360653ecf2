"""Cueing a mobile fire group: where and when it can meet a track, as a CoT point.

A fire group at F with an effector (interceptor drone, missile, or the gun's mean
projectile speed) of speed s, and a track at relative position r with constant velocity
v (both in the fire group's local ENU frame), meet after the time t solving

    |r + v t| = s t   <=>   (v.v - s^2) t^2 + 2 (r.v) t + r.r = 0

(the standard lead-pursuit quadratic); we take the smallest positive root. No root means
the effector cannot catch the track. The predicted intercept point r + v t goes out as a
``b-m-p-s-p-i`` (sensor point of interest) event with remarks such as
"intercept T0007 in 42 s"; its ce/le are the track's present errors (the prediction's
error grows with the time to go: treat them as a lower bound).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dronewall.geo.frames import LocalFrame, enu_rotation
from dronewall.interop.cot.build import UID_PREFIX, errors_from_covariance
from dronewall.interop.cot.event import CotEvent
from dronewall.interop.cot.types import INTERCEPT_POINT
from dronewall.model import GeoPoint, Track


@dataclass(frozen=True)
class Intercept:
    """A predicted intercept: time to go (s) and the point (WGS84)."""

    time_to_go: float
    lat: float
    lon: float
    alt: float


def time_to_intercept(r: np.ndarray, v: np.ndarray, speed: float) -> float | None:
    """Smallest t > 0 with |r + v t| = speed t, or None if the effector never gets there."""
    a = float(v @ v) - speed * speed
    b = 2.0 * float(r @ v)
    c = float(r @ r)
    if c == 0.0:
        return 0.0
    if abs(a) < 1e-12:  # as fast as the target: one root, if it approaches
        return -c / b if b < 0.0 else None
    disc = b * b - 4.0 * a * c
    if disc < 0.0:
        return None
    sq = math.sqrt(disc)
    roots = [t for t in ((-b - sq) / (2 * a), (-b + sq) / (2 * a)) if t > 0.0]
    return min(roots) if roots else None


def predict_intercept(track: Track, fire_group: GeoPoint, effector_speed: float) -> (
        Intercept | None):
    """Where and when an effector launched now from ``fire_group`` meets ``track``,
    assuming the track keeps its velocity; None if it cannot."""
    if not effector_speed > 0.0:
        raise ValueError("effector_speed must be positive (m/s)")
    frame = LocalFrame(fire_group.lat, fire_group.lon, fire_group.alt)
    r = frame.to_enu(track.lat, track.lon, track.alt)
    # The track's velocity is in ENU at the track; rotate it into the fire group's frame.
    v_track = np.array([track.ve, track.vn, track.vu])
    v = frame.rotation @ (enu_rotation(track.lat, track.lon).T @ v_track)
    t = time_to_intercept(r, v, effector_speed)
    if t is None:
        return None
    lat, lon, alt = frame.to_geodetic(r + v * t)
    return Intercept(t, float(lat), float(lon), float(alt))


def intercept_cue(
    track: Track,
    fire_group: GeoPoint,
    effector_speed: float,
    *,
    fire_group_id: str = "FG1",
) -> CotEvent | None:
    """The CoT cue (``b-m-p-s-p-i``) for a fire group: predicted intercept point and
    time to go; stale at the intercept time. None if no intercept is possible."""
    hit = predict_intercept(track, fire_group, effector_speed)
    if hit is None:
        return None
    ce, le = errors_from_covariance(track.covariance)
    tgo = round(hit.time_to_go)
    return CotEvent(
        uid=f"{UID_PREFIX}cue.{fire_group_id}.{track.id}",
        type=INTERCEPT_POINT,
        how="m-f",
        time=track.time,
        start=track.time,
        stale=track.time + max(hit.time_to_go, 1.0),
        lat=hit.lat,
        lon=hit.lon,
        hae=hit.alt,
        ce=ce,
        le=le,
        callsign=f"{fire_group_id} intercept {track.id}",
        remarks=f"intercept {track.id} in {tgo} s",
        extra={"track": track.id, "fire_group": fire_group_id,
               "time_to_go": f"{hit.time_to_go:.1f}",
               "effector_speed": f"{effector_speed:g}"},
    )
