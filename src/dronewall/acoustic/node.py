"""The sensor-node pipeline: audio in, one decision per 1-s frame out.

Per frame: STFT of all channels (:mod:`framing`), harmonic-sum detector on the reference
microphone (:mod:`detector`) OR-fused with the broadband detector (:mod:`broadband`: band
levels against their tracked floor, for jets and cruise missiles; each at Pfa 6e-6, so the
node's Pfa per decision stays 1.2e-5), feature vector and classifier (:mod:`features`,
:mod:`classifier`), and when a detector fires, a bearing per harmonic series from the
array (:mod:`doa`; up to ``max_sources``; one SRP-PHAT bearing over the bands in excess
when only the broadband detector fired) or, for a single microphone and a harmonic detection, the
onset time of a new sound (:mod:`onset`, for TDOA between nodes).

Usage::

    pipe = NodePipeline(ArrayGeometry.square(0.10))        # or NodePipeline(None)
    for d in pipe.process(audio, t0=1.7e9):                 # audio (n_ch, n_samples)
        d.detected, d.statistic, d.class_probs, d.bearings  # Bearing(azimuth, sigma, ...)
        d.to_messages("node-1", GeoPoint(lat=.., lon=..))   # Detection messages

``process`` keeps the tail of a chunk that does not fill a frame and prepends it to the
next chunk when that one starts where the last ended, so audio can be fed in pieces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dronewall.acoustic import features as F
from dronewall.acoustic.arrays import ArrayGeometry
from dronewall.acoustic.broadband import BB_THRESHOLD, BroadbandDetector, band_levels_db
from dronewall.acoustic.classifier import LABELS, Model, load_model, p_drone
from dronewall.acoustic.detector import DEFAULT_THRESHOLD, FrameAnalysis, analyse
from dronewall.acoustic.doa import Bearing, DoaEstimator
from dronewall.acoustic.framing import FrameSpec, stft
from dronewall.acoustic.onset import onset
from dronewall.model.messages import BearingOnly, Detection, GeoPoint


@dataclass
class NodeDetection:
    """The node's decision for one frame. ``time`` is the frame centre (arrival time of
    the sound at the node, POSIX s); ``bearings`` only for arrays and detected frames."""

    time: float
    frame: int
    detected: bool
    statistic: float
    threshold: float
    f0_hz: float
    snr_db: float
    level_db: float
    class_probs: dict[str, float]
    p_drone: float
    label: str
    bearings: list[Bearing] = field(default_factory=list)
    onset_time: float | None = None
    onset_sigma: float | None = None
    bb_statistic: float = 0.0
    """Broadband detector statistic (:mod:`broadband`); ``detected`` is harmonic OR
    broadband."""
    bb_threshold: float = BB_THRESHOLD
    detector: str = ""
    """Which detector fired: "harmonic", "broadband", "both" or "" (none)."""

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "time": round(self.time, 6), "frame": self.frame, "detected": self.detected,
            "statistic": round(self.statistic, 3), "threshold": round(self.threshold, 3),
            "f0_hz": round(self.f0_hz, 2), "snr_db": round(self.snr_db, 2),
            "level_db": round(self.level_db, 2), "label": self.label,
            "bb_statistic": round(self.bb_statistic, 3), "detector": self.detector,
            "p_drone": round(self.p_drone, 4), "class_probs": self.class_probs,
            "bearings": [{"azimuth": round(b.azimuth, 2), "sigma": round(b.sigma, 2),
                          "method": b.method} for b in self.bearings],
        }
        if self.onset_time is not None:
            d["onset_time"] = round(self.onset_time, 4)
            d["onset_sigma"] = round(self.onset_sigma or 0.0, 4)
        return d

    def to_messages(self, node_id: str, origin: GeoPoint) -> list[Detection]:
        """One BearingOnly Detection per bearing (none for a single microphone)."""
        out = []
        for i, b in enumerate(self.bearings):
            az = b.azimuth if b.azimuth <= 360.0 else b.azimuth - 360.0
            out.append(Detection(
                id=f"{node_id}-{self.frame}-{i}", sensor_id=node_id, time=self.time,
                measurement=BearingOnly(azimuth=az, origin=origin),
                covariance=[[b.sigma**2]], frame=self.frame,
                class_probs=self.class_probs, snr_db=round(self.snr_db, 2)))
        return out


def frame_analysis(frame: np.ndarray, spec: FrameSpec, cal_db: float = 0.0,
                   ) -> tuple[FrameAnalysis, np.ndarray]:
    """Detector analysis and classifier features of one frame (n_ch, frame_len)."""
    spectrum = stft(frame, spec)
    a = analyse(spectrum, spec, cal_db)
    feats = F.frame_features(frame[0], spectrum[0], a.p, a.floor, a.harm, spec)
    return a, feats


def clip_features(x: np.ndarray, spec: FrameSpec | None = None) -> np.ndarray:
    """Feature rows (n_frames, n_features) of a mono or multichannel clip."""
    spec = spec or FrameSpec()
    x2 = np.atleast_2d(x)[:1]
    rows = []
    for i in range(spec.n_frames(x2.shape[1])):
        s = i * spec.hop_len
        rows.append(frame_analysis(x2[:, s:s + spec.frame_len], spec)[1])
    return np.array(rows).reshape(-1, len(F.FEATURE_NAMES))


class NodePipeline:
    """Detector, classifier, bearing and onset of one acoustic node.

    ``array`` None means one microphone (channel 0 is used). ``threshold`` is the
    harmonic detector's threshold (default
    :data:`~dronewall.acoustic.detector.DEFAULT_THRESHOLD`, Pfa 6e-6 per decision);
    ``bb_threshold`` the broadband detector's (default
    :data:`~dronewall.acoustic.broadband.BB_THRESHOLD`, Pfa 6e-6; ``inf`` turns it off).
    ``cal_db`` turns dBFS into dB SPL. ``max_sources`` harmonic series get a bearing each.
    """

    def __init__(self, array: ArrayGeometry | None = None, fs: int = 16000, *,
                 threshold: float | None = None, model: Model | str | None = None,
                 frame_s: float = 1.0, hop_s: float = 1.0, cal_db: float = 0.0,
                 max_sources: int = 2, always_doa: bool = False,
                 bb_threshold: float | None = None) -> None:
        if array is not None and array.n_channels < 2:
            array = None  # one microphone: no bearing, onsets instead
        self.array = array
        self.spec = FrameSpec(rate=fs, frame_s=frame_s, hop_s=hop_s)
        self.model = model if isinstance(model, Model) else load_model(model)
        self.threshold = float(threshold if threshold is not None else DEFAULT_THRESHOLD)
        self.bb = BroadbandDetector(self.spec.nfft, fs, threshold=float(
            bb_threshold if bb_threshold is not None else BB_THRESHOLD))
        self.cal_db = cal_db
        self.max_sources = max_sources
        self.always_doa = always_doa
        self.doa = DoaEstimator(array, fs, self.spec.nfft, hop=self.spec.stft_hop) \
            if array is not None else None
        self._buf: np.ndarray | None = None
        self._buf_t0 = 0.0
        self._frame = 0
        self._prev_detected = False
        self._prev_tail: np.ndarray | None = None

    @property
    def n_channels(self) -> int:
        return self.array.n_channels if self.array is not None else 1

    @property
    def bb_threshold(self) -> float:
        """The broadband detector's threshold."""
        return self.bb.threshold

    def reset(self) -> None:
        """Forget buffered audio, the previous decision and the broadband floor."""
        self._buf, self._prev_tail, self._prev_detected, self._frame = None, None, False, 0
        self.bb.reset()

    def prime(self, audio: np.ndarray) -> None:
        """Teach the broadband floor the ambient from noise-only audio (n_ch, n) or (n,),
        as a node on duty knows it; no decisions, nothing else changes."""
        x = np.atleast_2d(np.asarray(audio, dtype=np.float64))[0]
        n = self.spec.n_frames(x.shape[0])
        if n == 0:
            return
        fl, hop = self.spec.frame_len, self.spec.hop_len
        frames = np.stack([x[i * hop:i * hop + fl] for i in range(n)])
        s = stft(frames, self.spec)
        self.bb.prime((s.real**2 + s.imag**2).mean(axis=-1))

    def process(self, audio: np.ndarray, t0: float) -> list[NodeDetection]:
        """Decisions for every whole frame of ``audio`` (n_ch, n) whose first sample is
        at time ``t0`` (s). An incomplete tail waits for the next contiguous chunk."""
        x = np.atleast_2d(np.asarray(audio, dtype=np.float64))
        if self.array is not None and x.shape[0] != self.array.n_channels:
            raise ValueError(f"audio has {x.shape[0]} channels, the array "
                             f"{self.array.n_channels} microphones")
        x = x if self.array is not None else x[:1]
        rate = self.spec.rate
        if self._buf is not None and abs(self._buf_t0 + self._buf.shape[1] / rate - t0) \
                < 0.5 / rate:
            x = np.concatenate([self._buf, x], axis=1)
            t0 = self._buf_t0
        out = []
        n = self.spec.n_frames(x.shape[1])
        for i in range(n):
            s = i * self.spec.hop_len
            out.append(self._decide(x[:, s:s + self.spec.frame_len], t0 + s / rate))
        consumed = n * self.spec.hop_len
        self._buf = x[:, consumed:] if consumed < x.shape[1] else None
        self._buf_t0 = t0 + consumed / rate
        return out

    def _decide(self, frame: np.ndarray, start: float) -> NodeDetection:
        spec = self.spec
        a, feats = frame_analysis(frame, spec, self.cal_db)
        probs = self.model.class_probs(feats)
        harmonic = a.statistic >= self.threshold
        lv = band_levels_db(a.p, spec.nfft, spec.rate)
        bb_stat = self.bb.statistic(lv)
        broadband = bb_stat >= self.bb.threshold
        detected = harmonic or broadband
        self.bb.update(lv, detected, bb_stat)
        bearings: list[Bearing] = []
        if self.doa is not None and (detected or self.always_doa):
            bearings = self._bearings(a)
        on = None
        if self.array is None and harmonic and not self._prev_detected \
                and self._prev_tail is not None:
            prev = self._prev_tail
            on = onset(np.concatenate([prev, frame[0]]), spec.rate,
                       start - len(prev) / spec.rate, a.harm.bins * spec.rate / spec.nfft)
        self._prev_detected = detected
        self._prev_tail = frame[0].copy()
        label = max(probs, key=lambda k: probs[k]) if probs else LABELS[-1]
        d = NodeDetection(
            time=start + spec.frame_s / 2, frame=self._frame, detected=bool(detected),
            statistic=a.statistic, threshold=self.threshold, f0_hz=a.harm.f0,
            snr_db=a.snr_db, level_db=a.level_db, class_probs=probs,
            p_drone=p_drone(probs), label=label, bearings=bearings,
            onset_time=on[0] if on else None, onset_sigma=on[1] if on else None,
            bb_statistic=bb_stat, bb_threshold=self.bb.threshold,
            detector=("both" if harmonic and broadband else "harmonic" if harmonic
                      else "broadband" if broadband else ""))
        self._frame += 1
        return d

    def _bearings(self, a: FrameAnalysis) -> list[Bearing]:
        assert self.doa is not None
        spec = self.spec
        if a.statistic < self.threshold:
            # no harmonic series (a broadband detection): its "harmonic bins" are noise;
            # SRP-PHAT over the bands the broadband detector found in excess instead
            return [self.doa.estimate(a.spectrum, np.zeros(0, dtype=np.int64), np.zeros(0),
                                      srp_bins=self.bb.excess_bins())]
        out = []
        p = a.p.copy()
        harm = a.harm
        for k in range(self.max_sources):
            if k > 0 and harm.score < self.threshold:
                break
            bins = harm.bins[harm.bins <= self.doa.max_bin]
            rho = np.maximum(p[bins] - a.floor[bins], 0) / a.floor[bins]
            out.append(self.doa.estimate(a.spectrum, bins, rho))
            if len(harm.bins) == 0:
                break
            # remove this series and look for another one
            lob = np.unique(np.clip((harm.bins[:, None] + np.arange(-2, 3)).ravel(),
                                    0, len(p) - 1))
            p[lob] = a.floor[lob]
            f0_prev = harm.f0
            harm = F.harmonics(p, a.floor, spec.nfft, spec.rate)
            r = harm.f0 / f0_prev
            if abs(r - round(r)) < 0.03 * max(round(r), 1) or abs(1 / r - round(1 / r)) < 0.03:
                break  # a sub/multiple of the same series, not a new source
        return out
