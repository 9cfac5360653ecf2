"""Message files: one JSON message per line (JSON Lines), read with strict validation.

A bad line stops reading with a :class:`MessageFileError` naming the file, the line and
the field (``detections.jsonl:42: measurement.lat: Expected `float` <= 90.0``). With
``time_ordered=True`` a time going backwards *within one source* is such an error too: a
sensor's detections, a track's states, a target's truth come in time order, while the
streams of different sources may interleave (a track's history is published when it is
confirmed). Blank lines and lines starting with ``#`` are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import msgspec

from dronewall.model.messages import Detection, Message, Track, TruthState, decode, encode

_PATH = re.compile(r" - at `\$\.?(.*)`$")


class MessageFileError(ValueError):
    """A message file that cannot be read; ``str()`` is ``file:line: field: message``."""

    def __init__(self, file: str, line: int, field: str, message: str) -> None:
        self.file, self.line, self.field, self.message = file, line, field, message
        where = f"{field}: " if field else ""
        at = f"{file}:{line}" if line else file
        super().__init__(f"{at}: {where}{message}")


def _split(exc: Exception) -> tuple[str, str]:
    """(field path, message) of a msgspec error."""
    text = str(exc)
    m = _PATH.search(text)
    if m is None:
        return "", text
    return m.group(1), text[: m.start()]


def source_of(msg: object) -> str | None:
    """The stream a message belongs to, whose times must not go backwards."""
    if isinstance(msg, Detection):
        return f"sensor {msg.sensor_id}"
    if isinstance(msg, Track):
        return f"track {msg.id}"
    if isinstance(msg, TruthState):
        return f"target {msg.target_id}"
    return None


def read_messages(path: str | Path, *, time_ordered: bool = False,
                  type: Any = Message) -> Iterator[Any]:
    """Yield the messages of a JSON Lines file, validated, in file order."""
    p = Path(path)
    last_time: dict[str, float] = {}
    try:
        handle = p.open("rb")
    except OSError as exc:
        raise MessageFileError(str(p), 0, "", exc.strerror or str(exc)) from None
    with handle:
        for n, raw in enumerate(handle, start=1):
            line = raw.strip()
            if not line or line.startswith(b"#"):
                continue
            try:
                msg = decode(line, type=type)
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                field, message = _split(exc)
                raise MessageFileError(str(p), n, field, message) from None
            source = source_of(msg) if time_ordered else None
            if source is not None:
                before = last_time.get(source, float("-inf"))
                if msg.time < before:
                    raise MessageFileError(str(p), n, "time", f"time {msg.time} goes backwards "
                                           f"for {source} (previous {before})")
                last_time[source] = msg.time
            yield msg


def write_messages(messages: Iterable[Message], out: IO[bytes]) -> int:
    """Write messages as JSON Lines; returns how many."""
    n = 0
    for msg in messages:
        out.write(encode(msg) + b"\n")
        n += 1
    return n
