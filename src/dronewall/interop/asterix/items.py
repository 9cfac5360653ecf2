"""Access to asterix-decoder's non-verbose record dicts, and shared unit constants.

asterix-decoder (``asterix.parse(data, verbose=False)``) gives each record as a dict:
``{"category": 48, "I040": {"RHO": {"val": 197.68}, "THETA": {"val": 340.1}}, ...}``;
compound items nest one level more (``"I500": {"APC": {"APC_X": {"val": 2.5}}}``). Values
are already scaled to the units of the category's XML definition (NM, deg, ft, FL, m/s,
s). A record that failed to decode has ``hexdata`` None and no items."""

from __future__ import annotations

from typing import Any

FT = 0.3048  # metres per foot
NM = 1852.0  # metres per nautical mile
FPM = FT / 60.0  # m/s per foot per minute

Record = dict[str, Any]


class RecordError(ValueError):
    """A decoded record that cannot become a message (names what is missing or wrong)."""


def val(rec: Record, item: str, field: str, sub: str | None = None) -> Any:
    """``rec[item][field]["val"]`` (``rec[item][field][sub]["val"]`` for a compound
    item's subfield), or None when absent."""
    node = rec.get(item)
    if not isinstance(node, dict):
        return None
    node = node.get(field)
    if sub is not None and isinstance(node, dict):
        node = node.get(sub)
    if isinstance(node, dict):
        return node.get("val")
    return None


def sac_sic(rec: Record) -> tuple[int, int]:
    """The data source identifier (I0xx/010), which every category here requires."""
    sac, sic = val(rec, "I010", "SAC"), val(rec, "I010", "SIC")
    if not isinstance(sac, int) or not isinstance(sic, int):
        raise RecordError(f"CAT{rec.get('category')} record without I010 SAC/SIC")
    return sac, sic


def number(rec: Record, item: str, field: str, sub: str | None = None) -> float | None:
    """A numeric value, or None when absent (a text value is an error)."""
    v = val(rec, item, field, sub)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise RecordError(f"I{item[1:]}/{field} is {v!r}, not a number")
    return float(v)


def text(rec: Record, item: str, field: str, sub: str | None = None) -> str | None:
    """A stripped text value (callsign, octal Mode-3/A, hex address), None when blank."""
    v = val(rec, item, field, sub)
    if v is None:
        return None
    s = str(v).strip()
    return s or None


def squawk(code: str | None) -> str | None:
    """A Mode-3/A code as 4 octal digits, None when not one."""
    if code is None or len(code) != 4 or any(c not in "01234567" for c in code):
        return None
    return code


def icao24(addr: str | None) -> str | None:
    """A 24-bit address as 6 lowercase hex digits, None when not one."""
    if addr is None or len(addr) != 6:
        return None
    try:
        int(addr, 16)
    except ValueError:
        return None
    return addr.lower()
