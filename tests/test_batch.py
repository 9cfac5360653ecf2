"""Batch tracking and scoring of message files (`dronewall track`, `dronewall score`)."""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys

import pytest

from dronewall.batch import score_files, track_file
from dronewall.model import Detection, GeoPoint, RangeBearing, Track, TruthState, decode, encode
from dronewall.model.jsonl import MessageFileError, read_messages

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
