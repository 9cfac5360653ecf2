"""Reading and checking node audio: every bad input is one clear BadInput line."""

from __future__ import annotations

import io
import struct
import warnings

import numpy as np
import pytest
from scipy.io import wavfile

from dronewall.acoustic.audio import AudioWarning, check, load, write_wav
from dronewall.errors import BadInput

FS = 16000


def _tone(seconds: float = 2.0, channels: int = 1, amp: float = 0.1) -> np.ndarray:
    t = np.arange(int(seconds * FS)) / FS
    rng = np.random.default_rng(0)
    return np.stack([amp * np.sin(2 * np.pi * 200 * t) + 0.01 * rng.standard_normal(len(t))
                     for _ in range(channels)])


def test_reads_a_wav_as_channels_by_samples(tmp_path):
    p = tmp_path / "a.wav"
    write_wav(p, _tone(channels=4))
    a = load(p, channels=4)
    assert a.data.shape == (4, 2 * FS) and a.rate == FS
    assert 0.05 < np.abs(a.data).max() < 0.2


def test_wrong_rate_names_file_and_expected_rate(tmp_path):
    p = tmp_path / "r.wav"
    write_wav(p, _tone(seconds=6.0), rate=44100)  # 2.2 s at 44.1 kHz
    with pytest.raises(BadInput, match=r"r\.wav: sample rate 44100 Hz, expected 16000 Hz"):
        load(p)
    a = load(p, resample=True)
    assert a.rate == FS and "resampled" in a.warnings[0]


def test_clipping_warns_then_refuses(tmp_path):
    x = _tone()
    x[0, ::50] = 1.0  # 2 % of samples at full scale: warning
    with pytest.warns(AudioWarning, match="clipped"):
        a = check(x.T, FS, "w.wav")
    assert a.warnings
    y = np.clip(_tone(amp=3.0), -1, 1)
    with pytest.raises(BadInput, match=r"y\.wav: clipped: .* % of samples at full scale"):
        check(y.T, FS, "y.wav")


def test_silent_is_refused(tmp_path):
    p = tmp_path / "s.wav"
    wavfile.write(str(p), FS, np.zeros(2 * FS, dtype=np.int16))
    with pytest.raises(BadInput, match=r"s\.wav: silent"):
        load(p)


def test_truncated_file_is_refused(tmp_path):
    p = tmp_path / "t.wav"
    write_wav(p, _tone())
    raw = p.read_bytes()
    p.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(BadInput, match=r"t\.wav: truncated WAV"):
        load(p)


def test_nan_and_inf_are_refused(tmp_path):
    x = _tone().astype(np.float32)
    x[0, 100] = np.nan
    p = tmp_path / "n.wav"
    wavfile.write(str(p), FS, x[0])
    with pytest.raises(BadInput, match=r"n\.wav: 1 samples are NaN or infinite"):
        load(p)


def test_channel_count_must_match_the_array(tmp_path):
    p = tmp_path / "c.wav"
    write_wav(p, _tone(channels=2))
    with pytest.raises(BadInput, match=r"c\.wav: 2 channel\(s\) but the array geometry has 4"):
        load(p, channels=4)


def test_too_short_and_not_a_wav(tmp_path):
    p = tmp_path / "short.wav"
    write_wav(p, _tone(seconds=0.5))
    with pytest.raises(BadInput, match=r"only 0\.500 s"):
        load(p)
    q = tmp_path / "text.wav"
    q.write_text("hello")
    with pytest.raises(BadInput, match=r"text\.wav: not a WAV file"):
        load(q)


def test_streamed_wav_with_unknown_sizes_on_stdin(tmp_path):
    buf = io.BytesIO()
    wavfile.write(buf, FS, (_tone()[0] * 32767).astype(np.int16))
    raw = bytearray(buf.getvalue())
    raw[4:8] = struct.pack("<I", 0xFFFFFFFF)
    pos = raw.index(b"data")
    raw[pos + 4:pos + 8] = struct.pack("<I", 0xFFFFFFFF)
    a = load("-", stdin=io.BytesIO(bytes(raw)))
    assert a.source == "<stdin>" and a.data.shape == (1, 2 * FS)


def test_raw_samples_with_rate():
    x = (_tone(channels=2) * 32767).astype("<i2").T.tobytes()
    a = load("-", rate=FS, raw_channels=2, stdin=io.BytesIO(x))
    assert a.data.shape == (2, 2 * FS)
    with pytest.raises(BadInput, match="truncated raw stream"):
        load("-", rate=FS, raw_channels=2, stdin=io.BytesIO(x[:-1]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(BadInput, match="sample rate 8000 Hz, expected 16000"):
            load("-", rate=8000, raw_channels=2, stdin=io.BytesIO(x))
