"""Reading and checking node audio: WAV files, WAV or raw streams on stdin.

Every problem becomes one :class:`dronewall.errors.BadInput` line naming the source and
the problem (exit status 2): wrong sample rate (the node expects :data:`EXPECTED_RATE`;
``resample=True`` converts with a polyphase filter instead), a truncated or malformed
file, NaN/inf samples, a silent recording, a channel count that does not match the array,
and heavy clipping.

Clipping policy: a sample counts as clipped at >= 99.9 % of full scale. Above
:data:`CLIP_WARN` (0.1 %) of samples clipped the reader warns (spectra get harmonics of
their own, bearings stay usable); above :data:`CLIP_ERROR` (5 %) it refuses the input,
because the spectrum is then dominated by distortion. Float WAVs have full scale 1.0.
"""

from __future__ import annotations

import io
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from math import gcd
from pathlib import Path
from typing import BinaryIO

import numpy as np
from scipy import signal
from scipy.io import wavfile

from dronewall.errors import BadInput

EXPECTED_RATE = 16000
CLIP_LEVEL = 0.999
CLIP_WARN = 0.001
CLIP_ERROR = 0.05
SILENCE_DBFS = -100.0  # rms below this (re full scale) is a dead channel / silence

RAW_DTYPES = {"s16": np.int16, "s32": np.int32, "f32": np.float32}


class AudioWarning(UserWarning):
    """A usable but suspicious recording (some clipping)."""


@dataclass
class Audio:
    """Checked audio: ``data`` is float64 (n_channels, n_samples) with full scale 1.0."""

    data: np.ndarray
    rate: int
    source: str
    warnings: list[str] = field(default_factory=list)

    @property
    def n_channels(self) -> int:
        return int(self.data.shape[0])

    @property
    def seconds(self) -> float:
        return self.data.shape[1] / self.rate


def _to_float(x: np.ndarray) -> np.ndarray:
    """Samples scaled so that full scale is 1.0."""
    if x.dtype == np.uint8:
        return (x.astype(np.float64) - 128.0) / 128.0
    if np.issubdtype(x.dtype, np.integer):
        return x.astype(np.float64) / float(-np.iinfo(x.dtype).min)
    return x.astype(np.float64)


def _data_chunk(raw: bytes) -> int | None:
    """Offset of the ``data`` chunk header, or None."""
    pos = 12
    while pos + 8 <= len(raw):
        size = int.from_bytes(raw[pos + 4:pos + 8], "little")
        if raw[pos:pos + 4] == b"data":
            return pos
        pos += 8 + size + (size & 1)
    return None


def _is_stream_header(raw: bytes) -> bool:
    """A WAV written to a pipe: the data chunk says 0 or 0xFFFFFFFF bytes."""
    pos = _data_chunk(raw)
    if pos is None:
        return False
    return int.from_bytes(raw[pos + 4:pos + 8], "little") in (0, 0xFFFFFFFF)


def _fix_stream_header(raw: bytes) -> bytes:
    """Set the RIFF and data sizes of a streamed WAV to what actually arrived."""
    pos = _data_chunk(raw)
    if pos is None:
        return raw
    b = bytearray(raw)
    data_len = len(raw) - pos - 8
    b[4:8] = (len(raw) - 8).to_bytes(4, "little")
    b[pos + 4:pos + 8] = data_len.to_bytes(4, "little")
    return bytes(b)


def _read_wav_bytes(raw: bytes, source: str) -> tuple[int, np.ndarray]:
    if len(raw) < 12 or raw[:4] not in (b"RIFF", b"RIFX") or raw[8:12] != b"WAVE":
        raise BadInput(f"{source}: not a WAV file (no RIFF/WAVE header); "
                       "for headerless samples use --rate (and --raw-format)")
    declared = int.from_bytes(raw[4:8], "little")
    if declared in (0, 0xFFFFFFFF, 0xFFFFFFFF - 8) or (declared + 8 > len(raw) and \
            _is_stream_header(raw)):
        raw = _fix_stream_header(raw)
    elif declared + 8 > len(raw):
        raise BadInput(f"{source}: truncated WAV file: header says {declared + 8} bytes, "
                       f"file has {len(raw)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", wavfile.WavFileWarning)
        try:
            rate, x = wavfile.read(io.BytesIO(raw))
        except (ValueError, EOFError) as exc:
            raise BadInput(f"{source}: unreadable or truncated WAV file ({exc})") from None
    return int(rate), x


def read_raw(raw: bytes, source: str, rate: int, channels: int = 1,
             fmt: str = "s16") -> tuple[int, np.ndarray]:
    """Headerless interleaved little-endian samples."""
    if fmt not in RAW_DTYPES:
        raise BadInput(f"{source}: unknown raw format {fmt!r} (one of {sorted(RAW_DTYPES)})")
    dtype = np.dtype(RAW_DTYPES[fmt]).newbyteorder("<")
    frame_bytes = dtype.itemsize * channels
    if len(raw) % frame_bytes:
        raise BadInput(f"{source}: truncated raw stream: {len(raw)} bytes is not a whole "
                       f"number of {channels}-channel {fmt} frames")
    x = np.frombuffer(raw, dtype=dtype).reshape(-1, channels)
    return rate, x


def check(x: np.ndarray, rate: int, source: str, *, expected_rate: int = EXPECTED_RATE,
          channels: int | None = None, resample: bool = False,
          min_seconds: float = 1.0) -> Audio:
    """Validate float/int samples (n_samples[, n_channels]) and return :class:`Audio`."""
    data = _to_float(np.asarray(x))
    data = data[:, None] if data.ndim == 1 else data
    data = np.ascontiguousarray(data.T)
    notes: list[str] = []
    if data.size and not np.all(np.isfinite(data)):
        bad = int(np.count_nonzero(~np.isfinite(data)))
        raise BadInput(f"{source}: {bad} samples are NaN or infinite")
    if channels is not None and data.shape[0] != channels:
        raise BadInput(f"{source}: {data.shape[0]} channel(s) but the array geometry has "
                       f"{channels} microphones")
    if rate != expected_rate:
        if not resample:
            raise BadInput(f"{source}: sample rate {rate} Hz, expected {expected_rate} Hz "
                           "(pass --resample to convert)")
        g = gcd(int(rate), int(expected_rate))
        data = signal.resample_poly(data, expected_rate // g, int(rate) // g, axis=1)
        notes.append(f"resampled from {rate} Hz to {expected_rate} Hz")
        rate = expected_rate
    if data.shape[1] < int(min_seconds * rate):
        raise BadInput(f"{source}: only {data.shape[1] / rate:.3f} s of audio; the node "
                       f"needs at least {min_seconds:g} s")
    rms = np.sqrt(np.mean(data**2, axis=1))
    with np.errstate(divide="ignore"):
        dbfs = 20 * np.log10(rms)
    dead = np.flatnonzero(dbfs < SILENCE_DBFS)
    if dead.size:
        which = "all channels" if dead.size == data.shape[0] else \
            "channel(s) " + ",".join(str(i) for i in dead)
        raise BadInput(f"{source}: silent ({which} below {SILENCE_DBFS:g} dBFS)")
    clipped = float(np.mean(np.abs(data) >= CLIP_LEVEL))
    if clipped > CLIP_ERROR:
        raise BadInput(f"{source}: clipped: {100 * clipped:.1f} % of samples at full scale "
                       f"(limit {100 * CLIP_ERROR:g} %)")
    if clipped > CLIP_WARN:
        msg = f"{source}: {100 * clipped:.2f} % of samples clipped at full scale"
        notes.append(msg)
        warnings.warn(msg, AudioWarning, stacklevel=2)
    return Audio(data=data, rate=int(rate), source=source, warnings=notes)


def _read_all(path: str | Path, stdin: BinaryIO | None) -> tuple[bytes, str]:
    if str(path) == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        return stream.read(), "<stdin>"
    p = Path(path)
    try:
        return p.read_bytes(), str(p)
    except OSError as exc:
        raise BadInput(f"{p}: cannot read ({exc.strerror or exc})") from None


def load(path: str | Path, *, rate: int | None = None, raw_channels: int = 1,
         raw_format: str = "s16", channels: int | None = None, resample: bool = False,
         expected_rate: int = EXPECTED_RATE, stdin: BinaryIO | None = None) -> Audio:
    """Read and check a WAV file, ``-`` (stdin, WAV), or raw samples when ``rate`` is given.

    ``channels`` is the microphone count of the array geometry, if any."""
    raw, source = _read_all(path, stdin)
    if not raw:
        raise BadInput(f"{source}: empty input")
    if rate is not None and raw[:4] not in (b"RIFF", b"RIFX"):
        fs, x = read_raw(raw, source, rate, raw_channels, raw_format)
    else:
        fs, x = _read_wav_bytes(raw, source)
    return check(x, fs, source, expected_rate=expected_rate, channels=channels,
                 resample=resample)


def write_wav(path: str | Path, data: np.ndarray, rate: int = EXPECTED_RATE) -> None:
    """Write (n_channels, n_samples) float audio as 16-bit PCM (for tests and tools)."""
    x = np.clip(np.atleast_2d(data).T, -1.0, 32767 / 32768)
    wavfile.write(str(path), rate, (x * 32768).astype(np.int16))


# --------------------------------------------------------------------------- streams

_WAV_FORMATS = {(1, 8): "u1", (1, 16): "<i2", (1, 24): "i24", (1, 32): "<i4",
                (3, 32): "<f4", (3, 64): "<f8"}


def _read_exact(fh: BinaryIO, n: int) -> bytes:
    """Up to ``n`` bytes (fewer only at end of stream)."""
    parts, got = [], 0
    while got < n:
        b = fh.read(n - got)
        if not b:
            break
        parts.append(b)
        got += len(b)
    return b"".join(parts)


def _wav_stream_header(fh: BinaryIO, source: str) -> tuple[int, int, str]:
    """(rate, channels, sample format) of a WAV stream, leaving ``fh`` at the samples."""
    head = _read_exact(fh, 12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise BadInput(f"{source}: not a WAV stream (no RIFF/WAVE header); for headerless "
                       "samples use --rate (and --channels, --raw-format)")
    fmt: tuple[int, int, int] | None = None
    bits = 0
    while True:
        ck = _read_exact(fh, 8)
        if len(ck) < 8:
            raise BadInput(f"{source}: truncated WAV stream (no data chunk)")
        cid, size = ck[:4], int.from_bytes(ck[4:8], "little")
        if cid == b"data":
            break
        body = _read_exact(fh, size + (size & 1))
        if cid == b"fmt ":
            tag = int.from_bytes(body[0:2], "little")
            if tag == 0xFFFE and len(body) >= 26:  # WAVE_FORMAT_EXTENSIBLE
                tag = int.from_bytes(body[24:26], "little")
            fmt = (tag, int.from_bytes(body[2:4], "little"),
                   int.from_bytes(body[4:8], "little"))
            bits = int.from_bytes(body[14:16], "little")
    if fmt is None:
        raise BadInput(f"{source}: WAV stream without a fmt chunk before its data")
    tag, n_ch, rate = fmt
    code = _WAV_FORMATS.get((tag, bits))
    if code is None:
        raise BadInput(f"{source}: unsupported WAV sample format (tag {tag}, {bits} bits)")
    return rate, n_ch, code


def _decode(raw: bytes, code: str, n_ch: int) -> np.ndarray:
    """Interleaved samples -> float (n_ch, n) with full scale 1.0."""
    if code == "i24":
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        f = np.where(v >= 1 << 23, v - (1 << 24), v).astype(np.float64) / float(1 << 23)
        return f.reshape(-1, n_ch).T
    x = np.frombuffer(raw, dtype=np.dtype(code)).reshape(-1, n_ch)
    return _to_float(x).T


def stream(fh: BinaryIO, source: str = "<stdin>", *, rate: int | None = None,
           raw_channels: int = 1, raw_format: str = "s16", channels: int | None = None,
           expected_rate: int = EXPECTED_RATE, block_s: float = 1.0,
           ) -> Iterator[np.ndarray]:
    """Blocks (n_channels, <= block_s * rate) of a WAV stream or raw samples as they arrive.

    The header is checked first (rate, channel count against the array); each block is
    checked for NaN/inf (error) and for clipping and dead channels (warnings: a live node
    keeps running). A stream shorter than 1 s or ending mid-sample is an error."""
    if rate is None:
        fs, n_ch, code = _wav_stream_header(fh, source)
    else:
        if raw_format not in RAW_DTYPES:
            raise BadInput(f"{source}: unknown raw format {raw_format!r}")
        fs, n_ch = rate, raw_channels
        code = np.dtype(RAW_DTYPES[raw_format]).newbyteorder("<").str
    if channels is not None and n_ch != channels:
        raise BadInput(f"{source}: {n_ch} channel(s) but the array geometry has "
                       f"{channels} microphones")
    if fs != expected_rate:
        raise BadInput(f"{source}: sample rate {fs} Hz, expected {expected_rate} Hz "
                       "(--resample works on files only)")
    width = 3 if code == "i24" else np.dtype(code).itemsize
    frame_bytes = width * n_ch
    block = round(block_s * fs) * frame_bytes
    total = 0
    while True:
        raw = _read_exact(fh, block)
        if not raw:
            break
        if len(raw) % frame_bytes:
            raise BadInput(f"{source}: truncated stream: it ends inside a sample frame")
        x = _decode(raw, code, n_ch)
        if not np.all(np.isfinite(x)):
            raise BadInput(f"{source}: NaN or infinite samples after "
                           f"{total / fs:.3f} s")
        clipped = float(np.mean(np.abs(x) >= CLIP_LEVEL))
        if clipped > CLIP_WARN:
            warnings.warn(f"{source}: {100 * clipped:.2f} % of samples clipped at "
                          f"{total / fs:.0f} s", AudioWarning, stacklevel=2)
        if np.any(np.sqrt(np.mean(x**2, axis=1)) < 10 ** (SILENCE_DBFS / 20)):
            warnings.warn(f"{source}: silent channel at {total / fs:.0f} s", AudioWarning,
                          stacklevel=2)
        total += x.shape[1]
        yield x
    if total < fs:
        raise BadInput(f"{source}: only {total / fs:.3f} s of audio; the node needs at "
                       "least 1 s")
