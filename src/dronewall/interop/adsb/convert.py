"""``dronewall convert --from beast|sbs|modes-hex``: the readers in the converter's shape.

Each function takes the opened input (a file, stdin, a socket file) and the converter's
options, yields Detections, and leaves the feed's counters in ``options.counters`` when
the input ends. Options (``--set KEY=VALUE``):

- ``beast_epoch``: POSIX seconds (or ISO 8601 UTC) of the receiver's 12 MHz counter's
  zero, for Beast and ``@``-prefixed hex frames;
- ``reference``: ``LAT,LON`` of the receiver, to place single frames before an
  even/odd pair is seen (aircraft within 180 NM of it);
- ``utc_offset_s``: the SBS receiver's clock offset from UTC (dump1090 writes local
  time); ``sbs_nacp``: the accuracy category assumed for SBS positions (default 8);
- ``clock=wall``: stamp frames that carry no time with the host's clock when they are
  read (live feeds of bare hex or Beast without ``beast_epoch``); without it such
  frames are counted ``untimed``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

from dronewall.interop.adsb.frames import Clock
from dronewall.interop.adsb.reader import CHUNK, FeedFormat, FeedReader
from dronewall.model.messages import Detection
from dronewall.timeutil import parse_iso

if TYPE_CHECKING:
    from dronewall.interop.convert import ConvertOptions


def _chunks(source: IO[bytes]) -> Iterator[bytes]:
    read = getattr(source, "read1", source.read)  # read1: what has arrived, for live pipes
    while chunk := read(CHUNK):
        yield chunk


def _option_error(text: str) -> Exception:
    from dronewall.interop.convert import ConvertError

    return ConvertError(text)


def _float(options: ConvertOptions, key: str) -> float | None:
    raw = options.get(key)
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        if key == "beast_epoch":
            try:
                return parse_iso(raw)
            except ValueError:
                pass
        raise _option_error(f"--set {key}={raw!r}: expected a number") from None


def _reader(fmt: FeedFormat, source: IO[bytes], options: ConvertOptions) -> Iterator[Detection]:
    ref = options.get("reference")
    reference: tuple[float, float] | None = None
    if ref is not None:
        try:
            lat, lon = (float(x) for x in ref.split(","))
        except ValueError:
            raise _option_error(f"--set reference={ref!r}: expected LAT,LON") from None
        reference = (lat, lon)
    clock_opt = options.get("clock")
    if clock_opt not in (None, "wall"):
        raise _option_error(f"--set clock={clock_opt!r}: only 'wall' is known")
    clock: Clock | None = time.time if clock_opt == "wall" else None
    nacp = _float(options, "sbs_nacp")
    reader = FeedReader(
        _chunks(source), fmt, sensor_id=options.sensor_id, clock=clock,
        beast_epoch=_float(options, "beast_epoch"), reference=reference,
        utc_offset_s=_float(options, "utc_offset_s") or 0.0,
        sbs_nacp=int(nacp) if nacp is not None else 8,
    )
    try:
        yield from reader
    finally:
        for k, v in reader.stats.items():
            if v:
                options.counters[k] = options.counters.get(k, 0) + v


def read_beast(source: IO[bytes], options: ConvertOptions) -> Iterator[Detection]:
    """Beast binary (dump1090/readsb port 30005) to Detections."""
    return _reader("beast", source, options)


def read_sbs(source: IO[bytes], options: ConvertOptions) -> Iterator[Detection]:
    """SBS/BaseStation text (port 30003) to Detections."""
    return _reader("sbs", source, options)


def read_modes_hex(source: IO[bytes], options: ConvertOptions) -> Iterator[Detection]:
    """Raw hex Mode S lines (port 30002, or logs with a leading time) to Detections."""
    return _reader("modes-hex", source, options)
