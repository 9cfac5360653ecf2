"""ASTERIX in: garbage, cut and mutated input is counted, never a crash.

asterix-decoder itself dies (SIGSEGV) on some malformed records; our reader runs it in a
worker process (``isolate=True``, the default), so those are counted as decoder crashes
too."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

asterix = pytest.importorskip("asterix")

from dronewall.interop.asterix import AsterixDecoder, AsterixOptions, decode_bytes  # noqa: E402
from dronewall.interop.asterix.framing import FramingError, iter_pcap, split_blocks  # noqa: E402
from dronewall.model.messages import GeoPoint, decode, encode  # noqa: E402

DATA = Path(__file__).parent / "data" / "asterix"
SITES = {(25, s): GeoPoint(lat=45.0, lon=15.0) for s in (11, 12, 13, 14, 201, 204, 205)}


def sample(name: str) -> bytes:
    with open(asterix.get_sample_file(name), "rb") as f:
        return f.read()


REAL = [sample(n) for n in ("cat048.raw", "cat062cat065.raw", "cat034.raw")]


@pytest.fixture(scope="module")
def decoder():
    dec = AsterixDecoder(AsterixOptions(day=date(2016, 5, 5), sites=SITES))
    yield dec
    dec.close()


def check(dec: AsterixDecoder, data: bytes) -> None:
    blocks_before = dec.stats.blocks
    msgs = dec.feed(data)  # must not raise
    for m in msgs:
        assert decode(encode(m)) == m  # whatever comes out is a valid message
    assert dec.stats.blocks >= blocks_before


def test_known_crashing_block_is_counted_and_reading_goes_on(decoder: AsterixDecoder) -> None:
    crash = (DATA / "crash_cat062.bin").read_bytes()
    before = decoder.stats.skipped["decoder crash"]
    msgs = decoder.feed(crash + REAL[1])
    assert decoder.stats.skipped["decoder crash"] == before + 1
    assert len(msgs) == 2  # the good CAT062 block after it still decodes


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes(decoder: AsterixDecoder, data: bytes) -> None:
    check(decoder, data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cat=st.sampled_from([21, 34, 48, 62, 65]),
    body=st.binary(min_size=1, max_size=200),
)
def test_framed_random_records(decoder: AsterixDecoder, cat: int, body: bytes) -> None:
    check(decoder, bytes((cat,)) + (len(body) + 3).to_bytes(2, "big") + body)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    which=st.integers(0, len(REAL) - 1),
    edits=st.lists(st.tuples(st.integers(3, 10_000), st.integers(0, 255)), min_size=1,
                   max_size=6),
    cut=st.integers(0, 400),
)  # fmt: skip
def test_mutated_real_blocks(decoder: AsterixDecoder, which, edits, cut) -> None:
    data = bytearray(REAL[which])
    for pos, byte in edits:
        data[pos % len(data) if pos % len(data) >= 3 else 3] = byte
    check(decoder, bytes(data))
    check(decoder, bytes(data[: cut % (len(data) + 1)]))  # cut anywhere


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_garbage_after_pcap_magic(tail: bytes) -> None:
    data = b"\xd4\xc3\xb2\xa1" + tail
    try:
        for _ in iter_pcap(data):
            pass
    except FramingError as e:
        assert "pcap" in str(e)
    msgs, stats = decode_bytes(data, AsterixOptions(isolate=False))
    assert msgs == [] or stats.blocks > 0


def test_cut_pcap_is_counted() -> None:
    data = sample("cat_034_048.pcap")
    msgs, stats = decode_bytes(data[: len(data) // 2], AsterixOptions(sites=SITES))
    assert stats.skipped["bad pcap"] == 1 and len(msgs) > 10


def test_framing_errors_name_the_offset() -> None:
    blocks, err = split_blocks(REAL[0] + b"\x30\x00\x50\x01")
    assert len(blocks) == 1 and err is not None
    assert "offset 48" in str(err) and "runs past the end" in str(err)
    _, err = split_blocks(b"\x30\x00\x02")
    assert err is not None and "below 4" in str(err)
