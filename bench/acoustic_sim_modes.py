"""Fast against full-physics acoustic nodes in the simulator, over range.

    python bench/acoustic_sim_modes.py [--type shahed] [--level DB] [--ambient rural_night]
        [--temperature C] [--frames N] [--pd-levels 0.9,0.5,...] [--seed S] [--json OUT]

One node (``model: full`` and ``model: fast``, same node otherwise) and one target of
catalogue ``--type`` hovering at a slant range 8 degrees above the horizon; ranges where
the fast model predicts Pd 0.99, 0.9, 0.7, 0.5, 0.3, 0.1 and 0.01 for that target (the
transition, where the two can disagree). Per range: full physics' detection rate over
``--frames`` 1-s frames (the simulator's full mode: synthesised audio through the node
pipeline), the fast model's predicted Pd and its sampled rate (the simulator's fast mode
over the same frames), |difference| against the allowance 0.05 + 2 binomial standard
errors, and the bearing errors (full: robust sigma 1.4826 MAD of the azimuth error;
fast: the calibrated sigma at that SNR). Prints a table; ``--json`` writes the rows.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import numpy as np

from dronewall.acoustic.fullphysics import range_for_snr
from dronewall.geo.frames import GEOD
from dronewall.sim.acoustic_nodes import (
    environment,
    model,
    signature_for,
    simulate_fast,
    simulate_full,
)
from dronewall.sim.catalog import target_type
from dronewall.sim.kinematics import Trajectory, build_trajectory
from dronewall.sim.scenario import AcousticNodeSpec, Position, Target, Waypoint

T0 = 1_757_462_400.0
SITE = Position(lat=52.0, lon=21.0, alt=10.0)
PD_LEVELS = (0.99, 0.9, 0.7, 0.5, 0.3, 0.1, 0.01)
ELEVATION_DEG = 8.0
AZIMUTH_DEG = 60.0


def hover(slant_m: float, duration_s: float, type_name: str, level: float | None,
          ) -> Trajectory:
    """A target holding still at ``slant_m`` from SITE, 8 degrees up, azimuth 60."""
    el = math.radians(ELEVATION_DEG)
    lon, lat, _ = GEOD.fwd(SITE.lon, SITE.lat, AZIMUTH_DEG, slant_m * math.cos(el))
    h = SITE.alt + slant_m * math.sin(el)
    wps = [Waypoint(lat=lat, lon=lon, alt=h, time="+0"),
           Waypoint(lat=lat, lon=lon, alt=h, time=f"+{duration_s}")]
    return build_trajectory(Target(id="h", type=type_name, route=wps, source_level_db=level),
                            T0)


def ranges(spec: AcousticNodeSpec, type_name: str, level: float | None,
           pd_levels: tuple[float, ...] = PD_LEVELS) -> list[float]:
    """Slant ranges where the fast model predicts ``pd_levels`` for this target."""
    m, env = model(), environment(spec)
    tt = target_type(type_name)
    sig = signature_for(tt.name, tt.family, tt.source_level_db if level is None else level)
    fit = m.fit_for(sig.label, env.ambient)
    p = np.clip(np.asarray(pd_levels), 1e-4, 1 - 1e-4)
    snr = fit.s50 + fit.width * np.log(p / (1 - p))
    r = range_for_snr(sig.label, env, snr, source_level_db=sig.source_level_db)
    return [float(x) for x in r if np.isfinite(x)]


def compare(spec_fast: AcousticNodeSpec, spec_full: AcousticNodeSpec, slant_m: float,
            frames: int, type_name: str, level: float | None, seed: int) -> dict[str, object]:
    """One range: full and fast over the same ``frames`` report instants."""
    lead = 30.0  # let the sound of the hovering target arrive first
    tr = hover(slant_m, lead + frames + 10.0, type_name, level)
    a, b = T0 + lead, T0 + lead + frames
    w0 = time.process_time()
    full = simulate_full(spec_full, [tr], a, b, seed)
    w1 = time.process_time()
    fast = simulate_fast(spec_fast, [tr], a, b, seed)
    m, env = model(), environment(spec_fast)
    tt = target_type(type_name)
    sig = signature_for(tt.name, tt.family, tt.source_level_db if level is None else level)
    snr = float(m.snr_db(slant_m, sig, env))
    pd_pred = float(m.p_detect(slant_m, sig, env))
    k_full = len({d.frame for d in full})
    k_fast = len(fast)
    pd_full = k_full / frames
    se = math.sqrt(max(pd_pred * (1 - pd_pred), 0.25 / frames) / frames)
    err = np.array([(d.measurement.azimuth - AZIMUTH_DEG + 180.0) % 360.0 - 180.0  # type: ignore[union-attr]
                    for d in full])
    return {
        "range_m": round(slant_m, 1), "snr_db": round(snr, 2), "frames": frames,
        "pd_full": round(pd_full, 4), "pd_fast": round(pd_pred, 4),
        "pd_fast_sampled": round(k_fast / frames, 4),
        "abs_diff": round(abs(pd_full - pd_pred), 4), "stderr": round(se, 4),
        "allowance": round(0.05 + 2 * se, 4),
        "within": abs(pd_full - pd_pred) <= 0.05 + 2 * se,
        "sigma_full_deg": round(float(1.4826 * np.median(np.abs(err))), 2) if err.size >= 5
        else None,
        "sigma_fast_deg": round(float(m.sigma_deg(snr, sig.label)), 2),
        "full_cpu_s": round(w1 - w0, 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--type", default="shahed", help="catalogue type of the target")
    ap.add_argument("--level", type=float, default=None, help="source level, dB at 1 m")
    ap.add_argument("--ambient", default="rural_night")
    ap.add_argument("--temperature", type=float, default=10.0)
    ap.add_argument("--frames", type=int, default=100)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--pd-levels", default=",".join(str(p) for p in PD_LEVELS),
                    help="fast-model Pd values whose ranges are compared, comma-separated")
    ap.add_argument("--json", default=None, help="write the rows to this file")
    args = ap.parse_args(argv)
    common = {"id": "n1", "position": SITE, "ambient": args.ambient,
              "temperature_c": args.temperature}
    fast = AcousticNodeSpec(model="fast", **common)  # type: ignore[arg-type]
    full = AcousticNodeSpec(model="full", **common)  # type: ignore[arg-type]
    rows = [compare(fast, full, r, args.frames, args.type, args.level, args.seed + i)
            for i, r in enumerate(ranges(fast, args.type, args.level,
                                         tuple(float(x) for x in args.pd_levels.split(","))))]
    head = ("range_m", "snr_db", "pd_full", "pd_fast", "pd_fast_sampled", "abs_diff",
            "allowance", "within", "sigma_full_deg", "sigma_fast_deg")
    print(" ".join(f"{h:>15}" for h in head))
    for r in rows:
        print(" ".join(f"{r[h]!s:>15}" for h in head))
    result = {"type": args.type, "level_db": args.level, "ambient": args.ambient,
              "temperature_c": args.temperature, "frames": args.frames,
              "max_abs_diff": max(float(r["abs_diff"]) for r in rows),  # type: ignore[arg-type]
              "all_within": all(bool(r["within"]) for r in rows), "rows": rows}
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
