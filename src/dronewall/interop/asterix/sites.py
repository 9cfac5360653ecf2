"""The radar site table: where each radar (SAC/SIC) stands.

CAT048 plots are polar (range, azimuth) from the radar, and ASTERIX never says where
the radar is, so the caller gives each site: on the command line as
``SAC/SIC=LAT,LON[,ALT]`` (degrees, metres above WGS84), or in a YAML/JSON file mapping
``"SAC/SIC"`` to ``{lat, lon, alt}``::

    "25/201": {lat: 45.5, lon: 13.7, alt: 120}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec
import yaml

from dronewall.model.messages import GeoPoint

SiteTable = dict[tuple[int, int], GeoPoint]


def _key(text: str) -> tuple[int, int]:
    sac, sep, sic = text.partition("/")
    if not sep or not sac.strip().isdigit() or not sic.strip().isdigit():
        raise ValueError(f"radar {text!r}: expected SAC/SIC, e.g. 25/201")
    ids = (int(sac), int(sic))
    if not (0 <= ids[0] <= 255 and 0 <= ids[1] <= 255):
        raise ValueError(f"radar {text!r}: SAC and SIC are 0..255")
    return ids


def _point(where: str, value: Any) -> GeoPoint:
    try:
        return msgspec.convert(value, GeoPoint)
    except msgspec.ValidationError as e:
        raise ValueError(f"{where}: {e}") from None


def parse_site(text: str) -> tuple[tuple[int, int], GeoPoint]:
    """``SAC/SIC=LAT,LON[,ALT]`` -> ((SAC, SIC), GeoPoint), e.g. ``25/201=45.5,13.7,120``."""
    key, _, pos = text.partition("=")
    try:
        ids = _key(key)
        parts = [float(p) for p in pos.split(",")]
    except ValueError:
        raise ValueError(f"radar site {text!r}: expected SAC/SIC=LAT,LON[,ALT]") from None
    if len(parts) not in (2, 3):
        raise ValueError(f"radar site {text!r}: expected SAC/SIC=LAT,LON[,ALT]")
    fields = dict(zip(("lat", "lon", "alt"), parts, strict=False))
    return ids, _point(f"radar site {text!r}", fields)


def load_sites(path: str | Path) -> SiteTable:
    """A site table from a YAML or JSON file (see the module docstring)."""
    try:
        data = yaml.safe_load(Path(path).read_text())
    except yaml.YAMLError as e:
        raise ValueError(f"{path}: not YAML/JSON: {e}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of SAC/SIC to {{lat, lon, alt}}")
    table: SiteTable = {}
    for k, v in data.items():
        try:
            key = _key(str(k))
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None
        table[key] = _point(f"{path}: {k}", v)
    return table
