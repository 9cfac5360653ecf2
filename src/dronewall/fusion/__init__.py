"""Fusion: from detections to tracks.

The tracker (:class:`Tracker`) is a converted-measurement Kalman filter for position
measurements (radar, ADS-B, ENU/geodetic reports) and an EKF (or, as an option, UKF)
for acoustic bearings and TDOAs updated at the sound's emission time, with a
nearly-constant-velocity model (plus a maneuver gate), ICAO-first and global-nearest-
neighbour association, one-lag retrodiction of late detections, tracks started from
single plots or from triangulated bearings / multilaterated TDOAs, and M-of-N track
management, vectorised over all tracks of a region. Its parts are separate modules with
one job each:

- :mod:`~dronewall.fusion.config`: :class:`TrackerConfig`, every parameter documented;
- :mod:`~dronewall.fusion.framing`: stream -> assignment frames;
- :mod:`~dronewall.fusion.measurements`: detections -> positions + covariances;
- :mod:`~dronewall.fusion.motion`: the constant-velocity model, F(dt) and Q(dt);
- :mod:`~dronewall.fusion.kalman`: batched prediction, innovations, update;
- :mod:`~dronewall.fusion.acoustic`: bearing / TDOA models, Jacobians, unscented
  transform, emission times (retardation), nonlinear update;
- :mod:`~dronewall.fusion.localise`: triangulation and multilateration (initiation);
- :mod:`~dronewall.fusion.association`: gating and GNN;
- :mod:`~dronewall.fusion.table`: the tracks' arrays;
- :mod:`~dronewall.fusion.output`: tracker states -> Track messages;
- :mod:`~dronewall.fusion.geodesy`: fast vectorised WGS84 conversions;
- :mod:`~dronewall.fusion.tracker`: the orchestration.
"""

from dronewall.fusion.config import TrackerConfig
from dronewall.fusion.tracker import Tracker

__all__ = ["Tracker", "TrackerConfig"]
