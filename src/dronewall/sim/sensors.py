"""Sensor simulators: trajectories in, :class:`~dronewall.model.Detection` messages out.

Each simulator works on one sensor and is vectorised over the sample times of each
target (revolutions, report periods); the randomness of a (sensor, target) pair comes
from its own stream, ``SeedSequence(seed, spawn_key=(hash(sensor id), hash(target id)))``,
so adding a sensor or a target changes nobody else's noise.

Models (the formulas the docs repeat):

- **Radar**, mechanically scanning with period ``T``, beam at north at the scenario start
  and turning clockwise: revolution ``k`` starts at ``t_k = start + kT`` and the plot time
  of a target is ``t = t_k + T az(t) / 360`` (solved by one fixed-point iteration from
  ``az(t_k)``; when the target crosses north during the revolution the iteration can
  miss, and that single plot is dropped). A target is visible when ``R <= R_max``,
  above the 4/3-earth horizon ``R <= 4.12 km (sqrt(h_radar) + sqrt(h_target))``
  (heights in m) and at elevation ``>= min_elevation_deg``. Its mean SNR follows the radar equation,
  ``SNR = SNR_ref (RCS / RCS_ref) (R_max / R)^4``, where ``SNR_ref`` makes the
  Swerling-1 detection probability ``Pd = Pfa^(1 / (1 + SNR))`` (``Pfa = 1e-6``) equal to
  the spec's ``pd`` at ``R_max`` for ``RCS_ref``; Pd is capped at 0.99. The reported SNR
  is drawn from the Swerling-1 power conditioned on crossing the threshold
  ``tau = -ln Pfa``: ``P = tau + Exp(1 + SNR)``, ``snr = P - 1``. Noise: Gaussian on
  range, azimuth, elevation with the spec's sigmas (covariance = their squares, degrees
  for angles). False alarms: Poisson(``false_alarms_per_scan``) per revolution,
  uniform over the coverage disc, elevation uniform between ``min_elevation_deg`` and the
  elevation of a 10 km high point at that range, time from azimuth.
- **ADS-B receiver**: targets with a transponder broadcasting ADS-B report their position
  every ``period_s`` (a random phase per target) when within ``max_range_km`` and the
  radio horizon (same 4/3-earth formula), each received with probability ``pd``;
  position noise N(0, sigma) east and north, N(0, 1.5 sigma) up.
- **Acoustic node**, ``model: simple`` (the stand-in; ``fast`` and ``full``, the node's
  calibrated model and full physics, are in :mod:`dronewall.sim.acoustic_nodes`):
  received level ``L = SL - 20 log10(r) - alpha r`` with
  ``alpha = 0.005 dB/m`` (atmospheric absorption near 1 kHz plus some excess ground
  attenuation, a single figure for the 100-1000 Hz band of engines and propellers).
  A report at arrival time ``t_a`` (every ``period_s``) describes the sound emitted at
  ``t_e`` with ``t_a - t_e = |p(t_e) - node| / c``, ``c = 331.3 sqrt(1 + T/273.15)`` m/s
  (solved by Newton's iteration, a fixed-point iteration with the radial-speed
  correction). Detected when ``L - ambient >= threshold``, ``r <= max_range`` and with
  probability ``pd``; the bearing (azimuth and elevation, sigma = ``sigma_azimuth_deg``
  for both) points at ``p(t_e)``. ``class_probs`` is a stand-in for the node's
  classifier (see :func:`class_probs`); the real one lives in ``acoustic/``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from dronewall.geo.frames import WGS84, FloatArray, enu_rotation, geodetic_to_ecef
from dronewall.model import (
    BearingOnly,
    Detection,
    GeodeticPosition,
    GeoPoint,
    RangeBearing,
    Sensor,
    Tdoa,
    Transponder,
)
from dronewall.sim.kinematics import Trajectory
from dronewall.sim.scenario import AcousticNodeSpec, AdsbReceiverSpec, Position, RadarSpec

PFA = 1e-6  # radar false-alarm probability per resolution cell, sets the threshold
PD_CAP = 0.99
HORIZON_KM_PER_SQRT_M = 4.12  # 4/3-earth radio horizon: d_km = 4.12 (sqrt(h1) + sqrt(h2))
ABSORPTION_DB_PER_M = 0.005
FALSE_ALARM_TOP_M = 10_000.0
COARSE_S = 10.0  # acoustic pre-filter step
MAX_BEAM_MISS_DEG = 1.0  # radar: a plot is dropped if the beam misses the target by more

SensorSpec = RadarSpec | AdsbReceiverSpec | AcousticNodeSpec
IntArray = NDArray[np.intp]


# --------------------------------------------------------------------------- helpers


def _key(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def rng_for(seed: int, *keys: str) -> np.random.Generator:
    """The random stream of one (sensor, target) pair: depends only on the seed and the
    keys, never on which other sensors or targets exist."""
    ss = np.random.SeedSequence(entropy=seed % 2**64, spawn_key=tuple(_key(k) for k in keys))
    return np.random.default_rng(ss)


def speed_of_sound(temperature_c: float) -> float:
    """c = 331.3 sqrt(1 + T / 273.15) m/s (dry air)."""
    return 331.3 * math.sqrt(1.0 + temperature_c / 273.15)


def horizon_m(h1: FloatArray | float, h2: FloatArray | float) -> FloatArray:
    """4/3-earth radio horizon distance (m) between heights h1, h2 (m, clipped at 0)."""
    return np.asarray(
        HORIZON_KM_PER_SQRT_M
        * 1e3
        * (np.sqrt(np.maximum(h1, 0.0)) + np.sqrt(np.maximum(h2, 0.0))),
        dtype=float,
    )


class _Site:
    """A sensor position: ECEF origin and ENU rotation, for looking at targets."""

    def __init__(self, p: Position) -> None:
        self.point = GeoPoint(lat=p.lat, lon=p.lon, alt=p.alt)
        self.alt = p.alt
        self.ecef = geodetic_to_ecef(p.lat, p.lon, p.alt)
        self.rot = enu_rotation(p.lat, p.lon)

    def enu(self, ecef: FloatArray) -> FloatArray:
        return (ecef - self.ecef) @ self.rot.T

    def look(self, ecef: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Slant range (m), azimuth (deg, [0, 360)) and elevation (deg) of points."""
        enu = self.enu(ecef)
        e, n, u = enu[..., 0], enu[..., 1], enu[..., 2]
        hor = np.hypot(e, n)
        return (
            np.sqrt(hor * hor + u * u),
            np.degrees(np.arctan2(e, n)) % 360.0,
            np.degrees(np.arctan2(u, hor)),
        )


def _ordered_ids(sensor_id: str, times: NDArray[np.floating]) -> tuple[IntArray, list[str]]:
    order = np.argsort(times, kind="stable")
    return order, [f"{sensor_id}:{n}" for n in range(len(times))]


# --------------------------------------------------------------------------- radar


def radar_snr_ref(pd: float) -> float:
    """Mean SNR (linear) at which Swerling-1 gives ``pd`` with ``Pfa``:
    ``pd = Pfa^(1/(1+SNR))`` -> ``SNR = ln Pfa / ln pd - 1``."""
    pd = min(max(pd, 1e-12), 1.0 - 1e-12)
    return math.log(PFA) / math.log(pd) - 1.0


def radar_pd(snr: FloatArray) -> FloatArray:
    """Swerling-1 detection probability ``Pfa^(1/(1+SNR))``, capped at 0.99."""
    return np.minimum(PD_CAP, np.power(PFA, 1.0 / (1.0 + np.maximum(snr, 0.0))))


def simulate_radar(
    spec: RadarSpec, trajectories: Sequence[Trajectory], start: float, end: float, seed: int
) -> list[Detection]:
    """Plots of a scanning radar over [start, end): targets and false alarms."""
    site = _Site(spec.position)
    period = spec.period_s
    n_rev = math.ceil((end - start) / period)
    rmax = spec.max_range_km * 1e3
    tau = -math.log(PFA)
    snr_ref = radar_snr_ref(spec.pd) if spec.pd > 0 else -1.0
    three_d = spec.sigma_elevation_deg is not None
    sig_el = spec.sigma_elevation_deg or 0.0
    cols: list[tuple[FloatArray, ...]] = []  # time, frame, range, azimuth, elevation, snr

    for tr in trajectories:
        k0 = max(0, math.floor((tr.t0 - start) / period))
        k1 = min(n_rev - 1, math.floor((tr.t1 - start) / period))
        if k1 < k0 or snr_ref <= 0:
            continue
        rng = rng_for(seed, spec.id, tr.target_id)
        k = np.arange(k0, k1 + 1)
        tk = start + k * period
        r, az, _ = site.look(tr.ecef(tk))
        near = r <= rmax + tr.max_speed * period + 1e3
        k, tk, az = k[near], tk[near], az[near]
        t = tk + period * az / 360.0
        _, beam, _ = site.look(tr.ecef(t))
        t = tk + period * beam / 360.0  # one fixed-point iteration: beam azimuth at t
        r, az, el = site.look(tr.ecef(t))
        # a target crossing north during the revolution has no consistent solution near
        # the guess (the azimuth wraps); that revolution's plot is dropped
        consistent = np.abs((az - beam + 180.0) % 360.0 - 180.0) < MAX_BEAM_MISS_DEG
        h = tr.altitude(t)
        n = len(t)
        u_pd, noise, power = rng.random(n), rng.standard_normal((n, 3)), rng.exponential(1.0, n)
        snr = snr_ref * (tr.rcs_m2 / spec.reference_rcs_m2) * (rmax / np.maximum(r, 1.0)) ** 4
        seen = (
            (t >= tr.t0) & (t <= tr.t1) & (t >= start) & (t < end)
            & (r <= rmax) & (r <= horizon_m(spec.position.alt, h))
            & (el >= spec.min_elevation_deg)
            & (u_pd < radar_pd(snr)) & consistent
        )
        snr_obs = tau + power * (1.0 + snr) - 1.0
        cols.append((
            t[seen], k[seen].astype(float),
            np.maximum(r + spec.sigma_range_m * noise[:, 0], 0.0)[seen],
            (az + spec.sigma_azimuth_deg * noise[:, 1])[seen] % 360.0,
            np.clip(el + sig_el * noise[:, 2], -90.0, 90.0)[seen],
            snr_obs[seen],
        ))

    # false alarms: their own stream
    rng = rng_for(seed, spec.id, "false-alarms")
    counts = rng.poisson(spec.false_alarms_per_scan, n_rev)
    kf = np.repeat(np.arange(n_rev), counts)
    m = len(kf)
    az = rng.uniform(0.0, 360.0, m)
    r = rmax * np.sqrt(rng.random(m))
    el_top = np.degrees(np.arctan2(FALSE_ALARM_TOP_M, np.maximum(r, 1.0)))
    el_top = np.maximum(el_top, spec.min_elevation_deg)
    el = spec.min_elevation_deg + (el_top - spec.min_elevation_deg) * rng.random(m)
    snr_fa = tau + rng.exponential(1.0, m) - 1.0
    t = start + kf * period + period * az / 360.0
    ok = t < end
    cols.append((t[ok], kf[ok].astype(float), r[ok], az[ok], el[ok], snr_fa[ok]))

    t, frame, rr, aa, ee, ss = (np.concatenate(c) for c in zip(*cols, strict=True))
    order = np.lexsort((aa, t, frame))  # by revolution, then time
    t, frame, rr, aa, ee, ss = (x[order] for x in (t, frame, rr, aa, ee, ss))
    fi = frame.astype(np.int64)
    rank = np.arange(len(fi)) - np.searchsorted(fi, fi, side="left")
    snr_db = np.round(10.0 * np.log10(np.maximum(ss, 1e-3)), 2)
    origin = site.point
    vr, va, ve = spec.sigma_range_m**2, spec.sigma_azimuth_deg**2, sig_el**2
    sid = spec.id
    out: list[Detection] = []
    for ti, fr, rk, r_, a_, e_, s_ in zip(
        t.tolist(), fi.tolist(), rank.tolist(), rr.tolist(), aa.tolist(), ee.tolist(),
        snr_db.tolist(), strict=True,
    ):
        if three_d:
            meas = RangeBearing(range=r_, azimuth=a_, elevation=e_, origin=origin)
            cov = [[vr, 0.0, 0.0], [0.0, va, 0.0], [0.0, 0.0, ve]]
        else:
            meas = RangeBearing(range=r_, azimuth=a_, origin=origin)
            cov = [[vr, 0.0], [0.0, va]]
        out.append(Detection(
            id=f"{sid}:{fr}:{rk}", sensor_id=sid, time=ti, measurement=meas,
            covariance=cov, frame=fr, snr_db=s_,
        ))
    return out


# --------------------------------------------------------------------------- ADS-B


def _radii(lat_deg: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Meridional (M) and prime-vertical (N) radii of curvature (m) at latitudes."""
    a, e2 = WGS84.semimajor_axis, 1.0 - (WGS84.semiminor_axis / WGS84.semimajor_axis) ** 2
    s2 = np.sin(np.radians(lat_deg)) ** 2
    w = np.sqrt(1.0 - e2 * s2)
    return a * (1.0 - e2) / w**3, a / w


def simulate_adsb(
    spec: AdsbReceiverSpec, trajectories: Sequence[Trajectory], start: float, end: float,
    seed: int,
) -> list[Detection]:
    """Position reports of ADS-B-broadcasting targets received by one ground station."""
    site = _Site(spec.position)
    rmax = spec.max_range_km * 1e3
    period = spec.period_s
    sig = spec.sigma_m
    cols: list[tuple[NDArray[Any], ...]] = []
    idents: list[Transponder] = []
    for tr in trajectories:
        if not tr.cooperative or tr.transponder is None:
            continue
        rng = rng_for(seed, spec.id, tr.target_id)
        phase = rng.uniform(0.0, period)
        lo, hi = max(start, tr.t0), min(end, tr.t1)
        j0 = math.ceil((lo - start - phase) / period)
        j1 = math.floor((hi - start - phase) / period)
        t = start + phase + np.arange(j0, j1 + 1) * period
        t = t[(t >= lo) & (t <= hi) & (t < end)]
        n = len(t)
        u_pd, noise = rng.random(n), rng.standard_normal((n, 3))
        if n == 0:
            continue
        s = tr.sample(t, clip=True)
        r, _, _ = site.look(geodetic_to_ecef(s.lat, s.lon, s.alt))
        seen = (r <= rmax) & (r <= horizon_m(spec.position.alt, s.alt)) & (u_pd < spec.pd)
        m_rad, n_rad = _radii(s.lat)
        lat = s.lat + np.degrees(sig * noise[:, 1] / m_rad)
        lon = s.lon + np.degrees(sig * noise[:, 0] / (n_rad * np.cos(np.radians(s.lat))))
        lon = (lon + 180.0) % 360.0 - 180.0
        alt = s.alt + 1.5 * sig * noise[:, 2]
        cols.append((t[seen], lat[seen], lon[seen], alt[seen],
                     np.full(int(seen.sum()), float(len(idents)))))
        x = tr.transponder
        idents.append(Transponder(icao24=x.icao24.lower(), callsign=x.callsign, squawk=x.squawk))
    if not cols:
        return []
    t, lat, lon, alt, who = (np.concatenate(c) for c in zip(*cols, strict=True))
    order, ids = _ordered_ids(spec.id, t)
    vh, vv = sig**2, (1.5 * sig) ** 2
    out: list[Detection] = []
    for ident, ti, la, lo_, al, w in zip(
        ids, t[order].tolist(), lat[order].tolist(), lon[order].tolist(),
        alt[order].tolist(), who[order].astype(int).tolist(), strict=True,
    ):
        out.append(Detection(
            id=ident, sensor_id=spec.id, time=ti,
            measurement=GeodeticPosition(lat=la, lon=lo_, alt=al),
            covariance=[[vh, 0.0, 0.0], [0.0, vh, 0.0], [0.0, 0.0, vv]],
            transponder=idents[w],
        ))
    return out


# --------------------------------------------------------------------------- acoustic

# The rest of the probability goes, in these proportions, to the acoustic classes most
# often confused with the true one (an engineering guess, not a measured confusion
# matrix). Labels are the shared acoustic vocabulary (shahed, gerbera, jet, helicopter,
# multicopter, propeller_aircraft, bird, background).
_CONFUSION: dict[str, dict[str, float]] = {
    "shahed": {"gerbera": 0.35, "propeller_aircraft": 0.25, "multicopter": 0.15,
               "helicopter": 0.1, "background": 0.15},
    "gerbera": {"shahed": 0.45, "propeller_aircraft": 0.2, "multicopter": 0.15,
                "background": 0.2},
    "jet": {"propeller_aircraft": 0.35, "shahed": 0.2, "helicopter": 0.2,
            "background": 0.25},
    "propeller_aircraft": {"shahed": 0.35, "helicopter": 0.3, "jet": 0.2,
                           "background": 0.15},
    "helicopter": {"propeller_aircraft": 0.35, "multicopter": 0.3, "shahed": 0.2,
                   "background": 0.15},
    "multicopter": {"shahed": 0.3, "helicopter": 0.3, "bird": 0.2, "background": 0.2},
    "bird": {"multicopter": 0.5, "background": 0.5},
}


def class_probs(family: str, snr_db: float, threshold_db: float) -> dict[str, float]:
    """A stand-in classifier output: the true family gets
    ``0.55 + 0.35 clip((snr - threshold) / 20 dB, 0, 1)``, the rest is shared among the
    families it is most often confused with. Rounded down to 0.001 (sum <= 1)."""
    p = 0.55 + 0.35 * min(max((snr_db - threshold_db) / 20.0, 0.0), 1.0)
    out = {family: math.floor(p * 1000) / 1000}
    for other, w in _CONFUSION.get(family, {}).items():
        out[other] = math.floor((1.0 - p) * w * 1000) / 1000
    return out


def received_level_db(source_db: float | FloatArray, r: FloatArray) -> FloatArray:
    """``L = SL - 20 log10(r) - alpha r`` (spherical spreading from 1 m, absorption)."""
    r1 = np.maximum(r, 1.0)
    return np.asarray(source_db - 20.0 * np.log10(r1) - ABSORPTION_DB_PER_M * r1, dtype=float)


def emission_times(
    tr: Trajectory, node_ecef: FloatArray, t_arr: FloatArray, c: float, iterations: int = 12
) -> FloatArray:
    """Emission times ``t_e`` with ``t_arr - t_e = |p(t_e) - node| / c``.

    Newton's iteration on ``g(t_e) = t_e + r(t_e)/c - t_arr`` with
    ``g' = 1 + r_dot/c``, ``r_dot = (p - node) . v / r``; converges in a few steps for
    subsonic targets (the trajectory is held at its ends outside [t0, t1])."""
    te = t_arr - np.linalg.norm(tr.ecef(t_arr) - node_ecef, axis=-1) / c
    for _ in range(iterations):
        d = tr.ecef(te) - node_ecef
        r = np.linalg.norm(d, axis=-1)
        rdot = np.einsum("...i,...i->...", d, tr.ecef_velocity(te)) / np.maximum(r, 1e-9)
        step = (te + r / c - t_arr) / (1.0 + rdot / c)
        te = te - step
        if not np.any(np.abs(step) > 1e-7):
            break
    return te


def arrival_candidates(
    site: _Site, tr: Trajectory, start: float, end: float, period: float, rmax: float,
    c: float,
) -> FloatArray:
    """Report instants ``start + j period`` in [start, end) at which sound emitted by
    ``tr`` within ``rmax`` of the site can be arriving (a pre-filter on a coarse grid of
    emission times; the caller solves the exact emission times)."""
    delay = rmax / c
    lo, hi = max(start, tr.t0), min(end, tr.t1 + delay)
    if hi < lo:
        return np.zeros(0)
    tc = np.arange(tr.t0, tr.t1 + COARSE_S, COARSE_S)
    rc, _, _ = site.look(tr.ecef(tc))
    near = np.concatenate([[0], np.cumsum(rc <= rmax + tr.max_speed * COARSE_S)])
    j0 = math.ceil((lo - start) / period)
    j1 = math.floor((hi - start) / period)
    ta = start + np.arange(j0, j1 + 1) * period
    ta = ta[(ta >= lo) & (ta <= hi) & (ta < end)]
    a = np.searchsorted(tc, ta - delay - COARSE_S, side="left")
    b = np.searchsorted(tc, ta + COARSE_S, side="right")
    return np.asarray(ta[near[b] - near[a] > 0], dtype=float)


class Heard(NamedTuple):
    """Where a target is when a node may hear it: report instants ``ta``, the emission
    times ``te`` and positions ``p_e`` (ECEF) of the sound arriving then, their slant
    range and look angles from the node, and the per-instant random draws (``u_pd``
    uniform for detection, ``noise`` two standard normals for the angles)."""

    ta: FloatArray
    te: FloatArray
    p_e: FloatArray
    r: FloatArray
    az: FloatArray
    el: FloatArray
    u_pd: FloatArray
    noise: FloatArray


def heard_geometry(
    site: _Site, node_id: str, tr: Trajectory, start: float, end: float, period: float,
    rmax: float, c: float, seed: int,
) -> Heard | None:
    """:class:`Heard` for one node and target (None when it can never be in reach);
    the draws come from the (seed, node, target) stream, so they do not depend on the
    other targets."""
    ta = arrival_candidates(site, tr, start, end, period, rmax, c)
    if len(ta) == 0:
        return None
    rng = rng_for(seed, node_id, tr.target_id)
    n = len(ta)
    u_pd, noise = rng.random(n), rng.standard_normal((n, 2))
    te = emission_times(tr, site.ecef, ta, c)
    p_e = tr.ecef(te)
    r, az, el = site.look(p_e)
    return Heard(ta, te, p_e, r, az, el, u_pd, noise)


def simulate_acoustic(
    spec: AcousticNodeSpec, trajectories: Sequence[Trajectory], start: float, end: float,
    seed: int,
) -> list[Detection]:
    """Reports of one acoustic node by its ``model`` (``fast``, ``full`` or ``simple``;
    see :mod:`dronewall.sim.acoustic_nodes` for the first two)."""
    mode = spec.resolved_model
    if mode != "simple":
        from dronewall.sim import acoustic_nodes

        run = acoustic_nodes.simulate_fast if mode == "fast" else acoustic_nodes.simulate_full
        return run(spec, trajectories, start, end, seed)
    return simulate_acoustic_simple(spec, trajectories, start, end, seed)


def simulate_acoustic_simple(
    spec: AcousticNodeSpec, trajectories: Sequence[Trajectory], start: float, end: float,
    seed: int,
) -> list[Detection]:
    """The stand-in (``model: simple``): bearing reports at sound arrival times every
    ``period_s``; with a TDOA partner also ``Tdoa`` reports ``(r - r₂)/c + N(0, σ_tdoa)``
    at the same arrival times for the sources both nodes hear (each detecting with its
    ``pd``)."""
    site = _Site(spec.position)
    c = speed_of_sound(spec.temperature_c)
    rmax = spec.range_km * 1e3
    period = spec.period_s
    sig = spec.sigma_az
    threshold, pd, ambient = spec.threshold, spec.p_detect, spec.ambient_level_db
    cols: list[tuple[FloatArray, ...]] = []
    tcols: list[tuple[FloatArray, ...]] = []
    families: list[str] = []
    tp = spec.tdoa_partner
    partner = None if tp is None else _Site(tp.position)
    for tr in trajectories:
        h = heard_geometry(site, spec.id, tr, start, end, period, rmax, c, seed)
        if h is None:
            continue
        ta, te, p_e, r, az, el, u_pd, noise = h
        n = len(ta)
        snr = received_level_db(tr.source_level_db, r) - ambient
        seen = (
            (te >= tr.t0) & (te <= tr.t1) & (r <= rmax)
            & (snr >= threshold) & (u_pd < pd)
        )
        cols.append((
            ta[seen], ((az + sig * noise[:, 0]) % 360.0)[seen],
            np.clip(el + sig * noise[:, 1], -90.0, 90.0)[seen], snr[seen],
            np.full(int(seen.sum()), float(len(families))),
        ))
        if partner is not None:
            # the partner hears the same emission when its own level is enough; its
            # own draws come from their own stream (the bearings' noise is unchanged)
            prng = rng_for(seed, spec.id, tr.target_id, "tdoa")
            u2, tn = prng.random(n), prng.standard_normal(n)
            r2 = np.linalg.norm(p_e - partner.ecef, axis=-1)
            snr2 = received_level_db(tr.source_level_db, r2) - ambient
            both = (
                (te >= tr.t0) & (te <= tr.t1) & (r <= rmax) & (r2 <= rmax)
                & (snr >= threshold) & (snr2 >= threshold)
                & (u2 < pd * pd)
            )
            tcols.append((ta[both], ((r - r2) / c + spec.sigma_tdoa_s * tn)[both]))
        families.append(tr.family)
    out: list[Detection] = []
    if cols:
        t, az, el, snr, fam = (np.concatenate(x) for x in zip(*cols, strict=True))
        order, ids = _ordered_ids(spec.id, t)
        var = sig**2
        for ident, ti, a_, e_, s_, f in zip(
            ids, t[order].tolist(), az[order].tolist(), el[order].tolist(),
            np.round(snr[order], 2).tolist(), fam[order].astype(int).tolist(), strict=True,
        ):
            out.append(Detection(
                id=ident, sensor_id=spec.id, time=ti,
                measurement=BearingOnly(azimuth=a_, elevation=e_, origin=site.point),
                covariance=[[var, 0.0], [0.0, var]], snr_db=s_,
                class_probs=class_probs(families[f], s_, threshold),
            ))
    if partner is not None and tcols:
        out += tdoa_detections(spec, site, partner, tcols)
        out.sort(key=lambda d: d.time)
    return out


def tdoa_detections(
    spec: AcousticNodeSpec, site: _Site, partner: _Site,
    tcols: Sequence[tuple[FloatArray, ...]],
) -> list[Detection]:
    """``Tdoa`` messages of a node and its partner from (arrival times, TDOAs) columns,
    in time order, ids ``NODE~PARTNER:k``."""
    assert spec.tdoa_partner is not None
    pid = spec.tdoa_partner.id
    t, tau = (np.concatenate(x) for x in zip(*tcols, strict=True))
    order = np.argsort(t, kind="stable")
    vt = spec.sigma_tdoa_s**2
    return [
        Detection(
            id=f"{spec.id}~{pid}:{k}", sensor_id=spec.id, time=ti,
            measurement=Tdoa(tdoa=ta_, origin=site.point, origin2=partner.point,
                             sensor2_id=pid),
            covariance=[[vt]],
        )
        for k, (ti, ta_) in enumerate(zip(t[order].tolist(), tau[order].tolist(), strict=True))
    ]


# --------------------------------------------------------------------------- registry


def sensor_message(spec: SensorSpec, start: float) -> Sensor:
    """The registration message of a sensor: what a deployment knows about it."""
    pos = GeoPoint(lat=spec.position.lat, lon=spec.position.lon, alt=spec.position.alt)
    if isinstance(spec, RadarSpec):
        return Sensor(
            id=spec.id, kind="radar", position=pos, name=spec.name,
            max_range_m=spec.max_range_km * 1e3, period_s=spec.period_s,
            details={
                "scan_start": start, "dimensions": 3 if spec.sigma_elevation_deg else 2,
                "sigma_range_m": spec.sigma_range_m,
                "sigma_azimuth_deg": spec.sigma_azimuth_deg,
                "sigma_elevation_deg": spec.sigma_elevation_deg,
                "pd": spec.pd, "reference_rcs_m2": spec.reference_rcs_m2, "pfa": PFA,
                "false_alarms_per_scan": spec.false_alarms_per_scan,
                "min_elevation_deg": spec.min_elevation_deg,
            },
        )
    if isinstance(spec, AdsbReceiverSpec):
        return Sensor(
            id=spec.id, kind="adsb", position=pos, name=spec.name,
            max_range_m=spec.max_range_km * 1e3, period_s=spec.period_s,
            details={"sigma_m": spec.sigma_m, "sigma_up_m": 1.5 * spec.sigma_m, "pd": spec.pd},
        )
    if spec.resolved_model != "simple":
        from dronewall.sim.acoustic_nodes import sensor_details

        max_range_m, details = sensor_details(spec)
        return Sensor(id=spec.id, kind="acoustic", position=pos, name=spec.name,
                      max_range_m=max_range_m, period_s=spec.period_s, details=details)
    return Sensor(
        id=spec.id, kind="acoustic", position=pos, name=spec.name,
        max_range_m=spec.range_km * 1e3, period_s=spec.period_s,
        details={
            "model": "simple",
            "sigma_azimuth_deg": spec.sigma_az,
            "sigma_elevation_deg": spec.sigma_az,
            "ambient_db": spec.ambient_level_db, "threshold_db": spec.threshold,
            "pd": spec.p_detect,
            "temperature_c": spec.temperature_c,
            "speed_of_sound_mps": speed_of_sound(spec.temperature_c),
            **({} if spec.tdoa_partner is None else {
                "tdoa_partner": spec.tdoa_partner.id, "sigma_tdoa_s": spec.sigma_tdoa_s}),
        },
    )


def simulate_sensor(
    spec: SensorSpec, trajectories: Sequence[Trajectory], start: float, end: float, seed: int
) -> list[Detection]:
    """Detections of any kind of sensor, sorted by time."""
    if isinstance(spec, RadarSpec):
        return simulate_radar(spec, trajectories, start, end, seed)
    if isinstance(spec, AdsbReceiverSpec):
        return simulate_adsb(spec, trajectories, start, end, seed)
    return simulate_acoustic(spec, trajectories, start, end, seed)
