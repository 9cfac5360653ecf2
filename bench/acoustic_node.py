"""Acoustic node evaluation: detector threshold (noise-only runs), detection range of one
node, bearing error vs SNR beside the Cramér–Rao bound, classifier ROC (synthetic by SNR,
real dev clips grouped by recording), CPU per sensor-second. Writes JSON + PNGs.

    python bench/acoustic_node.py [--out DIR] [--quick] [--only threshold,range,...]
                                  [--noise-stats FILE.npy] [--threshold T] [--real DIR]

Parts: threshold, range, bearing, synthetic, real, cpu, broadband, array (all by default).
``threshold`` is the harmonic detector's (Pfa 6e-6); ``broadband`` the broadband detector's
threshold from a noise-only stream (Pfa 6e-6) and the jet-drone / cruise-missile detection
ranges of the whole node; ``array`` the channel-averaged detector of a 4-mic 10 cm square
(its own threshold) against the reference microphone on the same audio. The full run takes
tens of minutes on a shared machine (the 1e5 noise-only decisions dominate); --quick is a
smoke run with small samples whose figures are not the reported ones.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core

from dronewall.acoustic.evaluate import PARTS, evaluate_all
from dronewall.acoustic.train_cli import default_real_dir


def main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="dronewall-out/acoustic-node")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default=",".join(PARTS))
    ap.add_argument("--noise-stats", default=None)
    ap.add_argument("--noise-frames", type=int, default=None)
    ap.add_argument("--threshold", type=float, default=None)
    ap.add_argument("--real", default=None)
    a = ap.parse_args(argv)
    parts = tuple(p for p in a.only.split(",") if p)
    bad = set(parts) - set(PARTS)
    if bad:
        ap.error(f"unknown parts {sorted(bad)}; choose from {PARTS}")
    real = Path(a.real) if a.real else default_real_dir()
    res = evaluate_all(a.out, quick=a.quick, real_dir=real, parts=parts,
                       noise_stats_file=a.noise_stats, noise_frames=a.noise_frames,
                       threshold=a.threshold)
    print(json.dumps(res, indent=1, default=float))


if __name__ == "__main__":
    main(sys.argv[1:])
