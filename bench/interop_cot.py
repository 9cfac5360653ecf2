"""Benchmark: CoT events encoded per second (XML, TAK protobuf) and parsed back.

    .venv/bin/python bench/interop_cot.py [N]

Encodes N track updates (Track -> CotEvent -> bytes) in each encoding, then parses the
bytes back, and prints events per second for each step.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from dronewall.interop.cot import from_xml, to_xml, track_to_cot
from dronewall.interop.cot.proto import from_stream, to_proto
from dronewall.model import Track


def _tracks(n: int) -> list[Track]:
    rng = np.random.default_rng(7)
    cov = np.diag([100.0, 400.0, 900.0, 4.0, 4.0, 1.0]).tolist()
    return [Track(id=f"T{i:05d}", time=1.79e9 + i, status="confirmed",
                  lat=float(rng.uniform(44, 52)), lon=float(rng.uniform(22, 40)),
                  alt=float(rng.uniform(50, 3000)), ve=float(rng.normal(0, 40)),
                  vn=float(rng.normal(0, 40)), vu=0.0, covariance=cov, born=1.79e9,
                  hits=10, sensors=["r1", "a2"], class_label="slow UAV", identity="hostile")
            for i in range(n)]


def _rate(n: int, fn: object) -> float:
    t = time.perf_counter()
    fn()  # type: ignore[operator]
    return n / (time.perf_counter() - t)


def main(n: int = 20_000) -> None:
    tracks = _tracks(n)
    events = [track_to_cot(t) for t in tracks]
    xml = [to_xml(e) for e in events]
    stream = b"".join(to_proto(e) for e in events)
    rows = [
        ("Track -> CotEvent", _rate(n, lambda: [track_to_cot(t) for t in tracks])),
        ("CotEvent -> XML", _rate(n, lambda: [to_xml(e) for e in events])),
        ("CotEvent -> protobuf (stream)", _rate(n, lambda: [to_proto(e) for e in events])),
        ("Track -> XML", _rate(n, lambda: [to_xml(track_to_cot(t)) for t in tracks])),
        ("Track -> protobuf", _rate(n, lambda: [to_proto(track_to_cot(t)) for t in tracks])),
        ("XML -> CotEvent", _rate(n, lambda: [from_xml(x) for x in xml])),
        ("protobuf stream -> CotEvent", _rate(n, lambda: from_stream(stream))),
    ]
    print(f"{n} tracks, {sum(map(len, xml)) / n:.0f} B/event XML, {len(stream) / n:.0f} B/event "
          "protobuf")
    for name, rate in rows:
        print(f"{name:32s} {rate:12,.0f} events/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
