"""Benchmark: ASTERIX records decoded per second (CAT048, CAT062) and encoded (our CAT062).

    .venv/bin/python bench/interop_asterix.py [REPEAT]

Decoding runs on asterix-decoder's real recordings (``cat_034_048.pcap``: 128 CAT048 plots
and 34 CAT034 in 100 datagrams; ``cat062cat065.raw``: 2 CAT062 tracks), repeated REPEAT
times, and prints records per second for asterix-decoder alone (``asterix.parse`` of each
block), for our reader in-process (``isolate=False``) and for our reader with the decoder
in a worker process (the default). Encoding writes the decoded tracks, renumbered, as
CAT062 blocks with :class:`Cat062Encoder`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import date

import asterix
import msgspec

from dronewall.interop.asterix import AsterixDecoder, AsterixOptions, Cat062Encoder
from dronewall.interop.asterix.framing import iter_pcap, split_blocks
from dronewall.model.messages import GeoPoint, Track

DAY = date(2016, 5, 5)
SITES = {(25, s): GeoPoint(lat=45.0, lon=15.0) for s in (11, 12, 13, 14, 201, 204, 205)}


def _read(name: str) -> bytes:
    with open(asterix.get_sample_file(name), "rb") as f:
        return f.read()


def _rate(n: int, fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return n / (time.perf_counter() - t)


def _decode_rates(label: str, chunks: list[bytes], cat: int) -> None:
    blocks = [b.data for c in chunks for b in split_blocks(c)[0]]
    n = sum(1 for b in blocks if b[0] == cat for _ in asterix.parse(b, verbose=False))
    print(f"CAT{cat:03d} decode ({label}, {n} records of {len(blocks)} blocks):")
    r = _rate(n, lambda: [asterix.parse(b, verbose=False) for b in blocks])
    print(f"  asterix.parse alone          {r:12,.0f} records/s")
    for isolate in (False, True):
        with AsterixDecoder(AsterixOptions(day=DAY, sites=SITES, isolate=isolate)) as dec:
            dec.feed(chunks[0])  # start the worker outside the timing
            r = _rate(n, lambda dec=dec: dec.feed_many((c, None) for c in chunks))
        print(f"  dronewall reader, isolate={isolate!s:5} {r:12,.0f} records/s")


def main(repeat: int = 100) -> None:
    pcap = [d.payload for d in iter_pcap(_read("cat_034_048.pcap"))]
    _decode_rates("cat_034_048.pcap", pcap * repeat, 48)
    raw62 = _read("cat062cat065.raw")
    _decode_rates("cat062cat065.raw", [raw62] * (repeat * 50), 62)

    with AsterixDecoder(AsterixOptions(day=DAY, isolate=False)) as dec:
        real = [m for m in dec.feed(raw62) if isinstance(m, Track)]
    tracks = [
        msgspec.structs.replace(real[i % 2], id=f"T{i}", time=real[i % 2].time + i * 0.01)
        for i in range(repeat * 100)
    ]
    enc = Cat062Encoder(sac=25, sic=100)
    r = _rate(len(tracks), lambda: list(enc.blocks(tracks)))
    print(f"CAT062 encode ({len(tracks)} tracks): {r:,.0f} records/s")
    blob = b"".join(enc.blocks(tracks))
    assert len(asterix.parse(blob, verbose=False)) == len(tracks)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
