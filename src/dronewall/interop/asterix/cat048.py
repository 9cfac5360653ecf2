"""CAT048 (monoradar target reports: plots) -> :class:`Detection` with a RangeBearing.

Items used (EUROCONTROL ASTERIX Part 4, Cat 048, ed. 1.21, as decoded by asterix-decoder):

=========  =======================================  ====================================
item       content                                  becomes
=========  =======================================  ====================================
I048/010   SAC, SIC: the radar                      sensor id ``asterix:SAC/SIC``; the
                                                    site position comes from the caller
I048/140   time of day, 1/128 s since midnight UTC  ``time`` (with a date, see clock)
I048/040   measured rho (1/256 NM), theta           ``range`` (m), ``azimuth`` (deg)
           (360/2^16 deg)
I048/110   height measured by a 3D radar (25 ft,    ``elevation`` (deg), from height,
           above mean sea level)                    range and the site on a sphere
I048/070   Mode-3/A code (octal), V/G bits          ``transponder.squawk`` (if valid)
I048/220   aircraft address (24 bits)               ``transponder.icao24``
I048/240   aircraft identification (8 chars)        ``transponder.callsign``
=========  =======================================  ====================================

The covariance is diagonal from the caller's sigmas; ASTERIX plots carry no accuracy.
Defaults: 70 m in range and 0.08 deg in azimuth, the figures of an en-route SSR
(EUROCONTROL surveillance standard), and 0.3 deg in elevation for a 3-D radar.
Mode C (I048/090) is a barometric flight level, not a geometric height, and is not used
to make an elevation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dronewall.model.messages import Detection, GeoPoint, RangeBearing, Transponder

from .items import FT, NM, Record, RecordError, icao24, number, squawk, text

EARTH_RADIUS_M = 6_371_008.8  # mean radius; a 3-D radar's height is already refraction-corrected


@dataclass(frozen=True, slots=True)
class PlotSigmas:
    """1-sigma errors of a radar plot (caller-given; ASTERIX CAT048 carries none)."""

    range_m: float = 70.0
    azimuth_deg: float = 0.08
    elevation_deg: float = 0.3


def elevation_from_height(range_m: float, height_m: float, site_alt_m: float) -> float | None:
    """Elevation angle (deg) of a target at ``height_m`` seen at slant ``range_m`` from a
    site at ``site_alt_m``, on a spherical earth; None when the three do not fit."""
    if range_m <= 0.0:
        return None
    r_site = EARTH_RADIUS_M + site_alt_m
    r_tgt = EARTH_RADIUS_M + height_m
    s = (r_tgt * r_tgt - r_site * r_site - range_m * range_m) / (2.0 * r_site * range_m)
    if not -1.0 <= s <= 1.0:
        return None
    return math.degrees(math.asin(s))


def transponder_048(rec: Record) -> Transponder | None:
    """Mode-3/A, aircraft address and identification of a plot, None when none."""
    code = text(rec, "I070", "Mode3A")
    if number(rec, "I070", "V") or number(rec, "I070", "G"):
        code = None  # not validated or garbled
    t = Transponder(
        icao24=icao24(text(rec, "I220", "ACAddr")),
        callsign=text(rec, "I240", "TId"),
        squawk=squawk(code),
    )
    return t if (t.icao24 or t.callsign or t.squawk) else None


def plot_to_detection(
    rec: Record,
    *,
    det_id: str,
    sensor_id: str,
    site: GeoPoint,
    time: float,
    frame: int | None = None,
    sigmas: PlotSigmas = PlotSigmas(),
) -> Detection:
    """One decoded CAT048 record as a Detection; RecordError when it has no position."""
    rho = number(rec, "I040", "RHO")
    theta = number(rec, "I040", "THETA")
    if rho is None or theta is None:
        raise RecordError("CAT048 record without I048/040 measured position (a track-only report)")
    rng = rho * NM
    height_ft = number(rec, "I110", "3D_Height")
    elevation = None
    if height_ft is not None:
        elevation = elevation_from_height(rng, height_ft * FT, site.alt)
    diag = [sigmas.range_m**2, sigmas.azimuth_deg**2]
    if elevation is not None:
        diag.append(sigmas.elevation_deg**2)
    cov = [[diag[i] if i == j else 0.0 for j in range(len(diag))] for i in range(len(diag))]
    return Detection(
        id=det_id,
        sensor_id=sensor_id,
        time=time,
        measurement=RangeBearing(range=rng, azimuth=theta, elevation=elevation, origin=site),
        covariance=cov,
        frame=frame,
        transponder=transponder_048(rec),
    )
