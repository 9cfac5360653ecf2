"""The converter's frame: format registry, errors, stdin/stdout, whole-file writes."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dronewall.interop.convert import ConvertError, ConvertOptions, convert
from dronewall.model import Event, GeoPoint, encode


def events(n: int) -> bytes:
    return b"".join(encode(Event(id=f"e{i}", time=1.7e9 + i, kind="alert", message="m",
                                 position=GeoPoint(lat=52.0, lon=21.0))) + b"\n"
                    for i in range(n))


def test_jsonl_round_trip(tmp_path):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(events(5))
    assert convert("jsonl", "jsonl", str(src), str(dst)) == 5
    assert dst.read_bytes() == src.read_bytes()
    assert not (tmp_path / "out.jsonl.tmp").exists()


def test_unknown_format_and_missing_file(tmp_path):
    with pytest.raises(ConvertError, match="unknown input format 'nope'"):
        convert("nope", "jsonl", "-", "-")
    with pytest.raises(ConvertError, match="No such file"):
        convert("jsonl", "jsonl", str(tmp_path / "none"), str(tmp_path / "out"))


def test_bad_line_leaves_no_output(tmp_path):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_bytes(events(2) + b'{"type":"event"}\n')
    with pytest.raises(ConvertError, match="line 3"):
        convert("jsonl", "jsonl", str(src), str(dst), ConvertOptions())
    assert not dst.exists()


def test_cli_stdin_to_stdout():
    proc = subprocess.run([sys.executable, "-m", "dronewall.cli", "convert", "--from", "jsonl",
                           "--to", "jsonl", "-", "-"], input=events(3), capture_output=True,
                          timeout=60)
    assert proc.returncode == 0 and proc.stdout == events(3)
    assert b"3 messages written" in proc.stderr
