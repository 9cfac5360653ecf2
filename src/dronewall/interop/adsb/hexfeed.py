"""Raw hex Mode S lines: dump1090/readsb "raw" output (TCP port 30002) and logs of it.

One frame per line, in any of these forms (case-insensitive, spaces around ignored)::

    *8D4840D6202CC371C32CE0576098;          raw output: '*', 14 or 28 hex, ';'
    @0000A2B3C4D58D4840D6202CC371C32CE0576098;   '--mlat' output: '@', 12 hex of the
                                            receiver's 12 MHz counter, then the frame
    8D4840D6202CC371C32CE0576098            bare hex
    1720249221.982513 8D4840D6...           a leading POSIX time (s), then a frame in
    1720249221.982513,*8D4840D6...;         any form above, separated by a space or ','

A 4-hex-character frame (``*2000;``) is a Mode A/C reply: recognised, counted as
unsupported. Blank lines and lines starting with ``#`` are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

_HEX = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True, slots=True)
class HexLine:
    """A parsed line: the frame's hex (upper case), the leading time and the 12 MHz
    counter when the line had them."""

    msg: str
    time: float | None = None
    ticks: int | None = None


def parse_hex_line(line: str) -> HexLine | None:
    """Parse one line; None for a blank or comment line.

    Raises ValueError naming what is wrong (not hex, wrong length, bad time)."""
    s = line.strip()
    if not s or s.startswith("#"):
        return None
    t: float | None = None
    for sep in (" ", ",", "\t"):
        if sep in s:
            head, _, rest = s.partition(sep)
            try:
                t = float(head)
            except ValueError:
                raise ValueError(f"bad leading time {head[:40]!r}") from None
            if not (t >= 0.0 and t < 1e11):
                raise ValueError(f"leading time {head[:40]!r} is not POSIX seconds")
            s = rest.strip()
            break
    ticks: int | None = None
    if s[:1] in ("*", "@"):
        if not s.endswith(";"):
            raise ValueError("frame starting with '*' or '@' does not end with ';'")
        body = s[1:-1]
        if s[0] == "@":
            if len(body) < 12 or not _HEX.issuperset(body[:12]):
                raise ValueError("'@' frame without its 12-hex-digit counter")
            ticks = int(body[:12], 16)
            body = body[12:]
        s = body
    if not _HEX.issuperset(s):
        raise ValueError(f"not hexadecimal: {s[:40]!r}")
    if len(s) not in (4, 14, 28):
        raise ValueError(f"frame of {len(s)} hex digits (Mode S is 14 or 28, Mode A/C 4)")
    return HexLine(s.upper(), t, ticks)
