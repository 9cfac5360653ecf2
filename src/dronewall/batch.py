"""Batch tracking and scoring of message files, so any data set can be tracked and scored
outside a scenario.

- ``track_file``: detections (JSON Lines, one ``Detection`` per line, in any time order)
  in, the tracker's track states out (JSON Lines, one ``Track`` per line: each confirmed
  track's history, its updates, and a final "lost" state).
- ``score_files``: GOSPA between a truth file (``TruthState`` lines) and a tracks file,
  every ``step_s`` seconds: alpha = 2, cut-off ``c`` metres, order ``p``, horizontal
  positions, confirmed tracks only (see :mod:`dronewall.eval.gospa`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from dronewall.airspace.classify import KinematicClassifier
from dronewall.eval.gospa import DEFAULT_C_M, DEFAULT_P, DEFAULT_STEP_S, gospa_timeline
from dronewall.fusion.config import TrackerConfig
from dronewall.fusion.tracker import Tracker
from dronewall.geo.frames import LocalFrame
from dronewall.model import Detection, GeodeticPosition, Track, TruthState
from dronewall.model.jsonl import MessageFileError, read_messages, write_messages


def _position(det: Detection) -> tuple[float, float]:
    m = det.measurement
    if isinstance(m, GeodeticPosition):
        return m.lat, m.lon
    origin = m.origin
    return origin.lat, origin.lon


@dataclass
class TrackResult:
    detections: int
    track_states: int
    tracks: int
    stats: dict[str, int]


def track_file(src: str | Path, out: IO[bytes], *,
               origin: tuple[float, float] | None = None,
               config: TrackerConfig | None = None) -> TrackResult:
    """Track the detections of ``src`` (with the tracker parameters ``config``); write the
    track states to ``out``."""
    detections = list(read_messages(src, type=Detection))
    if not detections:
        raise MessageFileError(str(src), 0, "", "no detections")
    detections.sort(key=lambda d: d.time)
    if origin is None:  # the centre of what the sensors saw: no truth needed
        pos = np.array([_position(d) for d in detections])
        origin = (float(pos[:, 0].mean()), float(pos[:, 1].mean()))
    tracker = Tracker(LocalFrame(*origin), config)
    classifier = KinematicClassifier()
    states = classifier.process(tracker.process(detections))
    states += classifier.process(tracker.finish(detections[-1].time))
    write_messages(states, out)
    return TrackResult(len(detections), len(states), len({s.id for s in states}),
                       dict(tracker.stats))


def score_files(truth_path: str | Path, tracks_path: str | Path, *, c: float = DEFAULT_C_M,
                p: float = DEFAULT_P, step_s: float = DEFAULT_STEP_S) -> dict[str, Any]:
    """GOSPA of a tracks file against a truth file, as one JSON-ready object."""
    truth = list(read_messages(truth_path, type=TruthState))
    tracks = list(read_messages(tracks_path, type=Track))
    if not truth:
        raise MessageFileError(str(truth_path), 0, "", "no truth states")
    lat = np.array([s.lat for s in truth])
    lon = np.array([s.lon for s in truth])
    frame = LocalFrame(float(lat.mean()), float(lon.mean()))
    start = min(s.time for s in truth)
    end = max(s.time for s in truth)
    timeline = gospa_timeline(truth, tracks, frame, start, end, step_s=step_s, c=c, p=p)
    return {"gospa": {k: round(v, 2) for k, v in timeline.mean().items()},
            "parameters": {"c_m": c, "p": p, "alpha": 2, "step_s": step_s,
                           "positions": "horizontal (east, north)",
                           "tracks": "confirmed, extrapolated at constant velocity between "
                                     "updates"},
            "steps": len(timeline.times), "truth_targets": len({s.target_id for s in truth}),
            "tracks": len({t.id for t in tracks if t.status != "tentative"})}
