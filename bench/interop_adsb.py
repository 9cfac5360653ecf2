"""Benchmark: Mode S / ADS-B messages decoded per second, per feed format.

    .venv/bin/python bench/interop_adsb.py [REPEATS]

Input: the real fixture tests/data/modes/flight_393322.txt (7034 frames of a real
flight, see tests/data/modes/README.md), repeated REPEATS times (each copy shifted by
1000 s), fed as bytes in memory to :class:`dronewall.interop.adsb.FeedReader` in each
format: raw hex lines, Beast binary (the same frames, encoded) and SBS (one line per
frame, as a receiver writes it: MSG,3 for each position, MSG,8 for the other frames).
"messages" are input frames or lines; "detections" the positions that come out. For
scale, pyModeS's own streaming decoder (PipeDecoder, no Detection messages built)
is timed on the same hex frames. Prints a table, then the same as JSON.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pyModeS

from dronewall.interop.adsb import FeedReader, ModeSDecoder, ModeSFrame, encode_beast

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "data" / "modes" / "flight_393322.txt"


def _frames(repeats: int) -> list[tuple[float, str]]:
    base = [(float(t), h) for t, h in (ln.split() for ln in FIXTURE.read_text().splitlines())]
    return [(t + 1000.0 * k, h) for k in range(repeats) for t, h in base]


def _sbs(frames: list[tuple[float, str]]) -> bytes:
    dec = ModeSDecoder("rx")
    out = []
    for t, h in frames:
        dt = datetime.fromtimestamp(t, tz=UTC)
        date, clock = dt.strftime("%Y/%m/%d"), dt.strftime("%H:%M:%S.%f")[:-3]
        d = dec.decode(ModeSFrame(t, h))
        if d is not None:
            m = d.measurement
            fields = ["MSG", "3", "1", "1", h[2:8], "1", date, clock, date, clock, "",
                      str(round(m.alt / 0.3048)), "", "", f"{m.lat:.5f}",  # type: ignore[union-attr]
                      f"{m.lon:.5f}", "", "", "0", "0", "0", "0"]  # type: ignore[union-attr]
        else:
            fields = ["MSG", "8", "1", "1", h[2:8], "1", date, clock, date, clock,
                      *[""] * 11, "0"]
        out.append(",".join(fields))
    return ("\r\n".join(out) + "\r\n").encode()


def _run(data: bytes, fmt: str, **kw: float) -> tuple[float, int, int]:
    t = time.perf_counter()
    r = FeedReader([data], fmt, sensor_id="rx", **kw)  # type: ignore[arg-type]
    n_det = sum(1 for _ in r)
    dt = time.perf_counter() - t
    return dt, r.stats["frames"], n_det


def main(repeats: int = 5) -> dict[str, object]:
    frames = _frames(repeats)
    epoch = frames[0][0] - 1.0
    inputs = {
        "modes-hex": ("".join(f"{t:.6f} {h}\n" for t, h in frames).encode(), {}),
        "beast": (b"".join(encode_beast(0x33 if len(h) == 28 else 0x32,
                                        round((t - epoch) * 12e6), 0x80, bytes.fromhex(h))
                           for t, h in frames), {"beast_epoch": epoch}),
        "sbs": (_sbs(frames), {}),
    }
    rows = []
    for fmt, (data, kw) in inputs.items():
        dt, n_msg, n_det = _run(data, fmt, **kw)
        rows.append({"format": fmt, "messages": n_msg, "detections": n_det, "seconds": dt,
                     "messages_per_s": n_msg / dt, "detections_per_s": n_det / dt,
                     "bytes": len(data)})
    pipe = pyModeS.PipeDecoder()
    t = time.perf_counter()
    for ts, h in frames:
        pipe.decode(h, timestamp=ts)
    dt = time.perf_counter() - t
    rows.append({"format": "pyModeS PipeDecoder (peer, hex)", "messages": len(frames),
                 "detections": None, "seconds": dt, "messages_per_s": len(frames) / dt,
                 "detections_per_s": None, "bytes": None})
    print(f"{'format':34s} {'messages':>9s} {'msg/s':>10s} {'detections':>10s} {'det/s':>9s}")
    for r in rows:
        det = "" if r["detections"] is None else f"{r['detections']:10d}"
        dps = "" if r["detections_per_s"] is None else f"{r['detections_per_s']:9,.0f}"
        print(f"{r['format']:34s} {r['messages']:9d} {r['messages_per_s']:10,.0f} "
              f"{det:>10s} {dps:>9s}")
    result = {"bench": "interop_adsb", "repeats": repeats, "python": platform.python_version(),
              "pyModeS": pyModeS.__version__, "rows": rows}
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
