"""Our :class:`Track` messages as ASTERIX CAT062 (SDPS system track data) data blocks.

asterix-decoder only decodes, so this is our own encoder; the tests decode its output
with asterix-decoder (a different implementation) and compare every field back.

Layout (EUROCONTROL ASTERIX Part 9, Cat 062, ed. 1.18/1.19). A data block is
``CAT=62`` (1 octet), ``LEN`` (2 octets, whole block), then records. A record is the
FSPEC then the items present, in FRN order. FSPEC: one bit per FRN, 7 per octet from the
most significant bit down; bit 1 (LSB) of each octet is FX, set when another FSPEC octet
follows. The items we write (FRN, octets, bits from the most significant):

========  ===  ======  =========================================================================
item      FRN  octets  layout
========  ===  ======  =========================================================================
I062/010    1     2    SAC (8), SIC (8): the data source identifier
I062/015    3     1    service identification (8)
I062/070    4     3    time of track information, unsigned, LSB 1/128 s since midnight UTC
I062/105    5     8    latitude (32), longitude (32), two's complement, LSB 180/2^25 deg
I062/100    6     6    x (24), y (24), two's complement, LSB 0.5 m, in the stereographic
                       plane tangent at the system reference point (only with ``origin``)
I062/185    7     4    vx (16), vy (16), two's complement, LSB 0.25 m/s (east, north)
I062/060    9     2    V G CH 0 (4 bits), Mode-3/A code (12 bits, 4 octal digits A4..D1)
I062/380   11    1+    compound. Primary octet: ADR(8) ID(7) MHG IAS TAS SAL FSS FX(1); we
                       write ADR: target address (24 bits); ID: identification, 8
                       characters of 6 bits (ICAO IA-5 subset: A-Z 1-26, space 32, 0-9 48-57)
I062/040   12     2    track number (16 bits, unsigned)
I062/080   13    1+    octet 1: MON(8) SPI(7) MRH(6) SRC(5-3) CNF(2) FX(1);
                       octet 2: SIM(8) TSE(7) TSB(6) FPC(5) AFF(4) STP(3) KOS(2) FX(1).
                       MON 1 = monosensor; MRH 1 = geometric altitude more reliable;
                       SRC = source of I062/130 (0 none, 1 GNSS, 2 3D radar, 3 triangulation,
                       4 height from coverage, 5 speed look-up, 6 default height, 7 MLAT);
                       CNF 1 = tentative; TSB 1 = first message of the track; TSE 1 = last
I062/130   18     2    geometric altitude (WGS84), two's complement, LSB 6.25 ft
I062/500   27    1+    compound estimated accuracies. Primary: APC(8) COV(7) APW(6) AGA(5)
                       ABA(4) ATV(3) AA(2) FX(1); we write APC: sigma x (16), sigma y (16),
                       unsigned, LSB 0.5 m; COV: sign(cov_xy) * sqrt(|cov_xy|) (16, two's
                       complement, LSB 0.5 m); AGA: sigma geometric altitude (8), LSB 6.25 ft;
                       ATV: sigma vx (8), sigma vy (8), LSB 0.25 m/s
========  ===  ======  =========================================================================

Not written: I062/136 (measured flight level) and I062/135 (barometric altitude), since a
track's altitude is geometric; a receiver wanting flight levels has Mode C elsewhere.
A value outside an item's range raises :class:`EncodeError` naming the item.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from dronewall.model.messages import GeoPoint, Track

from .clock import time_of_day
from .items import FT

LATLON_LSB = 180.0 / 2**25
VEL_LSB = 0.25
ALT_LSB_FT = 6.25
TOD_LSB = 1.0 / 128.0
XY_LSB = 0.5
MAX_BLOCK = 65535

_IA5 = {c: i + 1 for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
_IA5.update({" ": 32})
_IA5.update({str(d): 48 + d for d in range(10)})


class EncodeError(ValueError):
    """A track that cannot be written in CAT062 (names the item and the value)."""


def _signed(value: float, lsb: float, bits: int, item: str) -> int:
    n = round(value / lsb)
    lim = 1 << (bits - 1)
    if not -lim <= n < lim:
        raise EncodeError(f"{item}: {value!r} is outside the item's range")
    return n & ((1 << bits) - 1)


def _unsigned(value: float, lsb: float, bits: int, *, saturate: bool = True) -> int:
    n = round(value / lsb)
    return max(0, min(n, (1 << bits) - 1)) if saturate else n


def fspec(frns: Iterable[int]) -> bytes:
    """The FSPEC octets announcing the items with these FRNs."""
    present = sorted(set(frns))
    if not present:
        raise EncodeError("a record needs at least one item")
    octets = bytearray((present[-1] - 1) // 7 + 1)
    for frn in present:
        i, pos = divmod(frn - 1, 7)
        octets[i] |= 0x80 >> pos
    for i in range(len(octets) - 1):
        octets[i] |= 0x01
    return bytes(octets)


def callsign_bits(callsign: str) -> bytes:
    """8 characters of 6-bit IA-5 in 6 octets (I062/380 ID, I048/240, I021/170)."""
    cs = callsign.upper().ljust(8)[:8]
    bits = 0
    for c in cs:
        code = _IA5.get(c)
        if code is None:
            raise EncodeError(f"I062/380 ID: character {c!r} of {callsign!r} is not IA-5")
        bits = (bits << 6) | code
    return bits.to_bytes(6, "big")


@dataclass
class Cat062Encoder:
    """Writes tracks as CAT062 records for one SDPS (``sac``/``sic``).

    Track numbers (I062/040) are given to track ids in the order met (1, 2, ...,
    wrapping in 16 bits); ``origin`` enables I062/100 in a stereographic plane tangent
    there. The encoder remembers which tracks it has sent, to set TSB on the first."""

    sac: int
    sic: int
    service_id: int = 1
    origin: GeoPoint | None = None
    altitude_source: int = 0
    _numbers: dict[str, int] = field(default_factory=dict, repr=False)
    _next: int = field(default=1, repr=False)
    _proj: object = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for name, v, hi in (("sac", self.sac, 255), ("sic", self.sic, 255),
                            ("service_id", self.service_id, 255),
                            ("altitude_source", self.altitude_source, 7)):  # fmt: skip
            if not 0 <= v <= hi:
                raise EncodeError(f"{name} {v} is outside 0..{hi}")
        if self.origin is not None:
            from pyproj import Transformer

            stere = (
                f"+proj=stere +lat_0={self.origin.lat} +lon_0={self.origin.lon} "
                "+k=1 +x_0=0 +y_0=0 +ellps=WGS84 +units=m"
            )
            self._proj = Transformer.from_crs("EPSG:4326", stere, always_xy=True)

    def track_number(self, track_id: str) -> int:
        """The I062/040 number of a track id (given on first sight)."""
        n = self._numbers.get(track_id)
        if n is None:
            n = self._next
            self._numbers[track_id] = n
            self._next = self._next % 65535 + 1
        return n

    def record(self, track: Track) -> bytes:
        """One CAT062 record (FSPEC + items) for ``track``."""
        first = track.id not in self._numbers
        items: dict[int, bytes] = {}
        items[1] = bytes((self.sac, self.sic))
        items[3] = bytes((self.service_id,))
        tod = _unsigned(time_of_day(track.time), TOD_LSB, 24, saturate=False) % (86400 * 128)
        items[4] = tod.to_bytes(3, "big")
        lat = _signed(track.lat, LATLON_LSB, 32, "I062/105 latitude")
        lon = _signed(track.lon, LATLON_LSB, 32, "I062/105 longitude")
        items[5] = lat.to_bytes(4, "big") + lon.to_bytes(4, "big")
        if self._proj is not None:
            x, y = self._proj.transform(track.lon, track.lat)  # type: ignore[attr-defined]
            items[6] = _signed(x, XY_LSB, 24, "I062/100 x").to_bytes(3, "big") + _signed(
                y, XY_LSB, 24, "I062/100 y"
            ).to_bytes(3, "big")
        items[7] = _signed(track.ve, VEL_LSB, 16, "I062/185 vx").to_bytes(2, "big") + _signed(
            track.vn, VEL_LSB, 16, "I062/185 vy"
        ).to_bytes(2, "big")
        tp = track.transponder
        if tp is not None and tp.squawk:
            try:
                code = int(tp.squawk, 8)
            except ValueError as e:
                raise EncodeError(f"I062/060: squawk {tp.squawk!r} is not octal") from e
            if len(tp.squawk) != 4 or code > 0o7777:
                raise EncodeError(f"I062/060: squawk {tp.squawk!r} is not 4 octal digits")
            items[9] = code.to_bytes(2, "big")
        if tp is not None and (tp.icao24 or tp.callsign):
            head = 0
            body = b""
            if tp.icao24:
                try:
                    addr = int(tp.icao24, 16)
                except ValueError as e:
                    raise EncodeError(f"I062/380 ADR: {tp.icao24!r} is not hex") from e
                if addr >= 1 << 24:
                    raise EncodeError(f"I062/380 ADR: {tp.icao24!r} is over 24 bits")
                head |= 0x80
                body += addr.to_bytes(3, "big")
            if tp.callsign:
                head |= 0x40
                body += callsign_bits(tp.callsign)
            items[11] = bytes((head,)) + body
        items[12] = self.track_number(track.id).to_bytes(2, "big")
        mon = 1 if len(track.sensors) == 1 else 0
        cnf = 1 if track.status == "tentative" else 0
        tse = 1 if track.status == "lost" else 0
        octet1 = (mon << 7) | (1 << 5) | (self.altitude_source << 2) | (cnf << 1)
        if first or tse:
            items[13] = bytes((octet1 | 1, (tse << 6) | (int(first) << 5)))
        else:
            items[13] = bytes((octet1,))
        items[18] = _signed(track.alt / FT, ALT_LSB_FT, 16, "I062/130 altitude").to_bytes(2, "big")
        items[27] = self._accuracy(track)
        return fspec(items) + b"".join(items[k] for k in sorted(items))

    @staticmethod
    def _accuracy(track: Track) -> bytes:
        p = track.covariance
        sx, sy = math.sqrt(p[0][0]), math.sqrt(p[1][1])
        cxy = p[0][1]
        cov = math.copysign(math.sqrt(abs(cxy)), cxy)
        cov_n = max(-32768, min(32767, round(cov / XY_LSB))) & 0xFFFF
        apc = _unsigned(sx, XY_LSB, 16).to_bytes(2, "big") + _unsigned(sy, XY_LSB, 16).to_bytes(
            2, "big"
        )
        aga = _unsigned(math.sqrt(p[2][2]) / FT, ALT_LSB_FT, 8)
        atv = bytes((_unsigned(math.sqrt(p[3][3]), VEL_LSB, 8),
                     _unsigned(math.sqrt(p[4][4]), VEL_LSB, 8)))  # fmt: skip
        # primary subfield: APC(8) COV(7) AGA(5) ATV(3), no extension
        return (
            bytes((0x80 | 0x40 | 0x10 | 0x04,))
            + apc
            + cov_n.to_bytes(2, "big")
            + bytes((aga,))
            + atv
        )

    def blocks(self, tracks: Iterable[Track], *, max_len: int = MAX_BLOCK) -> Iterator[bytes]:
        """Data blocks holding the records of ``tracks``, each at most ``max_len`` octets
        (a UDP-friendly 1400 keeps one block per datagram)."""
        body = bytearray()
        for t in tracks:
            rec = self.record(t)
            if body and 3 + len(body) + len(rec) > max_len:
                yield _block(body)
                body = bytearray()
            body += rec
        if body:
            yield _block(body)

    def block(self, tracks: Iterable[Track]) -> bytes:
        """All of ``tracks`` as data blocks, concatenated."""
        return b"".join(self.blocks(tracks))


def _block(body: bytes | bytearray) -> bytes:
    return bytes((62,)) + (3 + len(body)).to_bytes(2, "big") + bytes(body)
