"""``dronewall convert --to cot|cot-proto``: writers for the converter's registry.

``cot`` writes CoT XML, one event per line; ``cot-proto`` a TAK Protocol v1 protobuf
stream (``0xbf``, varint length, ``TakMessage``), the bytes a TAK server's TCP port
takes. Tracks become air atoms, events alerts (see :mod:`.build`); messages CoT has
no place for (detections, zones, sensors, truth) are skipped and counted in
``options.counters["not tracks or events (skipped)"]``. Option ``stale_s`` (``--set
stale_s=30``) fixes every track's stale time instead of following its update interval.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any, Protocol

from dronewall.interop.cot.build import CotConverter, track_to_cot
from dronewall.interop.cot.event import CotEvent
from dronewall.model import Track

SKIPPED = "not tracks or events (skipped)"


class Options(Protocol):
    counters: dict[str, int]

    def get(self, key: str, default: str | None = None) -> str | None: ...


def _events(messages: Iterable[Any], options: Options) -> Iterable[CotEvent]:
    conv = CotConverter()
    stale = options.get("stale_s")
    stale_s = float(stale) if stale else None
    for msg in messages:
        ev = (track_to_cot(msg, stale_s=stale_s) if stale_s is not None and
              isinstance(msg, Track) else conv.convert(msg))
        if ev is None:
            options.counters[SKIPPED] = options.counters.get(SKIPPED, 0) + 1
            continue
        yield ev


def write_cot_xml(messages: Iterable[Any], sink: IO[bytes], options: Options) -> int:
    """CoT XML lines; returns the events written."""
    from dronewall.interop.cot.event import to_xml

    n = 0
    for ev in _events(messages, options):
        sink.write(to_xml(ev) + b"\n")
        n += 1
    return n


def write_cot_proto(messages: Iterable[Any], sink: IO[bytes], options: Options) -> int:
    """A TAK protobuf stream (needs ``takproto``, the ``tak`` extra)."""
    from dronewall.interop.cot.proto import to_proto

    n = 0
    for ev in _events(messages, options):
        sink.write(to_proto(ev, "stream"))
        n += 1
    return n
