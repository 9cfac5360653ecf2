"""The typed messages every stage speaks (schema version 1).

Conventions, the same in every message:

- ``time`` is POSIX seconds (UTC) of the moment the thing *happened*: the plot time
  for a radar, the arrival time of the sound at the node for an acoustic detection
  (the emission time is earlier by range / speed of sound; the tracker models that).
- Positions are WGS84 geodetic: ``lat``/``lon`` in degrees, ``alt`` in metres above
  the ellipsoid. Angles in messages are degrees; azimuths are clockwise from true north.
- Velocities are metres per second in the local East-North-Up frame at the position.
- Covariances are full matrices (row-major lists of rows) in the units of the fields
  they describe, in the order given by each measurement's ``FIELDS``.
- Every message has ``v``, its schema version; decoding rejects a newer one.

Validation happens on the way in (``decode``): a wrong type, a missing field, an
unknown key or an impossible value raises :class:`msgspec.ValidationError` whose
text names the field (``... - at `$.measurement.lat```).
"""

from __future__ import annotations

import copy
import math
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from msgspec import Meta, Struct

SCHEMA_VERSION = 1

Lat = Annotated[float, Meta(ge=-90.0, le=90.0, description="latitude, degrees")]
Lon = Annotated[float, Meta(ge=-180.0, le=180.0, description="longitude, degrees")]
Alt = Annotated[float, Meta(ge=-1000.0, le=1.0e6, description="metres above WGS84")]
Time = Annotated[float, Meta(ge=0.0, description="POSIX seconds, UTC")]
Azimuth = Annotated[float, Meta(ge=-360.0, le=360.0, description="degrees from north")]
Elevation = Annotated[float, Meta(ge=-90.0, le=90.0, description="degrees above horizon")]
Probability = Annotated[float, Meta(ge=0.0, le=1.0)]

TrackStatus = Literal["tentative", "confirmed", "lost"]
# NATO standard identities (STANAG 1241 / APP-6).
Identity = Literal[
    "pending", "unknown", "assumed_friend", "friend", "neutral", "suspect", "hostile"
]
SensorKind = Literal["radar", "adsb", "acoustic", "eo", "sapient", "other"]
ZoneKind = Literal["national_airspace", "adiz", "restricted", "custom"]
EventKind = Literal[
    "incursion_start",
    "incursion_end",
    "adiz_entry",
    "adiz_exit",
    "zone_entry",
    "zone_exit",
    "identity_change",
    "alert",
    "track_lost",
]
Severity = Literal["info", "warning", "critical"]


class _Base(Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """Common base: strict decoding, compact encoding, a schema version."""

    v: int = SCHEMA_VERSION

    def _check_version(self) -> None:
        if self.v > SCHEMA_VERSION or self.v < 1:
            raise ValueError(f"schema version v={self.v} is not supported (1..{SCHEMA_VERSION})")


class GeoPoint(Struct, forbid_unknown_fields=True, kw_only=True):
    """A WGS84 position: where a sensor stands, a zone point, a report position."""

    lat: Lat
    lon: Lon
    alt: Alt = 0.0


class Transponder(Struct, forbid_unknown_fields=True, omit_defaults=True, kw_only=True):
    """What a cooperative aircraft says about itself (Mode S / ADS-B)."""

    icao24: str | None = None
    callsign: str | None = None
    squawk: str | None = None


# --------------------------------------------------------------------------- measurements


class GeodeticPosition(
    Struct, tag="geodetic", tag_field="kind", forbid_unknown_fields=True, kw_only=True
):
    """A position report (ADS-B, GNSS, a fused source). Covariance in local ENU metres
    (east, north, up) at the reported position."""

    FIELDS: ClassVar[tuple[str, ...]] = ("e", "n", "u")
    lat: Lat
    lon: Lon
    alt: Alt


class EnuPosition(Struct, tag="enu", tag_field="kind", forbid_unknown_fields=True, kw_only=True):
    """A Cartesian position in the East-North-Up frame of ``origin``, metres."""

    FIELDS: ClassVar[tuple[str, ...]] = ("e", "n", "u")
    e: float
    n: float
    u: float
    origin: GeoPoint


class RangeBearing(Struct, tag="rbe", tag_field="kind", forbid_unknown_fields=True, kw_only=True):
    """A radar plot: slant range (m), azimuth and elevation (deg) seen from ``origin``.

    ``elevation`` is None for a 2-D radar (its covariance is then 2x2)."""

    FIELDS: ClassVar[tuple[str, ...]] = ("range", "azimuth", "elevation")
    range: Annotated[float, Meta(ge=0.0)]
    azimuth: Azimuth
    elevation: Elevation | None = None
    range_rate: float | None = None
    origin: GeoPoint


class BearingOnly(
    Struct, tag="bearing", tag_field="kind", forbid_unknown_fields=True, kw_only=True
):
    """A direction of arrival (acoustic array, passive RF, EO): azimuth and optional
    elevation (deg) seen from ``origin``."""

    FIELDS: ClassVar[tuple[str, ...]] = ("azimuth", "elevation")
    azimuth: Azimuth
    elevation: Elevation | None = None
    origin: GeoPoint


class Tdoa(Struct, tag="tdoa", tag_field="kind", forbid_unknown_fields=True, kw_only=True):
    """Time difference of arrival ``t(origin) - t(origin2)`` (s) of one sound at two
    nodes; ``sensor2_id`` names the second node."""

    FIELDS: ClassVar[tuple[str, ...]] = ("tdoa",)
    tdoa: float
    origin: GeoPoint
    origin2: GeoPoint
    sensor2_id: str


Measurement = GeodeticPosition | EnuPosition | RangeBearing | BearingOnly | Tdoa


def measurement_dim(m: Measurement) -> int:
    """Number of measured components, which is also the covariance's size."""
    if isinstance(m, RangeBearing):
        return 3 if m.elevation is not None else 2
    if isinstance(m, BearingOnly):
        return 2 if m.elevation is not None else 1
    return len(m.FIELDS)


def _check_covariance(cov: list[list[float]], dim: int, name: str = "covariance") -> None:
    if len(cov) != dim or any(len(row) != dim for row in cov):
        raise ValueError(f"{name} must be {dim}x{dim} for this measurement")
    for i in range(dim):
        if not (cov[i][i] > 0.0 and math.isfinite(cov[i][i])):
            raise ValueError(f"{name}[{i}][{i}] must be a positive finite variance")
        for j in range(i):
            a, b = cov[i][j], cov[j][i]
            if not math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9):
                raise ValueError(f"{name} must be symmetric ([{i}][{j}] != [{j}][{i}])")
            if a * a > cov[i][i] * cov[j][j] * (1 + 1e-9):
                raise ValueError(f"{name} is not positive semi-definite at [{i}][{j}]")


# --------------------------------------------------------------------------- messages


class Sensor(_Base, tag="sensor"):
    """A sensor's registration: who it is, where it stands, what it can see."""

    id: str
    kind: SensorKind
    position: GeoPoint
    name: str = ""
    max_range_m: float | None = None
    period_s: float | None = None
    details: dict[str, Any] = {}

    def __post_init__(self) -> None:
        self._check_version()


class Detection(_Base, tag="detection"):
    """One measurement of one object by one sensor at one time."""

    id: str
    sensor_id: str
    time: Time
    measurement: Measurement
    covariance: list[list[float]]
    frame: int | None = None  # scan / revolution number for scanning sensors
    class_probs: dict[str, Probability] | None = None
    snr_db: float | None = None
    transponder: Transponder | None = None

    def __post_init__(self) -> None:
        self._check_version()
        _check_covariance(self.covariance, measurement_dim(self.measurement))
        if self.class_probs is not None and sum(self.class_probs.values()) > 1.0 + 1e-6:
            raise ValueError("class_probs must sum to at most 1")


class Track(_Base, tag="track"):
    """The fused estimate of one object: position, ENU velocity, 6x6 covariance
    (e, n, u, ve, vn, vu in the local ENU frame at the position)."""

    id: str
    time: Time
    status: TrackStatus
    lat: Lat
    lon: Lon
    alt: Alt
    ve: float
    vn: float
    vu: float
    covariance: list[list[float]]
    born: Time
    hits: int = 0
    sensors: list[str] = []
    class_label: str | None = None
    class_probs: dict[str, Probability] | None = None
    identity: Identity = "pending"
    transponder: Transponder | None = None

    def __post_init__(self) -> None:
        self._check_version()
        _check_covariance(self.covariance, 6)

    @property
    def speed(self) -> float:
        """Ground speed, m/s."""
        return math.hypot(self.ve, self.vn)


class Zone(_Base, tag="zone"):
    """An area of airspace: national airspace (land + territorial sea), an ADIZ, a
    restricted area. ``geometry`` is a GeoJSON Polygon or MultiPolygon (lon, lat)."""

    id: str
    name: str
    kind: ZoneKind
    geometry: dict[str, Any]
    country: str | None = None  # ISO 3166-1 alpha-3 of the owning state
    floor_m: float | None = None
    ceiling_m: float | None = None

    def __post_init__(self) -> None:
        self._check_version()
        if self.geometry.get("type") not in ("Polygon", "MultiPolygon"):
            raise ValueError("geometry.type must be Polygon or MultiPolygon")


class Event(_Base, tag="event"):
    """Something an operator should know: an incursion began or ended, a track entered
    an ADIZ, an identity changed, an alert."""

    id: str
    time: Time
    kind: EventKind
    message: str
    track_id: str | None = None
    zone_id: str | None = None
    country: str | None = None
    position: GeoPoint | None = None
    severity: Severity = "info"
    details: dict[str, Any] = {}

    def __post_init__(self) -> None:
        self._check_version()


class TruthState(_Base, tag="truth"):
    """Ground truth of one simulated target at one time. Only ``sim`` makes these and
    only ``eval`` compares with them; no deployed stage ever sees one."""

    target_id: str
    time: Time
    lat: Lat
    lon: Lon
    alt: Alt
    ve: float = 0.0
    vn: float = 0.0
    vu: float = 0.0
    target_type: str = ""
    cooperative: bool = False
    status: Literal["flying", "downed", "crashed", "landed", "left"] = "flying"

    def __post_init__(self) -> None:
        self._check_version()


Verdict = Literal["allowed", "needs_approval", "forbidden"]
RecommendationStatus = Literal["pending", "approved", "rejected", "expired", "withdrawn"]
Role = Literal["viewer", "operator", "commander"]


class Recommendation(_Base, tag="recommendation"):
    """A proposed engagement: which effector should take which track, where, at what
    cost and at what risk to people on the ground, and what the rules of engagement
    say of it. The system only recommends; a commander decides (:class:`Decision`)."""

    id: str
    time: Time
    track_id: str
    effector_id: str
    effector_type: str
    verdict: Verdict
    reason: str
    rule: str | None = None  # id of the ROE rule that gave the verdict
    status: RecommendationStatus = "pending"
    target_class: str | None = None
    identity: Identity = "pending"
    threat_score: float = 0.0
    pk: Probability = 0.0
    cost_usd: float = 0.0
    ec: float = 0.0  # expected casualties of the shot (debris on people)
    intercept: GeoPoint | None = None
    time_to_go_s: float | None = None
    window_s: tuple[float, float] | None = None  # engagement window, POSIX seconds
    evidence: dict[str, Any] = {}

    def __post_init__(self) -> None:
        self._check_version()


class Decision(_Base, tag="decision"):
    """A person's answer to a recommendation (or an acknowledgement of an alert): who,
    with which role, when, and why. Stored and replayable like every message."""

    id: str
    time: Time
    action: Literal["approve", "reject", "acknowledge"]
    user: str
    role: Role
    recommendation_id: str | None = None
    event_id: str | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        self._check_version()
        if self.action == "acknowledge":
            if self.event_id is None:
                raise ValueError("an acknowledgement names the event_id it acknowledges")
        elif self.recommendation_id is None:
            raise ValueError(f"a decision to {self.action} names its recommendation_id")


Message = (
    Sensor | Detection | Track | Zone | Event | TruthState | Recommendation | Decision
)
MESSAGE_TYPES: dict[str, type[Struct]] = {
    "sensor": Sensor,
    "detection": Detection,
    "track": Track,
    "zone": Zone,
    "event": Event,
    "truth": TruthState,
    "recommendation": Recommendation,
    "decision": Decision,
}

_encoder = msgspec.json.Encoder()
_decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(Message)


def with_fields(msg: Any, **fields: Any) -> Any:
    """A copy of a message with some fields set, for stages that annotate what they pass
    on (class, identity). Shallow and without re-validation (``msgspec.structs.replace``
    re-runs the covariance checks, ~10x slower): the message was validated when it was
    made, and messages are never modified in place."""
    out = copy.copy(msg)
    for k, v in fields.items():
        setattr(out, k, v)
    return out


def encode(msg: Message) -> bytes:
    """JSON bytes of a message, with its ``type`` tag."""
    return _encoder.encode(msg)


def decode(data: bytes | str, type: Any = Message) -> Any:
    """Decode and validate JSON into a message (any kind, or ``type``).

    Raises :class:`msgspec.ValidationError` (naming the field) or
    :class:`msgspec.DecodeError` (malformed JSON)."""
    if type is Message:
        return _decoder.decode(data)
    return msgspec.json.decode(data, type=type)
