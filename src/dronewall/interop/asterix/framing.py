"""ASTERIX data-block framing and transports: byte streams, pcap files, UDP.

An ASTERIX *data block* is ``CAT`` (1 octet, the category) followed by ``LEN``
(2 octets, big-endian, the length of the whole block including these 3 octets) and
one or more records of that category. A recording (``.raw``/``.ast``) is data blocks
back to back; on the network each UDP datagram carries one or more whole blocks.

This module only cuts blocks apart (it never looks inside a record: the records are
decoded by asterix-decoder in :mod:`.decode`) and reads pcap files with the stdlib
``struct`` (classic libpcap format, microsecond or nanosecond, either byte order;
Ethernet / Linux-cooked / raw-IP link layers, IPv4 and IPv6, UDP only).
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


class FramingError(ValueError):
    """A byte stream that is not a sequence of ASTERIX data blocks."""


@dataclass(frozen=True, slots=True)
class Block:
    """One ASTERIX data block: its category and its bytes (header included)."""

    cat: int
    data: bytes
    offset: int  # where it starts in its chunk (file or datagram)


def split_blocks(chunk: bytes, *, base_offset: int = 0) -> tuple[list[Block], FramingError | None]:
    """Cut ``chunk`` into data blocks.

    Returns the blocks found and, if the chunk ends in bytes that are not a whole block
    (LEN < 3 or LEN running past the end), the error naming the offset; blocks before
    the bad one are kept. A length field cannot be trusted after one bad block, so the
    rest of the chunk is not guessed at."""
    blocks: list[Block] = []
    off = 0
    n = len(chunk)
    while off < n:
        if n - off < 3:
            return blocks, FramingError(
                f"offset {base_offset + off}: {n - off} trailing byte(s), not a data block"
            )
        cat = chunk[off]
        length = (chunk[off + 1] << 8) | chunk[off + 2]
        if length < 4:
            return blocks, FramingError(
                f"offset {base_offset + off}: CAT {cat} block LEN {length} is below 4"
            )
        if off + length > n:
            return blocks, FramingError(
                f"offset {base_offset + off}: CAT {cat} block LEN {length} runs past the end "
                f"({n - off} bytes left)"
            )
        blocks.append(Block(cat, bytes(chunk[off : off + length]), base_offset + off))
        off += length
    return blocks, None


# --------------------------------------------------------------------------- pcap

_PCAP_MAGIC = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6),
    b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9),
    b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
_LINK_ETHERNET, _LINK_RAW, _LINK_LINUX_SLL, _LINK_RAW_IP = 1, 101, 113, 12


@dataclass(frozen=True, slots=True)
class Datagram:
    """A UDP payload with its capture time (POSIX s; None when unknown)."""

    payload: bytes
    time: float | None


def _ip_udp_payload(pkt: bytes) -> bytes | None:
    """The UDP payload of an IPv4/IPv6 packet, or None if it is not UDP."""
    if not pkt:
        return None
    version = pkt[0] >> 4
    if version == 4:
        ihl = (pkt[0] & 0x0F) * 4
        if len(pkt) < ihl + 8 or pkt[9] != 17:
            return None
        frag = struct.unpack(">H", pkt[6:8])[0] & 0x1FFF
        if frag:  # a later fragment has no UDP header
            return None
        udp_len = struct.unpack(">H", pkt[ihl + 4 : ihl + 6])[0]
        return pkt[ihl + 8 : ihl + max(udp_len, 8)]
    if version == 6:
        if len(pkt) < 48 or pkt[6] != 17:
            return None
        udp_len = struct.unpack(">H", pkt[44:46])[0]
        return pkt[48 : 40 + max(udp_len, 8)]
    return None


def _link_payload(link: int, frame: bytes) -> bytes | None:
    if link == _LINK_ETHERNET:
        off = 12
        ethertype = struct.unpack(">H", frame[off : off + 2])[0] if len(frame) >= 14 else 0
        while ethertype in (0x8100, 0x88A8) and len(frame) >= off + 6:  # VLAN tags
            off += 4
            ethertype = struct.unpack(">H", frame[off : off + 2])[0]
        if ethertype not in (0x0800, 0x86DD):
            return None
        return _ip_udp_payload(frame[off + 2 :])
    if link == _LINK_LINUX_SLL:
        return _ip_udp_payload(frame[16:])
    if link in (_LINK_RAW, _LINK_RAW_IP):
        return _ip_udp_payload(frame)
    raise FramingError(f"pcap link type {link} is not supported (Ethernet, SLL, raw IP)")


def iter_pcap(data: bytes) -> Iterator[Datagram]:
    """The UDP payloads of a classic pcap capture, in order, with capture times.

    Raises :class:`FramingError` for a file that is not pcap (pcapng included: convert
    it with ``editcap -F pcap``) or is cut inside a packet header."""
    if len(data) < 24 or data[:4] not in _PCAP_MAGIC:
        raise FramingError("not a classic pcap file (magic number not found)")
    endian, tick = _PCAP_MAGIC[data[:4]]
    link = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    n = len(data)
    while off < n:
        if n - off < 16:
            raise FramingError(f"pcap offset {off}: truncated packet header")
        sec, frac, incl, _orig = struct.unpack(endian + "IIII", data[off : off + 16])
        off += 16
        if off + incl > n:
            raise FramingError(f"pcap offset {off}: packet of {incl} bytes runs past the end")
        payload = _link_payload(link, data[off : off + incl])
        off += incl
        if payload:
            yield Datagram(payload, sec + frac * tick)


def is_pcap(data: bytes) -> bool:
    """Whether ``data`` starts with a classic pcap magic number."""
    return data[:4] in _PCAP_MAGIC


def read_source(path: str | Path) -> bytes:
    """All bytes of a file (``-`` reads stdin)."""
    if str(path) == "-":
        import sys

        return sys.stdin.buffer.read()
    return Path(path).read_bytes()


# --------------------------------------------------------------------------- UDP


def parse_udp_url(url: str) -> tuple[str, int]:
    """``udp://HOST:PORT`` -> (host, port); a clear error for anything else."""
    if not url.startswith("udp://"):
        raise ValueError(f"{url!r} is not a udp:// address")
    host, sep, port = url[len("udp://") :].rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{url!r}: expected udp://HOST:PORT")
    return host.strip("[]"), int(port)


def iter_udp(
    url: str,
    *,
    timeout_s: float | None = None,
    max_datagrams: int | None = None,
    sock: socket.socket | None = None,
) -> Iterator[Datagram]:
    """UDP datagrams received on ``udp://HOST:PORT`` (time None: ASTERIX carries its
    own time of day). Ends after ``max_datagrams``, or when nothing arrives for
    ``timeout_s``; pass an already bound ``sock`` to learn the port first (tests)."""
    own = sock is None
    if sock is None:
        host, port = parse_udp_url(url)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        sock.bind((host, port))
    sock.settimeout(timeout_s)
    count = 0
    try:
        while max_datagrams is None or count < max_datagrams:
            try:
                payload = sock.recv(65535)
            except TimeoutError:
                return
            count += 1
            yield Datagram(payload, None)
    finally:
        if own:
            sock.close()
