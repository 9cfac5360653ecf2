"""Garbage into every ADS-B reader: nothing escapes, every bad input is counted, and good
frames around the garbage still come through."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest.importorskip("pyModeS")

from dronewall.interop.adsb import (
    BeastParser,
    FeedReader,
    ModeSDecoder,
    ModeSFrame,
    SbsDecoder,
    encode_beast,
)
from dronewall.interop.adsb.reader import MAX_LINE

FLIGHT = Path(__file__).parent / "data" / "modes" / "flight_393322.txt"
_LINES = FLIGHT.read_text().splitlines()[:300]
GOOD_BEAST = b"".join(
    encode_beast(0x33 if len(h) == 28 else 0x32, k * 6000, 0x1A, bytes.fromhex(h))
    for k, (_, h) in enumerate(ln.split() for ln in _LINES)
)
SBS_OK = ("MSG,3,1,1,393322,1,2024/07/06,06:43:09.525,2024/07/06,06:43:09.530,,3175,,,"
          "48.99274,2.49896,,,0,0,0,0")
FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.binary(max_size=3000), st.lists(st.integers(1, 64), min_size=1, max_size=20))
def test_beast_parser_never_raises(data, cuts):
    p = BeastParser()
    pos, k = 0, 0
    frames = []
    while pos < len(data):
        n = cuts[k % len(cuts)]
        frames += p.feed(data[pos:pos + n])
        pos, k = pos + n, k + 1
    assert all(f.kind in (0x31, 0x32, 0x33, 0x34) for f in frames)
    if data and b"\x1a" not in data:
        assert p.counters["garbage"] >= 1 and not frames


@FUZZ
@given(st.binary(max_size=400).filter(lambda b: b"\x1a" not in b))
def test_beast_resynchronises_after_garbage(junk):
    """Junk before a stream (a client joining mid-frame) costs nothing of what follows."""
    p = BeastParser()
    frames = p.feed(junk + GOOD_BEAST)
    assert len(frames) == len(_LINES)
    assert p.counters.get("garbage", 0) == (1 if junk else 0)


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(["modes-hex", "beast", "sbs"]))
def test_feed_reader_on_garbage_bytes(data, fmt):
    r = FeedReader([data[: len(data) // 2], data[len(data) // 2:]], fmt, sensor_id="rx",
                   clock=lambda: 1.7e9)
    dets = list(r)
    assert all(d.sensor_id == "rx" for d in dets)
    assert all(v >= 0 for v in r.stats.values())


@FUZZ
@given(st.lists(st.text(max_size=60), max_size=40))
def test_hex_reader_counts_every_line(lines):
    data = "\n".join(lines).encode()
    r = FeedReader([data], "modes-hex", sensor_id="rx", clock=lambda: 1.7e9)
    list(r)
    seen = [ln.decode("ascii", "replace").strip() for ln in data.split(b"\n")]
    meaningful = sum(1 for s in seen if s and not s.startswith("#"))
    s = r.stats
    assert s["frames"] + s.get("garbage", 0) + s.get("mode_ac", 0) == meaningful


@FUZZ
@given(st.lists(st.tuples(st.floats(allow_nan=True, allow_infinity=True),
                          st.text("0123456789ABCDEFxyz", max_size=30)), max_size=40))
def test_decoder_on_random_frames(items):
    dec = ModeSDecoder("rx")
    dec.feed(ModeSFrame(t, h) for t, h in items)
    c = dec.counters
    assert c["frames"] == len(items)
    assert c["positions"] <= c["decoded"] <= c["frames"]


@FUZZ
@given(st.binary(min_size=7, max_size=7) | st.binary(min_size=14, max_size=14),
       st.floats(0, 2e9))
def test_decoder_on_random_frame_bits(msg, t):
    dec = ModeSDecoder("rx", reference=(48.9, 2.5))
    dec.decode(ModeSFrame(t, msg.hex().upper()))
    assert dec.counters["frames"] == 1


@FUZZ
@given(st.lists(st.integers(0, 21), min_size=1, max_size=4), st.text(max_size=12))
def test_sbs_mutated_fields(which, junk):
    fields = SBS_OK.split(",")
    for i in which:
        fields[i] = junk
    dec = SbsDecoder("rx")
    out = dec.feed([",".join(fields), SBS_OK])
    assert dec.counters["frames"] == 2
    assert out and out[-1].time == pytest.approx(1720248189.525)


def test_overlong_line_is_counted():
    r = FeedReader([b"8" * (MAX_LINE + 10) + b"\n" + _LINES[0].encode() + b"\n"], "modes-hex",
                   sensor_id="rx")
    list(r)
    assert r.stats["garbage"] == 1 and r.stats["frames"] == 1


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(max_size=50).map(lambda s: s.replace("\n", " ")), min_size=1,
                max_size=30), st.randoms(use_true_random=False))
def test_hex_stream_goes_on_around_garbage_lines(junk, rnd):
    clean = "\n".join(_LINES).encode()
    lines = list(_LINES)
    for j in junk:
        lines.insert(rnd.randrange(len(lines) + 1), j)
    want = [d.measurement for d in FeedReader([clean], "modes-hex", sensor_id="rx")]
    r = FeedReader(["\n".join(lines).encode()], "modes-hex", sensor_id="rx")
    got = [d.measurement for d in r]
    assert got == want and want
