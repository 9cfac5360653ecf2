"""CAT062 (SDPS system tracks) -> :class:`Track`.

Items used (EUROCONTROL ASTERIX Part 9, Cat 062, ed. 1.18, as decoded by asterix-decoder;
bit layouts in :mod:`.encode062`):

=========  ============================================  ==================================
item       content                                       becomes
=========  ============================================  ==================================
I062/010   SAC, SIC: the tracker                         id ``asterix:SAC/SIC:TRACKNO``
I062/040   track number                                  (id)
I062/070   time of track information (1/128 s of day)    ``time``
I062/105   WGS84 position (180/2^25 deg)                 ``lat``, ``lon``
I062/130   geometric altitude (6.25 ft)                  ``alt``; else I062/135 barometric
                                                         altitude, else I062/136 measured
                                                         flight level (25 ft), else 0 with
                                                         a 10 km sigma
I062/185   Cartesian velocity vx, vy (0.25 m/s)          ``ve``, ``vn`` (0 when absent)
I062/220   rate of climb/descent (6.25 ft/min)           ``vu``
I062/080   track status: CNF, TSE                        ``status``: tentative (CNF=1),
                                                         lost (TSE=1), else confirmed
I062/500   estimated accuracies: APC (x, y, 0.5 m),      the covariance's diagonal (and
           COV (xy), APW (lat, lon), AGA (6.25 ft),      the e-n term from COV)
           ATV (vx, vy, 0.25 m/s)
I062/060   Mode-3/A code                                 ``transponder.squawk``
I062/380   ADR target address, ID identification         ``transponder.icao24``, callsign
=========  ============================================  ==================================

Default sigmas where I062/500 is silent (documented, not measured): 150 m horizontal,
100 m vertical (barometric or geometric), 10 m/s horizontal velocity, 5 m/s vertical.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dronewall.model.messages import Track, Transponder

from .items import FPM, FT, Record, RecordError, icao24, number, squawk, text

_M_PER_DEG = 111_320.0  # metres per degree of latitude (and of longitude at the equator)
NO_ALT_SIGMA_M = 10_000.0


@dataclass(frozen=True, slots=True)
class TrackSigmas:
    """1-sigma defaults for a CAT062 track whose I062/500 leaves a component out."""

    horizontal_m: float = 150.0
    vertical_m: float = 100.0
    velocity_ms: float = 10.0
    vertical_velocity_ms: float = 5.0


def track_key(rec: Record) -> tuple[int, int, int]:
    """(SAC, SIC, track number) of a CAT062 record."""
    sac, sic = number(rec, "I010", "SAC"), number(rec, "I010", "SIC")
    trk = number(rec, "I040", "TrkN")
    if sac is None or sic is None or trk is None:
        raise RecordError("CAT062 record without I062/010 source or I062/040 track number")
    return int(sac), int(sic), int(trk)


def track_status(rec: Record) -> str:
    """tentative / lost / confirmed from I062/080."""
    if number(rec, "I080", "TSE"):
        return "lost"
    if number(rec, "I080", "CNF"):
        return "tentative"
    return "confirmed"


def _altitude(rec: Record) -> tuple[float, float | None]:
    """(alt m, sigma from the source or None) in the order geometric, barometric, MFL."""
    for item, field in (("I130", "Alt"), ("I135", "CTBA"), ("I136", "MFL")):
        ft = number(rec, item, field)
        if ft is not None:
            return ft * FT, None
    return 0.0, NO_ALT_SIGMA_M


def track_covariance(rec: Record, lat: float, sigmas: TrackSigmas) -> list[list[float]]:
    """6x6 ENU covariance from I062/500, defaults where a component is missing."""
    se = sn = sigmas.horizontal_m
    cen = 0.0
    apc_x, apc_y = number(rec, "I500", "APC", "APC_X"), number(rec, "I500", "APC", "APC_Y")
    apw_lat = number(rec, "I500", "APW", "APW_Lat")
    apw_lon = number(rec, "I500", "APW", "APW_Long")
    if apc_x is not None and apc_y is not None:
        se, sn = apc_x, apc_y
        cxy = number(rec, "I500", "COV", "COV_XY")
        if cxy is not None:
            cen = math.copysign(cxy * cxy, cxy)
    elif apw_lat is not None and apw_lon is not None:
        sn = apw_lat * _M_PER_DEG
        se = apw_lon * _M_PER_DEG * math.cos(math.radians(lat))
    aga = number(rec, "I500", "AGA", "AGA_Acc")
    su = aga * FT if aga is not None else sigmas.vertical_m
    atv_x, atv_y = number(rec, "I500", "ATV", "ATV_X"), number(rec, "I500", "ATV", "ATV_Y")
    sve = atv_x if atv_x is not None else sigmas.velocity_ms
    svn = atv_y if atv_y is not None else sigmas.velocity_ms
    # a zero accuracy is the LSB's rounding, not certainty: floor at half an LSB
    diag = [max(se, 0.25), max(sn, 0.25), max(su, 1.0), max(sve, 0.125), max(svn, 0.125),
            sigmas.vertical_velocity_ms]  # fmt: skip
    cov = [[0.0] * 6 for _ in range(6)]
    for i, s in enumerate(diag):
        cov[i][i] = s * s
    limit = 0.999 * diag[0] * diag[1]
    cen = max(-limit, min(limit, cen))
    cov[0][1] = cov[1][0] = cen
    return cov


def record_to_track(
    rec: Record,
    *,
    time: float,
    born: float,
    hits: int,
    sigmas: TrackSigmas = TrackSigmas(),
) -> Track:
    """One decoded CAT062 record as a Track; RecordError naming what is missing."""
    sac, sic, trk = track_key(rec)
    lat, lon = number(rec, "I105", "Lat"), number(rec, "I105", "Lon")
    if lat is None or lon is None:
        raise RecordError(f"CAT062 track {trk} without I062/105 WGS84 position")
    alt, alt_sigma = _altitude(rec)
    cov = track_covariance(rec, lat, sigmas)
    if alt_sigma is not None:
        cov[2][2] = alt_sigma**2
    roc = number(rec, "I220", "RoC")
    code = text(rec, "I060", "Mode3A")
    if number(rec, "I060", "V") or number(rec, "I060", "G"):
        code = None
    tp = Transponder(
        icao24=icao24(text(rec, "I380", "ADR", "ADR")),
        callsign=text(rec, "I380", "ID", "ACID"),
        squawk=squawk(code),
    )
    return Track(
        id=f"asterix:{sac}/{sic}:{trk}",
        time=time,
        status=track_status(rec),  # type: ignore[arg-type]
        lat=lat,
        lon=lon,
        alt=alt,
        ve=number(rec, "I185", "Vx") or 0.0,
        vn=number(rec, "I185", "Vy") or 0.0,
        vu=roc * FPM if roc is not None else 0.0,
        covariance=cov,
        born=min(born, time),
        hits=hits,
        sensors=[f"asterix:{sac}/{sic}"],
        transponder=tp if (tp.icao24 or tp.callsign or tp.squawk) else None,
    )
