"""CAT021 (ADS-B target reports) -> :class:`Detection` with a GeodeticPosition.

Items used (EUROCONTROL ASTERIX Part 12, Cat 021, ed. 2.6, as decoded by asterix-decoder):

=========  ===========================================  ===================================
item       content                                      becomes
=========  ===========================================  ===================================
I021/010   SAC, SIC: the ground station                 sensor id ``asterix:SAC/SIC``
I021/071   time of applicability for position (1/128 s) ``time``; else I021/073, time of
                                                        message reception for position
I021/131   high-resolution position (180/2^30 deg)      ``lat``, ``lon``; else I021/130
                                                        (180/2^23 deg)
I021/140   geometric height (6.25 ft, WGS84)            ``alt``; else I021/145 flight level
                                                        (1/4 FL, pressure altitude: a
                                                        stand-in, with a wide sigma)
I021/090   quality indicators: NACp, GVA                the covariance (below)
I021/080   target address (24 bits)                     ``transponder.icao24``
I021/170   target identification (8 chars)              ``transponder.callsign``
I021/070   Mode-3/A code                                ``transponder.squawk``
=========  ===========================================  ===================================

Accuracy: NACp bounds the 95 % horizontal position error (EPU, DO-260B table: 11 <3 m,
10 <10 m, 9 <30 m, 8 <0.05 NM, 7 <0.1 NM, 6 <0.3 NM, 5 <0.5 NM, 4 <1 NM, 3 <2 NM,
2 <4 NM, 1 <10 NM, 0 unknown: taken as 10 NM). A circular 95 % radius is 2.448 sigma per
axis. GVA bounds the 95 % geometric altitude error (1: 150 m, 2: 45 m; else 150 m),
sigma = bound / 1.96. A flight level used as altitude gets sigma 150 m: the pressure
altitude differs from the ellipsoid height by the weather and the geoid.
"""

from __future__ import annotations

from dronewall.model.messages import Detection, GeodeticPosition, Transponder

from .items import FT, NM, Record, RecordError, icao24, number, squawk, text

NACP_EPU_M = {
    11: 3.0, 10: 10.0, 9: 30.0, 8: 0.05 * NM, 7: 0.1 * NM, 6: 0.3 * NM,
    5: 0.5 * NM, 4: 1.0 * NM, 3: 2.0 * NM, 2: 4.0 * NM, 1: 10.0 * NM, 0: 10.0 * NM,
}  # fmt: skip
GVA_95_M = {1: 150.0, 2: 45.0}
FL_ALT_SIGMA_M = 150.0


def horizontal_sigma(nacp: int | None) -> float:
    """Per-axis 1-sigma (m) of an ADS-B position with this NACp (None: unknown)."""
    return NACP_EPU_M.get(nacp if nacp is not None else 0, NACP_EPU_M[0]) / 2.448


def report_to_detection(rec: Record, *, det_id: str, sensor_id: str, time: float) -> Detection:
    """One decoded CAT021 record as a Detection; RecordError naming what is missing."""
    lat = number(rec, "I131", "Lat")
    lon = number(rec, "I131", "Lon")
    if lat is None or lon is None:
        lat, lon = number(rec, "I130", "Lat"), number(rec, "I130", "Lon")
    if lat is None or lon is None:
        raise RecordError("CAT021 record without position (I021/131 or I021/130)")
    geo_ft = number(rec, "I140", "geometric_height")
    nacp = number(rec, "I090", "NACp")
    gva = number(rec, "I090", "GVA")
    if geo_ft is not None:
        alt = geo_ft * FT
        sigma_u = GVA_95_M.get(int(gva) if gva is not None else 0, 150.0) / 1.96
    else:
        fl = number(rec, "I145", "FL")
        if fl is None:
            raise RecordError("CAT021 record without altitude (I021/140 or I021/145)")
        alt = fl * 100.0 * FT
        sigma_u = FL_ALT_SIGMA_M
    sh = horizontal_sigma(int(nacp) if nacp is not None else None)
    t = Transponder(
        icao24=icao24(text(rec, "I080", "TAddr")),
        callsign=text(rec, "I170", "TId"),
        squawk=squawk(text(rec, "I070", "Mode3A")),
    )
    return Detection(
        id=det_id,
        sensor_id=sensor_id,
        time=time,
        measurement=GeodeticPosition(lat=lat, lon=lon, alt=alt),
        covariance=[[sh * sh, 0.0, 0.0], [0.0, sh * sh, 0.0], [0.0, 0.0, sigma_u * sigma_u]],
        transponder=t if (t.icao24 or t.callsign or t.squawk) else None,
    )


def report_time_of_day(rec: Record) -> float:
    """The report's time of day (s since midnight UTC): I021/071, else I021/073."""
    for item, field in (
        ("I071", "time_applicability_position"),
        ("I073", "time_reception_position"),
    ):
        tod = number(rec, item, field)
        if tod is not None:
            return tod
    raise RecordError("CAT021 record without time (I021/071 or I021/073)")
