"""The catalogue of target types the simulator knows, with their default physics.

Each type gives defaults that a scenario's target may override: cruise speed, typical
altitude (m above the ellipsoid), radar cross-section (m², a single aspect-averaged
number at the radar bands of surveillance radars, L/S band) and acoustic source level
(dB SPL at 1 m in the 100-1000 Hz band, un-weighted). The numbers are rough public
figures or engineering guesses, stated as such in the comments: they set the scale of
the problem (how far a radar or a microphone sees a target), not the signature of any
real airframe.

``family`` is the acoustic class label (the shared vocabulary of acoustic node
classifiers: shahed, gerbera, jet, helicopter, multicopter, propeller_aircraft, bird,
background) the simulated classifier reports (its confusion model is in
:mod:`dronewall.sim.sensors`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TargetKind = Literal["drone", "decoy", "missile", "aircraft", "bird"]


@dataclass(frozen=True)
class TargetType:
    """Defaults of one kind of flying object."""

    name: str
    kind: TargetKind
    family: str  # acoustic class label
    cruise_mps: float
    altitude_m: float
    rcs_m2: float
    source_level_db: float
    description: str


# Sources and assumptions, one line per figure where it matters:
# - Gerbera: Reuters (via INCIDENTS.md [P34]): span 2.5 m, <= 18 kg, <= 160 km/h (44 m/s),
#   range ~600 km, altitude up to 3 km (Moldovan police). Cruise 40 m/s assumed. Foam and
#   plywood airframe: RCS ~0.05 m² is a guess dominated by the engine and wiring. A small
#   two-stroke engine: ~108 dB at 1 m assumed (quieter than a Shahed).
# - Shahed-136 / Geran-2: ~185 km/h (51 m/s) cruise is the figure widely published; RCS
#   ~0.1 m² (composite airframe, metal engine) assumed; the Limbach L550-class piston
#   engine is famously loud ("moped"): ~115 dB at 1 m assumed, which gives the 1-3 km
#   hearing ranges reported by acoustic networks.
# - Geran-3 ("jet Shahed"): turbojet variant, reported 300-550 km/h; 150 m/s assumed.
# - Cruise missile (Kh-101 class): ~700 km/h, terrain following at 30-70 m; RCS 0.05 m²
#   (shaped, low observable) assumed; small turbofan ~125 dB at 1 m assumed.
# - Jet aircraft: source levels 140-155 dB at 1 m are of the order of certification
#   levels (~90-100 dB at 300 m) scaled to 1 m; RCS: airliner ~20 m², large fighter
#   (MiG-31) ~15 m², Su-35 ~3 m², generic 4th-generation fighter ~3 m², Tu-95 (huge,
#   contra-rotating propellers) ~100 m². All rough orders of magnitude.
# - Helicopter: ~5 m², ~130 dB at 1 m (blade-vortex noise, mid-size helicopter).
# - Multicopter (DJI class): ~0.01 m², ~80 dB at 1 m (measured figures for small
#   quadcopters are 70-85 dB at 1 m).
# - Bird (stork/goose size): ~0.01 m², essentially silent (60 dB at 1 m assumed).
_TYPES: tuple[TargetType, ...] = (
    TargetType("gerbera", "decoy", "gerbera", 40.0, 1000.0, 0.05, 108.0,
               "Gerbera decoy drone (foam/plywood Shahed look-alike)"),
    TargetType("shahed", "drone", "shahed", 50.0, 1000.0, 0.1, 115.0,
               "Shahed-136 / Geran-2 one-way attack drone, piston engine"),
    TargetType("jet-shahed", "drone", "jet", 150.0, 3000.0, 0.1, 125.0,
               "Geran-3 jet-powered one-way attack drone"),
    TargetType("cruise-missile", "missile", "jet", 200.0, 50.0, 0.05, 125.0,
               "subsonic cruise missile (Kh-101 class), terrain following"),
    TargetType("airliner", "aircraft", "jet", 230.0, 11000.0, 20.0, 145.0,
               "narrow-body airliner at cruise"),
    TargetType("mig-31", "aircraft", "jet", 250.0, 10000.0, 15.0, 150.0,
               "MiG-31 interceptor"),
    TargetType("su-35", "aircraft", "jet", 250.0, 9000.0, 3.0, 150.0,
               "Su-35 fighter"),
    TargetType("tu-95", "aircraft", "propeller_aircraft", 200.0, 10000.0, 100.0, 155.0,
               "Tu-95 turboprop strategic bomber"),
    TargetType("fighter", "aircraft", "jet", 230.0, 8000.0, 3.0, 150.0,
               "generic 4th/5th-generation fighter (F-16, F-35, Gripen, Eurofighter)"),
    TargetType("awacs", "aircraft", "jet", 200.0, 9000.0, 50.0, 145.0,
               "airborne early warning aircraft (E-3 class)"),
    TargetType("tanker", "aircraft", "jet", 220.0, 9000.0, 40.0, 145.0,
               "air-to-air refuelling tanker (KC-135 / A330 MRTT class)"),
    TargetType("helicopter", "aircraft", "helicopter", 60.0, 300.0, 5.0, 130.0,
               "mid-size helicopter (Mi-17 / Black Hawk class)"),
    TargetType("multicopter", "drone", "multicopter", 15.0, 100.0, 0.01, 80.0,
               "small commercial multicopter (DJI class)"),
    TargetType("bird", "bird", "bird", 12.0, 100.0, 0.01, 60.0,
               "large bird (stork, goose)"),
)

CATALOG: dict[str, TargetType] = {t.name: t for t in _TYPES}

# Other names people write for the same thing.
ALIASES: dict[str, str] = {
    "geran": "shahed",
    "geran-2": "shahed",
    "shahed-136": "shahed",
    "geran-3": "jet-shahed",
    "kh-101": "cruise-missile",
    "f-16": "fighter",
    "f-35": "fighter",
    "gripen": "fighter",
    "eurofighter": "fighter",
    "f-18": "fighter",
    "e-3": "awacs",
    "kc-135": "tanker",
    "mrtt": "tanker",
}


class UnknownTargetType(KeyError):
    """A target type that is not in the catalogue; the text lists the known ones."""

    def __str__(self) -> str:
        return str(self.args[0])


def target_type(name: str) -> TargetType:
    """The catalogue entry for ``name`` (case-insensitive; aliases such as ``geran-2``
    resolve to their type). Raises :class:`UnknownTargetType` listing the known types."""
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    try:
        return CATALOG[key]
    except KeyError:
        known = ", ".join(sorted(CATALOG))
        raise UnknownTargetType(
            f"unknown target type {name!r}; known types: {known}"
            f" (aliases: {', '.join(sorted(ALIASES))})"
        ) from None


def type_names() -> list[str]:
    """The catalogue's type names, sorted."""
    return sorted(CATALOG)
