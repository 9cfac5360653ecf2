"""Mode S / ADS-B frames to :class:`~dronewall.model.messages.Detection` messages.

pyModeS (GPL-3.0, the ``adsb`` extra) decodes each frame's fields; this module keeps the
per-aircraft state that turns them into position reports:

- identity: callsign (TC 1-4), squawk (TC 28; DF5/DF21 replies only for an address
  already seen in a CRC-valid squitter, since their parity hides the address), NACp
  (TC 31 operational status, TC 29 target state);
- airborne position (TC 9-18 barometric, TC 20-22 GNSS height), Compact Position
  Reporting: the first position comes from an even/odd pair received within
  ``pair_window_s`` (10 s; *global* decoding), later frames are decoded *locally*
  against the last accepted position (within ``local_window_s``), and a local result
  must lie within ``max_speed_mps`` · Δt + ``motion_margin_m`` of it. Two rejected
  local results in a row drop the reference, so a wrong anchor cannot stick; the
  next pair re-anchors. Optionally (``reference``, e.g. the receiver's position)
  a single frame is decoded against a fixed point within 180 NM, as dump1090 does.

Altitude in the output: for TC 9-18 it is the *barometric pressure altitude* (feet of
the standard atmosphere, converted to metres), **not** height above the WGS84
ellipsoid: the two differ by tens to hundreds of metres with the weather. For TC 20-22
it is the GNSS height the aircraft reports. DF18 is used only with CF 0 (ADS-B from a
non-transponder device with its ICAO address); TIS-B and ADS-R rebroadcasts (CF 1-7)
are counted unsupported, since their address may not be an ICAO address. Surface
positions (TC 5-8) carry no altitude and are counted (``surface``), not reported.
Velocity (TC 19) is decoded into the aircraft state but not reported (a Detection
carries a position only).

Counters (:attr:`ModeSDecoder.counters`): ``frames`` in, ``decoded`` (pyModeS read
it), ``positions`` out, ``bad_crc`` (extended squitter failing its CRC), ``unsupported``
(downlink formats and type codes this does not use), ``garbage`` (not a Mode S frame),
``untimed`` (no time to stamp it with), ``rejected`` (a CPR result failing the motion
check), ``no_altitude``, ``surface``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import pyModeS
from pyModeS.position import airborne_position_pair, airborne_position_with_ref

from dronewall.interop.adsb.accuracy import FT, AccuracyModel
from dronewall.interop.adsb.frames import Counters, ModeSFrame
from dronewall.model.messages import Detection, GeodeticPosition, Transponder

_EARTH_R = 6_371_008.8


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (m): a motion sanity check, not geodesy."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * _EARTH_R * math.asin(min(1.0, math.sqrt(a)))


@dataclass(slots=True)
class AircraftState:
    """What is known of one address: identity, accuracy, CPR frames, last position."""

    callsign: str | None = None
    squawk: str | None = None
    nacp: int | None = None
    even: tuple[float, int, int] | None = None  # time, CPR lat, CPR lon
    odd: tuple[float, int, int] | None = None
    last: tuple[float, float, float] | None = None  # time, lat, lon
    rejections: int = 0
    groundspeed_kt: float | None = None
    track_deg: float | None = None
    vertical_rate_fpm: float | None = None
    seen: float = 0.0
    trusted: bool = False  # seen in a CRC-valid DF17/18


class ModeSDecoder:
    """Stateful decoder: :meth:`feed` frames in time order, get Detections.

    ``sensor_id`` names the receiver; detection ids are ``"{sensor_id}:{n}"`` in order.
    ``reference`` (lat, lon): optional fixed point within 180 NM of every aircraft
    (the receiver) for single-frame decoding before a pair is seen."""

    def __init__(
        self,
        sensor_id: str,
        *,
        reference: tuple[float, float] | None = None,
        accuracy: AccuracyModel | None = None,
        pair_window_s: float = 10.0,
        local_window_s: float = 30.0,
        max_speed_mps: float = 700.0,
        motion_margin_m: float = 2000.0,
        state_ttl_s: float = 300.0,
        id_prefix: str | None = None,
    ) -> None:
        self.sensor_id = sensor_id
        self.reference = reference
        self.accuracy = accuracy if accuracy is not None else AccuracyModel()
        self.pair_window_s = pair_window_s
        self.local_window_s = local_window_s
        self.max_speed_mps = max_speed_mps
        self.motion_margin_m = motion_margin_m
        self.state_ttl_s = state_ttl_s
        self.aircraft: dict[str, AircraftState] = {}
        self.counters = Counters()
        for k in ("frames", "decoded", "positions", "bad_crc", "unsupported", "garbage",
                  "untimed", "rejected", "no_altitude", "surface"):
            self.counters[k] = 0
        self._prefix = id_prefix if id_prefix is not None else sensor_id
        self._n = 0
        self._next_sweep = -math.inf

    # ------------------------------------------------------------------ public

    def feed(self, frames: Iterable[ModeSFrame]) -> list[Detection]:
        """Decode ``frames``; return the position reports among them. Never raises on
        bad frames: they are counted."""
        out: list[Detection] = []
        for f in frames:
            det = self.decode(f)
            if det is not None:
                out.append(det)
        return out

    def decode(self, frame: ModeSFrame) -> Detection | None:
        """One frame: update the aircraft's state, return a Detection for a position."""
        c = self.counters
        c["frames"] += 1
        try:
            msg = pyModeS.Message(frame.msg)
        except (pyModeS.DecodeError, ValueError, TypeError) as e:
            c.bad("garbage", f"not a Mode S frame: {e}")
            return None
        t = frame.time
        if t is None or not (math.isfinite(t) and t >= 0.0):
            c.bad("untimed", "frame without a valid time (give a timestamped feed or a clock)")
            return None
        df = msg.df
        if df == 18 and int(frame.msg[1], 16) & 0x7:
            c["unsupported"] += 1  # DF18 with CF != 0: TIS-B/ADS-R, maybe a non-ICAO address
            return None
        if df in (17, 18):
            if msg.crc_valid is not True:
                c.bad("bad_crc", f"DF{df} frame {frame.msg} fails its CRC")
                return None
        elif df in (5, 21):
            self._identity_reply(msg, t)
            return None
        else:
            c["unsupported"] += 1
            return None
        try:
            d = msg.decode()
        except Exception as e:  # pyModeS on a CRC-valid frame: should not happen; count
            c.bad("garbage", f"pyModeS could not decode {frame.msg}: {e}")
            return None
        c["decoded"] += 1
        if t > self._next_sweep:
            self._sweep(t)
        icao = msg.icao.lower()
        ac = self.aircraft.get(icao)
        if ac is None:
            ac = self.aircraft[icao] = AircraftState()
        ac.seen = max(ac.seen, t)
        ac.trusted = True
        bds = d.get("bds")
        if bds == "0,5":
            return self._position(icao, ac, d, t)
        if bds == "0,8":
            cs = (d.get("callsign") or "").strip("_ #").strip()
            ac.callsign = cs or ac.callsign
        elif bds == "0,9":
            ac.groundspeed_kt = d.get("groundspeed", ac.groundspeed_kt)
            ac.track_deg = d.get("track", ac.track_deg)
            ac.vertical_rate_fpm = d.get("vertical_rate", ac.vertical_rate_fpm)
        elif bds in ("6,5", "6,2"):
            if d.get("nac_p") is not None and (bds == "6,2" or d.get("subtype") == 0):
                ac.nacp = int(d["nac_p"])
        elif bds == "6,1":
            if d.get("squawk"):
                ac.squawk = d["squawk"]
        elif bds == "0,6":
            c["surface"] += 1
        else:
            c["unsupported"] += 1
        return None

    # ------------------------------------------------------------------ parts

    def _identity_reply(self, msg: pyModeS.Message, t: float) -> None:
        """DF5/DF21: squawk, kept only for an address seen in a valid squitter (their
        parity is overlaid with the address, so any corrupt reply yields *some*
        address; an address never seen in a CRC-checked squitter is not trusted)."""
        ac = self.aircraft.get(msg.icao.lower())
        if ac is None or not ac.trusted:
            self.counters["unsupported"] += 1
            return
        try:
            d = msg.decode()
        except Exception as e:
            self.counters.bad("garbage", f"pyModeS could not decode a DF{msg.df} reply: {e}")
            return
        self.counters["decoded"] += 1
        if d.get("squawk"):
            ac.squawk = d["squawk"]
            ac.seen = max(ac.seen, t)

    def _position(self, icao: str, ac: AircraftState, d: dict, t: float) -> Detection | None:
        c = self.counters
        fmt, la, lo = d["cpr_format"], d["cpr_lat"], d["cpr_lon"]
        if fmt == 0:
            ac.even = (t, la, lo)
            other = ac.odd
        else:
            ac.odd = (t, la, lo)
            other = ac.even
        pos: tuple[float, float] | None = None
        if ac.last is not None and abs(t - ac.last[0]) <= self.local_window_s:
            lt, llat, llon = ac.last
            cand = airborne_position_with_ref(fmt, la, lo, llat, llon)
            limit = self.max_speed_mps * abs(t - lt) + self.motion_margin_m
            if _distance_m(llat, llon, *cand) <= limit:
                pos = cand
                ac.rejections = 0
            else:
                c.bad("rejected", f"{icao}: local CPR position jumps from the last one")
                ac.rejections += 1
                if ac.rejections >= 2:
                    ac.last = None
                    ac.rejections = 0
                return None
        elif other is not None and abs(t - other[0]) <= self.pair_window_s:
            even_newer = (fmt == 0) == (t >= other[0])
            if fmt == 0:
                pos = airborne_position_pair(la, lo, other[1], other[2], even_is_newer=even_newer)
            else:
                pos = airborne_position_pair(other[1], other[2], la, lo, even_is_newer=even_newer)
            if pos is None:
                c.bad("rejected", f"{icao}: even/odd pair straddles a latitude zone")
                return None
        elif self.reference is not None:
            pos = airborne_position_with_ref(fmt, la, lo, *self.reference)
        if pos is None:
            return None
        lat, lon = pos
        if not (-90.0 <= lat <= 90.0):
            c.bad("rejected", f"{icao}: CPR latitude {lat} out of range")
            return None
        lon = (lon + 180.0) % 360.0 - 180.0
        if ac.last is None or t >= ac.last[0]:
            ac.last = (t, lat, lon)
        alt_ft = d.get("altitude")
        if alt_ft is None:
            c.bad("no_altitude", f"{icao}: position without altitude")
            return None
        alt_m = float(alt_ft) * FT
        if not -1000.0 <= alt_m <= 1.0e6:
            c.bad("no_altitude", f"{icao}: altitude {alt_ft} ft out of range")
            return None
        c["positions"] += 1
        det = Detection(
            id=f"{self._prefix}:{self._n}",
            sensor_id=self.sensor_id,
            time=t,
            measurement=GeodeticPosition(lat=lat, lon=lon, alt=alt_m),
            covariance=self.accuracy.covariance(ac.nacp, d.get("nuc_p")),
            transponder=Transponder(icao24=icao, callsign=ac.callsign, squawk=ac.squawk),
        )
        self._n += 1
        return det

    def _sweep(self, t: float) -> None:
        """Forget aircraft not heard for ``state_ttl_s`` (bounded memory on live feeds)."""
        old = [k for k, a in self.aircraft.items() if t - a.seen > self.state_ttl_s]
        for k in old:
            del self.aircraft[k]
        self._next_sweep = t + min(10.0, self.state_ttl_s)
