"""ASTERIX in: the real recordings shipped with asterix-decoder become valid messages."""

from __future__ import annotations

import math
import socket
from datetime import date

import msgspec
import pytest

asterix = pytest.importorskip("asterix")

from dronewall.interop.asterix import (  # noqa: E402
    AsterixDecoder,
    AsterixOptions,
    decode_bytes,
    parse_site,
    read_file,
    read_udp,
)
from dronewall.interop.asterix.clock import TodClock  # noqa: E402
from dronewall.interop.asterix.framing import iter_pcap, split_blocks  # noqa: E402
from dronewall.model.messages import (  # noqa: E402
    Detection,
    GeoPoint,
    RangeBearing,
    Track,
    decode,
    encode,
)

NM = 1852.0
FT = 0.3048
DAY = date(2016, 5, 5)  # the recordings' capture date (pcap timestamps)
SITE = GeoPoint(lat=45.0, lon=15.0, alt=300.0)  # notional: ASTERIX does not carry sites
RADARS = [(25, s) for s in (11, 12, 13, 14, 201, 204, 205)]


def sample(name: str) -> bytes:
    with open(asterix.get_sample_file(name), "rb") as f:
        return f.read()


def reference_records(data: bytes) -> list[dict]:
    """asterix-decoder's own records of a recording (raw or pcap), block by block."""
    chunks = [d.payload for d in iter_pcap(data)] if data[:4] == b"\xd4\xc3\xb2\xa1" else [data]
    out = []
    for chunk in chunks:
        blocks, err = split_blocks(chunk)
        assert err is None
        for b in blocks:
            out.extend(asterix.parse(b.data, verbose=False))
    return out


def all_sites() -> dict[tuple[int, int], GeoPoint]:
    return dict.fromkeys(RADARS, SITE)


def roundtrip(msg: Detection | Track) -> None:
    """The message survives our own JSON validation."""
    assert decode(encode(msg)) == msg


def test_cat048_raw_plot() -> None:
    msgs, stats = read_file(
        asterix.get_sample_file("cat048.raw"),
        AsterixOptions(day=DAY, sites=all_sites() | {(25, 201): SITE}),
    )
    assert stats.bad == 0 and stats.records[48] == 1
    [det] = msgs
    assert isinstance(det, Detection) and isinstance(det.measurement, RangeBearing)
    assert det.sensor_id == "asterix:25/201"
    assert det.measurement.range == pytest.approx(197.68359375 * NM)
    assert det.measurement.azimuth == pytest.approx(340.13671875)
    assert det.measurement.elevation is None  # no I048/110
    assert det.time == pytest.approx(1462406400.0 + 27354.6015625)
    assert det.transponder is not None
    assert det.transponder.icao24 == "3c660c"
    assert det.transponder.callsign == "DLH65A"
    assert det.transponder.squawk == "1000"
    assert det.covariance == [[70.0**2, 0.0], [0.0, 0.08**2]]
    roundtrip(det)


def test_cat048_pcap_every_plot() -> None:
    data = sample("cat_034_048.pcap")
    ref = reference_records(data)
    ref48 = [r for r in ref if r["category"] == 48]
    with_pos = [r for r in ref48 if "I040" in r]
    assert len(ref48) == 128 and len(with_pos) == 126  # asterix-decoder's own count
    msgs, stats = decode_bytes(data, AsterixOptions(sites=all_sites()))  # date from pcap
    assert stats.records[48] == 128 and stats.records[34] == 34
    assert not any(k.startswith(("undecodable", "decoder crash", "bad")) for k in stats.skipped)
    assert stats.skipped["CAT048 record"] == 2  # the two track-only reports, counted
    assert all("I048/040" in e for e in stats.examples if e.startswith("CAT048"))
    dets = [m for m in msgs if isinstance(m, Detection)]
    assert len(dets) == 126
    captures = [d.time for d in iter_pcap(data)]
    for det, rec in zip(dets, with_pos, strict=True):
        roundtrip(det)
        m = det.measurement
        assert isinstance(m, RangeBearing)
        assert det.sensor_id == "asterix:{}/{}".format(
            rec["I010"]["SAC"]["val"], rec["I010"]["SIC"]["val"]
        )
        # plausible: inside an en-route radar's reach, taken just before capture
        assert 0 < m.range < 260 * NM and 0 <= m.azimuth < 360
        assert min(captures) - 10 < det.time <= max(captures)
        if "I042" in rec:  # the radar's own Cartesian position agrees with the polar one
            x, y = rec["I042"]["X"]["val"] * NM, rec["I042"]["Y"]["val"] * NM
            ground = math.hypot(x, y)  # I048/042 is in the ground plane, I048/040 is slant
            assert ground <= m.range + NM / 128
            assert m.range**2 - ground**2 < 16_000.0**2  # the gap is a height below 16 km
            az = math.degrees(math.atan2(x, y)) % 360
            assert abs((az - m.azimuth + 180) % 360 - 180) < 0.5
        if "I110" in rec:  # 3-D height -> elevation; back to the same height
            assert m.elevation is not None and len(det.covariance) == 3
            r_e = 6_371_008.8
            h = (
                math.sqrt(
                    (r_e + SITE.alt) ** 2
                    + m.range**2
                    + 2 * (r_e + SITE.alt) * m.range * math.sin(math.radians(m.elevation))
                )
                - r_e
            )
            assert h == pytest.approx(rec["I110"]["3D_Height"]["val"] * FT, abs=1.0)
        else:
            assert m.elevation is None and len(det.covariance) == 2


def test_cat048_frames_from_north_markers_and_period() -> None:
    data = sample("cat_034_048.pcap")
    norths = {
        (r["I010"]["SAC"]["val"], r["I010"]["SIC"]["val"]): r["I030"]["ToD"]["val"]
        for r in reference_records(data)
        if r["category"] == 34 and r["I000"]["MsgTyp"]["val"] == 1
    }
    assert norths  # the recording has north markers
    msgs, _ = decode_bytes(data, AsterixOptions(day=DAY, sites=all_sites()))
    midnight = 1462406400.0
    numbered = 0
    for det in msgs:
        key = tuple(int(x) for x in det.sensor_id.split(":")[1].split("/"))
        if key in norths:
            # frame = number of north markers of this radar at or before the plot; None
            # for plots decoded before the radar's first CAT034 (no period known yet)
            expected = 1 if det.time >= midnight + norths[key] else 0
            assert det.frame in (None, expected)
            numbered += det.frame is not None
        else:
            # no marker: the period comes from I034/041 (or None without CAT034)
            assert det.frame is None or det.frame >= 0
    assert numbered > 10
    # a caller-given period numbers scans from the antenna's north crossing
    dec = AsterixDecoder(
        AsterixOptions(day=DAY, sites=all_sites(), rotation_period_s=4.0, isolate=False)
    )
    plot = bytes.fromhex("300030") + bytes.fromhex(
        reference_records(sample("cat048.raw"))[0]["hexdata"]
    )
    assert plot[8:11] == bytes.fromhex("356d4d")  # I048/140 time of day, 1/128 s
    tod = int.from_bytes(plot[8:11], "big")

    def at(dt: float) -> bytes:
        return plot[:8] + (tod + round(dt * 128)).to_bytes(3, "big") + plot[11:]

    frames = [dec.feed(at(dt))[0].frame for dt in (0.0, 0.0, 3.9, 4.1, 8.0, 20.0)]
    assert frames == [0, 0, 1, 1, 2, 5]
    dec.close()


def test_cat048_without_site_or_date_is_counted_not_raised() -> None:
    msgs, stats = read_file(asterix.get_sample_file("cat048.raw"), AsterixOptions(day=DAY))
    assert msgs == [] and stats.skipped["CAT048 record"] == 1
    assert "no site for radar SAC/SIC 25/201" in stats.examples[0]
    msgs, stats = read_file(
        asterix.get_sample_file("cat048.raw"), AsterixOptions(sites=all_sites())
    )
    assert msgs == [] and "give the date" in stats.examples[0]


def test_cat062_tracks_from_real_recordings() -> None:
    for name in ("cat062cat065.raw", "cat_062_065.pcap"):
        data = sample(name)
        ref = [r for r in reference_records(data) if r["category"] == 62]
        msgs, stats = decode_bytes(data, AsterixOptions(day=DAY))
        assert stats.records[62] == len(ref) == len(msgs) == 2
        assert stats.skipped["CAT065 not read"] == 1  # SDPS service status: counted
        for trk, rec in zip(msgs, ref, strict=True):
            assert isinstance(trk, Track)
            roundtrip(trk)
            assert trk.id == f"asterix:25/100:{rec['I040']['TrkN']['val']}"
            assert trk.lat == rec["I105"]["Lat"]["val"] and trk.lon == rec["I105"]["Lon"]["val"]
            assert trk.alt == pytest.approx(rec["I130"]["Alt"]["val"] * FT)
            assert (trk.ve, trk.vn) == (rec["I185"]["Vx"]["val"], rec["I185"]["Vy"]["val"])
            assert trk.vu == pytest.approx(rec["I220"]["RoC"]["val"] * FT / 60)
            assert trk.status == "confirmed"  # CNF = 0, TSE = 0
            assert trk.time == pytest.approx(1462406400.0 + rec["I070"]["ToT"]["val"])
            assert trk.transponder is not None
            assert trk.transponder.squawk == rec["I060"]["Mode3A"]["val"]
            assert 35 < trk.lat < 50 and 5 < trk.lon < 25  # over the Adriatic / Balkans
            assert 100 < trk.speed < 300  # airliners
        first = msgs[1] if name.endswith(".raw") else msgs[0]
        assert first.transponder is not None and first.transponder.icao24 is not None


def test_tod_clock_crosses_midnight() -> None:
    clock = TodClock(DAY)
    t1 = clock.to_posix(86399.5)
    t2 = clock.to_posix(0.25)
    assert t2 - t1 == pytest.approx(0.75)
    assert TodClock().to_posix(10.0, hint=1462406400.0 - 5) == pytest.approx(1462406410.0)


def test_parse_site() -> None:
    assert parse_site("25/201=45.5,13.7,120") == (
        (25, 201),
        GeoPoint(lat=45.5, lon=13.7, alt=120.0),
    )
    for bad in ("25=1,2", "25/201=91,0", "300/1=1,2", "25/201=a,b"):
        with pytest.raises(ValueError, match="radar site"):
            parse_site(bad)


def test_udp_input_on_loopback() -> None:
    data = sample("cat_034_048.pcap")
    payloads = [d.payload for d in iter_pcap(data)]
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    port = rx.getsockname()[1]
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        for p in payloads:
            tx.sendto(p, ("127.0.0.1", port))
        got = list(
            read_udp(
                f"udp://127.0.0.1:{port}",
                AsterixOptions(day=DAY, sites=all_sites()),
                timeout_s=2.0,
                max_datagrams=len(payloads),
                sock=rx,
            )
        )
    finally:
        tx.close()
        rx.close()
    want, _ = decode_bytes(data, AsterixOptions(day=DAY, sites=all_sites()))
    assert [msgspec.structs.astuple(m.measurement) for m in got] == [
        msgspec.structs.astuple(m.measurement) for m in want
    ]
