"""Benchmark: exact weapon-target assignment (MILP, HiGHS) against the greedy baseline.

100 threats x 50 effector units, two launch slots per pair (10,000 candidate shots), random
but plausible terms: threat values log-normal around $200k, effectors drawn from the
shipped catalogue (Pk against a random threat class, cost per shot), Ec log-uniform in
[1e-9, 1e-4], unit capacities 1-4 fire channels. Prints one JSON object: the MILP's and
the greedy's solve times and objective (total gain, USD), the MILP's gain over greedy,
over ``--repeat`` random instances (seeds 0..repeat-1).

    .venv/bin/python bench/wta.py [--threats 100] [--units 50] [--slots 2] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from dronewall.engage.catalog import effector_types
from dronewall.engage.wta import Problem, solve_greedy, solve_milp, total_gain


def instance(seed: int, n_threats: int, n_units: int, slots: int) -> Problem:
    rng = np.random.default_rng(seed)
    types = list(effector_types().values())
    unit_type = rng.integers(0, len(types), n_units)
    classes = ["shahed", "gerbera", "jet_shahed", "cruise_missile"]
    threat_cls = rng.integers(0, len(classes), n_threats)
    value = rng.lognormal(np.log(2e5), 1.0, n_threats)
    ug, tg = np.meshgrid(np.arange(n_units), np.arange(n_threats), indexing="ij")
    u, t = np.repeat(ug.ravel(), slots), np.repeat(tg.ravel(), slots)
    pk_table = np.array([[ty.pk_of(c) for c in classes] for ty in types])
    pk = pk_table[unit_type[u], threat_cls[t]]
    pk = pk * rng.uniform(0.7, 1.0, pk.size)  # geometry: a slot's Pk varies
    cost = np.array([types[unit_type[i]].cost_per_shot_usd for i in u])
    ec = 10 ** rng.uniform(-9, -4, pk.size)
    cap = rng.integers(1, 5, n_units)
    return Problem.from_terms(value, pk, cost, ec, t, u, cap)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threats", type=int, default=100)
    ap.add_argument("--units", type=int, default=50)
    ap.add_argument("--slots", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    rows = []
    for seed in range(a.repeat):
        p = instance(seed, a.threats, a.units, a.slots)
        t0 = time.perf_counter()
        m = solve_milp(p)
        t_milp = time.perf_counter() - t0
        t0 = time.perf_counter()
        g = solve_greedy(p)
        t_greedy = time.perf_counter() - t0
        gm, gg = total_gain(p, m), total_gain(p, g)
        rows.append({"seed": seed, "candidates": len(p.gain), "milp_s": round(t_milp, 4),
                     "greedy_s": round(t_greedy, 4), "milp_gain_usd": round(gm),
                     "greedy_gain_usd": round(gg),
                     "gain_over_greedy_pct": round(100 * (gm - gg) / abs(gg), 3) if gg else None})
    print(json.dumps({
        "benchmark": "wta", "threats": a.threats, "units": a.units, "slots": a.slots,
        "milp_s_max": max(float(r["milp_s"] or 0.0) for r in rows),
        "milp_s_mean": round(float(np.mean([r["milp_s"] for r in rows])), 4),
        "greedy_s_mean": round(float(np.mean([r["greedy_s"] for r in rows])), 4),
        "gain_over_greedy_pct_mean": round(float(np.mean(
            [r["gain_over_greedy_pct"] or 0.0 for r in rows])), 3),
        "runs": rows,
    }, indent=1))


if __name__ == "__main__":
    main()
