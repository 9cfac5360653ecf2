"""Message files (JSON Lines): round trip, file:line:field errors, time order per source."""

from __future__ import annotations

import io

import pytest

from dronewall.model import Detection, GeodeticPosition
from dronewall.model.jsonl import MessageFileError, read_messages, write_messages

COV = [[100.0, 0.0, 0.0], [0.0, 100.0, 0.0], [0.0, 0.0, 400.0]]


def det(i: int, sensor: str, t: float) -> Detection:
    return Detection(id=f"d{i}", sensor_id=sensor, time=t, covariance=COV,
                     measurement=GeodeticPosition(lat=52.0, lon=21.0, alt=1000.0))


def write(tmp_path, dets, extra: bytes = b"") -> str:
    buf = io.BytesIO()
    write_messages(dets, buf)
    path = tmp_path / "m.jsonl"
    path.write_bytes(b"# a comment\n\n" + buf.getvalue() + extra)
    return str(path)


def test_round_trip_and_interleaved_sources(tmp_path):
    dets = [det(0, "a", 10.0), det(1, "b", 5.0), det(2, "a", 11.0), det(3, "b", 6.0)]
    assert list(read_messages(write(tmp_path, dets), time_ordered=True)) == dets


def test_time_going_backwards_within_a_source(tmp_path):
    path = write(tmp_path, [det(0, "a", 10.0), det(1, "b", 5.0), det(2, "a", 9.0)])
    with pytest.raises(MessageFileError) as info:
        list(read_messages(path, time_ordered=True))
    assert info.value.line == 5 and info.value.field == "time"  # 2 lines of preamble
    assert "sensor a" in str(info.value)
    assert len(list(read_messages(path))) == 3  # without the check it reads


@pytest.mark.parametrize(
    ("line", "field", "text"),
    [
        (b'{"type":"detection","id":"x"}', "", "missing required field"),
        (b'{"type":"nope"}', "type", "Invalid value 'nope'"),
        (b"{not json", "", "JSON"),
    ],
)
def test_bad_line_named(tmp_path, line, field, text):
    path = write(tmp_path, [det(0, "a", 1.0)], extra=line + b"\n")
    with pytest.raises(MessageFileError) as info:
        list(read_messages(path))
    err = info.value
    assert (err.line, err.field) == (4, field) and text in str(err)
    assert str(err).startswith(f"{path}:4: ")


def test_missing_file(tmp_path):
    with pytest.raises(MessageFileError, match=r"no\.jsonl: No such file"):
        list(read_messages(tmp_path / "no.jsonl"))
