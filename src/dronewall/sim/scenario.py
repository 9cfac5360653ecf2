"""The scenario file format (YAML), as typed structures.

A scenario says what flies, what senses it, which airspace is watched, and over what
time span; the simulator turns it into time-ordered detections plus ground truth,
deterministically for its seed. The full format, with an example, is documented in
``docs/scenario-format.md``; these structures are the single source of truth for it.

Times are ISO 8601 UTC strings (``2025-09-10T03:29:00Z``) or offsets from the
scenario's ``start`` written ``+HH:MM:SS`` (or ``+SECONDS``). Altitudes are metres
above the WGS84 ellipsoid; the simulator has no terrain.
"""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import Meta, Struct, field

from dronewall.model.messages import Lat, Lon

Positive = Annotated[float, Meta(gt=0.0)]
NonNegative = Annotated[float, Meta(ge=0.0)]
Prob = Annotated[float, Meta(ge=0.0, le=1.0)]
TimeText = Annotated[str, Meta(min_length=1, description="ISO 8601 UTC or +HH:MM:SS offset")]


class _S(Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class Position(_S, kw_only=True):
    lat: Lat
    lon: Lon
    alt: Annotated[float, Meta(ge=-500.0, le=100_000.0)] = 0.0


class Waypoint(_S, kw_only=True):
    """A point of a target's route. ``time`` is when the target is there; when left
    out it is derived from the previous waypoint and the leg's speed (``speed_mps``
    here, else the target's, else its type's cruise speed). The first waypoint needs
    a time."""

    lat: Lat
    lon: Lon
    alt: Annotated[float, Meta(ge=-500.0, le=100_000.0)] | None = None
    time: TimeText | None = None
    speed_mps: Positive | None = None


class TransponderSpec(_S, kw_only=True):
    """A cooperative target's identity; left out (null) = transponder off."""

    icao24: str
    callsign: str | None = None
    squawk: str | None = None
    adsb: bool = True  # broadcasts ADS-B positions (else Mode S/C replies only)


class Fate(_S, kw_only=True):
    """How a target's flight ends: ``left`` (flies out of the scenario, default),
    ``crashed`` (fuel exhausted, at the last waypoint), ``downed`` (shot down at
    ``time``; the route is cut there), ``landed``."""

    kind: Literal["left", "crashed", "downed", "landed"] = "left"
    time: TimeText | None = None
    by: str | None = None  # free text: who downed it, as reported


class Target(_S, kw_only=True):
    id: str
    type: str  # a type of the catalogue: gerbera, shahed, airliner, mig-31, ...
    label: str = ""
    route: Annotated[list[Waypoint], Meta(min_length=2)]
    speed_mps: Positive | None = None
    rcs_m2: Positive | None = None
    source_level_db: float | None = None
    transponder: TransponderSpec | None = None
    fate: Fate = field(default_factory=Fate)
    note: str = ""


class RadarSpec(_S, kw_only=True, tag_field="type", tag="radar"):
    """A scanning surveillance radar. ``sigma_elevation_deg`` null = 2-D radar."""

    id: str
    name: str = ""
    position: Position
    max_range_km: Positive = 250.0
    period_s: Positive = 10.0
    sigma_range_m: Positive = 75.0
    sigma_azimuth_deg: Positive = 0.15
    sigma_elevation_deg: Positive | None = 0.4
    pd: Prob = 0.9
    reference_rcs_m2: Positive = 1.0  # pd holds for this RCS at max range (radar eq. R^4)
    false_alarms_per_scan: NonNegative = 5.0
    min_elevation_deg: float = -1.0
    note: str = ""


class AdsbReceiverSpec(_S, kw_only=True, tag_field="type", tag="adsb"):
    id: str
    name: str = ""
    position: Position
    max_range_km: Positive = 350.0
    period_s: Positive = 1.0
    sigma_m: Positive = 15.0  # horizontal position error (NACp 9 ~ 30 m 95 %)
    pd: Prob = 0.98
    note: str = ""


class TdoaPartner(_S, kw_only=True):
    """The neighbour an acoustic node measures time differences of arrival with (their
    clocks are synchronised, e.g. by GNSS): its id and position. The partner is
    assumed to have the same acoustic parameters (model, ambient, ...) as the node."""

    id: str
    position: Position


AcousticModel = Literal["fast", "full", "simple"]
"""How an acoustic node is simulated (docs/acoustic-scenarios.md):

- ``fast``: the calibrated detection / bearing-error model of
  :mod:`dronewall.acoustic.fastmode` (fitted to full-physics runs), per report;
- ``full``: the node's audio is synthesised (every source in range, moving, retarded)
  and run through the node's own pipeline (:class:`dronewall.acoustic.node.NodePipeline`);
  slow, for small scenarios and for checking ``fast``;
- ``simple``: the old stand-in (fixed source level, one absorption figure, threshold and
  ``pd``), kept for the scenarios and tests written for it.
"""

MicPosition = Annotated[list[float], Meta(min_length=3, max_length=3)]


class AcousticParams(_S, kw_only=True):
    """The acoustic parameters shared by single nodes and node lines.

    ``model`` null (left out) means ``fast``, unless one of the stand-in's own parameters
    (``sigma_azimuth_deg``, ``ambient_db``, ``threshold_db``, ``max_range_km``, ``pd``)
    is given: such a node was written for the stand-in and runs ``simple``. The loader
    refuses a stand-in parameter on a ``fast``/``full`` node and a fast/full parameter
    (``ambient``, ``wind_m_s``, ``elevation_sigma_deg``, ``array``) on a ``simple`` one.
    """

    period_s: Positive = 1.0
    model: AcousticModel | None = None
    # fast / full
    ambient: str | None = None  # noise preset of dronewall.acoustic.noise; null: rural_night
    wind_m_s: NonNegative | None = None  # wind at the microphones; null: 2 m/s
    elevation_sigma_deg: Positive | None = None  # fast only: also report elevation (see docs)
    array: list[MicPosition] | None = None  # mic ENU positions, m; null: 4 mics, 10 cm square
    # simple (the stand-in)
    sigma_azimuth_deg: Positive | None = None  # null: 3
    ambient_db: float | None = None  # ambient noise level at the node, dB SPL; null: 40
    threshold_db: float | None = None  # detection SNR threshold, dB; null: 6
    max_range_km: Positive | None = None  # null: 8
    pd: Prob | None = None  # null: 0.95
    # all
    temperature_c: Annotated[float, Meta(ge=-60.0, le=60.0)] = 10.0  # air; sets sound speed
    sigma_tdoa_s: Positive = 0.001

    @property
    def resolved_model(self) -> AcousticModel:
        """The model this node runs (``model``, or the default rule above)."""
        if self.model is not None:
            return self.model
        return "simple" if any(getattr(self, f) is not None for f in STAND_IN_FIELDS) \
            else "fast"

    # the stand-in's parameters with their defaults
    @property
    def sigma_az(self) -> float:
        return 3.0 if self.sigma_azimuth_deg is None else self.sigma_azimuth_deg

    @property
    def ambient_level_db(self) -> float:
        return 40.0 if self.ambient_db is None else self.ambient_db

    @property
    def threshold(self) -> float:
        return 6.0 if self.threshold_db is None else self.threshold_db

    @property
    def range_km(self) -> float:
        return 8.0 if self.max_range_km is None else self.max_range_km

    @property
    def p_detect(self) -> float:
        return 0.95 if self.pd is None else self.pd

    # fast / full with their defaults
    @property
    def ambient_name(self) -> str:
        return "rural_night" if self.ambient is None else self.ambient

    @property
    def wind(self) -> float:
        return 2.0 if self.wind_m_s is None else self.wind_m_s


STAND_IN_FIELDS = ("sigma_azimuth_deg", "ambient_db", "threshold_db", "max_range_km", "pd")
FAST_FIELDS = ("ambient", "wind_m_s", "elevation_sigma_deg", "array")


class AcousticNodeSpec(AcousticParams, kw_only=True, tag_field="type", tag="acoustic"):
    """An acoustic sensor node with a small microphone array: reports bearings of the
    sources it detects (how: ``model``); with a ``tdoa_partner`` it also reports the TDOA
    of each source both nodes detect (``fast`` and ``simple``)."""

    id: str
    name: str = ""
    position: Position
    tdoa_partner: TdoaPartner | None = None
    note: str = ""


class LinePoint(_S, kw_only=True):
    lat: Lat
    lon: Lon


class NodeLine(AcousticParams, kw_only=True):
    """``count`` acoustic nodes evenly spaced along the geodesic from ``first`` to
    ``last``, with ids ``{id}-001`` ... and the node parameters above; with ``tdoa``
    each node is the TDOA partner of the next one."""

    id: str
    first: LinePoint
    last: LinePoint
    count: Annotated[int, Meta(ge=2, le=100_000)]
    alt: Annotated[float, Meta(ge=-500.0, le=100_000.0)] = 0.0
    tdoa: bool = True
    note: str = ""


SensorSpec = RadarSpec | AdsbReceiverSpec | AcousticNodeSpec


class ZoneSpec(_S, kw_only=True):
    """An extra zone: from a GeoJSON file next to the scenario or inline geometry."""

    id: str
    name: str
    kind: Literal["adiz", "restricted", "custom"]
    file: str | None = None
    geometry: dict[str, object] | None = None
    country: str | None = None
    note: str = ""


class AssetSpec(_S, kw_only=True):
    id: str
    name: str
    lat: Lat
    lon: Lon
    kind: str = "city"
    value: NonNegative = 1.0


class Scenario(_S, kw_only=True):
    schema: Literal[1] = 1
    name: str
    title: str
    description: str = ""
    sources: list[str] = []
    start: TimeText
    end: TimeText
    seed: int = 0
    watch: Annotated[list[str], Meta(min_length=1)]  # ISO alpha-3 of watched countries
    zones: list[ZoneSpec] = []
    assets: list[AssetSpec] = []
    sensors: list[SensorSpec] = []  # with node_lines' nodes: at least one in all
    node_lines: list[NodeLine] = []
    targets: Annotated[list[Target], Meta(min_length=1)]
    truth_sample_s: Positive = 10.0  # spacing of stored ground-truth states
