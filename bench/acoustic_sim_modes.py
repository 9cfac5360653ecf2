"""Fast against full-physics acoustic nodes in the simulator, over range.

    python bench/acoustic_sim_modes.py [--type shahed] [--level DB] [--ambient rural_night]
        [--temperature C] [--frames N] [--pd-levels 0.9,0.5,...] [--seed S] [--json OUT]
        [--inbound-speed M_S --passes N]

One node (``model: full`` and ``model: fast``, same node otherwise) and one target of
catalogue ``--type`` hovering at a slant range 8 degrees above the horizon; ranges where
the fast model predicts Pd 0.99, 0.9, 0.7, 0.5, 0.3, 0.1 and 0.01 for that target (the
transition, where the two can disagree). Per range: full physics' detection rate over
``--frames`` 1-s frames (the simulator's full mode: synthesised audio through the node
pipeline), the fast model's predicted Pd and its sampled rate (the simulator's fast mode
over the same frames), |difference| against the allowance 0.05 + 2 binomial standard
errors, and the bearing errors (full: robust sigma 1.4826 MAD of the azimuth error;
fast: the calibrated sigma at that SNR). Prints a table; ``--json`` writes the rows.

A hovering target stays in the node's transition zone for minutes, and the node's
broadband floor slowly learns it (by design: a lasting change of the ambient must stop
alarming), which a memoryless fast model cannot follow. ``--inbound-speed`` measures what
matters for a wall instead: ``--passes`` targets fly straight at the node at that speed
(300 m altitude, each pass its own seed), from where the fast Pd is 0.001 to where it is
0.999; every frame is binned by the fast model's Pd at its emission range and Doppler
factor (as the simulator's fast mode computes it), and per bin the full-physics detection
rate is compared with the mean fast Pd (and with the fast Pd without Doppler).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import numpy as np

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
    r = [m.range_at_pd(sig, float(p), env) for p in pd_levels]
    return [float(x) for x in r if 0.0 < x < 50_000.0]


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


def inbound(spec_fast: AcousticNodeSpec, spec_full: AcousticNodeSpec, speed: float,
            passes: int, type_name: str, level: float | None, seed: int,
            ) -> list[dict[str, object]]:
    """Full against fast Pd over frames of inbound passes, binned by the fast Pd."""
    from dronewall.sim.acoustic_nodes import doppler_at
    from dronewall.sim.sensors import _Site, emission_times

    m, env = model(), environment(spec_fast)
    tt = target_type(type_name)
    sig = signature_for(tt.name, tt.family, tt.source_level_db if level is None else level)
    alt = 300.0
    r_far, r_near = (math.sqrt(max(m.range_at_pd(sig, p, env) ** 2 - alt**2, 1.0))
                     for p in (0.001, 0.999))
    r_far, r_near = 1.1 * r_far, 0.8 * r_near
    # negative speed: receding, from near to far
    r_from, r_to = (r_near, r_far) if speed < 0 else (r_far, r_near)
    speed = abs(speed)
    dur = (r_far - r_near) / speed
    site = _Site(SITE)
    pd_fast: list[float] = []
    pd_static: list[float] = []
    hit: list[bool] = []
    for k in range(passes):
        lon0, lat0, _ = GEOD.fwd(SITE.lon, SITE.lat, AZIMUTH_DEG, r_from)
        lon1, lat1, _ = GEOD.fwd(SITE.lon, SITE.lat, AZIMUTH_DEG, r_to)
        tr = build_trajectory(Target(id="p", type=type_name, source_level_db=level, route=[
            Waypoint(lat=lat0, lon=lon0, alt=SITE.alt + alt, time="+0"),
            Waypoint(lat=lat1, lon=lon1, alt=SITE.alt + alt, time=f"+{dur}")]), T0)
        a = T0 + r_from / env.speed_of_sound + 2.0
        b = T0 + dur
        frames = np.arange(math.ceil(a), math.floor(b))
        full = {int(d.frame) for d in simulate_full(spec_full, [tr], float(frames[0]),
                                                     float(frames[-1]) + 1.0, seed + k)}
        te = emission_times(tr, site.ecef, frames.astype(float), env.speed_of_sound)
        p_e = tr.ecef(te)
        r, _, _ = site.look(p_e)
        dop = doppler_at(site.ecef, p_e, tr.ecef_velocity(te), env)
        pd_fast += [float(v) for v in m.p_detect(np.asarray(r), sig, env, doppler=dop)]
        pd_static += [float(v) for v in m.p_detect(np.asarray(r), sig, env)]
        hit += [i in full for i in range(len(frames))]
    pdf, pds, h = np.asarray(pd_fast), np.asarray(pd_static), np.asarray(hit)
    rows = []
    for lo, hi in ((0.0, 0.05), (0.05, 0.3), (0.3, 0.7), (0.7, 0.95), (0.95, 1.01)):
        sel = (pdf >= lo) & (pdf < hi)
        n = int(sel.sum())
        if n == 0:
            continue
        full_rate, fast_mean = float(h[sel].mean()), float(pdf[sel].mean())
        se = math.sqrt(max(fast_mean * (1 - fast_mean), 0.25 / n) / n)
        rows.append({"fast_pd_bin": f"{lo:.2f}-{min(hi, 1.0):.2f}", "frames": n,
                     "pd_full": round(full_rate, 4), "pd_fast": round(fast_mean, 4),
                     "pd_fast_no_doppler": round(float(pds[sel].mean()), 4),
                     "abs_diff": round(abs(full_rate - fast_mean), 4),
                     "allowance": round(0.05 + 2 * se, 4),
                     "within": abs(full_rate - fast_mean) <= 0.05 + 2 * se})
    return rows


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
    ap.add_argument("--inbound-speed", type=float, default=0.0,
                    help="m/s: compare over inbound passes instead of hovering targets "
                         "(negative: receding passes)")
    ap.add_argument("--passes", type=int, default=20, help="inbound passes")
    args = ap.parse_args(argv)
    common = {"id": "n1", "position": SITE, "ambient": args.ambient,
              "temperature_c": args.temperature}
    fast = AcousticNodeSpec(model="fast", **common)  # type: ignore[arg-type]
    full = AcousticNodeSpec(model="full", **common)  # type: ignore[arg-type]
    if args.inbound_speed != 0.0:
        rows = inbound(fast, full, args.inbound_speed, args.passes, args.type, args.level,
                       args.seed)
        head: tuple[str, ...] = ("fast_pd_bin", "frames", "pd_full", "pd_fast",
                                 "pd_fast_no_doppler", "abs_diff", "allowance", "within")
        setup: dict[str, object] = {"inbound_speed_m_s": args.inbound_speed,
                                    "passes": args.passes}
    else:
        rows = [compare(fast, full, r, args.frames, args.type, args.level, args.seed + i)
                for i, r in enumerate(ranges(fast, args.type, args.level, tuple(
                    float(x) for x in args.pd_levels.split(","))))]
        head = ("range_m", "snr_db", "pd_full", "pd_fast", "pd_fast_sampled", "abs_diff",
                "allowance", "within", "sigma_full_deg", "sigma_fast_deg")
        setup = {"frames": args.frames}
    print(" ".join(f"{h:>15}" for h in head))
    for r in rows:
        print(" ".join(f"{r[h]!s:>15}" for h in head))
    result = {"type": args.type, "level_db": args.level, "ambient": args.ambient,
              "temperature_c": args.temperature, **setup,
              "max_abs_diff": max(float(r["abs_diff"]) for r in rows),  # type: ignore[arg-type]
              "all_within": all(bool(r["within"]) for r in rows), "rows": rows}
    print(json.dumps({k: v for k, v in result.items() if k != "rows"}))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
