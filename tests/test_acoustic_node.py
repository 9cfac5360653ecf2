"""The node pipeline and the ``dronewall node`` command."""

from __future__ import annotations

import io
import json
from pathlib import Path

import msgspec
import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from dronewall.acoustic.arrays import ArrayGeometry
from dronewall.acoustic.audio import write_wav
from dronewall.acoustic.classifier import LABELS
from dronewall.acoustic.detector import statistic_of, statistics_batch
from dronewall.acoustic.node import NodePipeline
from dronewall.acoustic.node_cli import node
from dronewall.model.messages import BearingOnly, Detection, GeoPoint, decode

FS = 16000
REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "audio-dev"


def harmonic(seconds: float, f0: float = 100.0, amp: float = 0.02, noise: float = 0.05,
             seed: int = 0, start: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * FS)) / FS
    s = sum(amp / k**0.5 * np.sin(2 * np.pi * f0 * k * t + k) for k in range(1, 10))
    s = np.where(t >= start, s, 0.0)
    return (s + noise * rng.standard_normal(len(t)))[None, :]


def test_detects_a_harmonic_source_and_not_noise():
    pipe = NodePipeline(None)
    hits = pipe.process(harmonic(3.0), 100.0)
    assert len(hits) == 3 and all(d.detected for d in hits)
    assert all(abs(d.f0_hz - 100.0) < 3.0 for d in hits)
    assert [d.time for d in hits] == [100.5, 101.5, 102.5]
    d = hits[0]
    assert set(d.class_probs) == set(LABELS) and sum(d.class_probs.values()) <= 1.0 + 1e-9
    assert -10 < d.snr_db < 10 and d.level_db < 0
    pipe.reset()
    quiet = pipe.process(np.random.default_rng(5).standard_normal((1, 8 * FS)) * 0.05, 0.0)
    assert not any(d.detected for d in quiet)
    assert all(d.statistic < d.threshold for d in quiet)


def test_chunks_give_the_same_decisions_as_one_block():
    x = harmonic(4.0, seed=2)
    whole = NodePipeline(None).process(x, 0.0)
    pipe = NodePipeline(None)
    parts = []
    step = 4567
    for s in range(0, x.shape[1], step):
        parts += pipe.process(x[:, s:s + step], s / FS)
    assert [d.time for d in parts] == [d.time for d in whole]
    assert [round(d.statistic, 9) for d in parts] == [round(d.statistic, 9) for d in whole]


def test_onset_of_a_new_sound_on_a_single_microphone():
    x = harmonic(3.0, amp=0.05, start=1.37, seed=4)
    ds = NodePipeline(None).process(x, 50.0)
    first = next(d for d in ds if d.detected)
    assert first.onset_time is not None
    assert abs(first.onset_time - 51.37) < 0.03
    assert 0 < (first.onset_sigma or 0) < 0.05


def test_array_node_gives_bearing_detections():
    geo = ArrayGeometry.square(0.10)
    t = np.arange(2 * FS) / FS
    u = np.array([np.sin(np.radians(250.0)), np.cos(np.radians(250.0)), 0.0])
    tau = -(geo.positions @ u) / 343.0
    rng = np.random.default_rng(1)
    x = np.array([sum(0.02 * np.sin(2 * np.pi * 150 * k * (t - tm) + k) for k in range(1, 9))
                  for tm in tau]) + 0.05 * rng.standard_normal((4, len(t)))
    ds = NodePipeline(geo).process(x, 1.7e9)
    assert all(d.detected for d in ds)
    b = ds[0].bearings[0]
    assert abs((b.azimuth - 250.0 + 180) % 360 - 180) < 3.0
    msgs = ds[0].to_messages("n1", GeoPoint(lat=50.0, lon=30.0))
    assert len(msgs) >= 1
    m = decode(msgspec.json.encode(msgs[0]))
    assert isinstance(m, Detection) and isinstance(m.measurement, BearingOnly)
    assert m.covariance[0][0] == pytest.approx(b.sigma**2)
    assert m.time == 1.7e9 + 0.5 and m.class_probs is not None


def test_batch_statistic_equals_the_pipeline_statistic():
    rng = np.random.default_rng(9)
    frames = rng.standard_normal((6, FS)) + harmonic(1.0, amp=0.01, noise=0.0)[0]
    np.testing.assert_allclose(statistics_batch(frames), [statistic_of(f) for f in frames])


def _wav(tmp_path: Path, x: np.ndarray, name: str = "a.wav") -> Path:
    p = tmp_path / name
    write_wav(p, x)
    return p


def test_cli_summary_json(tmp_path):
    p = _wav(tmp_path, harmonic(3.0))
    r = CliRunner().invoke(node, ["--input", str(p), "--json", "--summary"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.output)
    assert s["frames"] == 3 and s["detections"] == 3
    assert 0.0 <= s["p_drone"] <= 1.0 and set(s["class_scores"]) == set(LABELS)


def test_cli_array_json_lines_are_detection_messages(tmp_path):
    geo = ArrayGeometry.square(0.10)
    arr = tmp_path / "sq.yaml"
    arr.write_text(yaml.safe_dump(geo.to_mapping()))
    x = np.repeat(harmonic(2.0), 4, axis=0) + 0.01 * np.random.default_rng(0).standard_normal(
        (4, 2 * FS))
    p = _wav(tmp_path, x)
    r = CliRunner().invoke(node, ["--input", str(p), "--array", str(arr), "--json",
                                  "--node-id", "n7", "--lat", "50.1", "--lon", "30.2",
                                  "--start-time", "2025-09-10T03:29:00Z"])
    assert r.exit_code == 0, r.output
    lines = r.output.strip().splitlines()
    assert lines
    for line in lines:
        m = decode(line)
        assert isinstance(m, Detection) and m.sensor_id == "n7"
        assert m.measurement.origin.lat == 50.1
        assert m.time >= 1757474940.0


def test_cli_reads_stdin_and_single_mic_onsets(tmp_path):
    p = _wav(tmp_path, harmonic(3.0, start=1.5))
    r = CliRunner().invoke(node, ["--input", "-", "--json"], input=p.read_bytes())
    assert r.exit_code == 0, r.output
    recs = [json.loads(line) for line in r.output.strip().splitlines()]
    assert recs and recs[0]["type"] == "acoustic_onset"
    assert abs(recs[0]["onset_time"] - 1.5) < 0.05
    raw = (harmonic(2.0)[0] * 32767).astype("<i2").tobytes()
    r = CliRunner().invoke(node, ["--input", "-", "--rate", "16000", "--json", "--frames"],
                           input=io.BytesIO(raw).read())
    assert r.exit_code == 0, r.output
    assert len(r.output.strip().splitlines()) == 2


def test_cli_bad_input_exit_2_names_the_file(tmp_path):
    p = _wav(tmp_path, harmonic(2.0), "mono.wav")
    arr = tmp_path / "sq.yaml"
    arr.write_text(yaml.safe_dump(ArrayGeometry.square(0.1).to_mapping()))
    r = CliRunner().invoke(node, ["--input", str(p), "--array", str(arr)])
    assert r.exit_code == 2
    assert "mono.wav: 1 channel(s) but the array geometry has 4" in r.output
    r = CliRunner().invoke(node, ["--input", str(tmp_path / "missing.wav")])
    assert r.exit_code == 2 and "missing.wav: cannot read" in r.output
    r = CliRunner().invoke(node, ["--input", str(p), "--start-time", "yesterday"])
    assert r.exit_code == 2 and "--start-time" in r.output


@pytest.mark.skipif(not (REAL / "labels.csv").exists(),
                    reason="real dev clips not found at ../shared/data/audio-dev")
def test_shipped_model_on_real_clips_through_the_cli():
    """A sanity check of the shipped model through the whole command (these clips were
    in its training set, so this is no measure of generalisation: see the evaluation)."""
    scores = {}
    for name in ("DRONE_003.wav", "HELICOPTER_002.wav"):
        r = CliRunner().invoke(node, ["--input", str(REAL / name), "--json", "--summary"])
        assert r.exit_code == 0, r.output
        scores[name] = json.loads(r.output)["p_drone"]
    assert scores["DRONE_003.wav"] > 0.5 > scores["HELICOPTER_002.wav"]


def test_wind_and_coloured_noise_do_not_look_like_a_comb():
    """Steep wind/ambient spectra once biased the noise floor (false alarms in wind)."""
    from dronewall.acoustic.noise import synthesize_noise
    from dronewall.acoustic.synthesis import Environment

    rng = np.random.default_rng(11)
    pipe = NodePipeline(None)
    for ambient, wind in (("quiet", 6.0), ("rural_night", 3.0), ("urban", 0.0)):
        x = synthesize_noise(np.zeros((1, 3)), 4 * FS, FS, Environment(ambient=ambient,
                                                                       wind_m_s=wind), rng)
        pipe.reset()
        stats = [d.statistic for d in pipe.process(x, 0.0)]
        assert max(stats) < pipe.threshold, (ambient, wind, stats)


def test_stdin_stream_matches_the_file_and_reads_24_bit(tmp_path):
    """A WAV piped in is decided second by second; the same frames as the file."""
    sf = pytest.importorskip("soundfile")

    x = harmonic(3.0, amp=0.02, seed=8)[0]
    p = tmp_path / "s24.wav"
    sf.write(str(p), x, FS, subtype="PCM_24")
    args = ["--json", "--frames"]
    from_file = CliRunner().invoke(node, ["--input", str(p), *args])
    piped = CliRunner().invoke(node, ["--input", "-", *args], input=p.read_bytes())
    assert from_file.exit_code == 0 and piped.exit_code == 0, piped.output
    a = [json.loads(s) for s in from_file.output.splitlines()]
    b = [json.loads(s) for s in piped.output.splitlines()]
    assert len(a) == len(b) == 3
    assert [r["statistic"] for r in a] == [r["statistic"] for r in b]
    bad = CliRunner().invoke(node, ["--input", "-", "--rate", "16000"], input=b"\x00" * 3)
    assert bad.exit_code == 2 and "truncated stream" in bad.output


def test_range_study_runs_the_whole_node():
    # evaluate.node_pd (the Shahed and jet range studies): a Shahed 1 km out is heard on
    # every frame by both detectors, 15 km out never; a jet only by the broadband one.
    from dronewall.acoustic.evaluate import node_pd
    from dronewall.acoustic.propagation import Environment
    from dronewall.acoustic.signatures import Signature

    env = Environment(ambient="rural_night", wind_m_s=2.0)
    rng = np.random.default_rng(3)
    res = node_pd(Signature.for_label("shahed"), np.array([1000.0, 15000.0]), altitude_m=300.0,
                  frames=10, env=env, rng=rng)
    assert res["pd"] == [1.0, 0.0]
    assert res["pd_harmonic"][0] == 1.0 and res["pd_broadband"][0] > 0.5
    jet = node_pd(Signature.for_label("jet"), np.array([3000.0]), altitude_m=300.0, frames=10,
                  env=env, rng=rng)
    assert jet["pd"] == [1.0] and jet["pd_harmonic"] == [0.0]
