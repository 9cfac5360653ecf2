"""Batch tracking and scoring of message files (`dronewall track`, `dronewall score`)."""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
from pathlib import Path

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dronewall.batch import score_files, track_file
from dronewall.model import (
    BearingOnly,
    Detection,
    GeoPoint,
    RangeBearing,
    Track,
    TruthState,
    decode,
    encode,
)
from dronewall.model.jsonl import MessageFileError, read_messages, write_messages

RADAR = GeoPoint(lat=52.0, lon=23.0, alt=50.0)
T0 = 1_757_451_600.0


def scene(tmp_path):
    """Two targets flying straight, seen by one radar every 5 s for 10 min: detections
    (shuffled) and truth as JSON Lines files."""
    from dronewall.geo.frames import GEOD, LocalFrame, geodesic_azimuth, geodesic_distance

    frame = LocalFrame(RADAR.lat, RADAR.lon, RADAR.alt)
    dets, truth = [], []
    for k in range(120):
        t = T0 + 5.0 * k
        for tid, (lat0, lon0, az) in {"a": (52.3, 22.6, 90.0), "b": (51.7, 23.5, 300.0)}.items():
            lon, lat, _ = GEOD.fwd(lon0, lat0, az, 45.0 * 5.0 * k)
            truth.append(TruthState(target_id=tid, time=t, lat=lat, lon=lon, alt=800.0))
            e, n, u = frame.to_enu(lat, lon, 800.0)
            rng = float((e * e + n * n + u * u) ** 0.5)
            dets.append(Detection(
                id=f"{tid}{k}", sensor_id="r1", time=t + 0.1, frame=k,
                measurement=RangeBearing(range=rng, azimuth=float(
                    geodesic_azimuth(RADAR.lat, RADAR.lon, lat, lon)),
                    elevation=0.0, origin=RADAR),
                covariance=[[75.0**2, 0, 0], [0, 0.15**2, 0], [0, 0, 0.5**2]]))
            assert geodesic_distance(RADAR.lat, RADAR.lon, lat, lon) < 150_000
    random.Random(3).shuffle(dets)
    dpath, tpath = tmp_path / "dets.jsonl", tmp_path / "truth.jsonl"
    dpath.write_bytes(b"".join(encode(d) + b"\n" for d in dets))
    tpath.write_bytes(b"".join(encode(s) + b"\n" for s in truth))
    return dpath, tpath


def test_track_then_score(tmp_path):
    dpath, tpath = scene(tmp_path)
    out = io.BytesIO()
    result = track_file(dpath, out)
    states = [decode(line) for line in out.getvalue().splitlines()]
    assert all(isinstance(s, Track) for s in states)
    assert result.tracks == 2 == len({s.id for s in states})
    assert [s.status for s in states if s.id == "T0001"][-1] == "lost"
    tracks_path = tmp_path / "tracks.jsonl"
    tracks_path.write_bytes(out.getvalue())
    score = score_files(tpath, tracks_path, c=2000.0, p=1.0, step_s=10.0)
    assert score["truth_targets"] == 2 and score["tracks"] == 2
    assert score["gospa"]["gospa_mean"] < 500.0  # both followed, ~100-300 m error
    assert score["parameters"]["alpha"] == 2


def test_bad_detection_line_is_named(tmp_path):
    dpath, _ = scene(tmp_path)
    lines = dpath.read_bytes().splitlines()
    lines[41] = lines[41].replace(b'"range":', b'"rnage":')
    dpath.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(MessageFileError) as info:
        track_file(dpath, io.BytesIO())
    assert info.value.line == 42


def test_cli_track_and_score(tmp_path):
    dpath, tpath = scene(tmp_path)
    cli = [sys.executable, "-m", "dronewall.cli"]
    tracks = tmp_path / "tracks.jsonl"
    proc = subprocess.run([*cli, "track", "-i", str(dpath), "-o", str(tracks)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert len(list(read_messages(tracks, type=Track))) > 100
    proc = subprocess.run([*cli, "score", "--truth", str(tpath), "--tracks", str(tracks),
                           "--json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and json.loads(proc.stdout)["gospa"]["gospa_mean"] < 500.0
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type":"detection"}\n')
    proc = subprocess.run([*cli, "track", "-i", str(bad), "-o", str(tmp_path / "x")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and f"{bad}:1:" in proc.stderr
    assert not (tmp_path / "x").exists()


def test_bearing_and_tdoa_files_are_tracked(tmp_path):
    """An acoustic-only detections file (bearings + TDOA, shuffled) gives a track with
    the acoustic class evidence."""
    sys.path.insert(0, str(Path(__file__).parent))
    from test_fusion_acoustic import LINE, P0, V, acoustic_stream

    dets = acoustic_stream(LINE, P0, V, 0.0, 90.0, seed=9,
                           class_probs={"shahed": 0.7, "background": 0.2})
    dets = [msgspec.structs.replace(d, time=d.time + T0) for d in dets]
    random.Random(1).shuffle(dets)
    dpath = tmp_path / "acoustic.jsonl"
    write_messages(dets, dpath.open("wb"))
    out = io.BytesIO()
    result = track_file(dpath, out)
    states = list(read_messages_bytes(out.getvalue()))
    assert result.tracks == 1 and result.stats["acoustic_initiations"] >= 1
    assert result.stats["detections_bearing"] > 0 and result.stats["detections_tdoa"] > 0
    last = [s for s in states if s.status == "confirmed"][-1]
    assert last.class_probs is not None


def read_messages_bytes(data: bytes):
    return [decode(line) for line in data.splitlines()]


_floats = st.floats(-1e5, 1e5, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 2e9), st.floats(-89, 89), st.floats(-179, 179),
                          st.floats(0, 12000), _floats, _floats, st.floats(0.1, 1e4)),
                min_size=1, max_size=8))
def test_track_and_detection_files_round_trip(rows):
    """Property: what is written as JSON Lines reads back equal."""
    msgs = []
    for i, (t, lat, lon, alt, ve, vn, var) in enumerate(rows):
        cov = (np.eye(6) * var).tolist()
        msgs.append(Track(id=f"T{i}", time=t, status="confirmed", lat=lat, lon=lon, alt=alt,
                          ve=ve, vn=vn, vu=0.0, covariance=cov, born=t, hits=3,
                          sensors=["a", "b"], class_probs={"shahed": 0.5}))
        msgs.append(Detection(id=f"d{i}", sensor_id="n", time=t,
                              measurement=BearingOnly(azimuth=lon, elevation=lat / 2,
                                                      origin=GeoPoint(lat=lat, lon=lon)),
                              covariance=[[var, 0.0], [0.0, var]]))
    buf = io.BytesIO()
    write_messages(msgs, buf)
    assert read_messages_bytes(buf.getvalue()) == msgs
