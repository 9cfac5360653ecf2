"""SAPIENT's byte framing on TCP (and in recorded files).

Layout of a stream, one frame per message::

    +----------------------------+-----------------------------------------+
    | length: uint32 little-end. | SapientMessage, protobuf, `length` bytes |
    +----------------------------+-----------------------------------------+

This is the framing of the Dstl/Roke reference middleware for BSI Flex 335 (Apex,
``sapient_apex_server/message_io.py``: ``struct.pack("<I", len(payload)) + payload``); a
recorded SAPIENT session is the same bytes in a file. A frame longer than ``max_frame``
cannot be skipped safely (its length may itself be garbage), so it ends the stream; a frame
whose payload is not a ``SapientMessage`` with content is counted and skipped, since the
frame boundary is still known.
"""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from google.protobuf.message import DecodeError

from dronewall.interop.sapient.convert import SapientMessage

HEADER = struct.Struct("<I")
MAX_FRAME = 1 << 20  # 1 MiB: far above any real message (a registration is ~1 kB)


class FrameError(ValueError):
    """A frame that is not a SAPIENT message; ``reason`` is a short counter key."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass
class FrameStats:
    """What a reader saw: good messages and bad frames by reason."""

    messages: int = 0
    bad: Counter[str] = field(default_factory=Counter)

    @property
    def bad_frames(self) -> int:
        return sum(self.bad.values())


def encode_frame(msg: SapientMessage) -> bytes:
    """One frame: the length prefix and the serialised message."""
    payload = msg.SerializeToString()
    return HEADER.pack(len(payload)) + payload


def parse_message(payload: bytes) -> SapientMessage:
    """The ``SapientMessage`` in a frame's payload; :class:`FrameError` if it is not one."""
    msg = SapientMessage()
    try:
        msg.ParseFromString(payload)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise FrameError("undecodable", f"not a SapientMessage: {exc}") from None
    if msg.WhichOneof("content") is None:
        raise FrameError("no_content", "SapientMessage without content (oneof content unset)")
    return msg


def check_length(length: int, max_frame: int) -> None:
    """Raise :class:`FrameError` for a length prefix over ``max_frame``."""
    if length > max_frame:
        raise FrameError("oversized", f"frame of {length} bytes exceeds the {max_frame} limit")


def read_frames(stream: BinaryIO, *, max_frame: int = MAX_FRAME,
                stats: FrameStats | None = None) -> Iterator[SapientMessage]:
    """The messages of a recorded stream, in order; bad frames are counted in ``stats``
    and skipped; an oversized or truncated frame ends the stream (counted too)."""
    st = stats if stats is not None else FrameStats()
    while True:
        head = stream.read(HEADER.size)
        if not head:
            return
        if len(head) < HEADER.size:
            st.bad["truncated"] += 1
            return
        (length,) = HEADER.unpack(head)
        if length > max_frame:
            st.bad["oversized"] += 1
            return
        payload = stream.read(length)
        if len(payload) < length:
            st.bad["truncated"] += 1
            return
        try:
            msg = parse_message(payload)
        except FrameError as exc:
            st.bad[exc.reason] += 1
            continue
        st.messages += 1
        yield msg
