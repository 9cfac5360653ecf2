"""Tracker benchmark: dronewall against Stone Soup on the same generated detections.

    python -m dronewall.bench.tracker [--targets 10,100,500] [--scans 300] [--seed 1]
                                      [--only dronewall|stonesoup] [--json]

For each target count, the scenario of :mod:`dronewall.bench.tracker_scenario`
(constant-velocity targets at 30-60 m/s over 100 km x 100 km, 2-D position plots with
σ = 50 m, Pd 0.9, Poisson(10) false alarms per 1 s scan) is tracked by each tracker,
configured alike (:mod:`dronewall.bench.tracker_runners`), each in its own fresh Python
process (``--run-one``) so that peak memory (``ru_maxrss``) is its own. Both processes
draw the same detections from the same seed.

Printed per target count and tracker: mean GOSPA and its localisation / missed / false
parts (c = 500 m, p = 1), mean number of confirmed tracks vs targets, tracking wall time
(the tracker's calls only: not generation, message building or scoring), measurements per
second (all plots / wall time), peak RSS (MiB, of the whole process: interpreter,
imports, scenario, input objects and tracker) and how much of it came while tracking;
then ratios. With ``--json`` the output ends with one
JSON object ``{"<targets>": {"dronewall": {...}, "stonesoup": {...}, "speedup": x}}``
where ``speedup`` is dronewall's measurements per second over Stone Soup's.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from typing import Any

TRACKERS = ("dronewall", "stonesoup")
SHOWN = (
    ("gospa_mean", "GOSPA mean (m)", "{:.1f}"),
    ("localisation", "  localisation", "{:.1f}"),
    ("missed", "  missed", "{:.1f}"),
    ("false", "  false", "{:.1f}"),
    ("tracks_mean", "tracks (mean)", "{:.1f}"),
    ("truth_mean", "targets (mean)", "{:.1f}"),
    ("wall_s", "tracking wall (s)", "{:.2f}"),
    ("meas_per_s", "measurements / s", "{:,.0f}"),
    ("peak_rss_mib", "peak RSS (MiB)", "{:.0f}"),
    ("rss_growth_mib", "  of it while tracking", "{:.1f}"),
)


def run_one(tracker: str, n_targets: int, n_scans: int, seed: int) -> dict[str, Any]:
    """Generate the scenario and track it with one tracker, in this process."""
    from dronewall.bench.tracker_runners import RUNNERS, peak_rss_mib, score
    from dronewall.bench.tracker_scenario import generate

    scn = generate(n_targets, n_scans, seed)
    wall, estimates, base = RUNNERS[tracker](scn)
    peak = peak_rss_mib()
    result: dict[str, Any] = score(scn.truth, estimates)
    n = scn.n_detections
    result.update(
        wall_s=wall,
        meas_per_s=n / wall if wall > 0 else float("inf"),
        peak_rss_mib=peak,
        rss_before_tracking_mib=base,
        rss_growth_mib=peak - base,
        detections=n,
        scans=n_scans,
    )
    return result


def run_subprocess(tracker: str, n_targets: int, n_scans: int, seed: int) -> dict[str, Any]:
    """:func:`run_one` in a fresh interpreter (its own peak memory); its last stdout
    line is the result."""
    cmd = [
        sys.executable,
        "-m",
        "dronewall.bench.tracker",
        "--run-one",
        tracker,
        "--targets",
        str(n_targets),
        "--scans",
        str(n_scans),
        "--seed",
        str(seed),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{tracker} run failed:\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def compare(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One target count's entry of the JSON object: both results and the speedup."""
    entry: dict[str, Any] = dict(results)
    dw, ss = results.get("dronewall"), results.get("stonesoup")
    entry["speedup"] = dw["meas_per_s"] / ss["meas_per_s"] if dw and ss else None
    return entry


def table(n_targets: int, entry: dict[str, Any]) -> str:
    """A plain side-by-side table of one target count, with ratios dronewall/Stone Soup."""
    names = [t for t in TRACKERS if t in entry]
    lines = [
        f"\n{n_targets} targets",
        f"{'':22s}"
        + "".join(f"{t:>14s}" for t in names)
        + ("  dronewall/stonesoup" if len(names) == 2 else ""),
    ]
    for key, label, fmt in SHOWN:
        vals = [entry[t][key] for t in names]
        row = f"{label:22s}" + "".join(f"{fmt.format(v):>14s}" for v in vals)
        if len(names) == 2 and vals[1]:
            row += f"  {vals[0] / vals[1]:>10.2f}"
        lines.append(row)
    if entry.get("speedup") is not None:
        lines.append(f"{'speedup (meas/s)':22s}{entry['speedup']:>14.1f}x")
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="dronewall bench tracker",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--targets", default="10,100,500", help="comma-separated target counts")
    ap.add_argument("--scans", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", choices=TRACKERS)
    ap.add_argument("--json", action="store_true", help="end with one JSON object")
    ap.add_argument("--run-one", choices=TRACKERS, help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark; print the tables (and the JSON object); return the object."""
    args = parse(argv)
    counts = [int(x) for x in args.targets.split(",") if x.strip()]
    if args.run_one:
        print(json.dumps(run_one(args.run_one, counts[0], args.scans, args.seed)))
        return {}
    trackers = (args.only,) if args.only else TRACKERS
    if "stonesoup" in trackers and importlib.util.find_spec("stonesoup") is None:
        raise SystemExit(
            "Stone Soup is not installed: pip install 'dronewall[bench]' "
            "(or run with --only dronewall)"
        )
    print(
        f"tracker benchmark: {args.scans} scans of 1 s, seed {args.seed}, Pd 0.9, "
        "σ 50 m, 10 false alarms/scan, GOSPA c = 500 m, p = 1",
        flush=True,
    )
    out: dict[str, Any] = {}
    for n in counts:
        results = {t: run_subprocess(t, n, args.scans, args.seed) for t in trackers}
        out[str(n)] = compare(results)
        print(table(n, out[str(n)]), flush=True)
    if args.json:
        print(json.dumps(out))
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
