"""Tracker throughput on a stream shaped like the Poland demo (CPU time; the machine is
shared, so wall time is noisy).

    python bench/tracker_throughput.py [HOURS] [--profile] [--json]

8 h by default. The comparison with Stone Soup on the same detections is the tracker
issue's benchmark (not built yet); this one tracks our own speed over time.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fusion_streams import demo_stream, run


def main(argv: list[str]) -> None:
    hours = float(argv[0]) if argv and not argv[0].startswith("-") else 8.0
    t = time.perf_counter()
    stream = demo_stream(hours)
    gen_s = time.perf_counter() - t
    if "--profile" in argv:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        cpu, n_out, tracker = run(stream)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)
    else:
        cpu, n_out, tracker = run(stream)
    st = tracker.stats
    n = len(stream.detections)
    result = {"hours": hours, "detections": n, "generate_s": round(gen_s, 2),
              "tracker_cpu_s": round(cpu, 2), "detections_per_s": round(n / cpu),
              "us_per_frame": round(cpu / st["frames"] * 1e6), "frames": st["frames"],
              "track_messages": n_out, "tracks_confirmed": st["tracks_confirmed"],
              "faster_than_real_time": round(hours * 3600 / cpu, 1)}
    if "--json" in argv:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:22s} {v}")


if __name__ == "__main__":
    main(sys.argv[1:])
