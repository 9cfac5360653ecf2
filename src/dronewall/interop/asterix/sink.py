"""Writing CAT062 data blocks: to a file (``-`` for stdout) or to ``udp://HOST:PORT``.

A file is the blocks back to back (the usual ``.ast`` recording); over UDP each
datagram carries one block of at most 1400 octets, below a typical MTU."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from dronewall.model.messages import Track

from .encode062 import Cat062Encoder
from .framing import parse_udp_url

UDP_BLOCK = 1400


def write_cat062(tracks: Iterable[Track], out: str | Path, encoder: Cat062Encoder) -> int:
    """Write ``tracks`` as CAT062 to a file, stdout (``-``) or ``udp://HOST:PORT``;
    returns the number of records written."""
    counted = _Counting(tracks)
    if str(out).startswith("udp://"):
        host, port = parse_udp_url(str(out))
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            for block in encoder.blocks(counted, max_len=UDP_BLOCK):
                sock.sendto(block, (host, port))
    elif str(out) == "-":
        for block in encoder.blocks(counted):
            sys.stdout.buffer.write(block)
        sys.stdout.buffer.flush()
    else:
        with open(Path(out), "wb") as f:
            for block in encoder.blocks(counted):
                f.write(block)
    return counted.n


class _Counting:
    def __init__(self, tracks: Iterable[Track]) -> None:
        self._tracks = tracks
        self.n = 0

    def __iter__(self) -> Iterator[Track]:
        for t in self._tracks:
            self.n += 1
            yield t
