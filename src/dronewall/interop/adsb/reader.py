"""Read a dump1090/readsb feed (raw hex, Beast binary or SBS) into Detections.

Sources: a file path, ``-`` (standard input) or ``tcp://host:port`` (a TCP client of
the receiver's output port: 30002 raw hex, 30005 Beast, 30003 SBS). The bytes are cut
into frames or lines by the format's reader and decoded by
:class:`~dronewall.interop.adsb.decoder.ModeSDecoder` (hex, Beast) or
:class:`~dronewall.interop.adsb.sbs.SbsDecoder` (SBS). Bad input is counted in
:attr:`FeedReader.stats` (with the last error's text in :attr:`FeedReader.last_error`)
and skipped; reading goes on.

Time: each frame's own time when the feed has one (a leading POSIX time on a hex line,
the SBS date/time, the Beast/``@`` 12 MHz counter plus the caller's ``beast_epoch``),
else the caller's ``clock`` (e.g. ``time.time`` for a live feed), else the frame is
counted ``untimed``.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from dronewall.interop.adsb.accuracy import AccuracyModel
from dronewall.interop.adsb.beast import TICKS_PER_S, BeastParser, beast_to_modes
from dronewall.interop.adsb.decoder import ModeSDecoder
from dronewall.interop.adsb.frames import Clock, Counters, ModeSFrame
from dronewall.interop.adsb.hexfeed import parse_hex_line
from dronewall.interop.adsb.sbs import SbsDecoder
from dronewall.model.messages import Detection

FeedFormat = Literal["modes-hex", "beast", "sbs"]
FORMATS: tuple[str, ...] = ("modes-hex", "beast", "sbs")
CHUNK = 65536
MAX_LINE = 4096


def open_source(path_or_url: str | Path, *, connect_timeout_s: float = 10.0) -> Iterator[bytes]:
    """Byte chunks of a file, ``-`` (stdin) or ``tcp://host:port``, until its end."""
    text = str(path_or_url)
    if text == "-":
        fd = sys.stdin.fileno()
        while chunk := os.read(fd, CHUNK):  # whatever has arrived: live pipes flow
            yield chunk
        return
    if text.startswith("tcp://"):
        u = urlsplit(text)
        if not u.hostname or u.port is None:
            raise ValueError(f"{text!r}: give tcp://host:port")
        with socket.create_connection((u.hostname, u.port), timeout=connect_timeout_s) as s:
            s.settimeout(None)
            while chunk := s.recv(CHUNK):
                yield chunk
        return
    with open(text, "rb") as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


def split_lines(chunks: Iterable[bytes], counters: Counters) -> Iterator[str]:
    """Text lines of byte chunks (ASCII; other bytes become U+FFFD and fail parsing);
    a line longer than ``MAX_LINE`` is counted as garbage and dropped."""
    tail = b""
    for chunk in chunks:
        data = tail + chunk
        parts = data.split(b"\n")
        tail = parts.pop()
        if len(tail) > MAX_LINE:
            counters.bad("garbage", f"line longer than {MAX_LINE} bytes")
            tail = b""
        for p in parts:
            if len(p) > MAX_LINE:
                counters.bad("garbage", f"line longer than {MAX_LINE} bytes")
                continue
            yield p.decode("ascii", errors="replace")
    if tail:
        yield tail.decode("ascii", errors="replace")


class FeedReader(Iterator[Detection]):
    """An iterator of Detections over one feed; :attr:`stats` counts what it saw."""

    def __init__(
        self,
        chunks: Iterable[bytes],
        fmt: FeedFormat,
        *,
        sensor_id: str,
        clock: Clock | None = None,
        beast_epoch: float | None = None,
        reference: tuple[float, float] | None = None,
        utc_offset_s: float = 0.0,
        sbs_nacp: int | None = 8,
        accuracy: AccuracyModel | None = None,
    ) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown feed format {fmt!r} (one of {', '.join(FORMATS)})")
        self.fmt = fmt
        self.clock = clock
        self.beast_epoch = beast_epoch
        self.reader_counters = Counters()
        self.decoder: ModeSDecoder | SbsDecoder
        if fmt == "sbs":
            self.decoder = SbsDecoder(sensor_id, utc_offset_s=utc_offset_s, nacp=sbs_nacp,
                                      accuracy=accuracy, clock=clock)
        else:
            self.decoder = ModeSDecoder(sensor_id, reference=reference, accuracy=accuracy)
        self._it = self._run(chunks)

    def __next__(self) -> Detection:
        return next(self._it)

    @property
    def stats(self) -> dict[str, int]:
        """The reader's and the decoder's counters, summed by name."""
        out = dict(self.decoder.counters)
        for k, v in self.reader_counters.items():
            out[k] = out.get(k, 0) + v
        return out

    @property
    def last_error(self) -> str:
        return self.reader_counters.last_error or self.decoder.counters.last_error

    def _now(self) -> float | None:
        return self.clock() if self.clock is not None else None

    def _run(self, chunks: Iterable[bytes]) -> Iterator[Detection]:
        if self.fmt == "sbs":
            assert isinstance(self.decoder, SbsDecoder)
            sbs = self.decoder
            for line in split_lines(chunks, self.reader_counters):
                d = sbs.decode(line)
                if d is not None:
                    yield d
            return
        assert isinstance(self.decoder, ModeSDecoder)
        frames = self._beast(chunks) if self.fmt == "beast" else self._hex(chunks)
        decode = self.decoder.decode
        for f in frames:
            d = decode(f)
            if d is not None:
                yield d

    def _hex(self, chunks: Iterable[bytes]) -> Iterator[ModeSFrame]:
        rc = self.reader_counters
        for line in split_lines(chunks, rc):
            try:
                h = parse_hex_line(line)
            except ValueError as e:
                rc.bad("garbage", f"bad hex line {line[:40]!r}: {e}")
                continue
            if h is None:
                continue
            if len(h.msg) == 4:
                rc.bump("mode_ac")
                rc.bump("unsupported")
                continue
            t = h.time
            if t is None and h.ticks is not None and self.beast_epoch is not None:
                t = self.beast_epoch + h.ticks / TICKS_PER_S
            if t is None:
                t = self._now()
            yield ModeSFrame(t, h.msg)

    def _beast(self, chunks: Iterable[bytes]) -> Iterator[ModeSFrame]:
        parser = BeastParser(self.reader_counters)
        epoch = self.beast_epoch
        for chunk in chunks:
            for bf in parser.feed(chunk):
                f = beast_to_modes(bf, epoch, None if epoch is not None else self._now())
                if f is None:
                    self.reader_counters.bump("unsupported")
                    continue
                yield f


def read_feed(
    path_or_url: str | Path,
    fmt: FeedFormat,
    *,
    sensor_id: str,
    clock: Clock | None = None,
    beast_epoch: float | None = None,
    reference: tuple[float, float] | None = None,
    utc_offset_s: float = 0.0,
    sbs_nacp: int | None = 8,
    accuracy: AccuracyModel | None = None,
    connect_timeout_s: float = 10.0,
) -> FeedReader:
    """Detections of the receiver ``sensor_id`` from a feed (file, ``-``,
    ``tcp://host:port``) in format ``modes-hex``, ``beast`` or ``sbs``; see the module
    docstring for where each frame's time comes from. Iterate it; read ``.stats``."""
    return FeedReader(
        open_source(path_or_url, connect_timeout_s=connect_timeout_s), fmt,
        sensor_id=sensor_id, clock=clock, beast_epoch=beast_epoch, reference=reference,
        utc_offset_s=utc_offset_s, sbs_nacp=sbs_nacp, accuracy=accuracy,
    )
