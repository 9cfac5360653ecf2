"""NormMUSIC speed: the node's numpy implementation (cached steering vectors) against
pyroomacoustics' ``NormMUSIC`` on the same 1-s 4-channel frame, same bins, same 0.5° grid;
checks that the pseudo-spectra agree. CPU time, one core.

    python bench/acoustic_doa.py [--bins N] [--repeat R] [--json]
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np


def main(argv: list[str]) -> None:
    warnings.filterwarnings("ignore")
    import pyroomacoustics as pra

    from dronewall.acoustic.arrays import ArrayGeometry
    from dronewall.acoustic.doa import DoaEstimator
    from dronewall.acoustic.framing import FrameSpec, stft

    nb = int(argv[argv.index("--bins") + 1]) if "--bins" in argv else 12
    rep = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else 200
    geo = ArrayGeometry.square(0.10)
    est = DoaEstimator(geo)
    x = stft(np.random.default_rng(0).standard_normal((4, 16000)), FrameSpec())
    bins = np.linspace(13, est.max_bin, nb).astype(int)
    ref = pra.doa.algorithms["NormMUSIC"](geo.positions[:, :2].T, 16000, 2048, c=343.0,
                                          num_src=1, azimuth=est._az)
    ref.locate_sources(x, freq_bins=bins)
    diff = float(np.abs(est.normmusic(x, bins) - ref.grid.values).max())
    t = time.process_time()
    for _ in range(rep):
        ref.locate_sources(x, freq_bins=bins)
    t_pra = (time.process_time() - t) / rep
    t = time.process_time()
    for _ in range(rep):
        est.normmusic(x, bins)
    t_own = (time.process_time() - t) / rep
    res = {"bins": nb, "grid": len(est._az), "pyroomacoustics_ms": round(1e3 * t_pra, 3),
           "dronewall_ms": round(1e3 * t_own, 3), "speedup": round(t_pra / t_own, 2),
           "max_abs_diff": diff}
    print(json.dumps(res) if "--json" in argv else
          "\n".join(f"{k:20s} {v}" for k, v in res.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
