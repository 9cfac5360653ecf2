"""Fusion: from detections to tracks.

The first tracker (:class:`Tracker`) is a converted-measurement Kalman filter with a
nearly-constant-velocity model, ICAO-first and global-nearest-neighbour association and
M-of-N track management, vectorised over all tracks of a region. Its parts are separate
modules with one job each, so that later filters (IMM, UKF), associators (JPDA) and
measurement models (bearing-only, TDOA, out-of-sequence) can replace them:

- :mod:`~dronewall.fusion.config`: :class:`TrackerConfig`, every parameter documented;
- :mod:`~dronewall.fusion.framing`: stream -> assignment frames;
- :mod:`~dronewall.fusion.measurements`: detections -> positions + covariances;
- :mod:`~dronewall.fusion.motion`: the constant-velocity model, F(dt) and Q(dt);
- :mod:`~dronewall.fusion.kalman`: batched prediction, innovations, update;
- :mod:`~dronewall.fusion.association`: gating and GNN;
- :mod:`~dronewall.fusion.table`: the tracks' arrays;
- :mod:`~dronewall.fusion.output`: tracker states -> Track messages;
- :mod:`~dronewall.fusion.geodesy`: fast vectorised WGS84 conversions;
- :mod:`~dronewall.fusion.tracker`: the orchestration.
"""

from dronewall.fusion.config import TrackerConfig
from dronewall.fusion.tracker import Tracker

__all__ = ["Tracker", "TrackerConfig"]
