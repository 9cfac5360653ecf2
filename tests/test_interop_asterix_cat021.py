"""CAT021 (ADS-B target reports) -> Detection.

asterix-decoder ships no CAT021 recording, so the record here is built by hand from the
item layouts of CAT021 ed. 2.6, checked first against asterix-decoder's own reading of
it, then mapped."""

from __future__ import annotations

from datetime import date

import pytest

asterix = pytest.importorskip("asterix")

from dronewall.interop.asterix import AsterixOptions, decode_bytes  # noqa: E402
from dronewall.interop.asterix.cat021 import horizontal_sigma  # noqa: E402
from dronewall.interop.asterix.encode062 import callsign_bits, fspec  # noqa: E402
from dronewall.model.messages import Detection, GeodeticPosition  # noqa: E402

FT = 0.3048
MIDNIGHT = 1735689600.0  # 2025-01-01T00:00Z


def s(value: float, lsb: float, octets: int) -> bytes:
    return (round(value / lsb) & ((1 << (8 * octets)) - 1)).to_bytes(octets, "big")


def cat021_record(*, geo_height_ft: float | None = 35_000.0, position: bool = True) -> bytes:
    items = {
        1: bytes((25, 77)),  # I021/010 SAC SIC
        2: b"\x00",  # I021/040 ATP=0 (24-bit address), no extension
        5: s(45_296.5, 1 / 128, 3),  # I021/071 time of applicability for position
        11: bytes.fromhex("48ae01"),  # I021/080 target address
        # I021/090: NUCr/NACv=1 NIC=8 FX | NICbaro=1 SIL=3 NACp=9 FX | SILS SDA=2 GVA=2
        17: bytes((1 << 5 | 8 << 1 | 1, 1 << 7 | 3 << 5 | 9 << 1 | 1, 2 << 3 | 2 << 1)),
        19: (0o7000).to_bytes(2, "big"),  # I021/070 Mode-3/A
        21: s(348.5, 0.25, 2),  # I021/145 flight level, 1/4 FL
        29: callsign_bits("LOT3TK"),  # I021/170 target identification
    }
    if position:  # I021/131 high-resolution position, 180/2^30 deg
        items[7] = s(52.16574, 180 / 2**30, 4) + s(20.96712, 180 / 2**30, 4)
    if geo_height_ft is not None:  # I021/140 geometric height, 6.25 ft
        items[16] = s(geo_height_ft, 6.25, 2)
    return fspec(items) + b"".join(items[k] for k in sorted(items))


def block(*records: bytes) -> bytes:
    body = b"".join(records)
    return bytes((21,)) + (len(body) + 3).to_bytes(2, "big") + body


def test_hand_built_record_reads_as_intended_by_asterix_decoder() -> None:
    [r] = asterix.parse(block(cat021_record()), verbose=False)
    assert r["I131"]["Lat"]["val"] == pytest.approx(52.16574, abs=1e-7)
    assert r["I140"]["geometric_height"]["val"] == 35_000.0
    assert r["I090"]["NACp"]["val"] == 9 and r["I090"]["GVA"]["val"] == 2
    assert r["I080"]["TAddr"]["val"] == "48AE01"
    assert r["I170"]["TId"]["val"].strip() == "LOT3TK"
    assert r["I071"]["time_applicability_position"]["val"] == 45_296.5


def test_cat021_to_detection() -> None:
    data = block(cat021_record(), cat021_record(geo_height_ft=None), cat021_record(position=False))
    msgs, stats = decode_bytes(data, AsterixOptions(day=date(2025, 1, 1)))
    assert stats.records[21] == 3
    assert stats.skipped["CAT021 record"] == 1 and "I021/131" in stats.examples[0]
    geo, baro = msgs
    for det in (geo, baro):
        assert isinstance(det, Detection) and isinstance(det.measurement, GeodeticPosition)
        assert det.sensor_id == "asterix:25/77"
        assert det.time == pytest.approx(MIDNIGHT + 45_296.5)
        assert det.measurement.lat == pytest.approx(52.16574, abs=1e-7)
        assert det.measurement.lon == pytest.approx(20.96712, abs=1e-7)
        assert det.transponder is not None
        assert (det.transponder.icao24, det.transponder.callsign, det.transponder.squawk) == (
            "48ae01", "LOT3TK", "7000",
        )  # fmt: skip
        # NACp 9: 95 % horizontal error < 30 m -> 12.25 m per axis
        assert det.covariance[0][0] == pytest.approx((30 / 2.448) ** 2)
    assert geo.measurement.alt == pytest.approx(35_000 * FT)
    assert geo.covariance[2][2] == pytest.approx((45 / 1.96) ** 2)  # GVA 2: 45 m
    assert baro.measurement.alt == pytest.approx(34_850 * FT)  # FL 348.5 as a stand-in
    assert baro.covariance[2][2] == pytest.approx(150.0**2)


def test_nacp_sigmas_shrink_with_quality() -> None:
    sig = [horizontal_sigma(n) for n in range(12)]
    assert sig == sorted(sig, reverse=True)[:1] + sorted(sig[1:], reverse=True)
    assert horizontal_sigma(None) == horizontal_sigma(0) == horizontal_sigma(1)
