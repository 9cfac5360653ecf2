"""Full physics: synthesised audio through the node pipeline, and the fast mode's calibration.

:func:`node_detections` renders a target's sound at one node with
:func:`dronewall.acoustic.synthesis.synthesize`, converts it to the ADC's full-scale units
(:data:`~dronewall.acoustic.synthesis.FULL_SCALE_DB_SPL`) and runs the node's own pipeline
(:class:`dronewall.acoustic.node.NodePipeline`: harmonic-sum detector, classifier, bearings)
on it: one decision per 1-s frame, exactly what a deployed node would output.

:func:`calibrate` sweeps range per (class, ambient) with static targets, measures the
detection rate and bearing errors of that chain, and fits the fast mode's curves
(:mod:`dronewall.acoustic.fastmode`): logistic Pd in the *predicted* SNR and
``sigma(SNR)``. :func:`validate` re-runs full physics with fresh seeds and compares it with
the fast mode, giving the max |Pd difference| over range.

Detection and bearings do not depend on the classifier. When no trained classifier model is
shipped yet, a placeholder model (every frame "background") is used so that the detector and
DOA still run; the calibration records which model and threshold it used.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dronewall.acoustic.arrays import ArrayGeometry
from dronewall.acoustic.fastmode import (
    CALIBRATION_PATH,
    FastAcousticModel,
    detection_snr_db,
    is_tonal,
    isotonic,
    logistic_pd,
)
from dronewall.acoustic.propagation import DEFAULT_ENV, Environment
from dronewall.acoustic.signatures import Signature
from dronewall.acoustic.synthesis import FULL_SCALE_DB_SPL, Trajectory, synthesize, to_dbfs

CAL_DB = FULL_SCALE_DB_SPL + 10.0 * math.log10(2.0)
"""dBFS (10 log10 of mean square, full scale 1.0) to dB SPL under our ADC calibration."""

CAL_CLASSES = ("shahed", "gerbera", "helicopter", "multicopter", "propeller_aircraft", "jet")
CAL_AMBIENTS = ("rural_night", "suburban", "urban")
ELEVATION_DEG = 8.0  # calibration targets sit 8 degrees above the horizon
N_DENSE = 10  # ranges across the measured transition, ``seconds`` frames each


def _pipeline(array: ArrayGeometry | None, fs: int, always_doa: bool = False) -> Any:
    from dronewall.acoustic import classifier
    from dronewall.acoustic.node import NodePipeline

    model: Any = None
    if not classifier.MODEL_PATH.exists():
        model = _placeholder_model()
    return NodePipeline(array, fs, model=model, cal_db=CAL_DB, always_doa=always_doa)


def _placeholder_model() -> Any:
    from dronewall.acoustic import features
    from dronewall.acoustic.classifier import Model

    n = len(features.FEATURE_NAMES)
    return Model(mean=np.zeros(n), scale=np.ones(n), weights=[np.zeros((n, 1))],
                 biases=[np.zeros(1)], classes=("background",),
                 meta={"placeholder": "no trained classifier shipped; detector-only"})


def model_name() -> str:
    """Which classifier the pipeline uses here (for the calibration record)."""
    from dronewall.acoustic import classifier

    return "shipped" if classifier.MODEL_PATH.exists() else "placeholder (detector only)"


def node_detections(
    signature: Signature,
    trajectory: Trajectory,
    array: ArrayGeometry,
    *,
    duration_s: float,
    t0: float = 0.0,
    env: Environment = DEFAULT_ENV,
    seed: int = 0,
    fs: int = 16000,
) -> list[Any]:
    """The node pipeline's decisions (``NodeDetection`` per 1-s frame) for this target."""
    audio = synthesize(signature, trajectory, array, fs=fs, duration_s=duration_s, t0=t0,
                       env=env, seed=seed)
    pipe = _pipeline(array if array.n_channels > 1 else None, fs)
    return list(pipe.process(to_dbfs(audio), t0))


def detector_probe() -> dict[str, Any]:
    """A fingerprint of the node detector's behaviour: its thresholds and both statistics
    on five fixed frames (a Shahed near the transition, rural night, fixed seed, the
    broadband floor primed as in the calibration runs). A table calibrated against a
    different detector is stale (see :func:`table_is_current`)."""
    p = run_point("shahed", 3900.0, DEFAULT_ENV, seconds=5, seed=4242)
    return {"threshold": p.threshold, "bb_threshold": p.bb_threshold,
            "statistics": [round(v, 3) for v in p.stats],
            "bb_statistics": [round(v, 3) for v in p.bb_stats]}


def table_is_current(table: dict[str, Any], tol: float = 0.01) -> bool:
    """Whether ``table`` was calibrated against the node detector as it is now."""
    probe = table.get("detector_probe")
    if not probe:
        return False
    now = detector_probe()
    if now["threshold"] != probe.get("threshold") or now["threshold"] != table.get("threshold"):
        return False
    if now["bb_threshold"] != probe.get("bb_threshold") \
            or now["bb_threshold"] != table.get("bb_threshold"):
        return False
    for key in ("statistics", "bb_statistics"):
        a, b = np.asarray(now[key]), np.asarray(probe.get(key, []))
        if a.shape != b.shape or not np.all(np.abs(a - b) <= tol * np.maximum(1.0, np.abs(b))):
            return False
    return True


Progress = Callable[[int, int], None]
"""``progress(done, total)``: called as each job of a long full-physics run finishes."""


def run_jobs(fn: Callable[[Any], Any], jobs: Sequence[Any], workers: int = 1,
             progress: Progress | None = None) -> list[Any]:
    """``[fn(job) for job in jobs]``, in ``workers`` processes when > 1 (each job is
    deterministic for its own seed, so the result does not depend on ``workers``),
    reporting progress in job order."""
    out: list[Any] = []

    def collect(results: Any) -> list[Any]:
        for r in results:
            out.append(r)
            if progress is not None:
                progress(len(out), len(jobs))
        return out

    if workers > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers) as pool:
            return collect(pool.map(fn, jobs))
    return collect(fn(j) for j in jobs)


def write_records(path: str | Path, obj: dict[str, Any] | list[Any]) -> None:
    """Write a calibration table or validation rows as JSON with one record (point, row)
    per line: compact (per-frame statistics make them large) and still line-diffable."""
    def one(v: Any) -> str:
        return json.dumps(v, separators=(",", ":"))

    def block(items: list[Any], pad: str) -> str:
        return "[\n" + ",\n".join(pad + " " + one(x) for x in items) + "\n" + pad + "]"

    if isinstance(obj, list):
        text = block(obj, "")
    else:
        text = "{\n" + ",\n".join(
            f" {json.dumps(k)}: " + (block(v, " ") if isinstance(v, list) and v
                                     and isinstance(v[0], dict) else one(v))
            for k, v in obj.items()) + "\n}"
    Path(path).write_text(text + "\n", encoding="utf-8")


@dataclass(frozen=True)
class PointResult:
    """Full-physics outcome at one (class, ambient, range): the detector statistic of every
    1-s frame and, for array runs, the bearing error of every frame (nan where none), so
    that Pd and bearing errors can be re-derived for another threshold without new audio."""

    label: str
    ambient: str
    range_m: float
    snr_db: float
    stats: tuple[float, ...]
    threshold: float
    errors_deg: tuple[float, ...] = ()
    bb_stats: tuple[float, ...] = ()
    """Broadband detector statistic of every frame (empty: not recorded)."""
    bb_threshold: float = math.inf

    @property
    def n(self) -> int:
        """Frames."""
        return len(self.stats)

    @property
    def detected(self) -> NDArray[np.bool_]:
        """Which frames the node fired on: harmonic statistic at ``threshold`` OR broadband
        statistic at ``bb_threshold``."""
        hit = np.asarray(self.stats) >= self.threshold
        if self.bb_stats:
            hit = hit | (np.asarray(self.bb_stats) >= self.bb_threshold)
        return hit

    @property
    def k(self) -> int:
        """Detected frames."""
        return int(np.sum(self.detected))

    @property
    def pd(self) -> float:
        """Measured detection rate."""
        return self.k / self.n if self.n else 0.0

    @property
    def bearing_errors_deg(self) -> tuple[float, ...]:
        """Bearing errors of the detected frames, degrees."""
        if not self.errors_deg:
            return ()
        err = np.asarray(self.errors_deg, dtype=float)
        keep = self.detected & np.isfinite(err)
        return tuple(float(e) for e in err[keep])

    def at_threshold(self, threshold: float, bb_threshold: float | None = None,
                     ) -> PointResult:
        """The same frames judged at other detector thresholds."""
        return dataclasses.replace(self, threshold=threshold, bb_threshold=(
            self.bb_threshold if bb_threshold is None else bb_threshold))

    def to_dict(self) -> dict[str, Any]:
        err = np.asarray(self.bearing_errors_deg)
        d: dict[str, Any] = {
            "label": self.label, "ambient": self.ambient, "range_m": round(self.range_m, 1),
            "snr_db": round(self.snr_db, 3), "n": self.n, "k": self.k,
            "pd": round(self.pd, 4), "threshold": self.threshold,
            "stats": [round(float(v), 3) for v in self.stats],
        }
        if self.bb_stats:
            d["bb_threshold"] = self.bb_threshold
            d["bb_stats"] = [round(float(v), 3) for v in self.bb_stats]
        if self.errors_deg:
            d["errors_deg"] = [None if not np.isfinite(e) else round(float(e), 3)
                               for e in self.errors_deg]
        if err.size:
            d["bearing_rms_deg"] = round(float(np.sqrt(np.mean(err**2))), 3)
            d["bearing_mad_sigma_deg"] = round(float(1.4826 * np.median(np.abs(err))), 3)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PointResult:
        """Inverse of :meth:`to_dict`."""
        errs = tuple(float("nan") if e is None else float(e) for e in d.get("errors_deg", ()))
        return cls(str(d["label"]), str(d["ambient"]), float(d["range_m"]),
                   float(d["snr_db"]), tuple(float(v) for v in d["stats"]),
                   float(d["threshold"]), errs,
                   tuple(float(v) for v in d.get("bb_stats", ())),
                   float(d.get("bb_threshold", math.inf)))


def run_point(
    label: str, range_m: float, env: Environment, *, seconds: int, seed: int,
    array: ArrayGeometry | None = None, fs: int = 16000, **overrides: Any,
) -> PointResult:
    """Full physics for a static target of ``label`` at slant ``range_m`` (8 degrees above
    the horizon, random azimuth): per-frame detector statistics, and with an array the
    bearing error of every frame."""
    sig = Signature.for_label(label, **overrides)
    rng = np.random.default_rng(seed)
    az = float(rng.uniform(0.0, 360.0))
    el = math.radians(ELEVATION_DEG)
    horiz = range_m * math.cos(el)
    pos = (horiz * math.sin(math.radians(az)), horiz * math.cos(math.radians(az)),
           range_m * math.sin(el))
    arr = array or ArrayGeometry.single()
    audio = synthesize(sig, Trajectory.static(pos), arr, fs=fs, duration_s=float(seconds),
                       env=env, seed=seed)
    pipe = _pipeline(arr if arr.n_channels > 1 else None, fs, always_doa=arr.n_channels > 1)
    pipe.prime(to_dbfs(prime_noise(env, seed, fs)))
    dets = pipe.process(to_dbfs(audio), 0.0)
    errors: tuple[float, ...] = ()
    if arr.n_channels > 1:
        errors = tuple(
            (d.bearings[0].azimuth - az + 180.0) % 360.0 - 180.0 if d.bearings else float("nan")
            for d in dets
        )
    snr = float(detection_snr_db(sig, range_m, env))
    return PointResult(label, env.ambient, range_m, snr,
                       tuple(float(d.statistic) for d in dets), float(pipe.threshold), errors,
                       tuple(float(d.bb_statistic) for d in dets), float(pipe.bb_threshold))


PRIME_S = 40
"""Noise-only seconds that teach the broadband detector's floor before a calibration run
(a node on duty has heard its ambient before the target comes)."""


def prime_noise(env: Environment, seed: int, fs: int = 16000) -> NDArray[np.float64]:
    """``PRIME_S`` seconds of the ambient + wind + self-noise at one microphone, Pa."""
    from dronewall.acoustic.noise import synthesize_noise

    rng = np.random.default_rng([seed, 77])
    return synthesize_noise(np.zeros((1, 3)), PRIME_S * fs, fs, env, rng)[0]


def run_point_chunked(label: str, range_m: float, env: Environment, *, seconds: int,
                      seed: int, chunk_s: int = 10, **overrides: Any) -> PointResult:
    """:func:`run_point` (one microphone) in ``chunk_s`` pieces with their own seeds (own
    azimuth, speed wander, harmonic phases and broadband-floor history), merged: frames
    closer to independent. The broadband detector's floor is learnt afresh for each piece,
    and its variance estimate (from ~30 frames) varies by ~10 % between pieces, which moves
    the Pd of a piece near the transition: many short pieces average that out."""
    parts = [run_point(label, range_m, env, seconds=min(chunk_s, seconds - s0),
                       seed=seed * 131 + i, **overrides)
             for i, s0 in enumerate(range(0, seconds, chunk_s))]
    return dataclasses.replace(parts[0], stats=tuple(v for p in parts for v in p.stats),
                               bb_stats=tuple(v for p in parts for v in p.bb_stats))


def range_for_snr(label: str, env: Environment, snr_db: Sequence[float] | np.ndarray,
                  **overrides: Any) -> np.ndarray:
    """Slant ranges (m) where the predicted SNR is ``snr_db`` (nan where never reached)."""
    sig = Signature.for_label(label, **overrides)
    grid = np.geomspace(5.0, 80_000.0, 800)
    snr = detection_snr_db(sig, grid, env)
    # SNR falls with range (up to saturation near the source): use the running minimum.
    mono = np.minimum.accumulate(snr)
    target = np.asarray(snr_db, dtype=float)
    out = np.interp(-target, -mono, np.log(grid), left=np.nan, right=np.nan)
    return np.asarray(np.exp(out))


def ranges_for(label: str, env: Environment, snr_hi: float = 24.0, snr_lo: float = -2.0,
               n: int = 7) -> np.ndarray:
    """``n`` ranges spanning predicted SNR ``snr_hi`` .. ``snr_lo`` (where reachable)."""
    r = range_for_snr(label, env, np.linspace(snr_hi, snr_lo, n))
    return np.asarray(r[np.isfinite(r)])




def _fit_logistic(snr: np.ndarray, k: np.ndarray, n: np.ndarray) -> dict[str, float]:
    """Maximum-likelihood logistic Pd(snr) through binomial counts."""
    from scipy.optimize import minimize

    def nll(theta: np.ndarray) -> float:
        p = np.clip(logistic_pd(snr, theta[0], math.exp(theta[1])), 1e-9, 1 - 1e-9)
        return float(-np.sum(k * np.log(p) + (n - k) * np.log(1 - p)))

    pd = k / np.maximum(n, 1)
    s50_0 = float(np.interp(0.5, pd[np.argsort(pd)], snr[np.argsort(pd)])) if pd.size else 10.0
    best = minimize(nll, np.array([s50_0, 0.0]), method="Nelder-Mead",
                    options={"xatol": 1e-4, "fatol": 1e-6, "maxiter": 2000})
    s50, logw = best.x
    return {"s50": round(float(np.clip(s50, -30.0, 80.0)), 4),
            "width": round(float(np.clip(math.exp(logw), 0.05, 20.0)), 4)}


def _fit_bearing(snr: np.ndarray, sigma: np.ndarray, weight: np.ndarray) -> dict[str, float]:
    """Least-squares ``sigma^2 = floor^2 + k^2 / snr_lin`` (non-negative)."""
    from scipy.optimize import nnls

    inv = 10.0 ** (-snr / 10.0)
    w = np.sqrt(weight)
    sol, _ = nnls(np.stack([np.ones_like(inv), inv], axis=1) * w[:, None], sigma**2 * w)
    return {"floor_deg": round(float(math.sqrt(sol[0])), 4),
            "k_deg": round(float(math.sqrt(sol[1])), 4)}


def bearing_curve(snr: np.ndarray, sigma: np.ndarray, weight: np.ndarray,
                  ) -> dict[str, list[float]]:
    """Bearing sigma against predicted SNR as a non-increasing table (weighted
    pool-adjacent-violators on the robust sigma of each array run). The closed form
    ``floor^2 + k^2 / snr`` cannot follow the jump near the threshold, where most detections
    are broadband-only and get the coarser SRP-PHAT bearing instead of NormMUSIC on the
    harmonics (Shahed, rural night: 2.4 degrees at 9.5 dB, 9 degrees at 8.3 dB)."""
    cv = isotonic(-np.asarray(snr, dtype=float), np.asarray(sigma) * weight, weight)
    return {"snr_db": [round(-x, 4) for x in reversed(cv.snr_db)],
            "sigma_deg": [round(v, 4) for v in reversed(cv.pd)]}


def _s50_estimate(points: Sequence[PointResult]) -> float | None:
    """Predicted SNR where the measured Pd crosses 0.5 (None if it never does)."""
    pts = sorted(points, key=lambda p: p.snr_db)
    pd = np.array([p.pd for p in pts])
    snr = np.array([p.snr_db for p in pts])
    if pd.size == 0 or pd.max() < 0.5 or pd.min() >= 0.5:
        return None
    i = int(np.flatnonzero(pd >= 0.5)[0])
    if i == 0:
        return float(snr[0])
    return float(np.interp(0.5, [pd[i - 1], pd[i]], [snr[i - 1], snr[i]]))


def coarse_ranges(label: str, env: Environment, n: int = 14, snr_lo: float | None = None,
                  **overrides: Any) -> np.ndarray:
    """``n`` ranges, geometric, from where the predicted SNR is highest (at most 40 dB; a
    helicopter's saturates near 35 dB, its own broadband sound limiting it) down to
    ``snr_lo`` (default -3 dB for tonal sources, -15 dB for broadband ones, whose band SNR
    proxy is detected lower): they bracket the detection transition of every class."""
    sig = Signature.for_label(label, **overrides)
    if snr_lo is None:
        snr_lo = -3.0 if is_tonal(sig) else -15.0
    top = float(detection_snr_db(sig, 5.0, env))
    hi = min(40.0, top - 0.5)
    r = range_for_snr(label, env, [hi, snr_lo], **overrides)
    r_hi = float(r[0]) if np.isfinite(r[0]) else 5.0
    r_lo = float(r[1]) if np.isfinite(r[1]) else 60_000.0
    return np.geomspace(max(r_hi, 3.0), max(r_lo, 2.0 * r_hi), n)


def transition_bracket(points: Sequence[PointResult]) -> tuple[float, float] | None:
    """Ranges around the measured transition: the last range before the first one with
    Pd < 1 and the first range after the last one with Pd > 0 (None: never detected)."""
    pts = sorted(points, key=lambda p: p.range_m)
    pd = np.array([p.pd for p in pts])
    r = np.array([p.range_m for p in pts])
    if pd.size == 0 or pd.max() <= 0.0:
        return None
    below = np.flatnonzero(pd < 1.0)
    i0 = max(int(below[0]) - 1, 0) if below.size else len(pts) - 1
    i1 = min(int(np.flatnonzero(pd > 0.0)[-1]) + 1, len(pts) - 1)
    lo, hi = float(r[i0]), float(r[i1])
    return (lo, hi) if hi > lo else (lo / 1.5, lo * 1.5)


def _calibrate_combo(
    job: tuple[str, str, int, int, float, ArrayGeometry],
) -> tuple[list[PointResult], list[PointResult]]:
    """Coarse sweep, dense sweep across the measured transition and bearing runs of one
    (class, ambient); deterministic for its seed (so it can run in a worker process)."""
    label, amb, seconds, seed, wind_m_s, arr = job
    env = Environment(ambient=amb, wind_m_s=wind_m_s)
    counter = [0]

    def run(r: float, secs: int, geometry: ArrayGeometry | None = None) -> PointResult:
        counter[0] += 1
        return run_point(label, r, env, seconds=secs, seed=seed * 10_007 + counter[0],
                         array=geometry)

    points = [run(float(r), 10) for r in coarse_ranges(label, env)]
    bearing: list[PointResult] = []
    bracket = transition_bracket(points)
    if bracket is not None:
        dense = np.geomspace(bracket[0], bracket[1], N_DENSE)
        points.extend(
            run_point_chunked(label, float(r), env, seconds=seconds, seed=seed * 10_009 + i)
            for i, r in enumerate(dense))
        r50 = _r50_estimate(points) or bracket[0]
        for f in BEARING_FRACTIONS:
            bearing.append(run(r50 * f, BEARING_FRAMES, arr))
    return points, bearing


BEARING_FRACTIONS = (0.25, 0.5, 0.8, 0.9, 0.95, 1.0)
"""Ranges of the array (bearing) runs, as fractions of the measured Pd = 0.5 range: near,
where the harmonic series give NormMUSIC bearings, and across the transition, where most
detections are broadband-only and get the coarser SRP-PHAT bearing."""
BEARING_FRAMES = 40


def _r50_estimate(points: Sequence[PointResult]) -> float | None:
    """Largest range at which the measured Pd (isotonic in range) is still >= 0.5."""
    pts = sorted(points, key=lambda p: p.range_m)
    cv = isotonic([-p.range_m for p in pts], [p.k for p in pts], [p.n for p in pts])
    x, pd = -np.asarray(cv.snr_db), np.asarray(cv.pd)
    ok = np.flatnonzero(pd >= 0.5)
    return float(x[ok[0]]) if ok.size else None


def calibrate(
    *,
    classes: Sequence[str] = CAL_CLASSES,
    ambients: Sequence[str] = CAL_AMBIENTS,
    seconds: int = 120,
    seed: int = 1,
    wind_m_s: float = 2.0,
    array: ArrayGeometry | None = None,
    out: Path | None = CALIBRATION_PATH,
    progress: Progress | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """Run the full-physics sweep, fit the fast-mode curves, write calibration.json.

    Per (class, ambient): a coarse sweep (14 ranges from the highest predicted SNR down to
    -3 dB, 10 s each) finds the detection transition; ``N_DENSE`` ranges across it (from the
    last range with Pd = 1 to the first with Pd = 0) get ``seconds`` frames each, in 10-s
    pieces with their own seeds (one microphone: detection runs on the reference channel
    either way); the array runs at :data:`BEARING_FRACTIONS` of the measured Pd = 0.5 range
    (40 frames each) for bearing errors. ``progress(done, total)`` after each combination.
    """
    arr = array or ArrayGeometry.square(0.1)
    combos = [(label, amb) for label in classes for amb in ambients]
    jobs = [(label, amb, seconds, seed * 1009 + i, wind_m_s, arr)
            for i, (label, amb) in enumerate(combos)]
    results = run_jobs(_calibrate_combo, jobs, workers, progress)
    points = [p for res, _ in results for p in res]
    bearing_pts = [p for _, res in results for p in res]
    meta = {"array": arr.to_mapping(), "seconds_per_point": seconds, "wind_m_s": wind_m_s,
            "elevation_deg": ELEVATION_DEG, "seed": seed}
    table = build_table(points, bearing_pts, meta)
    if out is not None:
        write_records(out, table)
    return table


def build_table(points: Sequence[PointResult], bearing_pts: Sequence[PointResult],
                meta: dict[str, Any], threshold: float | None = None,
                bb_threshold: float | None = None) -> dict[str, Any]:
    """Fit the fast-mode curves to full-physics points judged at ``threshold`` and
    ``bb_threshold`` (default: the node pipeline's current thresholds) and assemble the
    calibration table."""
    from dronewall.acoustic.detector import DEFAULT_PFA

    pipe = _pipeline(None, 16000)
    thr = float(pipe.threshold if threshold is None else threshold)
    bb_thr = float(pipe.bb_threshold if bb_threshold is None else bb_threshold)
    points = [p.at_threshold(thr, bb_thr) for p in points]
    bearing_pts = [p.at_threshold(thr, bb_thr) for p in bearing_pts]
    classes = list(dict.fromkeys(p.label for p in points))
    ambients = list(dict.fromkeys(p.ambient for p in points))
    table: dict[str, Any] = {
        "version": 1,
        "method": ("full physics: dronewall.acoustic.synthesis audio through "
                   "dronewall.acoustic.node.NodePipeline; isotonic Pd table in predicted SNR "
                   "per class and ambient"),
        "classifier": model_name(),
        "threshold": thr,
        "bb_threshold": bb_thr,
        "snr_proxy": {"tonal": "comb_snr_db", "broadband": "band_snr_db"},
        "detector_probe": detector_probe(),
        **meta,
        "pfa": dict.fromkeys(ambients, DEFAULT_PFA),
        "classes": {},
        "points": [p.to_dict() for p in points],
        "bearing_points": [p.to_dict() for p in bearing_pts],
    }
    wind = float(meta.get("wind_m_s", 2.0))
    for label in classes:
        proxy = dominant_proxy([p for p in points if p.label == label])
        points = [with_proxy(p, proxy, wind) if p.label == label else p for p in points]
        bearing_pts = [with_proxy(p, proxy, wind) if p.label == label else p
                       for p in bearing_pts]
    table["points"] = [p.to_dict() for p in points]
    table["bearing_points"] = [p.to_dict() for p in bearing_pts]
    for label in classes:
        sel = [p for p in points if p.label == label]
        c: dict[str, Any] = {"pooled": _fit(sel), "by_ambient": {},
                             "detected_anywhere": any(p.k for p in sel),
                             "proxy": dominant_proxy(sel)}
        c["curves"] = {}
        for amb in ambients:
            here = dense_first([p for p in sel if p.ambient == amb])
            c["by_ambient"][amb] = _fit(here)
            c["curves"][amb] = pd_curve(here, c["by_ambient"][amb])
        b = [p for p in bearing_pts if p.label == label and len(p.bearing_errors_deg) >= 5]
        if b:
            snr = np.array([p.snr_db for p in b])
            sig = np.array([1.4826 * np.median(np.abs(p.bearing_errors_deg)) for p in b])
            weight = np.array([len(p.bearing_errors_deg) for p in b], dtype=float)
            c["bearing"] = _fit_bearing(snr, sig, weight)
            c["bearing_curve"] = bearing_curve(snr, sig, weight)
        table["classes"][label] = c
    return table


def _bearing_job(job: tuple[str, float, str, float, int, int, ArrayGeometry]) -> PointResult:
    label, r, amb, wind, n, seed, arr = job
    return run_point(label, r, Environment(ambient=amb, wind_m_s=wind), seconds=n, seed=seed,
                     array=arr)


def refit(path: str | Path = CALIBRATION_PATH, threshold: float | None = None,
          out: str | Path | None = None, *, rerun_bearings: bool = False,
          workers: int = 1, bb_threshold: float | None = None,
          progress: Progress | None = None) -> dict[str, Any]:
    """Re-judge a table's recorded frames at the node's current (or a given) threshold and
    refit, without synthesising anything: for when only the threshold changed. With
    ``rerun_bearings`` the array runs are synthesised again (at :data:`BEARING_FRACTIONS`
    of each class and ambient's measured Pd = 0.5 range, fixed seeds) through the current
    direction finder, for when only the DOA code or the bearing ranges changed."""
    table = json.loads(Path(path).read_text(encoding="utf-8"))
    points = [PointResult.from_dict(d) for d in table["points"]]
    bearing_pts = [PointResult.from_dict(d) for d in table.get("bearing_points", [])]
    if rerun_bearings:
        arr = ArrayGeometry.from_mapping(table["array"])
        wind = float(table.get("wind_m_s", 2.0))
        combos = dict.fromkeys((p.label, p.ambient) for p in points)
        at = [(label, amb, r50 * f) for label, amb in combos
              if (r50 := _r50_estimate([p for p in points
                                        if (p.label, p.ambient) == (label, amb)]))
              for f in BEARING_FRACTIONS]
        jobs = [(label, r, amb, wind, BEARING_FRAMES, 555_000 + i, arr)
                for i, (label, amb, r) in enumerate(at)]
        bearing_pts = run_jobs(_bearing_job, jobs, workers, progress)
    keep = ("array", "seconds_per_point", "wind_m_s", "elevation_deg", "seed")
    new = build_table(points, bearing_pts, {k: table[k] for k in keep if k in table}, threshold,
                      bb_threshold)
    write_records(out or path, new)
    return new


def dense_first(points: Sequence[PointResult]) -> list[PointResult]:
    """The points of one (class, ambient) without the short coarse-sweep runs that lie
    inside the range span of the long dense runs (a 10-frame Pd there is noise next to
    its 120-frame neighbours)."""
    n_max = max((p.n for p in points), default=0)
    dense = [p.range_m for p in points if p.n == n_max]
    if not dense or all(p.n == n_max for p in points):
        return list(points)
    lo, hi = min(dense), max(dense)
    return [p for p in points if p.n == n_max or not lo <= p.range_m <= hi]


def dominant_proxy(points: Sequence[PointResult]) -> str:
    """"band" when the broadband detector alone makes more of the detections than the
    harmonic one across the measured transition (0.05 <= Pd <= 0.95), else "comb"; with no
    transition measured, the class default (:func:`~dronewall.acoustic.fastmode.is_tonal`)."""
    harm = bb = 0
    for p in points:
        if 0.05 <= p.pd <= 0.95 and p.bb_stats:
            harm += int(np.sum(np.asarray(p.stats) >= p.threshold))
            bb += int(np.sum(np.asarray(p.bb_stats) >= p.bb_threshold))
    if harm + bb == 0:
        return "comb" if not points or is_tonal(Signature.for_label(points[0].label)) \
            else "band"
    return "band" if bb > harm else "comb"


def with_proxy(p: PointResult, proxy: str, wind_m_s: float) -> PointResult:
    """``p`` with its predicted SNR recomputed on ``proxy`` (the frames are unchanged)."""
    env = Environment(ambient=p.ambient, wind_m_s=wind_m_s)
    snr = float(detection_snr_db(Signature.for_label(p.label), p.range_m, env, proxy=proxy))
    return dataclasses.replace(p, snr_db=snr)


LOGISTIC_TOL = 0.05
"""A logistic Pd(SNR) replaces the isotonic table when it is within this of it everywhere."""


def pd_curve(points: Sequence[PointResult], fit: dict[str, float]) -> dict[str, Any]:
    """The fast mode's Pd(SNR) table for one (class, ambient): the isotonic (monotone,
    non-parametric) estimate through the measured points, or the logistic fit ``fit``
    tabulated, when that is within :data:`LOGISTIC_TOL` of the isotonic estimate at every
    measured SNR (a smoother, lower-variance estimate of the same curve)."""
    snr = np.array([p.snr_db for p in points])
    iso = isotonic(snr, [p.k for p in points], [p.n for p in points])
    dev = np.abs(logistic_pd(snr, fit["s50"], fit["width"]) - iso(snr)) if snr.size else [1.0]
    if float(np.max(dev)) <= LOGISTIC_TOL:
        x = fit["s50"] + fit["width"] * np.linspace(-9.0, 9.0, 49)
        p = logistic_pd(x, fit["s50"], fit["width"])
        return {"kind": "logistic", "snr_db": [round(float(v), 4) for v in x],
                "pd": [round(float(v), 5) for v in p]}
    return {"kind": "isotonic", "snr_db": [float(v) for v in iso.snr_db],
            "pd": [float(v) for v in iso.pd]}


def _fit(points: Sequence[PointResult]) -> dict[str, float]:
    return _fit_logistic(np.array([p.snr_db for p in points]),
                         np.array([p.k for p in points], dtype=float),
                         np.array([p.n for p in points], dtype=float))


def validation_ranges(model: FastAcousticModel, label: str, env: Environment,
                      pd_levels: Sequence[float]) -> list[float]:
    """Ranges where the fast mode predicts these Pd values (the transition, where it is
    hardest to match), plus one range at twice the last one."""
    out = [model.range_at_pd(label, float(p), env) for p in pd_levels]
    out = [r for r in out if 0.0 < r < 50_000.0]
    if out:
        out.append(2.0 * out[-1])
    return out


def _validate_combo(job: tuple[str, str, int, Sequence[float], int, float, str | None],
                    ) -> list[dict[str, Any]]:
    label, amb, seconds, pd_levels, seed, wind_m_s, table_path = job
    model = FastAcousticModel.load(table_path)
    env = Environment(ambient=amb, wind_m_s=wind_m_s)
    ranges = validation_ranges(model, label, env, pd_levels) or list(
        ranges_for(label, env, 30.0, -3.0, 5))
    rows = []
    for i, r in enumerate(ranges):
        res = run_point_chunked(label, float(r), env, seconds=seconds, seed=seed * 7919 + i)
        rows.append(_validation_row(res, model, env.wind_m_s))
    return rows


def _validation_row(res: PointResult, model: FastAcousticModel, wind_m_s: float,
                    ) -> dict[str, Any]:
    env = Environment(ambient=res.ambient, wind_m_s=wind_m_s)
    fast = float(model.p_detect(res.range_m, res.label, env))
    se = math.sqrt(max(res.pd * (1 - res.pd), 0.25 / res.n) / res.n)
    return {"label": res.label, "ambient": res.ambient, "range_m": round(res.range_m, 1),
            "snr_db": round(res.snr_db, 2), "n": res.n, "threshold": res.threshold,
            "pd_full": round(res.pd, 4), "pd_fast": round(fast, 4),
            "abs_diff": round(abs(fast - res.pd), 4), "stderr": round(se, 4),
            "wind_m_s": wind_m_s, "stats": [round(v, 3) for v in res.stats],
            "bb_threshold": res.bb_threshold,
            "bb_stats": [round(v, 3) for v in res.bb_stats]}


def rejudge(rows: Sequence[dict[str, Any]], table_path: str | Path | None = None,
            ) -> list[dict[str, Any]]:
    """Validation rows re-judged at a (refitted) table's threshold against its fast mode,
    from their recorded per-frame statistics: no new audio."""
    model = FastAcousticModel.load(table_path)
    thr = float(model.meta.get("threshold", 0.0))
    bb_thr = float(model.meta.get("bb_threshold", math.inf))
    out = []
    for r in rows:
        res = PointResult(r["label"], r["ambient"], float(r["range_m"]), float(r["snr_db"]),
                          tuple(r["stats"]), thr, (), tuple(r.get("bb_stats", ())), bb_thr)
        out.append(_validation_row(res, model, float(r.get("wind_m_s", 2.0))))
    return out


def validate(
    table_path: str | Path | None = None,
    *,
    classes: Sequence[str] = CAL_CLASSES,
    ambients: Sequence[str] = CAL_AMBIENTS,
    seconds: int = 100,
    pd_levels: Sequence[float] = (0.95, 0.8, 0.5, 0.2, 0.05),
    seed: int = 7,
    wind_m_s: float = 2.0,
    workers: int = 1,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Full physics (fresh seeds, one microphone) against the fast mode over range.

    Ranges: where the fast mode predicts ``pd_levels`` (the transition, hardest to match)
    and twice the last. Each row: label, ambient, range, full-physics Pd over ``seconds``
    1-s frames, fast Pd, |difference| and the binomial standard error of the full-physics
    estimate.
    """
    path = None if table_path is None else str(table_path)
    jobs = [(label, amb, seconds, tuple(pd_levels), seed * 1013 + i, wind_m_s, path)
            for i, (label, amb) in enumerate((lb, a) for lb in classes for a in ambients)]
    return [row for rows in run_jobs(_validate_combo, jobs, workers, progress)
            for row in rows]
