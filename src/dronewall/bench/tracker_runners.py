"""The two trackers of the tracker benchmark, configured alike, and their scoring.

Shared settings (both trackers, 1 s scans, 2-D position plots with σ = 50 m):

==========================  ====================================  ===========================
                            Stone Soup (tutorial components)      dronewall ``TrackerConfig``
==========================  ====================================  ===========================
motion model                ``ConstantVelocity(1.0)`` per axis    ``q_horizontal=1.0``
                            (spectral density 1 m²/s³)            (RMS accel 1 m/s², q² = 1)
gate                        ``DistanceHypothesiser(Mahalanobis,   ``gate_probability`` =
                            missed_distance=3)``: d² ≤ 9          chi²₃ cdf(9) -> d² ≤ 9
association                 ``GNNWith2DAssignment``               GNN (its own)
new-track velocity          prior σ 100 m/s per axis              ``init_velocity_sigma_
                                                                  horizontal=100``
confirmation                ``MultiMeasurementInitiator(          ``confirm_hits=3``,
                            min_points=3)``                       ``confirm_window_s=10``
tentative deletion          ``UpdateTimeStepsDeleter(2)``         ``tentative_timeout_s=2.5``
                            (2 misses in a row)                   (2 misses in a row)
confirmed deletion          ``UpdateTimeStepsDeleter(3)``         ``coast_timeout_s=3.5``
                            (3 misses in a row)                   (3 misses in a row)
==========================  ====================================  ===========================

Stone Soup deletes after a scan's association (a track missed at t+1..t+n is gone from
t+n); dronewall deletes a track whose timeout passed before associating the frame (the
same track goes at t+n+1, so it is in dronewall's picture at t+n, coasting): hence
timeouts of n + 0.5 s for n misses.

dronewall keeps the rest of its defaults (its maneuver gate included: it is part of its
algorithm). dronewall's detections are 3-D ``EnuPosition`` plots at u = 0 with σ_u = 50 m
(the same east/north points); its chi-square gate has 3 degrees of freedom, and the
u innovation is ~0, so ``gate_probability = chi2.cdf(9, 3)`` gives the same Mahalanobis
radius, 3, as Stone Soup's.

Scoring, the same for both: at every scan time, the estimates are the east/north
positions of the tracks that are confirmed and not yet deleted at that time (Stone Soup:
``tracker.tracks`` after the scan, each track's state at that time, an update or a
prediction; dronewall: each confirmed track's latest state at or before the scan,
moved on at its velocity to the scan time, from its confirmation until its deletion by
``coast_timeout_s``). GOSPA (``dronewall.eval.gospa.gospa``, alpha = 2) with
``GOSPA_C_M`` = 500 m (10 σ: a track farther than that from every target is false and
the target missed) and p = 1 (the parts add up to the total).
"""

from __future__ import annotations

import math
import resource
import time
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.stats import chi2

from dronewall.bench.tracker_scenario import SIGMA_M, Scenario
from dronewall.eval.gospa import gospa, track_paths
from dronewall.fusion import Tracker
from dronewall.fusion.config import TrackerConfig
from dronewall.geo.frames import LocalFrame
from dronewall.model.messages import Detection, EnuPosition, GeoPoint, Track

GOSPA_C_M = 500.0
GOSPA_P = 1.0
Q_DENSITY = 1.0  # m²/s³, white-acceleration spectral density per horizontal axis
GATE_SIGMA = 3.0  # Mahalanobis distance of the gate
INIT_VELOCITY_SIGMA = 100.0  # m/s per axis, of a new track (its velocity starts at 0)
CONFIRM_HITS = 3
TENTATIVE_MISSES = 2  # a tentative track is dropped after this many misses in a row
CONFIRMED_MISSES = 3  # a confirmed track is deleted after this many misses in a row
ORIGIN = GeoPoint(lat=52.0, lon=21.0, alt=0.0)
T0_POSIX = 1_700_000_000.0

Estimates = list[NDArray[np.float64]]


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, MiB (Linux: ru_maxrss is KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def score(truth: NDArray[np.float64], estimates: Estimates) -> dict[str, float]:
    """Mean over scans of GOSPA and its parts, mean track and truth counts."""
    parts = np.array(
        [
            [g.total, g.localisation, g.missed, g.false, g.n_tracks, g.n_truth]
            for g in (gospa(truth[k], est, GOSPA_C_M, GOSPA_P) for k, est in enumerate(estimates))
        ]
    )
    mean = parts.mean(axis=0)
    keys = ("gospa_mean", "localisation", "missed", "false", "tracks_mean", "truth_mean")
    return {k: float(v) for k, v in zip(keys, mean, strict=True)}


# --------------------------------------------------------------------------- dronewall


def dronewall_config() -> TrackerConfig:
    """The benchmark's settings for dronewall (see the module docstring's table)."""
    return TrackerConfig(
        q_horizontal=math.sqrt(Q_DENSITY),
        gate_probability=float(chi2.cdf(GATE_SIGMA**2, 3)),
        init_velocity_sigma_horizontal=INIT_VELOCITY_SIGMA,
        confirm_hits=CONFIRM_HITS,
        confirm_window_s=10.0,
        tentative_timeout_s=TENTATIVE_MISSES + 0.5,
        coast_timeout_s=CONFIRMED_MISSES + 0.5,
        frame_span_s=1.0,
        frame_margin_s=0.5,
    )


def dronewall_detections(scn: Scenario) -> list[list[Detection]]:
    """The scenario's plots as dronewall messages, one list per scan."""
    var = SIGMA_M**2
    cov = [[var, 0.0, 0.0], [0.0, var, 0.0], [0.0, 0.0, var]]
    out = []
    for k, pts in enumerate(scn.plots):
        t = T0_POSIX + float(scn.times[k])
        out.append(
            [
                Detection(
                    id=f"{k}-{j}",
                    sensor_id="bench",
                    time=t,
                    measurement=EnuPosition(e=float(e), n=float(n), u=0.0, origin=ORIGIN),
                    covariance=cov,
                    frame=k,
                )
                for j, (e, n) in enumerate(pts)
            ]
        )
    return out


def dronewall_estimates(
    tracks: list[Track], frame: LocalFrame, times: NDArray[np.float64], coast_s: float
) -> Estimates:
    """Per scan, the confirmed tracks alive then, moved on to the scan time."""
    at = T0_POSIX + times
    cols = []
    for t, xyz, v in track_paths(tracks, frame).values():
        idx = np.searchsorted(t, at + 1e-6, side="right") - 1
        ok = idx >= 0
        ok[ok] &= at[ok] - t[idx[ok]] <= coast_s + 1e-6
        est = np.full((len(at), 2), np.nan)
        i = idx[ok]
        est[ok] = xyz[i, :2] + v[i, :2] * (at[ok] - t[i])[:, None]
        cols.append(est)
    stack = np.stack(cols, axis=1) if cols else np.zeros((len(at), 0, 2))
    return [row[~np.isnan(row[:, 0])] for row in stack]


def run_dronewall(
    scn: Scenario, config: TrackerConfig | None = None
) -> tuple[float, Estimates, float]:
    """Track the scenario with dronewall (``config``: default the benchmark's settings),
    one ``process`` call per scan; return the tracking wall time (s), the per-scan
    estimates and the peak RSS before tracking."""
    frame = LocalFrame(ORIGIN.lat, ORIGIN.lon, ORIGIN.alt)
    config = config if config is not None else dronewall_config()
    scans = dronewall_detections(scn)
    base = peak_rss_mib()
    tracker = Tracker(frame, config)
    out: list[Track] = []
    t0 = time.perf_counter()
    for dets in scans:
        out += tracker.process(dets)
    out += tracker.finish()
    wall = time.perf_counter() - t0
    return wall, dronewall_estimates(out, frame, scn.times, config.coast_timeout_s), base


# --------------------------------------------------------------------------- Stone Soup


def stonesoup_tracker(detector: Any) -> Any:
    """Stone Soup's tutorial-standard tracker ("Multi-target tracking", "Initiators &
    Deleters") with the benchmark's settings; ``detector`` yields (time, detections)."""
    from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
    from stonesoup.deleter.time import UpdateTimeStepsDeleter
    from stonesoup.hypothesiser.distance import DistanceHypothesiser
    from stonesoup.initiator.simple import MultiMeasurementInitiator
    from stonesoup.measures import Mahalanobis
    from stonesoup.models.transition.linear import (
        CombinedLinearGaussianTransitionModel,
        ConstantVelocity,
    )
    from stonesoup.predictor.kalman import KalmanPredictor
    from stonesoup.tracker.simple import MultiTargetTracker
    from stonesoup.types.state import GaussianState
    from stonesoup.updater.kalman import KalmanUpdater

    transition = CombinedLinearGaussianTransitionModel(
        [ConstantVelocity(Q_DENSITY), ConstantVelocity(Q_DENSITY)]
    )
    predictor = KalmanPredictor(transition)
    updater = KalmanUpdater(stonesoup_measurement_model())
    hypothesiser = DistanceHypothesiser(
        predictor, updater, measure=Mahalanobis(), missed_distance=GATE_SIGMA
    )
    associator = GNNWith2DAssignment(hypothesiser)
    v2 = INIT_VELOCITY_SIGMA**2
    initiator = MultiMeasurementInitiator(
        prior_state=GaussianState([[0.0], [0.0], [0.0], [0.0]], np.diag([0.0, v2, 0.0, v2])),
        measurement_model=stonesoup_measurement_model(),
        deleter=UpdateTimeStepsDeleter(time_steps_since_update=TENTATIVE_MISSES),
        data_associator=associator,
        updater=updater,
        min_points=CONFIRM_HITS,
    )
    return MultiTargetTracker(
        initiator=initiator,
        deleter=UpdateTimeStepsDeleter(time_steps_since_update=CONFIRMED_MISSES),
        detector=detector,
        data_associator=associator,
        updater=updater,
    )


def stonesoup_measurement_model() -> Any:
    """2-D position of the state (x, vx, y, vy), σ = 50 m per axis."""
    from stonesoup.models.measurement.linear import LinearGaussian

    return LinearGaussian(ndim_state=4, mapping=(0, 2), noise_covar=np.diag([SIGMA_M**2] * 2))


def stonesoup_detections(scn: Scenario) -> list[tuple[datetime, set[Any]]]:
    """The scenario's plots as Stone Soup detections (``Clutter`` for false alarms, as
    its tutorials do; the trackers never look at the class), one set per scan."""
    from stonesoup.types.detection import Clutter
    from stonesoup.types.detection import Detection as SsDetection

    model = stonesoup_measurement_model()
    start = datetime(2023, 11, 14, 22, 13, 20)  # T0_POSIX
    out = []
    for k, pts in enumerate(scn.plots):
        ts = start + timedelta(seconds=float(scn.times[k]))
        dets: set[Any] = set()
        for (e, n), true in zip(pts, scn.is_true[k], strict=True):
            cls = SsDetection if true else Clutter
            dets.add(cls(np.array([[e], [n]]), timestamp=ts, measurement_model=model))
        out.append((ts, dets))
    return out


def run_stonesoup(scn: Scenario) -> tuple[float, Estimates, float]:
    """Track the scenario with Stone Soup; return the tracking wall time (s; the
    tracker's steps only), the per-scan estimates and the peak RSS before tracking."""
    scans = stonesoup_detections(scn)
    base = peak_rss_mib()
    tracker = stonesoup_tracker(scans)
    steps = iter(tracker)
    estimates: Estimates = []
    wall = 0.0
    for _ in scans:
        t0 = time.perf_counter()
        _, tracks = next(steps)
        wall += time.perf_counter() - t0
        est = np.array(
            [[float(tr.state_vector[0, 0]), float(tr.state_vector[2, 0])] for tr in tracks]
        ).reshape(-1, 2)
        estimates.append(est)
    return wall, estimates, base


RUNNERS = {"dronewall": run_dronewall, "stonesoup": run_stonesoup}
