"""``dronewall convert``: move data between the allies' formats through our vocabulary.

Every input format has a reader yielding our messages (``Detection``, ``Track``, ...),
every output format a writer taking them; a conversion is ``writer(reader(IN), OUT)``.
Format modules are imported only when their format is asked for, so the GPL decoders
(pyModeS, asterix-decoder) load only for ``--from beast|sbs|modes-hex|asterix`` and only
when their optional extra is installed.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from dronewall.model import Message

Reader = Callable[[IO[bytes], "ConvertOptions"], Iterator[Message]]
Writer = Callable[[Iterable[Message], IO[bytes], "ConvertOptions"], int]


class ConvertError(Exception):
    """A conversion that cannot be done: unknown format, missing extra, bad input."""


@dataclass
class ConvertOptions:
    """Options some formats need (sensor ids, radar sites, SAC/SIC, a date...)."""

    sensor_id: str = "convert"
    values: dict[str, str] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # first examples of what was skipped

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.values.get(key, default)


# format name -> "module:function" (imported lazily), and the extra that provides it
READERS: dict[str, tuple[str, str | None]] = {
    "jsonl": ("dronewall.interop.convert:read_jsonl", None),
    "sapient": ("dronewall.interop.sapient.stream:read_sapient", "sapient"),
    "beast": ("dronewall.interop.adsb.convert:read_beast", "adsb"),
    "sbs": ("dronewall.interop.adsb.convert:read_sbs", "adsb"),
    "modes-hex": ("dronewall.interop.adsb.convert:read_modes_hex", "adsb"),
    "asterix": ("dronewall.interop.asterix.convert:read_asterix", "asterix"),
}
WRITERS: dict[str, tuple[str, str | None]] = {
    "jsonl": ("dronewall.interop.convert:write_jsonl", None),
    "sapient": ("dronewall.interop.sapient.stream:write_sapient", "sapient"),
    "geojson": ("dronewall.interop.geojson:write_geojson", None),
    "kml": ("dronewall.interop.kml:write_kml", "kml"),
    "asterix062": ("dronewall.interop.asterix.convert:write_asterix062", None),
    "cot": ("dronewall.interop.cot.convert:write_cot_xml", None),
    "cot-proto": ("dronewall.interop.cot.convert:write_cot_proto", "tak"),
}


def read_jsonl(source: IO[bytes], options: ConvertOptions) -> Iterator[Message]:
    """Our own messages, one JSON object per line (see ``dronewall export``)."""
    import msgspec

    from dronewall.model import decode

    for n, raw in enumerate(source, start=1):
        line = raw.strip()
        if not line or line.startswith(b"#"):
            continue
        try:
            yield decode(line)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise ConvertError(f"line {n}: {exc}") from None


def write_jsonl(messages: Iterable[Message], sink: IO[bytes], options: ConvertOptions) -> int:
    from dronewall.model.jsonl import write_messages

    return write_messages(messages, sink)


def _resolve(table: dict[str, tuple[str, str | None]], name: str, role: str) -> Any:
    if name not in table:
        raise ConvertError(f"unknown {role} format {name!r} (known: {', '.join(sorted(table))})")
    target, extra = table[name]
    module, func = target.split(":")
    try:
        return getattr(importlib.import_module(module), func)
    except ImportError as exc:
        hint = f": install the extra, pip install 'dronewall[{extra}]'" if extra else ""
        raise ConvertError(f"format {name!r} needs {exc.name or exc}{hint}") from None


@contextmanager
def _open(path: str, mode: str) -> Iterator[IO[bytes]]:
    if path.startswith("tcp://") and "r" in mode:  # a live feed, e.g. dump1090's port 30005
        with _tcp(path) as fh:
            yield fh
        return
    if path == "-":
        yield sys.stdin.buffer if "r" in mode else sys.stdout.buffer
        return
    p = Path(path)
    if "r" in mode:
        try:
            fh = p.open("rb")
        except OSError as exc:
            raise ConvertError(exc.strerror or str(exc)) from None
        with fh:
            yield fh
        return
    tmp = p.with_name(p.name + ".tmp")  # written whole, then renamed: never half a file
    with tmp.open("wb") as out:
        yield out
    tmp.replace(p)


@contextmanager
def _tcp(url: str) -> Iterator[IO[bytes]]:
    import socket
    from urllib.parse import urlsplit

    u = urlsplit(url)
    if not u.hostname or u.port is None:
        raise ConvertError(f"{url!r}: give tcp://host:port")
    try:
        sock = socket.create_connection((u.hostname, u.port), timeout=10)
    except OSError as exc:
        raise ConvertError(f"{url}: {exc.strerror or exc}") from None
    with sock:
        sock.settimeout(None)
        with sock.makefile("rb") as fh:
            yield fh


def convert(src_format: str, dst_format: str, src: str, dst: str,
            options: ConvertOptions | None = None) -> int:
    """Convert ``src`` (a path or ``-``) into ``dst``; returns the messages written."""
    options = options or ConvertOptions()
    reader = _resolve(READERS, src_format, "input")
    writer = _resolve(WRITERS, dst_format, "output")
    if src.startswith("udp://") and src_format == "asterix":  # datagrams, not a byte stream
        from dronewall.interop.asterix.convert import read_asterix_url

        with _open(dst, "w") as fout:
            return int(writer(read_asterix_url(src, options), fout, options))
    with _open(src, "r") as fin, _open(dst, "w") as fout:
        return int(writer(reader(fin, options), fout, options))
