"""ADS-B / Mode S in (dronewall.interop.adsb), proven on real recorded frames.

Real data (tests/data/modes/README.md): a 7-minute airborne window of a real flight
(icao24 393322, AFR34ZG out of Paris-CDG) and a real dump1090 Beast capture near
Toulouse, both from the sample data of the ``traffic`` library, with traffic's own
decoding (rs1090) of the same frames as the expected values.
"""

from __future__ import annotations

import csv
import math
import os
import socket
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pyModeS")

from dronewall.fusion.tracker import Tracker
from dronewall.geo.frames import LocalFrame, geodesic_distance
from dronewall.interop.adsb import (
    BeastParser,
    ModeSDecoder,
    ModeSFrame,
    encode_beast,
    parse_hex_line,
    read_feed,
    sbs_time,
)
from dronewall.interop.adsb.accuracy import GAUSS_2D_95, NACP_EPU_M, NUCP_HPL_M
from dronewall.model.messages import Detection, decode, encode

DATA = Path(__file__).parent / "data" / "modes"
FLIGHT = DATA / "flight_393322.txt"
BEAST_SAMPLE = DATA / "sample_dump1090.bin"
BEAST_T0 = datetime(2020, 2, 12, 10, 7, tzinfo=UTC).timestamp()  # as traffic's own test
LFBO = (43.628101, 1.367263)


def _flight_lines() -> list[tuple[float, str]]:
    out = []
    for line in FLIGHT.read_text().splitlines():
        t, h = line.split()
        out.append((float(t), h))
    return out


def _traffic_positions() -> list[dict[str, str]]:
    return list(csv.DictReader((DATA / "flight_393322_traffic.csv").open()))


@pytest.fixture(scope="module")
def flight_dets() -> list[Detection]:
    r = read_feed(FLIGHT, "modes-hex", sensor_id="rx-cdg")
    dets = list(r)
    assert r.stats["garbage"] == 0 and r.stats["bad_crc"] == 0
    return dets


def _key(d: Detection) -> tuple[str, float, float]:
    m = d.measurement
    return f"{d.time:.6f}", m.lat, m.lon  # type: ignore[union-attr]


# --------------------------------------------------------------------------- raw hex


def test_hex_positions_equal_traffic_decoding(flight_dets):
    expected = _traffic_positions()
    assert len(expected) > 700
    ours: dict[tuple[str, float], Detection] = {}
    for d in flight_dets:
        ours.setdefault((f"{d.time:.6f}", d.measurement.alt), d)  # type: ignore[union-attr]
    assert len(flight_dets) == len(expected)  # the same frames give positions
    for row in expected:
        alt_m = float(row["altitude_ft"]) * 0.3048
        d = ours[(row["time"], alt_m)]
        m = d.measurement
        assert abs(m.lat - float(row["lat"])) < 1e-5  # type: ignore[union-attr]
        assert abs(m.lon - float(row["lon"])) < 1e-5  # type: ignore[union-attr]
        assert d.transponder is not None and d.transponder.icao24 == "393322"
    # identity learned from the real frames: callsign (TC 4) and squawk (DF5 / TC 28)
    last = flight_dets[-1].transponder
    assert last is not None and last.callsign == "AFR34ZG" and last.squawk == "1000"
    # messages validate through the vocabulary's decoder
    assert decode(encode(flight_dets[0])) == flight_dets[0]


def test_hex_line_forms():
    h = "8D4840D6202CC371C32CE0576098"
    assert parse_hex_line(f"*{h};").msg == h  # type: ignore[union-attr]
    assert parse_hex_line(h.lower()).msg == h  # type: ignore[union-attr]
    x = parse_hex_line(f"1720249221.5,*{h};")
    assert x is not None and x.time == 1720249221.5 and x.msg == h
    x = parse_hex_line(f"1720249221.5 {h}")
    assert x is not None and x.time == 1720249221.5
    x = parse_hex_line(f"@00000C000000{h};")
    assert x is not None and x.ticks == 0xC000000 and x.msg == h
    assert parse_hex_line("   ") is None and parse_hex_line("# comment") is None
    for bad in ("*8D4840D6202CC371C32CE05760;", "*8D4840D6202CC371C32CE0576098", "xyz",
                "abc *8D4840D6202CC371C32CE0576098;", "@12*;"):
        with pytest.raises(ValueError):
            parse_hex_line(bad)


def test_hex_feed_counts_and_clock(tmp_path):
    lines = [f"*{h};" for _, h in _flight_lines()[:400]]
    lines[5] = "*2000;"  # Mode A/C
    lines[6] = "*not-hex;"
    # corrupt one bit of a CRC-checked squitter
    i = next(k for k, ln in enumerate(lines) if ln.startswith("*8F") and k > 10)
    b = bytearray.fromhex(lines[i][1:-1])
    b[6] ^= 0x10
    lines[i] = f"*{b.hex().upper()};"
    p = tmp_path / "raw.txt"
    p.write_text("\n".join(lines) + "\n")
    ticks = iter(range(10**6))
    r = read_feed(p, "modes-hex", sensor_id="rx", clock=lambda: 1.7e9 + next(ticks) * 0.05)
    dets = list(r)
    s = r.stats
    assert s["mode_ac"] == 1 and s["garbage"] == 1 and s["bad_crc"] == 1
    assert s["frames"] == 398
    assert "not hexadecimal" in r.last_error
    assert dets and all(1.7e9 <= d.time < 1.7e9 + 400 * 0.05 for d in dets)
    # without a time source, frames are counted untimed and nothing is invented
    r = read_feed(p, "modes-hex", sensor_id="rx")
    assert list(r) == [] and r.stats["untimed"] == 398


# --------------------------------------------------------------------------- Beast


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]


def test_beast_real_capture_equals_traffic():
    expected = list(csv.DictReader((DATA / "sample_dump1090_traffic.csv").open()))
    data = BEAST_SAMPLE.read_bytes()
    for size in (1, 7, 23, len(data)):
        p = BeastParser()
        frames = [f for c in _chunks(data, size) for f in p.feed(c)]
        got = [(f.ticks, f.message.hex().upper()) for f in frames if f.kind in (0x32, 0x33)]
        assert got == [(int(r["ticks"]), r["hex"]) for r in expected]
        assert p.counters.get("garbage", 0) == 0
    r = read_feed(BEAST_SAMPLE, "beast", sensor_id="rx-lfbo", beast_epoch=BEAST_T0,
                  reference=LFBO)
    dets = list(r)
    by_time = {round(d.time, 6): d for d in dets}
    with_pos = [row for row in expected if row["lat"]]
    assert len(with_pos) >= 3
    for row in with_pos:
        d = by_time[round(BEAST_T0 + int(row["ticks"]) / 12e6, 6)]
        assert abs(d.measurement.lat - float(row["lat"])) < 1e-5  # type: ignore[union-attr]
        assert abs(d.measurement.lon - float(row["lon"])) < 1e-5  # type: ignore[union-attr]
    # NACp 9 from the aircraft's own operational status (TC 31): sigma = 30 m / 2.45
    sig = math.sqrt(dets[-1].covariance[0][0])
    assert sig == pytest.approx(NACP_EPU_M[9] / GAUSS_2D_95)
    assert dets[-1].transponder is not None and dets[-1].transponder.icao24 == "48520a"
    assert r.stats["frames"] == len(expected) and r.stats["garbage"] == 0


def _beast_bytes(lines: list[tuple[float, str]], epoch: float) -> bytes:
    return b"".join(
        encode_beast(0x33 if len(h) == 28 else 0x32, round((t - epoch) * 12e6), 0x1A,
                     bytes.fromhex(h))
        for t, h in lines
    )


def test_beast_encoded_flight_equals_hex(flight_dets, tmp_path):
    lines = _flight_lines()
    epoch = lines[0][0] - 100.0
    data = _beast_bytes(lines, epoch)
    assert data.count(b"\x1a\x1a") > len(lines)  # every signal byte and some frames escaped
    p = tmp_path / "flight.beast"
    p.write_bytes(data)
    r = read_feed(p, "beast", sensor_id="rx-cdg", beast_epoch=epoch)
    dets = list(r)
    assert len(dets) == len(flight_dets)
    for a, b in zip(dets, flight_dets, strict=True):
        assert abs(a.time - b.time) < 1e-6
        assert a.measurement == b.measurement and a.covariance == b.covariance


# --------------------------------------------------------------------------- SBS


def _sbs_line(kind: int, icao: str, t: float, *, callsign: str = "", alt: str = "",
              lat: str = "", lon: str = "", squawk: str = "", offset_s: float = 0.0) -> str:
    d = datetime.fromtimestamp(t + offset_s, tz=UTC)
    date, clock = d.strftime("%Y/%m/%d"), d.strftime("%H:%M:%S.%f")[:-3]
    return ",".join(["MSG", str(kind), "1", "1", icao.upper(), "1", date, clock, date, clock,
                     callsign, alt, "", "", lat, lon, "", squawk, "0", "0", "0", "0"])


def _sbs_text(offset_s: float = 0.0) -> str:
    """A BaseStation feed of the real flight, as dump1090 writes it from traffic's
    decoded positions (lat/lon with 5 decimals, times in ms) plus identity lines."""
    rows = _traffic_positions()
    t0 = float(rows[0]["time"])
    out = [_sbs_line(1, "393322", t0 - 1, callsign="AFR34ZG", offset_s=offset_s),
           _sbs_line(6, "393322", t0 - 0.5, squawk="1000", offset_s=offset_s),
           "STA,,1,1,393322,1,2024/07/06,06:43:09.525,2024/07/06,06:43:09.530,RM"]
    for r in rows:
        out.append(_sbs_line(3, "393322", float(r["time"]), alt=str(int(float(r["altitude_ft"]))),
                             lat=f"{float(r['lat']):.5f}", lon=f"{float(r['lon']):.5f}",
                             offset_s=offset_s))
    return "\r\n".join(out) + "\r\n"


def test_sbs_feed_of_the_real_flight(tmp_path):
    rows = _traffic_positions()
    for offset in (0.0, 7200.0):
        p = tmp_path / f"sbs{offset}.txt"
        p.write_text(_sbs_text(offset))
        r = read_feed(p, "sbs", sensor_id="rx-sbs", utc_offset_s=offset)
        dets = list(r)
        assert len(dets) == len(rows)
        assert r.stats["unsupported"] == 1 and r.stats["garbage"] == 0
        for d, row in zip(dets, rows, strict=True):
            assert abs(d.time - float(row["time"])) < 1e-3
            assert abs(d.measurement.lat - float(row["lat"])) < 1e-5  # type: ignore[union-attr]
            assert abs(d.measurement.lon - float(row["lon"])) < 1e-5  # type: ignore[union-attr]
            assert d.transponder is not None
            assert (d.transponder.callsign, d.transponder.squawk) == ("AFR34ZG", "1000")
        sig = math.sqrt(dets[0].covariance[0][0])
        assert sig == pytest.approx(NACP_EPU_M[8] / GAUSS_2D_95)


def test_sbs_time():
    assert sbs_time("2024/07/06", "06:43:09.525") == pytest.approx(1720248189.525)
    assert sbs_time("2024/07/06", "08:43:09.525", 7200.0) == pytest.approx(1720248189.525)
    for d, t in (("2024/13/06", "06:43:09"), ("2024/07/06", "25:00:00"), ("x", "y")):
        with pytest.raises(ValueError):
            sbs_time(d, t)


# --------------------------------------------------------------------------- sources


def _serve_once(payload: bytes) -> tuple[socket.socket, threading.Thread]:
    srv = socket.create_server(("127.0.0.1", 0))

    def run() -> None:
        conn, _ = srv.accept()
        with conn:
            for c in _chunks(payload, 1000):
                conn.sendall(c)

    th = threading.Thread(target=run, daemon=True)
    th.start()
    return srv, th


@pytest.mark.parametrize("fmt", ["modes-hex", "beast", "sbs"])
def test_tcp_client(fmt, flight_dets):
    lines = _flight_lines()
    epoch = lines[0][0] - 100.0
    payload = {"modes-hex": FLIGHT.read_bytes(), "beast": _beast_bytes(lines, epoch),
               "sbs": _sbs_text().encode()}[fmt]
    srv, th = _serve_once(payload)
    try:
        port = srv.getsockname()[1]
        r = read_feed(f"tcp://127.0.0.1:{port}", fmt, sensor_id="rx", beast_epoch=epoch)  # type: ignore[arg-type]
        dets = list(r)
    finally:
        th.join(5)
        srv.close()
    assert len(dets) == len(flight_dets)


def test_stdin(monkeypatch, flight_dets):
    rfd, wfd = os.pipe()

    def write() -> None:
        with os.fdopen(wfd, "wb") as fh:
            fh.write(FLIGHT.read_bytes())

    th = threading.Thread(target=write, daemon=True)
    th.start()
    with os.fdopen(rfd, "rb") as fh:
        monkeypatch.setattr(sys, "stdin", type("In", (), {"fileno": lambda self: fh.fileno()})())
        dets = list(read_feed("-", "modes-hex", sensor_id="rx-cdg"))
    th.join(5)
    assert [d.measurement for d in dets] == [d.measurement for d in flight_dets]


def test_unknown_format_and_source():
    with pytest.raises(ValueError, match="unknown feed format"):
        read_feed(FLIGHT, "asterix", sensor_id="rx")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tcp://host:port"):
        list(read_feed("tcp://127.0.0.1", "beast", sensor_id="rx"))


# --------------------------------------------------------------------------- decoder


def test_accuracy_fallback_from_position_typecode(flight_dets):
    # this flight's data has no TC 31: the NUCp of its TC 11 positions (7) gives HPL 0.1 NM
    assert math.sqrt(flight_dets[0].covariance[0][0]) == pytest.approx(
        NUCP_HPL_M[7] / GAUSS_2D_95)
    vv = flight_dets[0].covariance[2][2]
    assert vv == pytest.approx((25 * 0.3048) ** 2 / 12 + 10.0**2)


def test_wrong_anchor_is_dropped():
    """A local decode that jumps is rejected; two in a row drop the reference so the next
    even/odd pair re-anchors (no stale wrong position sticks)."""
    lines = [(t, h) for t, h in _flight_lines() if h.startswith("8F393322") and
             int(h[8:10], 16) >> 3 == 11][:40]
    dec = ModeSDecoder("rx")
    dets = dec.feed(ModeSFrame(t, h) for t, h in lines[:10])
    assert dets
    state = dec.aircraft["393322"]
    assert state.last is not None
    t, lat, lon = state.last
    state.last = (t, lat + 1.5, lon)  # poison the reference, 167 km away
    rest = dec.feed(ModeSFrame(t, h) for t, h in lines[10:])
    assert dec.counters["rejected"] == 2
    assert rest and abs(rest[-1].measurement.lat - lat) < 0.2  # type: ignore[union-attr]


# --------------------------------------------------------------------------- tracker


def test_real_flight_is_one_confirmed_track_within_its_accuracy(flight_dets):
    """Bound checked: at every confirmed update, the track's horizontal position lies
    within the report's own 95 % bound (the EPU/HPL the covariance was made from) of
    the ADS-B position at that time, and 99 % of the residuals fall inside the 99 %
    ellipse of (track covariance + report covariance)."""
    lat = float(np.mean([d.measurement.lat for d in flight_dets]))  # type: ignore[union-attr]
    lon = float(np.mean([d.measurement.lon for d in flight_dets]))  # type: ignore[union-attr]
    frame = LocalFrame(lat, lon)
    tracker = Tracker(frame)
    tracks = tracker.process(flight_dets) + tracker.finish()
    assert {t.id for t in tracks} == {"T0001"}
    assert tracker.stats["tracks_confirmed"] == 1
    assert tracks[-1].status == "lost" and tracks[-1].transponder is not None
    assert tracks[-1].transponder.icao24 == "393322"
    by_time = {d.time: d for d in flight_dets}
    confirmed = [t for t in tracks if t.status == "confirmed"]
    assert len(confirmed) > 0.95 * len(flight_dets)
    d2 = []
    for t in confirmed:
        d = by_time[t.time]
        m = d.measurement
        dist = geodesic_distance(t.lat, t.lon, m.lat, m.lon)  # type: ignore[union-attr]
        epu = math.sqrt(d.covariance[0][0]) * GAUSS_2D_95
        assert dist <= epu, (t.time, float(dist), epu)
        e = frame.to_enu(t.lat, t.lon, 0.0)[:2] - frame.to_enu(m.lat, m.lon, 0.0)[:2]  # type: ignore[union-attr]
        s = np.array(t.covariance)[:2, :2] + np.array(d.covariance)[:2, :2]
        d2.append(float(e @ np.linalg.solve(s, e)))
    assert np.mean(np.array(d2) <= 9.21) >= 0.99  # chi2_2(0.99)


# --------------------------------------------------------------------------- convert


def test_convert_readers(tmp_path):
    from dronewall.interop.adsb.convert import read_beast, read_modes_hex, read_sbs
    from dronewall.interop.convert import ConvertError, ConvertOptions

    o = ConvertOptions(sensor_id="rx-lfbo", values={
        "beast_epoch": "2020-02-12T10:07:00Z", "reference": f"{LFBO[0]},{LFBO[1]}"})
    with BEAST_SAMPLE.open("rb") as fh:
        dets = list(read_beast(fh, o))
    assert len(dets) == 4 and dets[0].sensor_id == "rx-lfbo"
    assert o.counters["frames"] == 239 and o.counters["positions"] == 4
    o = ConvertOptions(sensor_id="rx")
    with FLIGHT.open("rb") as fh:
        assert len(list(read_modes_hex(fh, o))) == o.counters["positions"] == 773
    p = tmp_path / "sbs.txt"
    p.write_text(_sbs_text(3600.0))
    o = ConvertOptions(sensor_id="rx", values={"utc_offset_s": "3600", "sbs_nacp": "10"})
    with p.open("rb") as fh:
        dets = list(read_sbs(fh, o))
    assert len(dets) == 773
    assert math.sqrt(dets[0].covariance[0][0]) == pytest.approx(10.0 / GAUSS_2D_95)
    for bad in ({"reference": "48.9"}, {"beast_epoch": "yesterday"}, {"clock": "gps"}):
        with FLIGHT.open("rb") as fh, pytest.raises(ConvertError):
            list(read_modes_hex(fh, ConvertOptions(values=bad)))
