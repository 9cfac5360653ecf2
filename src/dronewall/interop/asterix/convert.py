"""``dronewall convert --from asterix`` and ``--to asterix062``: the adapters between the
converter's reader/writer interface and this package.

Options (``--set KEY=VALUE``):

=================  ========================================================================
key                meaning
=================  ========================================================================
date               UTC date of a raw recording, ``YYYY-MM-DD`` (ASTERIX carries only the
                   time of day; a pcap's capture times serve when it is not given)
site               radar sites, ``SAC/SIC=LAT,LON[,ALT]``, several separated by ``;``
                   (needed for CAT048 plots; a plot from an unknown radar is counted)
sites              a YAML/JSON site table file (see :mod:`.sites`)
rotation_period    antenna period (s) for scan numbers when CAT034 gives none
sigma_range        CAT048 range sigma, m (default 70)
sigma_azimuth      CAT048 azimuth sigma, deg (default 0.08)
sigma_elevation    CAT048 elevation sigma, deg (default 0.3)
sac_sic            ``SAC/SIC`` written in I062/010 (required for ``--to asterix062``)
service_id         I062/015 (default 1)
origin             ``LAT,LON`` of the system reference point: adds I062/100
altitude_source    I062/080 SRC, 0..7 (default 0, no source)
udp_timeout        ``udp://`` input: stop after this many seconds without a datagram
udp_max            ``udp://`` input: stop after this many datagrams
=================  ========================================================================
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from typing import IO

from dronewall.interop.convert import ConvertError, ConvertOptions
from dronewall.model import Message
from dronewall.model.messages import GeoPoint, Track

from .cat048 import PlotSigmas
from .decode import AsterixDecoder, AsterixOptions, DecodeStats
from .encode062 import Cat062Encoder, EncodeError
from .framing import iter_udp, parse_udp_url
from .sites import load_sites, parse_site


def _float(options: ConvertOptions, key: str, default: float | None) -> float | None:
    text = options.get(key)
    if text is None:
        return default
    try:
        return float(text)
    except ValueError:
        raise ConvertError(f"--set {key}={text!r}: not a number") from None


def asterix_options(options: ConvertOptions) -> AsterixOptions:
    """The reader's options from ``--set`` values (ConvertError naming a bad one)."""
    day = None
    if (text := options.get("date")) is not None:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ConvertError(f"--set date={text!r}: expected YYYY-MM-DD") from None
    try:
        sites = load_sites(options.get("sites") or "") if options.get("sites") else {}
        for item in (options.get("site") or "").split(";"):
            if item.strip():
                key, point = parse_site(item.strip())
                sites[key] = point
    except (ValueError, OSError) as e:
        raise ConvertError(str(e)) from None
    d = PlotSigmas()
    sigmas = PlotSigmas(
        range_m=_float(options, "sigma_range", d.range_m) or d.range_m,
        azimuth_deg=_float(options, "sigma_azimuth", d.azimuth_deg) or d.azimuth_deg,
        elevation_deg=_float(options, "sigma_elevation", d.elevation_deg) or d.elevation_deg,
    )
    return AsterixOptions(
        day=day,
        sites=sites,
        rotation_period_s=_float(options, "rotation_period", None),
        plot_sigmas=sigmas,
    )


def _count(options: ConvertOptions, stats: DecodeStats) -> None:
    options.counters["asterix blocks"] = stats.blocks
    for reason, n in stats.skipped.items():
        options.counters[f"skipped: {reason}"] = n
    options.notes.extend(stats.examples[:3])


def read_asterix(source: IO[bytes], options: ConvertOptions) -> Iterator[Message]:
    """Reader for ``--from asterix``: raw data blocks or pcap, CAT048/062/021 in."""
    with AsterixDecoder(asterix_options(options)) as dec:
        try:
            yield from dec.read_stream(source)
        finally:
            _count(options, dec.stats)


def read_asterix_url(url: str, options: ConvertOptions) -> Iterator[Message]:
    """Reader for ``--from asterix udp://HOST:PORT``: datagrams as they come, until
    ``--set udp_timeout=S`` seconds pass with none (default: wait for ever) or
    ``--set udp_max=N`` datagrams have come."""
    timeout = _float(options, "udp_timeout", None)
    limit = _float(options, "udp_max", None)
    try:
        parse_udp_url(url)
    except ValueError as e:
        raise ConvertError(str(e)) from None
    with AsterixDecoder(asterix_options(options)) as dec:
        try:
            yield from dec.feed_datagrams(
                iter_udp(
                    url, timeout_s=timeout, max_datagrams=None if limit is None else int(limit)
                )
            )
        finally:
            _count(options, dec.stats)


def encoder_from(options: ConvertOptions) -> Cat062Encoder:
    """The CAT062 encoder from ``--set sac_sic=…`` (required) and friends."""
    text = options.get("sac_sic")
    if text is None:
        raise ConvertError("--to asterix062 needs --set sac_sic=SAC/SIC (our SDPS's id)")
    sac, sep, sic = text.partition("/")
    if not sep or not sac.isdigit() or not sic.isdigit():
        raise ConvertError(f"--set sac_sic={text!r}: expected SAC/SIC, e.g. 0/1")
    origin = None
    if (o := options.get("origin")) is not None:
        try:
            lat, lon = (float(x) for x in o.split(","))
            origin = GeoPoint(lat=lat, lon=lon)
        except ValueError:
            raise ConvertError(f"--set origin={o!r}: expected LAT,LON") from None
    try:
        return Cat062Encoder(
            sac=int(sac),
            sic=int(sic),
            service_id=int(_float(options, "service_id", 1) or 0),
            origin=origin,
            altitude_source=int(_float(options, "altitude_source", 0) or 0),
        )
    except EncodeError as e:
        raise ConvertError(str(e)) from None


def write_asterix062(messages: Iterable[Message], sink: IO[bytes], options: ConvertOptions) -> int:
    """Writer for ``--to asterix062``: each Track as a CAT062 record; other messages
    are counted (``not a track``) and left out. Returns the records written."""
    enc = encoder_from(options)
    written = 0

    def tracks() -> Iterator[Track]:
        nonlocal written
        for m in messages:
            if isinstance(m, Track):
                written += 1
                yield m
            else:
                options.counters["not a track"] = options.counters.get("not a track", 0) + 1

    try:
        for block in enc.blocks(tracks()):
            sink.write(block)
    except EncodeError as e:
        raise ConvertError(f"track {written}: {e}") from None
    return written
