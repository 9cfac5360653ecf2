"""Airspace monitor throughput on a Poland-demo-sized stream (~10^5 track states, one
process call per tracker update, 210 tracks, 8 national zones), CPU time.

    python bench/airspace_monitor.py [--json]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_airspace_stream import _traffic, run


def main(argv: list[str]) -> None:
    tracks = _traffic()
    t = time.process_time()
    monitor, events = run(tracks)
    cpu = time.process_time() - t
    result = {"states": len(tracks), "events": len(events),
              "incursions": len(monitor.incursions()), "cpu_s": round(cpu, 2),
              "states_per_s": round(len(tracks) / cpu)}
    print(json.dumps(result) if "--json" in argv else
          "\n".join(f"{k:12s} {v}" for k, v in result.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
