"""ASTERIX in: data blocks -> dronewall messages, decoded by asterix-decoder.

The records are decoded by asterix-decoder (``asterix.parse(block, verbose=False)``,
GPL, imported here only); this module cuts the input into data blocks (:mod:`.framing`),
hands each block to it, dates the times of day (:mod:`.clock`), numbers radar scans and
maps records to messages: CAT048 -> Detection (:mod:`.cat048`), CAT062 -> Track
(:mod:`.cat062`), CAT021 -> Detection (:mod:`.cat021`). CAT034 (radar service messages)
gives north markers (I034/000 type 1) and the antenna period (I034/041) for scan numbers;
other categories are counted and skipped.

Scan number (``frame``) of a plot: the number of CAT034 north markers of its radar at or
before the plot's time, when the stream has any; else, with a rotation period (given, or
I034/041), ``round((t_north - t_north_first) / period)`` where ``t_north = t -
azimuth / 360 * period`` is when the antenna last pointed north; else None.

Bad input never raises out of a stream reader: a block that is not framed, a block or
record that asterix-decoder cannot decode (or that crashes it: it runs in a worker
process, see :mod:`.isolate`), a record that cannot become a valid message, each is
counted in :class:`DecodeStats` by reason (with the first examples kept), and reading
goes on.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

import msgspec

from dronewall.model.messages import Detection, GeoPoint, Track

from .cat021 import report_time_of_day, report_to_detection
from .cat048 import PlotSigmas, plot_to_detection
from .cat062 import TrackSigmas, record_to_track, track_key
from .clock import TimeOfDayError, TodClock
from .framing import (
    Block,
    Datagram,
    FramingError,
    is_pcap,
    iter_pcap,
    iter_udp,
    split_blocks,
)
from .isolate import CRASH, IsolatedParser
from .items import Record, RecordError, number, sac_sic

SUPPORTED = frozenset({21, 34, 48, 62})
_JSON = msgspec.json.Encoder()
# the items each mapping reads (the isolated worker sends back only these)
ITEMS_USED: dict[int, frozenset[str]] = {
    21: frozenset({"I010", "I070", "I071", "I073", "I080", "I090", "I130", "I131", "I140",
                   "I145", "I170"}),
    34: frozenset({"I000", "I010", "I030", "I041"}),
    48: frozenset({"I010", "I040", "I070", "I110", "I140", "I220", "I240"}),
    62: frozenset({"I010", "I040", "I060", "I070", "I080", "I105", "I130", "I135", "I136",
                   "I185", "I220", "I380", "I500"}),
}  # fmt: skip
Message = Detection | Track


@dataclass
class AsterixOptions:
    """What ASTERIX does not carry and the caller must give.

    ``day``: the UTC date of a recording (a pcap's capture times are used instead when
    this is None); ``sites``: each radar's position by (SAC, SIC), required for CAT048;
    ``rotation_period_s``: antenna period for scan numbers when CAT034 gives none."""

    day: date | None = None
    sites: dict[tuple[int, int], GeoPoint] = field(default_factory=dict)
    rotation_period_s: float | None = None
    plot_sigmas: PlotSigmas = field(default_factory=PlotSigmas)
    track_sigmas: TrackSigmas = field(default_factory=TrackSigmas)
    isolate: bool = True  # decode in a worker process: a decoder crash cannot kill us


@dataclass
class DecodeStats:
    """Counts of what was read, made and skipped (by reason)."""

    blocks: int = 0
    records: Counter[int] = field(default_factory=Counter)  # by category
    messages: Counter[str] = field(default_factory=Counter)  # detection / track
    skipped: Counter[str] = field(default_factory=Counter)  # by reason
    examples: list[str] = field(default_factory=list)  # first few skip messages

    def skip(self, reason: str, detail: str) -> None:
        self.skipped[reason] += 1
        if len(self.examples) < 20:
            self.examples.append(f"{reason}: {detail}")

    @property
    def bad(self) -> int:
        return sum(self.skipped.values())


def _parse_inline(data: bytes) -> tuple[str, Any]:
    """asterix-decoder in this process (``isolate=False``: trusted input only)."""
    import asterix  # GPL: imported only here and in the isolated worker

    try:
        return "ok", asterix.parse(data, verbose=False)
    except Exception as e:  # the extension raises assorted types
        return "error", f"{type(e).__name__}: {e}"


@dataclass
class _Radar:
    north_times: list[float] = field(default_factory=list)
    period_s: float | None = None
    first_north: float | None = None


class AsterixDecoder:
    """Stateful ASTERIX -> messages: feed it chunks (a file, a datagram), get messages."""

    def __init__(self, options: AsterixOptions | None = None) -> None:
        self.options = options or AsterixOptions()
        self.stats = DecodeStats()
        self._clock = TodClock(self.options.day)
        self._radars: dict[tuple[int, int], _Radar] = {}
        self._tracks: dict[str, tuple[float, int]] = {}  # id -> (born, hits)
        self._seq = 0
        self._parser = IsolatedParser(ITEMS_USED) if self.options.isolate else None

    # ------------------------------------------------------------------ entry points

    def close(self) -> None:
        """Stop the decoding worker process (when isolated)."""
        if self._parser is not None:
            self._parser.close()

    def __enter__(self) -> AsterixDecoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def feed(self, chunk: bytes, capture_time: float | None = None) -> list[Message]:
        """Messages of the data blocks in ``chunk`` (whole blocks, back to back)."""
        return self.feed_many([(chunk, capture_time)])

    def feed_many(
        self, chunks: Iterable[tuple[bytes, float | None]], *, batch: int = 512
    ) -> list[Message]:
        """Messages of many chunks (datagrams with capture times), decoded in batches."""
        out: list[Message] = []
        pending: list[tuple[Block, float | None]] = []
        for chunk, capture_time in chunks:
            blocks, err = split_blocks(chunk)
            hint = capture_time if self.options.day is None else None
            for block in blocks:
                self.stats.blocks += 1
                if block.cat not in SUPPORTED:
                    self.stats.skip(
                        f"CAT{block.cat:03d} not read", f"block at offset {block.offset}"
                    )
                    continue
                pending.append((block, hint))
            if err is not None:
                self.stats.skip("bad framing", str(err))
            if len(pending) >= batch:
                self._decode(pending, out)
                pending = []
        self._decode(pending, out)
        return out

    def feed_datagrams(self, datagrams: Iterable[Datagram]) -> Iterator[Message]:
        """Messages of a sequence of datagrams (pcap or UDP), in order, as they come."""
        for d in datagrams:
            yield from self.feed(d.payload, d.time)

    def read_stream(self, source: IO[bytes], *, chunk: int = 1 << 16) -> Iterator[Message]:
        """Messages of a byte stream (a file, stdin, a pipe) as its blocks arrive: raw
        data blocks back to back, or a pcap capture (read whole). ASTERIX has no sync
        word, so after a bad length field the rest of a raw stream cannot be framed: it
        is counted (``bad framing``) and not guessed at."""
        read = getattr(source, "read1", source.read)
        buf = b""
        while len(buf) < 4:
            more = read(chunk)
            if not more:
                break
            buf += more
        if is_pcap(buf):
            data = buf + source.read()
            datagrams: list[tuple[bytes, float | None]] = []
            try:
                datagrams.extend((d.payload, d.time) for d in iter_pcap(data))
            except FramingError as e:
                self.stats.skip("bad pcap", str(e))
            yield from self.feed_many(datagrams)
            return
        while True:
            off, n = 0, len(buf)
            while n - off >= 3:
                length = (buf[off + 1] << 8) | buf[off + 2]
                if length < 4 or n - off < length:
                    break
                off += length
            if off:
                yield from self.feed(buf[:off])
                buf = buf[off:]
            if len(buf) >= 3 and ((buf[1] << 8) | buf[2]) < 4:
                _, err = split_blocks(buf)
                self.stats.skip("bad framing", f"{err}; the rest of the stream is not read")
                return
            more = read(chunk)
            if not more:
                break
            buf += more
        if buf:
            _, err = split_blocks(buf)
            self.stats.skip("bad framing", str(err))

    def _decode(self, pending: list[tuple[Block, float | None]], out: list[Message]) -> None:
        if not pending:
            return
        datas = [b.data for b, _ in pending]
        if self._parser is not None:
            results = self._parser.parse(datas)
        else:
            results = [_parse_inline(d) for d in datas]
        for (block, hint), (kind, value) in zip(pending, results, strict=True):
            if kind != "ok":
                self.stats.skip(
                    "decoder crash" if kind == CRASH else "undecodable block",
                    f"CAT{block.cat:03d} block at offset {block.offset}: {value}",
                )
                continue
            for rec in value:
                msg = self._record(rec, hint, block.offset)
                if msg is not None:
                    out.append(msg)

    # ------------------------------------------------------------------ records

    def _record(self, rec: Record, hint: float | None, offset: int) -> Message | None:
        cat = rec.get("category")
        self.stats.records[int(cat) if isinstance(cat, int) else -1] += 1
        if rec.get("hexdata") is None:
            self.stats.skip("undecodable record", f"CAT{cat} in block at offset {offset}")
            return None
        try:
            msg: Message
            if cat == 48:
                msg = self._plot(rec, hint)
            elif cat == 62:
                msg = self._track(rec, hint)
            elif cat == 21:
                msg = self._adsb(rec, hint)
            else:
                self._service(rec, hint)
                return None
            # constructing a Struct checks the covariance but not the field ranges
            # (lat <= 90, ...): a JSON round trip through the schema does
            msgspec.json.decode(_JSON.encode(msg), type=type(msg))
            self.stats.messages[msg.__struct_config__.tag] += 1  # type: ignore[index]
            return msg
        except (RecordError, TimeOfDayError) as e:
            self.stats.skip(f"CAT{cat:03d} record", str(e))
        except (ValueError, TypeError, msgspec.ValidationError) as e:
            self.stats.skip(f"CAT{cat:03d} invalid message", str(e))
        return None

    def _next_id(self, sensor: str, cat: int) -> str:
        self._seq += 1
        return f"{sensor}:{cat:03d}:{self._seq}"

    def _time(self, rec: Record, item: str, fld: str, hint: float | None) -> float:
        tod = number(rec, item, fld)
        if tod is None:
            raise RecordError(f"CAT{rec.get('category')} record without I{item[1:]} time of day")
        return self._clock.to_posix(tod, hint)

    def _service(self, rec: Record, hint: float | None) -> None:
        radar = self._radars.setdefault(sac_sic(rec), _Radar())
        period = number(rec, "I041", "RotS")
        if period is not None and period > 0:
            radar.period_s = period
        if number(rec, "I000", "MsgTyp") == 1:  # north marker
            t = self._time(rec, "I030", "ToD", hint)
            bisect.insort(radar.north_times, t)

    def _frame(self, key: tuple[int, int], t: float, azimuth: float) -> int | None:
        radar = self._radars.setdefault(key, _Radar())
        if radar.north_times:
            return bisect.bisect_right(radar.north_times, t)
        period = self.options.rotation_period_s or radar.period_s
        if not period:
            return None
        t_north = t - (azimuth % 360.0) / 360.0 * period
        if radar.first_north is None:
            radar.first_north = t_north
        return round((t_north - radar.first_north) / period)

    def _plot(self, rec: Record, hint: float | None) -> Detection:
        key = sac_sic(rec)
        site = self.options.sites.get(key)
        if site is None:
            raise RecordError(
                f"no site for radar SAC/SIC {key[0]}/{key[1]}: give its position "
                f"(SAC/SIC=LAT,LON,ALT)"
            )
        t = self._time(rec, "I140", "ToD", hint)
        sensor = f"asterix:{key[0]}/{key[1]}"
        theta = number(rec, "I040", "THETA")
        det = plot_to_detection(
            rec,
            det_id=self._next_id(sensor, 48),
            sensor_id=sensor,
            site=site,
            time=t,
            frame=self._frame(key, t, theta) if theta is not None else None,
            sigmas=self.options.plot_sigmas,
        )
        return det

    def _track(self, rec: Record, hint: float | None) -> Track:
        sac, sic, trk = track_key(rec)
        t = self._time(rec, "I070", "ToT", hint)
        tid = f"asterix:{sac}/{sic}:{trk}"
        born, hits = self._tracks.get(tid, (t, 0))
        track = record_to_track(
            rec, time=t, born=born, hits=hits + 1, sigmas=self.options.track_sigmas
        )
        if track.status == "lost":
            self._tracks.pop(tid, None)
        else:
            self._tracks[tid] = (track.born, hits + 1)
        return track

    def _adsb(self, rec: Record, hint: float | None) -> Detection:
        sac, sic = sac_sic(rec)
        t = self._clock.to_posix(report_time_of_day(rec), hint)
        sensor = f"asterix:{sac}/{sic}"
        det = report_to_detection(rec, det_id=self._next_id(sensor, 21), sensor_id=sensor, time=t)
        return det


# --------------------------------------------------------------------------- one-call readers


def decode_bytes(
    data: bytes, options: AsterixOptions | None = None
) -> tuple[list[Message], DecodeStats]:
    """Messages and counts of a whole recording: raw data blocks or a pcap capture."""
    with AsterixDecoder(options) as dec:
        if not is_pcap(data):
            return dec.feed(data), dec.stats
        datagrams: list[tuple[bytes, float | None]] = []
        try:
            datagrams.extend((d.payload, d.time) for d in iter_pcap(data))
        except FramingError as e:
            dec.stats.skip("bad pcap", str(e))
        return dec.feed_many(datagrams), dec.stats


def read_file(
    path: str | Path, options: AsterixOptions | None = None
) -> tuple[list[Message], DecodeStats]:
    """Messages of an ASTERIX recording file (``.raw``/``.ast`` or ``.pcap``; ``-`` is
    stdin)."""
    from .framing import read_source

    return decode_bytes(read_source(path), options)


def read_udp(
    url: str,
    options: AsterixOptions | None = None,
    *,
    timeout_s: float | None = None,
    max_datagrams: int | None = None,
    sock: Any = None,
) -> Iterator[Message]:
    """Messages received on ``udp://HOST:PORT`` as they come (see :func:`iter_udp`)."""
    with AsterixDecoder(options) as dec:
        yield from dec.feed_datagrams(
            iter_udp(url, timeout_s=timeout_s, max_datagrams=max_datagrams, sock=sock)
        )
