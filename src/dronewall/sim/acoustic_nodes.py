"""Acoustic nodes in the simulator: the calibrated fast model and full physics.

Both use the node software's own physics and calibration (:mod:`dronewall.acoustic`);
the simulator only supplies the geometry (emission-time positions of each source, the
sound's retardation) and the random draws. ``docs/acoustic-scenarios.md`` gives the
user's view.

**Fast** (``model: fast``), per node, target and report instant ``t_a`` (every
``period_s``): the emission time ``t_e`` with ``t_a - t_e = r(t_e)/c``
(:func:`dronewall.sim.sensors.emission_times`), the slant range ``r`` then, the
predicted detection SNR of the target's signature at ``r`` in the node's environment
(:meth:`FastAcousticModel.snr_db`: harmonic comb, or the best third-octave band for
broadband sources, over ambient + wind + self-noise, ISO 9613-1 absorption) and
``Pd = FastAcousticModel.pd_of(snr, class, ambient)``, the class's Pd(SNR) curve fitted to
the full-physics runs (``acoustic/data/calibration.json``), less its no-signal floor
(:func:`target_pd`: firings without the source are the false alarms below).
A detection reports the emission-time azimuth plus
``N(0, sigma(snr))``, ``sigma = sqrt(floor^2 + k^2 / snr_lin)`` (the class's calibrated
fit). The node's planar array measures no elevation, so none is reported unless the
scenario sets ``elevation_sigma_deg`` (an uncalibrated assumption, e.g. for a node with
vertical aperture). False alarms: ``Binomial(n_decisions, pfa)`` per node (the
detector's design Pfa, 1.2e-5 per 1-s decision: about one per node per day), at
uniform random azimuths. ``class_probs``: the node classifier's mean output measured on
synthetic audio of that class at that SNR (:mod:`dronewall.sim.acoustic_classes`). With
a TDOA partner: a ``Tdoa`` report when both nodes detect (each with its own fast Pd),
``(r - r2)/c + N(0, sigma_tdoa_s)`` -- not part of the calibration (the array pipeline
computes no TDOA); kept so that node lines work as before.

**Full** (``model: full``): the node's microphone signals are synthesised
(:func:`dronewall.acoustic.synthesis.synthesize`: every source within hearing range,
moving, retarded per sample, Doppler, absorption, ambient + wind + self-noise) in chunks
of 1-s frames centred on the report instants, and run through
:class:`dronewall.acoustic.node.NodePipeline`; each bearing of each detected frame
becomes a ``BearingOnly`` detection (azimuth, the pipeline's sigma, its SNR and class
probabilities). Frames in which no source is within hearing range are not synthesised:
the pipeline's false alarms there are drawn as in fast mode. No TDOA.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from dronewall.acoustic.arrays import ArrayGeometry
from dronewall.acoustic.detector import DEFAULT_PFA
from dronewall.acoustic.fastmode import CALIBRATION_PATH, FastAcousticModel, doppler_factor
from dronewall.acoustic.noise import AMBIENT_PRESETS
from dronewall.acoustic.propagation import Environment
from dronewall.acoustic.signatures import Signature
from dronewall.geo.frames import FloatArray
from dronewall.model import BearingOnly, Detection
from dronewall.sim.catalog import target_type
from dronewall.sim.kinematics import Trajectory
from dronewall.sim.scenario import (
    FAST_FIELDS,
    STAND_IN_FIELDS,
    AcousticNodeSpec,
    AcousticParams,
)
from dronewall.sim.sensors import (
    _ordered_ids,
    _Site,
    arrival_candidates,
    class_probs,
    heard_geometry,
    rng_for,
    tdoa_detections,
)

FS = 16000  # the node's sample rate
CHUNK_FRAMES = 20  # full mode: frames synthesised at once
HEARING_PD = 1e-6  # a source is "within hearing range" where its Pd (less pfa) exceeds this
REFERENCE_TYPE = "shahed"  # the class whose Pd = 0.5 range is the node's registered range

SIGNATURE_VARIANT: dict[str, str] = {"cruise-missile": "cruise_missile"}
"""Catalogue types whose sound is not their acoustic label's default signature."""


def signature_for(type_name: str, family: str, source_level_db: float) -> Signature:
    """The acoustic signature of a target: its catalogue family's signature (or the
    type's own variant), at the target's source level. Raises ``ValueError`` (naming the
    family) when the family has no signature."""
    key = target_type(type_name).name if type_name else ""
    return Signature.for_label(family, SIGNATURE_VARIANT.get(key),
                               source_level_db=source_level_db)


def _signature(tr: Trajectory) -> Signature:
    return signature_for(tr.target_type, tr.family, tr.source_level_db)


def environment(spec: AcousticParams) -> Environment:
    """The node's environment: ambient preset, wind and air temperature."""
    return Environment(temperature_c=spec.temperature_c, ambient=spec.ambient_name,
                       wind_m_s=spec.wind)


def geometry(spec: AcousticParams) -> ArrayGeometry:
    """The node's microphone array (default: 4 mics on a 10 cm square, as calibrated)."""
    if spec.array is None:
        return ArrayGeometry.square(0.1)
    return ArrayGeometry.from_positions(spec.array)


def model() -> FastAcousticModel:
    """The shipped calibration (cached by the acoustic package)."""
    return FastAcousticModel.load()


def pfa(m: FastAcousticModel, env: Environment) -> float:
    """False-alarm probability per decision: the table's, else the detector's design."""
    return float(m.pfa.get(env.ambient, DEFAULT_PFA))


# --------------------------------------------------------------------------- checks


def param_problems(p: AcousticParams) -> list[tuple[str, str]]:
    """(field, message) for each acoustic parameter that cannot be used as given."""
    out: list[tuple[str, str]] = []
    mode = p.resolved_model
    if p.model in ("fast", "full"):
        out += [(f, f"applies only to model: simple (model: {mode} takes detection, "
                    "bearing error and range from the calibrated node); remove it or set "
                    "model: simple") for f in STAND_IN_FIELDS if getattr(p, f) is not None]
    if mode == "simple":
        why = "" if p.model else ", because " + ", ".join(
            f for f in STAND_IN_FIELDS if getattr(p, f) is not None) + " is set"
        out += [(f, f"applies only to model: fast or full (this node runs model: simple"
                    f"{why})") for f in FAST_FIELDS if getattr(p, f) is not None]
        return out
    if p.ambient is not None and p.ambient not in AMBIENT_PRESETS:
        out.append(("ambient", f"unknown ambient {p.ambient!r}: one of "
                               f"{', '.join(AMBIENT_PRESETS)}"))
    if p.array is not None:
        try:
            arr = ArrayGeometry.from_positions(p.array)
        except ValueError as e:
            out.append(("array", str(e)))
        else:
            if arr.n_channels < 2 or arr.aperture_m <= 0.0:
                out.append(("array", "needs at least two microphones apart (a bearing)"))
            elif mode == "fast" and not _is_calibrated_array(arr):
                out.append(("array", "the fast model is calibrated for the 4-mic 10 cm "
                                     "square array only; another array needs model: full"))
    if mode == "full":
        if p.period_s != 1.0:
            out.append(("period_s", "model: full reports the node pipeline's 1-s frames: "
                                    "period_s must be 1"))
        if p.elevation_sigma_deg is not None:
            out.append(("elevation_sigma_deg", "the node pipeline measures azimuth only; "
                                               "not available with model: full"))
    return out


def _is_calibrated_array(arr: ArrayGeometry) -> bool:
    cal = model().meta.get("array")
    ref = ArrayGeometry.from_mapping(cal) if cal else ArrayGeometry.square(0.1)
    return ref.positions.shape == arr.positions.shape and bool(
        np.allclose(np.sort(ref.positions, axis=0), np.sort(arr.positions, axis=0),
                    atol=1e-4))


# --------------------------------------------------------------------------- shared


NO_SIGNAL_SNR_DB = -200.0


def target_pd(m: FastAcousticModel, snr_db: FloatArray, label: str, env: Environment,
              ) -> FloatArray:
    """The calibrated Pd less its no-signal floor (``pd_of`` at -200 dB: the curve holds
    its lowest knot, i.e. the detector firing without the source), rescaled: the
    probability that the *source* is detected. The node's firings without a source are
    drawn separately, as false alarms at random azimuths (:func:`_false_alarms`)."""
    floor = float(np.asarray(m.pd_of(NO_SIGNAL_SNR_DB, label, env.ambient)))
    p = np.asarray(m.pd_of(snr_db, label, env.ambient), dtype=float)
    return np.asarray(np.clip((p - floor) / max(1.0 - floor, 1e-9), 0.0, 1.0))


@lru_cache(maxsize=512)
def hearing_range_m(sig: Signature, env: Environment, pd_min: float = HEARING_PD) -> float:
    """Slant range (m) beyond which the fast model's Pd of ``sig`` (less the false-alarm
    floor) stays below ``pd_min``: the simulators' pre-filter."""
    m = model()
    r = np.geomspace(5.0, 300_000.0, 800)
    p = target_pd(m, m.snr_db(r, sig, env), sig.label, env)
    ok = np.flatnonzero(p >= pd_min)
    if ok.size == 0:
        return 0.0
    return float(r[min(int(ok[-1]) + 1, r.size - 1)])


def _false_alarms(
    spec: AcousticNodeSpec, site: _Site, slots: FloatArray, p: float, seed: int,
    sigma_deg: float,
) -> list[Detection]:
    """Noise-only decisions that fire: Binomial(len(slots), p) of the report instants
    ``slots``, uniform azimuth (and elevation 0-30 deg when elevations are reported)."""
    rng = rng_for(seed, spec.id, "false-alarms")
    k = int(rng.binomial(len(slots), p)) if len(slots) else 0
    if k == 0:
        return []
    t = np.sort(rng.choice(slots, size=k, replace=False))
    az = rng.uniform(0.0, 360.0, k)
    el = rng.uniform(0.0, 30.0, k)
    probs = _noise_class_probs()
    out = []
    for n, (ti, a, e) in enumerate(zip(t.tolist(), az.tolist(), el.tolist(), strict=True)):
        meas, cov = _bearing(site, a, e, sigma_deg, spec.elevation_sigma_deg)
        out.append(Detection(id=f"{spec.id}:fa{n}", sensor_id=spec.id, time=ti,
                             measurement=meas, covariance=cov, class_probs=probs))
    return out


def _bearing(site: _Site, az: float, el: float, sigma: float, sigma_el: float | None,
             ) -> tuple[BearingOnly, list[list[float]]]:
    if sigma_el is None:
        return BearingOnly(azimuth=az, origin=site.point), [[sigma * sigma]]
    return (BearingOnly(azimuth=az, elevation=el, origin=site.point),
            [[sigma * sigma, 0.0], [0.0, sigma_el * sigma_el]])


def _noise_class_probs() -> dict[str, float] | None:
    from dronewall.sim.acoustic_classes import noise_class_probs

    return noise_class_probs()


def _class_probs(label: str, snr_db: float, s50: float) -> dict[str, float]:
    from dronewall.sim.acoustic_classes import calibrated_class_probs

    probs = calibrated_class_probs(label, snr_db)
    return probs if probs is not None else class_probs(label, snr_db, s50)


def _decision_slots(start: float, end: float, period: float) -> FloatArray:
    n = math.ceil((end - start) / period - 1e-9)
    t = start + np.arange(max(n, 0)) * period
    return np.asarray(t[t < end], dtype=float)


# --------------------------------------------------------------------------- fast


def doppler_at(node_ecef: FloatArray, p_e: FloatArray, v_e: FloatArray, env: Environment,
               ) -> FloatArray:
    """Doppler factor of sound emitted at ``p_e`` with velocity ``v_e`` (ECEF) heard at a
    node: the fast model's SNR is evaluated where the sound is heard."""
    d = p_e - node_ecef
    rate = np.sum(d * v_e, axis=-1) / np.maximum(np.linalg.norm(d, axis=-1), 1.0)
    return doppler_factor(rate, env)


def simulate_fast(
    spec: AcousticNodeSpec, trajectories: Sequence[Trajectory], start: float, end: float,
    seed: int,
) -> list[Detection]:
    """Reports of one node under the calibrated fast model (module doc)."""
    m = model()
    env = environment(spec)
    site = _Site(spec.position)
    c = env.speed_of_sound
    period = spec.period_s
    p_fa = pfa(m, env)
    sig_el = spec.elevation_sigma_deg
    tp = spec.tdoa_partner
    partner = None if tp is None else _Site(tp.position)
    cols: list[tuple[FloatArray, ...]] = []
    tcols: list[tuple[FloatArray, FloatArray]] = []
    labels: list[tuple[str, float]] = []
    for tr in trajectories:
        sig = _signature(tr)
        rmax = hearing_range_m(sig, env)
        if rmax <= 0.0:
            continue
        h = heard_geometry(site, spec.id, tr, start, end, period, rmax, c, seed)
        if h is None:
            continue
        ta, te, p_e, r, az, el, u_pd, noise = h
        n = len(ta)
        fit = m.fit_for(sig.label, env.ambient)
        v_e = tr.ecef_velocity(te)
        snr = m.snr_db(r, sig, env, doppler=doppler_at(site.ecef, p_e, v_e, env))
        pd = target_pd(m, snr, sig.label, env)
        sigma = m.sigma_deg(snr, sig.label)
        on_route = (te >= tr.t0) & (te <= tr.t1)
        seen = on_route & (u_pd < pd)
        el_obs = np.clip(el + (sig_el or 0.0) * noise[:, 1], -90.0, 90.0)
        cols.append((ta[seen], ((az + sigma * noise[:, 0]) % 360.0)[seen], el_obs[seen],
                     snr[seen], sigma[seen], np.full(int(seen.sum()), float(len(labels)))))
        labels.append((sig.label, fit.s50))
        if partner is not None:
            prng = rng_for(seed, spec.id, tr.target_id, "tdoa")
            u2, tn = prng.random(n), prng.standard_normal(n)
            r2 = np.linalg.norm(p_e - partner.ecef, axis=-1)
            snr2 = m.snr_db(r2, sig, env, doppler=doppler_at(partner.ecef, p_e, v_e, env))
            pd2 = target_pd(m, snr2, sig.label, env)
            both = seen & (u2 < pd2)
            tcols.append((ta[both], ((r - r2) / c + spec.sigma_tdoa_s * tn)[both]))
    out: list[Detection] = []
    if cols:
        t, a_, e_, s_, g_, w_ = (np.concatenate(x) for x in zip(*cols, strict=True))
        order, ids = _ordered_ids(spec.id, t)
        for ident, ti, az_i, el_i, snr_i, sg, who in zip(
            ids, t[order].tolist(), a_[order].tolist(), e_[order].tolist(),
            np.round(s_[order], 2).tolist(), g_[order].tolist(),
            w_[order].astype(int).tolist(), strict=True,
        ):
            label, s50 = labels[who]
            meas, cov = _bearing(site, az_i, el_i, sg, sig_el)
            out.append(Detection(
                id=ident, sensor_id=spec.id, time=ti, measurement=meas, covariance=cov,
                snr_db=snr_i, class_probs=_class_probs(label, snr_i, s50)))
    fa_sigma = float(m.sigma_deg(m.fit_for(REFERENCE_TYPE, env.ambient).s50, REFERENCE_TYPE))
    out += _false_alarms(spec, site, _decision_slots(start, end, period), p_fa, seed,
                         fa_sigma)
    if partner is not None and tcols:
        out += tdoa_detections(spec, site, partner, tcols)
    out.sort(key=lambda d: d.time)
    return out


# --------------------------------------------------------------------------- full


def _enu_path(site: _Site, tr: Trajectory, t_lo: float, t_hi: float) -> Any:
    """The target's path in the node's ENU frame over [t_lo, t_hi] (its own part of it),
    as a synthesis trajectory: points every 0.5 s (legs are straight to < 1 cm)."""
    from dronewall.acoustic.synthesis import Trajectory as AudioPath

    lo, hi = max(t_lo, tr.t0), min(t_hi, tr.t1)
    n = max(2, math.ceil((hi - lo) / 0.5) + 1)
    t = np.linspace(lo, hi, n) if hi > lo else np.array([lo, lo + 1e-3])
    return AudioPath(t, site.enu(tr.ecef(t)))


def _silent(sig: Signature) -> Signature:
    return sig.with_overrides(source_level_db=-300.0, local_wind_m_s=0.0)


def simulate_full(
    spec: AcousticNodeSpec, trajectories: Sequence[Trajectory], start: float, end: float,
    seed: int,
) -> list[Detection]:
    """Reports of one node from synthesised audio through its own pipeline (module doc).

    Frames are 1 s, centred on ``start + k`` (the fast model's report instants). Sources
    are summed at the microphones: each is synthesised with its own seed and the noise
    of all but the first is removed again (the synthesiser's noise depends only on the
    seed, so a silent copy of the source gives it exactly)."""
    from dronewall.acoustic.fullphysics import CAL_DB, prime_noise
    from dronewall.acoustic.node import NodePipeline
    from dronewall.acoustic.synthesis import synthesize, to_dbfs

    m = model()
    env = environment(spec)
    arr = geometry(spec)
    site = _Site(spec.position)
    c = env.speed_of_sound
    slots = _decision_slots(start, end, 1.0)
    sigs = {tr.target_id: _signature(tr) for tr in trajectories}
    reach = {k: 1.2 * hearing_range_m(s, env) for k, s in sigs.items()}
    # which frames may hear which source (pre-filter on the report instants)
    heard: dict[str, set[float]] = {}
    for tr in trajectories:
        if reach[tr.target_id] > 0.0:
            ta = arrival_candidates(site, tr, start, end, 1.0, reach[tr.target_id], c)
            heard[tr.target_id] = set(ta.tolist())
    active = np.array(sorted(set().union(*heard.values()))) if heard else np.zeros(0)
    pipe = NodePipeline(arr, FS, cal_db=CAL_DB)
    out: list[Detection] = []
    # contiguous runs of active frames, cut into chunks of CHUNK_FRAMES
    chunks: list[FloatArray] = []
    if active.size:
        breaks = np.flatnonzero(np.diff(active) > 1.5) + 1
        for run in np.split(active, breaks):
            chunks += [run[i:i + CHUNK_FRAMES] for i in range(0, len(run), CHUNK_FRAMES)]
    by_id = {tr.target_id: tr for tr in trajectories}
    last_b = -math.inf
    for ci, frames in enumerate(chunks):
        a, b = float(frames[0]) - 0.5, float(frames[-1]) + 0.5
        if abs(a - last_b) > 1e-6:  # a new run: a node on duty has heard its ambient before
            pipe.reset()
            pipe.prime(to_dbfs(prime_noise(env, int(rng_for(seed, spec.id, f"prime{ci}")
                                                    .integers(2**31)), FS)))
        last_b = b
        here = set(frames.tolist())
        srcs = [tid for tid, h in heard.items() if h & here]
        audio = None
        for k, tid in enumerate(srcs):
            tr, sig = by_id[tid], sigs[tid]
            path = _enu_path(site, tr, a - reach[tid] / c - 2.0, b)
            s_seed = int(rng_for(seed, spec.id, tid, f"audio{ci}").integers(2**62))
            x = synthesize(sig, path, arr, fs=FS, duration_s=b - a, t0=a, env=env,
                           seed=s_seed).astype(np.float64)
            if k > 0:  # keep one noise: remove this source's own (same seed, silent)
                x -= synthesize(_silent(sig), path, arr, fs=FS, duration_s=b - a, t0=a,
                                env=env, seed=s_seed)
            audio = x if audio is None else audio + x
        if audio is None:  # cannot happen: a chunk's frames hear some source
            continue
        for d in pipe.process(to_dbfs(audio), a):
            if not d.detected:
                continue
            k = round(d.time - start)
            probs = {key: math.floor(v * 1e6) / 1e6 for key, v in d.class_probs.items()}
            for i, bb in enumerate(d.bearings):
                az = bb.azimuth % 360.0
                out.append(Detection(
                    id=f"{spec.id}:{k}:{i}", sensor_id=spec.id, time=start + k,
                    measurement=BearingOnly(azimuth=az, origin=site.point),
                    covariance=[[bb.sigma * bb.sigma]], frame=k,
                    snr_db=round(float(d.snr_db), 2), class_probs=probs))
    quiet = np.setdiff1d(slots, active) if active.size else slots
    fa_sigma = float(m.sigma_deg(m.fit_for(REFERENCE_TYPE, env.ambient).s50, REFERENCE_TYPE))
    out += _false_alarms(spec, site, quiet, pfa(m, env), seed, fa_sigma)
    out.sort(key=lambda d: d.time)
    return out


# --------------------------------------------------------------------------- registry


@lru_cache(maxsize=64)
def _reference_range(env: Environment) -> float:
    ref = target_type(REFERENCE_TYPE)
    sig = signature_for(ref.name, ref.family, ref.source_level_db)
    return model().range_at_pd(sig, 0.5, env)


def sensor_details(spec: AcousticNodeSpec) -> tuple[float, dict[str, Any]]:
    """The registered range (m: where a Shahed-class source of the catalogue's level has
    Pd 0.5 under the fast model) and the details of a fast/full node."""
    m = model()
    env = environment(spec)
    ref = target_type(REFERENCE_TYPE)
    r50 = _reference_range(env)
    details: dict[str, Any] = {
        "model": spec.resolved_model, "ambient": env.ambient, "wind_m_s": env.wind_m_s,
        "temperature_c": spec.temperature_c, "speed_of_sound_mps": env.speed_of_sound,
        "pfa": pfa(m, env), "calibration": str(CALIBRATION_PATH.name),
        "calibrated": m.calibrated,
        "range_basis": f"Pd 0.5 for {ref.name} at {ref.source_level_db:g} dB",
        "mics": geometry(spec).positions.round(4).tolist(),
    }
    if spec.elevation_sigma_deg is not None:
        details["sigma_elevation_deg"] = spec.elevation_sigma_deg
    if spec.tdoa_partner is not None and spec.resolved_model == "fast":
        details |= {"tdoa_partner": spec.tdoa_partner.id, "sigma_tdoa_s": spec.sigma_tdoa_s}
    return r50, details
