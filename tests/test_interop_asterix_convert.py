"""`dronewall convert --from asterix` / `--to asterix062`: the adapters, on real data."""

from __future__ import annotations

import io
from datetime import date

import pytest

asterix = pytest.importorskip("asterix")

from dronewall.interop import convert as conv  # noqa: E402
from dronewall.interop.asterix import AsterixDecoder, AsterixOptions, decode_bytes  # noqa: E402
from dronewall.interop.asterix.convert import (  # noqa: E402
    asterix_options,
    read_asterix,
    write_asterix062,
)
from dronewall.interop.convert import ConvertError, ConvertOptions  # noqa: E402
from dronewall.model.messages import Detection, GeoPoint, Track  # noqa: E402

SITES = ";".join(f"25/{s}=45.0,15.0,300" for s in (11, 12, 13, 14, 201, 204, 205))


def sample(name: str) -> bytes:
    with open(asterix.get_sample_file(name), "rb") as f:
        return f.read()


class Trickle(io.RawIOBase):
    """A pipe that hands out a few bytes at a time."""

    def __init__(self, data: bytes, step: int) -> None:
        self._data, self._pos, self._step = data, 0, step

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # type: ignore[no-untyped-def]
        n = min(self._step, len(b), len(self._data) - self._pos)
        b[:n] = self._data[self._pos : self._pos + n]
        self._pos += n
        return n


def test_options_from_set_values() -> None:
    o = asterix_options(ConvertOptions(values={"date": "2016-05-05", "site": SITES,
                                               "rotation_period": "4.5",
                                               "sigma_azimuth": "0.2"}))  # fmt: skip
    assert o.day is not None and o.day.isoformat() == "2016-05-05"
    assert o.sites[(25, 13)] == GeoPoint(lat=45.0, lon=15.0, alt=300.0)
    assert o.rotation_period_s == 4.5 and o.plot_sigmas.azimuth_deg == 0.2
    for bad in ({"date": "5 May"}, {"site": "25/1=99,0"}, {"rotation_period": "x"}):
        with pytest.raises(ConvertError):
            asterix_options(ConvertOptions(values=bad))


@pytest.mark.parametrize("step", [7, 1 << 16])
def test_stream_reader_matches_whole_file(step: int) -> None:
    data = sample("cat_034_048.pcap")
    raw = b"".join(b for b in [sample("cat048.raw"), sample("cat062cat065.raw")] * 3)
    opts = AsterixOptions(day=date(2016, 5, 5), sites={(25, 201): GeoPoint(lat=45, lon=15)})
    for blob in (data, raw):
        want, _ = decode_bytes(blob, opts)
        with AsterixDecoder(opts) as dec:
            got = list(dec.read_stream(io.BufferedReader(Trickle(blob, step))))
        assert [m.time for m in got] == [m.time for m in want] and len(got) > 3


def test_stream_reader_counts_bad_framing_and_keeps_what_came_before() -> None:
    blob = sample("cat062cat065.raw") + b"\x3e\x00\x01garbage" + sample("cat062cat065.raw")
    opts = ConvertOptions(values={"date": "2016-05-05"})
    msgs = list(read_asterix(io.BytesIO(blob), opts))
    assert len(msgs) == 2 and all(isinstance(m, Track) for m in msgs)
    assert opts.counters["skipped: bad framing"] == 1


def test_convert_pcap_to_jsonl_and_tracks_to_asterix062(tmp_path, monkeypatch) -> None:
    """The wiring asked of the integrator, end to end through interop.convert.convert."""
    monkeypatch.setitem(
        conv.READERS, "asterix", ("dronewall.interop.asterix.convert:read_asterix", "asterix")
    )
    monkeypatch.setitem(conv.WRITERS, "asterix062",
                        ("dronewall.interop.asterix.convert:write_asterix062", None))  # fmt: skip
    src = tmp_path / "in.pcap"
    src.write_bytes(sample("cat_034_048.pcap"))
    out = tmp_path / "out.jsonl"
    opts = ConvertOptions(values={"site": SITES})
    assert conv.convert("asterix", "jsonl", str(src), str(out), opts) == 126
    assert opts.counters["skipped: CAT048 record"] == 2
    from dronewall.model.jsonl import read_messages

    dets = list(read_messages(out))
    assert len(dets) == 126 and all(isinstance(d, Detection) for d in dets)

    src62 = tmp_path / "in.ast"
    src62.write_bytes(sample("cat062cat065.raw"))
    out62 = tmp_path / "out.ast"
    opts = ConvertOptions(values={"date": "2016-05-05", "sac_sic": "0/1", "origin": "45,15"})
    assert conv.convert("asterix", "asterix062", str(src62), str(out62), opts) == 2
    recs = asterix.parse(out62.read_bytes(), verbose=False)
    assert [r["I010"]["SIC"]["val"] for r in recs] == [1, 1] and "I100" in recs[0]


def test_writer_needs_sac_sic_and_counts_non_tracks() -> None:
    with pytest.raises(ConvertError, match="sac_sic"):
        write_asterix062([], io.BytesIO(), ConvertOptions())
    with pytest.raises(ConvertError, match="sac"):
        write_asterix062([], io.BytesIO(), ConvertOptions(values={"sac_sic": "300/1"}))
    opts = ConvertOptions(values={"date": "2016-05-05", "site": SITES, "sac_sic": "9/9"})
    msgs = list(read_asterix(io.BytesIO(sample("cat048.raw") + sample("cat062cat065.raw")),
                             opts))  # fmt: skip
    sink = io.BytesIO()
    assert write_asterix062(msgs, sink, opts) == 2
    assert opts.counters["not a track"] == 1
    assert len(asterix.parse(sink.getvalue(), verbose=False)) == 2


def test_udp_url_reader_on_loopback() -> None:
    import socket
    import threading

    from dronewall.interop.asterix.convert import read_asterix_url

    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # a free port for the reader to bind
    raw62 = sample("cat062cat065.raw")

    def send() -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as tx:
            for _ in range(400):  # until the reader is listening and has had 3
                tx.sendto(raw62, ("127.0.0.1", port))
                if done.wait(0.05):
                    return

    done = threading.Event()
    sender = threading.Thread(target=send)
    opts = ConvertOptions(values={"date": "2016-05-05", "udp_timeout": "5", "udp_max": "3"})
    sender.start()
    try:
        msgs = list(read_asterix_url(f"udp://127.0.0.1:{port}", opts))
    finally:
        done.set()
        sender.join()
    assert len(msgs) == 6 and all(isinstance(m, Track) for m in msgs)
    assert opts.counters["skipped: CAT065 not read"] == 3
    with pytest.raises(ConvertError, match="udp://"):
        list(read_asterix_url("udp://nowhere", ConvertOptions()))
