"""The SBS / BaseStation text feed (dump1090/readsb TCP port 30003).

One comma-separated line per event, 22 fields (a few writers add more; they are
ignored)::

     0 message type   MSG (others: SEL, ID, AIR, STA, CLK; not used here)
     1 transmission   1 identification, 2 surface position, 3 airborne position,
                      4 velocity, 5 surveillance altitude, 6 surveillance identity
                      (squawk), 7 air-to-air, 8 all-call reply
     2 session id     3 aircraft id     4 hex ident (ICAO address)     5 flight id
     6 date generated (YYYY/MM/DD)      7 time generated (HH:MM:SS.sss)
     8 date logged                      9 time logged
    10 callsign      11 altitude (ft, pressure altitude)  12 ground speed (kt)
    13 track (deg)   14 latitude   15 longitude   16 vertical rate (ft/min)
    17 squawk        18 alert      19 emergency   20 SPI     21 on ground

e.g. ``MSG,3,1,1,4840D6,1,2024/07/06,06:43:09.525,2024/07/06,06:43:09.530,,38000,,,
52.25720,3.91937,,,0,0,0,0``. The feed is already decoded (the receiver resolved CPR),
so a position line becomes a Detection directly. The date/time is the receiver's
clock: dump1090 writes local time, so the caller gives the receiver's offset from UTC
(``utc_offset_s``; 0 when the receiver runs on UTC). SBS carries no accuracy: the
covariance assumes ``nacp`` (default 8, EPU 0.05 NM; 2020s transport aircraft report
9-10), which the caller may set.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable

from dronewall.interop.adsb.accuracy import FT, AccuracyModel
from dronewall.interop.adsb.frames import Clock, Counters
from dronewall.model.messages import Detection, GeodeticPosition, Transponder

_HEX = frozenset("0123456789abcdefABCDEF")


def sbs_time(date: str, time: str, utc_offset_s: float = 0.0) -> float:
    """POSIX seconds of SBS date ``YYYY/MM/DD`` and time ``HH:MM:SS[.fff]`` (receiver
    local time at ``utc_offset_s`` east of UTC). Raises ValueError if malformed."""
    y, mo, d = (int(x) for x in date.split("/"))
    hh, mm, ss = time.split(":")
    sec = float(ss)
    h, m = int(hh), int(mm)
    if not (1 <= mo <= 12 and 1 <= d <= 31 and 0 <= h < 24 and 0 <= m < 60
            and 0.0 <= sec < 61.0 and 1970 <= y < 3000):
        raise ValueError(f"bad SBS date/time {date!r} {time!r}")
    return calendar.timegm((y, mo, d, h, m, 0)) + sec - utc_offset_s


class SbsDecoder:
    """SBS lines to Detections, keeping each address's callsign and squawk.

    Counters as :class:`~dronewall.interop.adsb.decoder.ModeSDecoder`'s: ``frames``
    (lines), ``decoded``, ``positions``, ``garbage`` (not an SBS line, a bad field),
    ``unsupported`` (non-MSG lines), ``untimed``, ``no_altitude``, ``surface``."""

    def __init__(
        self,
        sensor_id: str,
        *,
        utc_offset_s: float = 0.0,
        nacp: int | None = 8,
        accuracy: AccuracyModel | None = None,
        clock: Clock | None = None,
        id_prefix: str | None = None,
    ) -> None:
        self.sensor_id = sensor_id
        self.utc_offset_s = utc_offset_s
        self.nacp = nacp
        self.accuracy = accuracy if accuracy is not None else AccuracyModel()
        self.clock = clock
        self.identity: dict[str, tuple[str | None, str | None]] = {}
        self.counters = Counters()
        for k in ("frames", "decoded", "positions", "garbage", "unsupported", "untimed",
                  "no_altitude", "surface"):
            self.counters[k] = 0
        self._cov = self.accuracy.covariance(nacp, None)
        self._prefix = id_prefix if id_prefix is not None else sensor_id
        self._n = 0

    def feed(self, lines: Iterable[str]) -> list[Detection]:
        """Decode lines; return the position reports. Bad lines are counted."""
        out: list[Detection] = []
        for line in lines:
            d = self.decode(line)
            if d is not None:
                out.append(d)
        return out

    def decode(self, line: str) -> Detection | None:
        c = self.counters
        s = line.strip()
        if not s:
            return None
        c["frames"] += 1
        f = s.split(",")
        if f[0] != "MSG":
            if f[0] in ("SEL", "ID", "AIR", "STA", "CLK"):
                c["unsupported"] += 1
            else:
                c.bad("garbage", f"not an SBS line: {s[:40]!r}")
            return None
        if len(f) < 22:
            c.bad("garbage", f"SBS MSG line with {len(f)} fields (22 expected)")
            return None
        icao = f[4].strip().lower()
        if len(icao) != 6 or not _HEX.issuperset(icao):
            c.bad("garbage", f"bad SBS hex ident {f[4][:20]!r}")
            return None
        kind = f[1].strip()
        try:
            alt_ft = float(f[11]) if f[11].strip() else None
            lat = float(f[14]) if f[14].strip() else None
            lon = float(f[15]) if f[15].strip() else None
        except ValueError:
            c.bad("garbage", f"bad SBS number in {s[:60]!r}")
            return None
        c["decoded"] += 1
        callsign, squawk = self.identity.get(icao, (None, None))
        cs = f[10].strip()
        sq = f[17].strip()
        if cs or sq:
            callsign = cs or callsign
            squawk = sq if (len(sq) == 4 and sq.isdigit()) else squawk
            self.identity[icao] = (callsign, squawk)
        if kind == "2":
            c["surface"] += 1
            return None
        if lat is None or lon is None:
            return None
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            c.bad("garbage", f"SBS position {lat}, {lon} out of range")
            return None
        if alt_ft is None or not -3000.0 <= alt_ft <= 3.0e6:
            c.bad("no_altitude", f"{icao}: SBS position without a valid altitude")
            return None
        try:
            t = sbs_time(f[6].strip(), f[7].strip(), self.utc_offset_s)
        except ValueError:
            if self.clock is None:
                c.bad("untimed", f"SBS line without a valid date/time: {s[:60]!r}")
                return None
            t = self.clock()
        if not (math.isfinite(t) and t >= 0.0):
            c.bad("untimed", f"SBS time {t} is not POSIX seconds")
            return None
        c["positions"] += 1
        det = Detection(
            id=f"{self._prefix}:{self._n}",
            sensor_id=self.sensor_id,
            time=t,
            measurement=GeodeticPosition(lat=lat, lon=lon, alt=alt_ft * FT),
            covariance=[row[:] for row in self._cov],
            transponder=Transponder(icao24=icao, callsign=callsign, squawk=squawk),
        )
        self._n += 1
        return det
