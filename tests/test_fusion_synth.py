"""Synthetic detection streams for the fusion tests and benchmark (no dronewall.sim:
fusion tests stand alone), and tests that the generator is what it says.

Targets fly straight lines at constant velocity in a LocalFrame's ENU. A radar's beam
turns clockwise from north once per ``period_s``; scan k starts at
``t0 + phase_s + k·period_s`` and a target at azimuth φ is seen at
``start + φ/360·period_s`` (solved by fixed-point iteration since φ moves), with
Gaussian range/azimuth/elevation noise, detection probability ``pd`` and Poisson
clutter uniform over the radar's disc. ADS-B reports come at 1 Hz (with jitter) as
geodetic positions with Gaussian noise in the local ENU.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pymap3d

from dronewall.geo.frames import LocalFrame, enu_rotation, geodetic_to_ecef
from dronewall.model.messages import (
    Detection,
    GeodeticPosition,
    GeoPoint,
    RangeBearing,
    Track,
    Transponder,
)


@dataclass(frozen=True)
class SimRadar:
    id: str
    lat: float
    lon: float
    alt: float = 100.0
    period_s: float = 10.0
    sigma_range_m: float = 75.0
    sigma_az_deg: float = 0.15
    sigma_el_deg: float | None = 0.3  # None: a 2-D radar
    pd: float = 1.0
    clutter_per_scan: float = 0.0
    max_range_m: float = 250_000.0
    phase_s: float = 0.0


@dataclass(frozen=True)
class SimTarget:
    """Constant velocity from ``p0`` at ``t0``, optionally with one coordinated turn
    (``turn_rate_dps`` clockwise, horizontal speed kept) between ``turn_start`` and
    ``turn_end``."""

    id: str
    p0: tuple[float, float, float]  # frame ENU at t0, m
    v: tuple[float, float, float]  # frame ENU, m/s
    t0: float
    t1: float
    icao24: str | None = None
    turn_rate_dps: float = 0.0
    turn_start: float = float("inf")
    turn_end: float = float("inf")

    def position(self, t: np.ndarray) -> np.ndarray:
        """Frame ENU (…, 3) at times t (the caller checks t0..t1)."""
        t = np.asarray(t, dtype=float)
        v = np.asarray(self.v)
        straight = np.asarray(self.p0) + (t[..., None] - self.t0) * v
        if self.turn_rate_dps == 0.0:
            return straight
        w = np.radians(self.turn_rate_dps)
        speed = float(np.hypot(v[0], v[1]))
        h = float(np.arctan2(v[0], v[1]))
        tau = np.clip(t, self.turn_start, self.turn_end) - self.turn_start
        # in the turn: heading h + w·tau; the turn's displacement replaces the straight one
        de = speed / w * (np.cos(h) - np.cos(h + w * tau)) - v[0] * tau
        dn = speed / w * (np.sin(h + w * tau) - np.sin(h)) - v[1] * tau
        after = np.maximum(t - self.turn_end, 0.0)
        hend = h + w * (self.turn_end - self.turn_start)
        ae = (speed * np.sin(hend) - v[0]) * after
        an = (speed * np.cos(hend) - v[1]) * after
        out = straight.copy()
        out[..., 0] += de + ae
        out[..., 1] += dn + an
        return out


@dataclass
class Stream:
    detections: list[Detection]
    targets: list[SimTarget]
    frame: LocalFrame
    clutter_ids: set[str] = field(default_factory=set)


def _radar_view(frame: LocalFrame, radar: SimRadar, enu: np.ndarray) -> np.ndarray:
    """Range, azimuth (deg), elevation (deg) from the radar of frame-ENU points."""
    ecef = frame.enu_to_ecef(enu)
    local = (ecef - geodetic_to_ecef(radar.lat, radar.lon, radar.alt)) @ enu_rotation(
        radar.lat, radar.lon
    ).T
    rng = np.linalg.norm(local, axis=-1)
    az = np.degrees(np.arctan2(local[..., 0], local[..., 1])) % 360.0
    el = np.degrees(np.arcsin(local[..., 2] / np.maximum(rng, 1e-9)))
    return np.stack([rng, az, el], axis=-1)


def generate(
    frame: LocalFrame,
    radars: list[SimRadar],
    targets: list[SimTarget],
    t_start: float,
    t_end: float,
    seed: int = 0,
    adsb_sigma_h_m: float = 15.0,
    adsb_sigma_v_m: float = 30.0,
    adsb_rate_hz: float = 1.0,
) -> Stream:
    rng = np.random.default_rng(seed)
    out: list[tuple[float, int, Detection]] = []
    seq = 0
    clutter_ids: set[str] = set()
    for radar in radars:
        origin = GeoPoint(lat=radar.lat, lon=radar.lon, alt=radar.alt)
        two_d = radar.sigma_el_deg is None
        cov = (
            [[radar.sigma_range_m**2, 0.0], [0.0, radar.sigma_az_deg**2]]
            if two_d
            else [
                [radar.sigma_range_m**2, 0.0, 0.0],
                [0.0, radar.sigma_az_deg**2, 0.0],
                [0.0, 0.0, radar.sigma_el_deg**2],  # type: ignore[operator]
            ]
        )
        nscan = int(np.ceil((t_end - t_start - radar.phase_s) / radar.period_s))
        starts = t_start + radar.phase_s + radar.period_s * np.arange(nscan)
        for tg in targets:
            t = starts + radar.period_s * 0.5
            for _ in range(4):
                az = _radar_view(frame, radar, tg.position(t))[:, 1]
                t = starts + az / 360.0 * radar.period_s
            view = _radar_view(frame, radar, tg.position(t))
            ok = (t >= tg.t0) & (t <= tg.t1) & (t < t_end) & (view[:, 0] <= radar.max_range_m)
            ok &= rng.random(nscan) < radar.pd
            noise = rng.normal(size=(nscan, 3)) * [
                radar.sigma_range_m,
                radar.sigma_az_deg,
                radar.sigma_el_deg or 0.0,
            ]
            meas = view + noise
            for k in np.flatnonzero(ok).tolist():
                r, a, e = meas[k].tolist()
                m = RangeBearing(
                    range=max(r, 0.0),
                    azimuth=a % 360.0,
                    elevation=None if two_d else max(min(e, 90.0), -90.0),
                    origin=origin,
                )
                d = Detection(
                    id=f"{radar.id}-{k}-{tg.id}",
                    sensor_id=radar.id,
                    time=float(t[k]),
                    measurement=m,
                    covariance=cov,
                    frame=k,
                )
                out.append((float(t[k]), seq, d))
                seq += 1
        if radar.clutter_per_scan > 0:
            counts = rng.poisson(radar.clutter_per_scan, nscan)
            for k in np.flatnonzero(counts).tolist():
                c = int(counts[k])
                az = rng.uniform(0, 360, c)
                rr = radar.max_range_m * np.sqrt(rng.uniform(0.0004, 1, c))
                el = rng.uniform(0, 3, c)
                for i in range(c):
                    tk = float(starts[k] + az[i] / 360.0 * radar.period_s)
                    if tk >= t_end:
                        continue
                    m = RangeBearing(
                        range=float(rr[i]),
                        azimuth=float(az[i]),
                        elevation=None if two_d else float(el[i]),
                        origin=origin,
                    )
                    did = f"{radar.id}-{k}-clutter{i}"
                    clutter_ids.add(did)
                    d = Detection(
                        id=did,
                        sensor_id=radar.id,
                        time=tk,
                        measurement=m,
                        covariance=cov,
                        frame=k,
                    )
                    out.append((tk, seq, d))
                    seq += 1
    adsb_cov = [
        [adsb_sigma_h_m**2, 0.0, 0.0],
        [0.0, adsb_sigma_h_m**2, 0.0],
        [0.0, 0.0, adsb_sigma_v_m**2],
    ]
    for tg in targets:
        if tg.icao24 is None:
            continue
        first = max(tg.t0, t_start)
        t = np.arange(first, min(tg.t1, t_end), 1.0 / adsb_rate_hz)
        t = t + rng.uniform(0.0, 0.2, len(t))
        t = t[t < min(tg.t1, t_end)]
        enu = tg.position(t)
        lat, lon, alt = frame.to_geodetic(enu)
        noise = rng.normal(size=(len(t), 3)) * [adsb_sigma_h_m, adsb_sigma_h_m, adsb_sigma_v_m]
        lat2, lon2, alt2 = pymap3d.enu2geodetic(
            noise[:, 0], noise[:, 1], noise[:, 2], lat, lon, alt
        )
        tr = Transponder(icao24=tg.icao24, callsign=f"CS{tg.icao24}")
        for k in range(len(t)):
            m = GeodeticPosition(lat=float(lat2[k]), lon=float(lon2[k]), alt=float(alt2[k]))
            d = Detection(
                id=f"adsb-{tg.id}-{k}",
                sensor_id="adsb",
                time=float(t[k]),
                measurement=m,
                covariance=adsb_cov,
                transponder=tr,
            )
            out.append((float(t[k]), seq, d))
            seq += 1
    out.sort(key=lambda e: (e[0], e[1]))
    return Stream([d for _, _, d in out], targets, frame, clutter_ids)


def match_tracks(
    stream: Stream, tracks: list[Track], max_error_m: float = 3000.0
) -> dict[str, dict[str, list[float]]]:
    """For every confirmed-state message, the nearest target (3-D) at the message's time
    within ``max_error_m``: ``{track_id: {target_id: [errors]}}``; messages with no target
    near go under target "none"."""
    out: dict[str, dict[str, list[float]]] = {}
    frame = stream.frame
    for tr in tracks:
        if tr.status != "confirmed":
            continue
        pos = frame.to_enu(tr.lat, tr.lon, tr.alt)
        best, best_d = "none", max_error_m
        for tg in stream.targets:
            if not (tg.t0 <= tr.time <= tg.t1):
                continue
            d = float(np.linalg.norm(tg.position(np.array(tr.time)) - pos))
            if d < best_d:
                best, best_d = tg.id, d
        out.setdefault(tr.id, {}).setdefault(best, []).append(best_d)
    return out


def horizontal_error(stream: Stream, tr: Track, target: SimTarget) -> float:
    pos = stream.frame.to_enu(tr.lat, tr.lon, tr.alt)
    return float(np.linalg.norm((target.position(np.array(tr.time)) - pos)[:2]))


# ---------------------------------------------------------------------------- tests


def test_generator_is_deterministic_and_time_ordered() -> None:
    frame = LocalFrame(52.0, 21.0)
    radars = [SimRadar("r1", 52.5, 21.0, clutter_per_scan=3.0, pd=0.9)]
    targets = [SimTarget("a", (0.0, 0.0, 3000.0), (40.0, 0.0, 0.0), 0.0, 300.0, icao24="abc123")]
    s1 = generate(frame, radars, targets, 0.0, 300.0, seed=3)
    s2 = generate(frame, radars, targets, 0.0, 300.0, seed=3)
    assert [d.id for d in s1.detections] == [d.id for d in s2.detections]
    times = [d.time for d in s1.detections]
    assert times == sorted(times)
    assert any(d.sensor_id == "adsb" for d in s1.detections)
    assert s1.clutter_ids


def test_noiseless_radar_plot_points_at_the_target() -> None:
    """Independent check of the generator geometry with pymap3d's own conversion."""
    frame = LocalFrame(52.0, 21.0)
    radar = SimRadar(
        "r1", 52.5, 21.3, alt=150.0, sigma_range_m=1e-9, sigma_az_deg=1e-9, sigma_el_deg=1e-9
    )
    tg = SimTarget("a", (20_000.0, -30_000.0, 5000.0), (100.0, 50.0, 0.0), 0.0, 100.0)
    s = generate(frame, [radar], [tg], 0.0, 100.0)
    for d in s.detections:
        m = d.measurement
        assert isinstance(m, RangeBearing) and m.elevation is not None
        lat, lon, alt = pymap3d.aer2geodetic(m.azimuth, m.elevation, m.range, 52.5, 21.3, 150.0)
        got = frame.to_enu(lat, lon, alt)
        assert np.linalg.norm(got - tg.position(np.array(d.time))) < 1e-3
        # the detection time matches the beam's azimuth
        scan_start = d.frame * radar.period_s  # type: ignore[operator]
        assert abs(d.time - (scan_start + m.azimuth / 360.0 * radar.period_s)) < 1e-6
