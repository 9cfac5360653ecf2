"""ASTERIX out: our CAT062 encoder, checked by decoding with asterix-decoder (another
implementation) and comparing every field back within the item's LSB."""

from __future__ import annotations

import math
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

asterix = pytest.importorskip("asterix")

from dronewall.interop.asterix import (  # noqa: E402
    AsterixOptions,
    Cat062Encoder,
    EncodeError,
    decode_bytes,
)
from dronewall.interop.asterix.encode062 import fspec  # noqa: E402
from dronewall.model.messages import GeoPoint, Track, Transponder  # noqa: E402

FT = 0.3048
LATLON_LSB = 180 / 2**25


def make_track(**kw: object) -> Track:
    cov = [[0.0] * 6 for _ in range(6)]
    for i, v in enumerate(kw.pop("sigmas", (30.0, 40.0, 50.0, 2.0, 3.0, 1.0))):  # type: ignore[arg-type]
        cov[i][i] = float(v) ** 2
    cxy = float(kw.pop("cxy", 0.0))  # type: ignore[arg-type]
    cov[0][1] = cov[1][0] = cxy
    base: dict[str, object] = dict(
        id="trk-1", time=1757474940.25, status="confirmed", lat=52.1, lon=21.3, alt=3000.0,
        ve=30.0, vn=-12.5, vu=0.0, covariance=cov, born=1757474900.0, sensors=["radar-1"],
    )  # fmt: skip
    base.update(kw)
    return Track(**base)  # type: ignore[arg-type]


def parse(blob: bytes) -> list[dict]:
    return asterix.parse(blob, verbose=False)


def test_fspec_bits() -> None:
    assert fspec([1]) == b"\x80"
    assert fspec([1, 7]) == b"\x82"
    assert fspec([1, 8]) == b"\x81\x80"
    assert fspec([27]) == b"\x01\x01\x01\x04"  # FRN 27 = I062/500


callsigns = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=8)


@settings(max_examples=150, deadline=None)
@given(
    lat=st.floats(-89.99, 89.99),
    lon=st.floats(-179.99, 179.99),
    alt=st.floats(-400.0, 45_000.0),
    ve=st.floats(-2000.0, 2000.0),
    vn=st.floats(-2000.0, 2000.0),
    t=st.floats(0.0, 4.0e9),
    status=st.sampled_from(["tentative", "confirmed", "lost"]),
    icao=st.none() | st.integers(0, 2**24 - 1),
    callsign=st.none() | callsigns,
    squawk=st.none() | st.integers(0, 0o7777),
    sigmas=st.tuples(*[st.floats(0.5, 2000.0)] * 3, *[st.floats(0.2, 60.0)] * 3),
    rho=st.floats(-0.99, 0.99),
    nsensors=st.integers(1, 3),
)
def test_cat062_roundtrip_through_asterix_decoder(
    lat, lon, alt, ve, vn, t, status, icao, callsign, squawk, sigmas, rho, nsensors
) -> None:
    tp = None
    if icao is not None or callsign is not None or squawk is not None:
        tp = Transponder(
            icao24=None if icao is None else f"{icao:06x}",
            callsign=callsign,
            squawk=None if squawk is None else f"{squawk:04o}",
        )
    trk = make_track(lat=lat, lon=lon, alt=alt, ve=ve, vn=vn, time=t, status=status,
                     transponder=tp, sigmas=sigmas, cxy=rho * sigmas[0] * sigmas[1],
                     sensors=[f"s{i}" for i in range(nsensors)])  # fmt: skip
    enc = Cat062Encoder(sac=25, sic=100, service_id=7, altitude_source=2)
    blob = enc.block([trk, trk])
    assert blob[0] == 62 and int.from_bytes(blob[1:3], "big") == len(blob)
    recs = parse(blob)
    assert len(recs) == 2 and all(r["hexdata"] for r in recs)
    r = recs[0]
    assert (r["I010"]["SAC"]["val"], r["I010"]["SIC"]["val"]) == (25, 100)
    assert r["I015"]["SID"]["val"] == 7
    tod = r["I070"]["ToT"]["val"]
    assert abs((tod - t % 86400 + 43200) % 86400 - 43200) <= 1 / 256 + 1e-9
    assert r["I105"]["Lat"]["val"] == pytest.approx(lat, abs=LATLON_LSB / 2 + 1e-12)
    assert r["I105"]["Lon"]["val"] == pytest.approx(lon, abs=LATLON_LSB / 2 + 1e-12)
    assert r["I185"]["Vx"]["val"] == pytest.approx(ve, abs=0.125 + 1e-9)
    assert r["I185"]["Vy"]["val"] == pytest.approx(vn, abs=0.125 + 1e-9)
    assert r["I130"]["Alt"]["val"] * FT == pytest.approx(alt, abs=3.125 * FT + 1e-9)
    assert r["I040"]["TrkN"]["val"] == 1 and recs[1]["I040"]["TrkN"]["val"] == 1
    s = r["I080"]
    assert s["CNF"]["val"] == (status == "tentative")
    assert s["MON"]["val"] == (nsensors == 1)
    assert (s["MRH"]["val"], s["SRC"]["val"], s["SPI"]["val"]) == (1, 2, 0)
    assert s["TSB"]["val"] == 1 and s["TSE"]["val"] == (status == "lost")  # first message
    s2 = recs[1]["I080"]
    assert s2.get("TSB", {"val": 0})["val"] == 0  # not the first any more
    assert s2.get("TSE", {"val": 0})["val"] == (status == "lost")
    if squawk is not None:
        assert r["I060"]["Mode3A"]["val"] == f"{squawk:04o}"
    else:
        assert "I060" not in r
    if icao is not None:
        assert r["I380"]["ADR"]["ADR"]["val"] == f"{icao:06X}"
    if callsign is not None:
        assert r["I380"]["ID"]["ACID"]["val"].rstrip() == callsign
    if icao is None and callsign is None:
        assert "I380" not in r
    acc = r["I500"]
    assert acc["APC"]["APC_X"]["val"] == pytest.approx(sigmas[0], abs=0.25 + 1e-9)
    assert acc["APC"]["APC_Y"]["val"] == pytest.approx(sigmas[1], abs=0.25 + 1e-9)
    c = math.copysign(math.sqrt(abs(rho * sigmas[0] * sigmas[1])), rho)
    assert acc["COV"]["COV_XY"]["val"] == pytest.approx(c, abs=0.25 + 1e-9)
    assert acc["AGA"]["AGA_Acc"]["val"] == pytest.approx(min(sigmas[2] / FT, 255 * 6.25),
                                                         abs=3.125 + 1e-9)  # fmt: skip
    assert acc["ATV"]["ATV_X"]["val"] == pytest.approx(min(sigmas[3], 63.75), abs=0.125 + 1e-9)
    assert acc["ATV"]["ATV_Y"]["val"] == pytest.approx(min(sigmas[4], 63.75), abs=0.125 + 1e-9)

    # and through our own reader, back to a Track
    [back, _] = decode_bytes(blob, AsterixOptions(day=date(2025, 1, 1), isolate=False))[0]
    assert isinstance(back, Track)
    assert back.status == status
    assert back.lat == pytest.approx(lat, abs=LATLON_LSB)
    assert back.alt == pytest.approx(alt, abs=3.125 * FT + 1e-9)
    assert (back.transponder is None) == (tp is None)


def test_real_cat062_survives_our_encoder() -> None:
    """Real tracks (asterix-decoder's sample) -> Track -> our CAT062 -> the same values."""
    with open(asterix.get_sample_file("cat062cat065.raw"), "rb") as f:
        data = f.read()
    tracks, _ = decode_bytes(data, AsterixOptions(day=date(2016, 5, 5), isolate=False))
    assert len(tracks) == 2
    src = [r for r in parse(data) if r["category"] == 62]
    out = parse(Cat062Encoder(sac=25, sic=100, service_id=4).block(tracks))
    for a, b in zip(src, out, strict=True):
        for item, field in (("I105", "Lat"), ("I105", "Lon"), ("I185", "Vx"), ("I185", "Vy"),
                            ("I070", "ToT"), ("I130", "Alt"), ("I060", "Mode3A")):  # fmt: skip
            assert b[item][field]["val"] == a[item][field]["val"], (item, field)
    assert out[1]["I380"]["ADR"] == src[1]["I380"]["ADR"]
    assert out[1]["I380"]["ID"] == src[1]["I380"]["ID"]


def test_stereographic_position_item() -> None:
    origin = GeoPoint(lat=52.0, lon=21.0)
    enc = Cat062Encoder(sac=1, sic=2, origin=origin)
    north = parse(enc.block([make_track(lat=52.1, lon=21.0)]))[0]["I100"]
    east = parse(enc.block([make_track(id="b", lat=52.0, lon=21.1)]))[0]["I100"]
    # 0.1 deg of latitude ~ 11.1 km north; 0.1 deg of longitude at 52 N ~ 6.9 km east
    assert north["X"]["val"] == pytest.approx(0.0, abs=0.5)
    assert north["Y"]["val"] == pytest.approx(11_130, rel=0.01)
    assert east["X"]["val"] == pytest.approx(6_860, rel=0.01)


def test_blocks_split_and_track_numbers() -> None:
    enc = Cat062Encoder(sac=1, sic=2)
    tracks = [make_track(id=f"t{i}") for i in range(50)]
    blocks = list(enc.blocks(tracks, max_len=400))
    assert len(blocks) > 1 and all(len(b) <= 400 for b in blocks)
    recs = [r for b in blocks for r in parse(b)]
    assert [r["I040"]["TrkN"]["val"] for r in recs] == list(range(1, 51))


def test_values_outside_an_item_are_clear_errors() -> None:
    enc = Cat062Encoder(sac=1, sic=2)
    with pytest.raises(EncodeError, match="I062/185 vx"):
        enc.record(make_track(ve=9000.0))
    with pytest.raises(EncodeError, match="I062/130"):
        enc.record(make_track(alt=100_000.0))
    with pytest.raises(EncodeError, match="IA-5"):
        enc.record(make_track(transponder=Transponder(callsign="AB-12")))
    with pytest.raises(EncodeError, match="squawk"):
        enc.record(make_track(transponder=Transponder(squawk="7800")))
    with pytest.raises(EncodeError, match="sac"):
        Cat062Encoder(sac=256, sic=0)


def test_write_to_file_and_udp(tmp_path) -> None:
    import socket

    from dronewall.interop.asterix import write_cat062

    tracks = [make_track(id=f"t{i}", lat=50 + i / 100) for i in range(40)]
    out = tmp_path / "tracks.ast"
    assert write_cat062(tracks, out, Cat062Encoder(sac=3, sic=4)) == 40
    back, stats = decode_bytes(out.read_bytes(), AsterixOptions(day=date(2025, 1, 1)))
    assert stats.bad == 0 and [t.lat for t in back] == pytest.approx(
        [t.lat for t in tracks], abs=LATLON_LSB
    )
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(2.0)
    try:
        port = rx.getsockname()[1]
        write_cat062(tracks, f"udp://127.0.0.1:{port}", Cat062Encoder(sac=3, sic=4))
        got = []
        while sum(len(parse(d)) for d in got) < 40:
            got.append(rx.recv(65535))
    finally:
        rx.close()
    assert len(got) > 1 and all(len(d) <= 1400 for d in got)  # one block per datagram


def test_site_table_file(tmp_path) -> None:
    from dronewall.interop.asterix import load_sites

    f = tmp_path / "sites.yaml"
    f.write_text('"25/201": {lat: 45.5, lon: 13.7, alt: 120}\n"25/13": {lat: 46, lon: 16}\n')
    assert load_sites(f) == {
        (25, 201): GeoPoint(lat=45.5, lon=13.7, alt=120.0),
        (25, 13): GeoPoint(lat=46.0, lon=16.0),
    }
    f.write_text('"25/201": {lat: 95, lon: 13.7}\n')
    with pytest.raises(ValueError, match=r"25/201.*lat"):
        load_sites(f)
    f.write_text('"radar": {lat: 45, lon: 13.7}\n')
    with pytest.raises(ValueError, match="SAC/SIC"):
        load_sites(f)
