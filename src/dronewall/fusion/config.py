"""The tracker's parameters, with their defaults and what each one means."""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class TrackerConfig:
    """Parameters of :class:`dronewall.fusion.tracker.Tracker`.

    Defaults are tuned for the air picture of a region: surveillance radars with 10 s
    revolutions out to ~250 km, ADS-B at 1 Hz, targets from 20 m/s drones to 250 m/s
    aircraft.

    Gating and association
        ``gate_probability``: probability that a correct detection falls inside a track's
        gate; the gate is the chi-square quantile with 3 degrees of freedom (every
        measurement kind is converted to a 3-D position first): 0.999 -> d² ≤ 16.3.
        ``icao_gate_sigma``: the looser Mahalanobis distance within which an ADS-B
        detection goes straight to the track already holding its ICAO address.
        ``max_speed_mps``: a detection farther from a track's last position than
        ``max_speed_mps·|dt|`` plus the gate's measurement and track uncertainty is never
        associated (a cheap pre-gate that also bounds what new tracks may do).

    Motion model (nearly constant velocity)
        ``q_horizontal``, ``q_vertical``: RMS white acceleration (m/s²) in east/north and
        in up; the continuous process-noise spectral density is q² (m²/s³).

    Motion model choice
        ``motion``: ``"cv"`` (one nearly-constant-velocity model with the maneuver
        response below) or ``"imm"``: an interacting multiple model of CV, left and right
        coordinated turns at ``imm_turn_rate_deg_s`` and a maneuver mode (CV with the
        process noise × ``maneuver_q_factor``), with mean times in CV, in a turn and in
        the maneuver mode ``imm_sojourn_s`` (s); see :mod:`dronewall.fusion.imm`. With
        an IMM the maneuver gate below still applies, the process-noise scaling does not.

    Association choice
        ``association``: ``"gnn"`` (global nearest neighbour, below) or ``"jpda"``: joint
        probabilistic data association for confirmed tracks (every detection in a
        track's gate updates it, weighted by its marginal association probability; see
        :mod:`dronewall.fusion.jpda`), GNN for tentative tracks and for detections older
        than a track's last update. ``jpda_detection_probability``: Pd of the JPDA
        model; ``jpda_clutter_density``: false detections per m³ (null: estimated per
        track from the detections in its gate, the non-parametric JPDA). JPDA works
        with ``motion: cv`` only.

    Maneuvers (a single-model stand-in for an IMM)
        A confirmed track that gets no detection inside its gate may take one inside the
        wider ``maneuver_gate_probability`` gate (that no other confirmed track gates);
        it is then updated with its process noise multiplied by ``maneuver_q_factor``,
        and keeps that level while its innovations stay large (squared Mahalanobis
        distance above the ``maneuver_nis_probability`` quantile); otherwise the level
        falls back by ``maneuver_decay`` per update towards 1.

    Initiation, confirmation, deletion
        ``init_velocity_sigma_horizontal`` / ``_vertical`` (m/s): velocity uncertainty of a
        new (single-point) track, whose velocity starts at zero.
        ``confirm_hits``: M, detections a tentative track needs to be confirmed ...
        ``confirm_window_s``: ... within this long after its first detection (M-of-N in
        seconds, since several sensors with different rates feed one track). A tentative
        track that has not made it by then is dropped (silently), so is one without an
        update for ``tentative_timeout_s``. A confirmed track without an update for
        ``coast_timeout_s`` is deleted and reported "lost".
        ``history_length``: how many tentative states are kept and emitted, with status
        "tentative", when a track is confirmed.

    Frames
        ``frame_window_s``: detections without a ``frame`` number are grouped per sensor
        into windows this long (a window also closes when an ICAO address repeats).
        ``frame_span_s``: first guess of how long one numbered frame (a radar revolution)
        lasts; learned per sensor (the longest seen) once frames complete. A frame is
        processed when its sensor starts a new frame, or when the stream has moved
        ``frame_span_s + frame_margin_s`` past the frame's first detection.

    2-D radars (no elevation)
        ``altitude_2d_m``: altitude above the ellipsoid assumed for a plot without
        elevation, ``altitude_2d_sigma_m`` its standard deviation (a weak pseudo-
        measurement of height, so the 3-D filter stays well-posed).

    Radar conversion
        ``radar_conversion``: how a radar plot (range, azimuth, elevation) becomes a
        position and covariance: "linear" (the Jacobian at the plot, the default) or
        "unscented" (sigma points of (r, a, ε), which keeps the conversion bias of the
        mean and the banana-shaped spread of wide angle errors at long range; see
        :mod:`dronewall.fusion.measurements`).

    Sensor calibration (per sensor id; known from the deployment)
        ``sensor_latency_s``: the sensor reports this late; the tracker uses
        ``time - latency`` for every detection of that sensor (positional and acoustic).
        ``sensor_azimuth_bias_deg``: subtracted from the azimuth of radar plots and of
        bearings. ``sensor_range_bias_m``, ``sensor_elevation_bias_deg``: subtracted from
        a radar plot's slant range and elevation.

    Acoustic sensing
        ``air_temperature_c``: when given, sets ``speed_of_sound_mps`` to
        ``331.3·sqrt(1 + T/273.15)`` m/s (dry air, as
        :func:`dronewall.acoustic.propagation.speed_of_sound`; the default 337.3 m/s is
        10 °C), and a ``speed_of_sound_mps`` given with it is ignored.
        ``acoustic_altitude_m`` / ``acoustic_altitude_sigma_m``: the height above the
        nodes assumed, as a weak pseudo-measurement, when a track is started from
        azimuth-only bearings (which do not measure height): low drones, 300 ± 300 m.
        ``acoustic_min_sensors``: distinct nodes a fix needs (2 lets two azimuth-only
        nodes start a track, at the cost of ghosts where several sources cross).
    """

    gate_probability: float = 0.999
    icao_gate_sigma: float = 10.0
    max_speed_mps: float = 400.0
    q_horizontal: float = 2.0
    q_vertical: float = 0.5
    maneuver_gate_probability: float = 0.999999
    maneuver_q_factor: float = 16.0
    maneuver_nis_probability: float = 0.99
    maneuver_decay: float = 0.5
    init_velocity_sigma_horizontal: float = 150.0
    init_velocity_sigma_vertical: float = 20.0
    confirm_hits: int = 4
    confirm_window_s: float = 45.0
    tentative_timeout_s: float = 25.0
    coast_timeout_s: float = 45.0
    history_length: int = 20
    frame_window_s: float = 1.0
    frame_span_s: float = 12.0
    frame_margin_s: float = 1.0
    altitude_2d_m: float = 1000.0
    altitude_2d_sigma_m: float = 3000.0
    motion: str = "cv"
    association: str = "gnn"
    jpda_detection_probability: float = 0.9
    jpda_clutter_density: float | None = None
    imm_turn_rate_deg_s: float = 3.0
    imm_sojourn_s: tuple[float, float, float] = (60.0, 20.0, 10.0)
    acoustic_retardation: bool = True
    acoustic_filter: str = "ekf"
    acoustic_window_s: float = 1.0
    speed_of_sound_mps: float = 337.3
    acoustic_max_range_m: float = 10_000.0
    acoustic_pool_s: float = 5.0
    acoustic_pair_window_s: float = 2.0
    acoustic_max_baseline_m: float = 20_000.0
    acoustic_min_sensors: int = 3
    output_every_update: bool = True
    sensor_latency_s: dict[str, float] = field(default_factory=dict)
    sensor_azimuth_bias_deg: dict[str, float] = field(default_factory=dict)
    radar_conversion: str = "linear"
    sensor_range_bias_m: dict[str, float] = field(default_factory=dict)
    sensor_elevation_bias_deg: dict[str, float] = field(default_factory=dict)
    air_temperature_c: float | None = None
    acoustic_altitude_m: float = 300.0
    acoustic_altitude_sigma_m: float = 300.0

    def __post_init__(self) -> None:
        if self.air_temperature_c is not None:
            temp = self.air_temperature_c
            if not (temp > -273.15 and math.isfinite(temp)):
                raise ValueError(f"air_temperature_c must be above -273.15, got {temp!r}")
            # dry air, ideal gas (acoustic.propagation.speed_of_sound)
            object.__setattr__(self, "speed_of_sound_mps", 331.3 * math.sqrt(1.0 + temp / 273.15))
        if self.radar_conversion not in ("linear", "unscented"):
            raise ValueError("radar_conversion must be 'linear' or 'unscented'")
        for name in ("gate_probability", "maneuver_gate_probability", "maneuver_nis_probability"):
            if not 0.0 < getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in (0, 1)")
        if self.maneuver_gate_probability < self.gate_probability:
            raise ValueError("maneuver_gate_probability must be >= gate_probability")
        if self.maneuver_q_factor < 1.0 or not 0.0 <= self.maneuver_decay <= 1.0:
            raise ValueError("maneuver_q_factor must be >= 1 and maneuver_decay in [0, 1]")
        if self.association not in ("gnn", "jpda"):
            raise ValueError(f"association must be 'gnn' or 'jpda', got {self.association!r}")
        if self.association == "jpda" and self.motion != "cv":
            raise ValueError("association 'jpda' works with motion 'cv' only (no IMM-JPDA)")
        if not 0.0 < self.jpda_detection_probability < 1.0:
            raise ValueError("jpda_detection_probability must be in (0, 1)")
        lam = self.jpda_clutter_density
        if lam is not None and not (lam > 0.0 and math.isfinite(lam)):
            raise ValueError(f"jpda_clutter_density must be positive or null, got {lam!r}")
        if self.motion not in ("cv", "imm"):
            raise ValueError(f"motion must be 'cv' or 'imm', got {self.motion!r}")
        if not (self.imm_turn_rate_deg_s > 0.0 and min(self.imm_sojourn_s) > 0.0):
            raise ValueError("imm_turn_rate_deg_s and imm_sojourn_s must be positive")
        if self.acoustic_filter not in ("ekf", "ukf"):
            raise ValueError("acoustic_filter must be 'ekf' or 'ukf'")
        if self.acoustic_min_sensors < 2:
            raise ValueError("acoustic_min_sensors must be at least 2")
        if self.confirm_hits < 1:
            raise ValueError("confirm_hits must be at least 1")
        if self.history_length < 0:
            raise ValueError("history_length must be >= 0")
        positive = (
            "icao_gate_sigma",
            "max_speed_mps",
            "init_velocity_sigma_horizontal",
            "init_velocity_sigma_vertical",
            "confirm_window_s",
            "tentative_timeout_s",
            "coast_timeout_s",
            "frame_window_s",
            "frame_span_s",
            "altitude_2d_sigma_m",
            "speed_of_sound_mps",
            "acoustic_max_range_m",
            "acoustic_pool_s",
            "acoustic_window_s",
            "acoustic_pair_window_s",
            "acoustic_max_baseline_m",
            "acoustic_altitude_sigma_m",
        )
        for name in positive:
            value = getattr(self, name)
            if not (value > 0.0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a positive finite number, got {value!r}")
        if not math.isfinite(self.acoustic_altitude_m):
            raise ValueError("acoustic_altitude_m must be finite")
        for name in ("q_horizontal", "q_vertical", "frame_margin_s"):
            value = getattr(self, name)
            if not (value >= 0.0 and math.isfinite(value)):
                raise ValueError(f"{name} must be >= 0, got {value!r}")
