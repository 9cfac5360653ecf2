"""The Beast binary format (Mode-S Beast, dump1090/readsb TCP port 30005).

A stream of frames, each::

    0x1A  type  timestamp (6 bytes)  signal (1 byte)  message
    type '1' (0x31): Mode A/C reply, message 2 bytes
    type '2' (0x32): Mode S short frame, message 7 bytes (56 bits)
    type '3' (0x33): Mode S long frame, message 14 bytes (112 bits)
    type '4' (0x34): receiver status (Radarcape), 14 bytes: skipped

The timestamp is a big-endian 48-bit counter of the receiver's 12 MHz clock (dump1090,
readsb; "MLAT timestamp"); its zero is arbitrary, so the caller gives the POSIX time of
tick 0 (``epoch``) to turn it into time. The signal byte is the receiver's level
(dump1090: 255·sqrt(power)). Inside a frame every 0x1A byte (of timestamp, signal or
message) is sent twice; a lone 0x1A always starts a frame, which is how a reader that
joins mid-stream or meets a damaged frame finds the next one.
"""

from __future__ import annotations

from dataclasses import dataclass

from dronewall.interop.adsb.frames import Counters, ModeSFrame

ESC = 0x1A
BODY_BYTES = {0x31: 9, 0x32: 14, 0x33: 21, 0x34: 21}  # timestamp + signal + message
TICKS_PER_S = 12e6
_MAX_BUFFER = 1 << 20


@dataclass(frozen=True, slots=True)
class BeastFrame:
    """One unescaped Beast frame: ``kind`` 0x31..0x34, the 12 MHz counter, signal level
    and the message bytes."""

    kind: int
    ticks: int
    signal: int
    message: bytes


class BeastParser:
    """Cuts a Beast byte stream into frames, whatever the chunking.

    Counters: ``garbage`` (bytes skipped to resynchronise are counted once per run,
    and a frame broken by a lone 0x1A once), ``status`` (type '4' frames),
    ``mode_ac`` (type '1')."""

    def __init__(self, counters: Counters | None = None) -> None:
        self.counters = counters if counters is not None else Counters()
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[BeastFrame]:
        """Frames completed by ``data``; incomplete tail bytes wait for the next call."""
        buf = self._buf
        buf += data
        out: list[BeastFrame] = []
        pos = 0
        n = len(buf)
        while pos < n:
            if buf[pos] != ESC:
                nxt = buf.find(ESC, pos)
                self.counters.bad("garbage", f"{(nxt if nxt >= 0 else n) - pos} bytes "
                                  "outside any Beast frame")
                if nxt < 0:
                    pos = n
                    break
                pos = nxt
            if pos + 1 >= n:
                break
            kind = buf[pos + 1]
            size = BODY_BYTES.get(kind)
            if size is None:
                # 0x1A 0x1A outside a frame, or an unknown type: not a frame start.
                self.counters.bad("garbage", f"unknown Beast frame type 0x{kind:02x}")
                pos += 1 if kind != ESC else 2
                continue
            i = pos + 2
            broken = False
            fast = buf[i:i + size]
            if len(fast) == size and ESC not in fast:  # no escapes: the common case
                body = fast
                i += size
            else:
                body = bytearray()
            while len(body) < size and i < n:
                b = buf[i]
                if b == ESC:
                    if i + 1 >= n:
                        break
                    if buf[i + 1] != ESC:
                        broken = True
                        break
                    i += 1
                body.append(b)
                i += 1
            if broken:
                self.counters.bad("garbage", "Beast frame cut short by an unescaped 0x1A")
                pos = i
                continue
            if len(body) < size:
                break  # wait for more bytes
            pos = i
            frame = BeastFrame(kind, int.from_bytes(body[:6], "big"), body[6], bytes(body[7:]))
            if kind == 0x34:
                self.counters.bump("status")
            elif kind == 0x31:
                self.counters.bump("mode_ac")
            out.append(frame)
        del buf[:pos]
        if len(buf) > _MAX_BUFFER:  # cannot happen with a sane stream; stay bounded
            self.counters.bad("garbage", "Beast buffer overflow")
            buf.clear()
        return out


def beast_to_modes(frame: BeastFrame, epoch: float | None, clock_time: float | None) -> (
        ModeSFrame | None):
    """A Mode S frame (types '2', '3') with its time: ``epoch + ticks / 12 MHz`` when the
    caller gave ``epoch``, else ``clock_time``. None for Mode A/C and status frames."""
    if frame.kind not in (0x32, 0x33):
        return None
    t = epoch + frame.ticks / TICKS_PER_S if epoch is not None else clock_time
    return ModeSFrame(t, frame.message.hex().upper(), frame.signal)


def encode_beast(kind: int, ticks: int, signal: int, message: bytes) -> bytes:
    """One Beast frame, escaped (a writer for tests and for feeding peers)."""
    body = ticks.to_bytes(6, "big") + bytes([signal]) + message
    return bytes([ESC, kind]) + body.replace(b"\x1a", b"\x1a\x1a")
