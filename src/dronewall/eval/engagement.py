"""Engagement outcomes against the truth, and the ``engagement`` summary of a run.

:func:`engage_run` replays a finished run's tracks (from a store or from the pipeline's
RunData, duck-typed: anything with ``messages()``/``meta()`` or with ``tracks``,
``truth``, ``truth_events``, ``meta``) through the engagement stage and the simulated
commander, in time order, closing the loop with the truth:

- each track is associated with the truth target it follows (nearest truth position at
  each update, majority vote over the track's life);
- an approved shot is resolved at its intercept time: it happens only if the target is
  still flying and is really where the shot was aimed (within ``max(1 km, 20 % of the
  effector's reach)``, 20 km for fighters, which re-acquire); then one Bernoulli draw with
  the effector's Pk against the target's TRUE class (seeded ``numpy`` generator, shots in
  time order) decides whether it is destroyed. A shot that does not happen costs nothing;
- once a target is destroyed its track updates are withheld from the stage.

Threats are the truth targets of kind drone, decoy or missile that entered a watched
country's airspace (truth incursion events). A threat is *defeated* when one of our shots
destroyed it, otherwise it *leaked* (reached its end point: a crash, its target, or out);
``leaked_to_asset`` counts leakers whose true path came within its radius of a protected
asset. Ec figures are the stage's expected casualties of the shots fired.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from dronewall.engage.catalog import (
    Asset,
    Laydown,
    assets_for,
    effector_types,
    laydown_for,
    load_doctrine,
    load_laydown,
    shipped_assets,
)
from dronewall.engage.commander import SimulatedCommander
from dronewall.engage.geometry import Plane
from dronewall.engage.run import replay
from dronewall.engage.stage import EngagementStage
from dronewall.geo.population import PopulationGrid
from dronewall.model import Decision, Event, Recommendation, Track, TruthState
from dronewall.sim.catalog import CATALOG

COSTLY_USD = 100_000.0
EC_LIMIT = 1.0e-4
THREAT_KINDS = ("drone", "decoy", "missile")
# Simulator target types -> Track class labels (VOCAB.md).
TRUE_CLASS = {"gerbera": "gerbera", "shahed": "shahed", "jet-shahed": "jet_shahed",
              "cruise-missile": "cruise_missile", "airliner": "airliner", "mig-31": "fighter",
              "su-35": "fighter", "fighter": "fighter", "tu-95": "bomber", "awacs": "airliner",
              "tanker": "airliner", "helicopter": "helicopter", "multicopter": "multicopter",
              "bird": "bird"}


class _Truth:
    """Truth states per target as arrays, with interpolation."""

    def __init__(self, states: Sequence[TruthState], plane: Plane) -> None:
        by: dict[str, list[TruthState]] = defaultdict(list)
        for s in states:
            by[s.target_id].append(s)
        self.ids = sorted(by)
        self.type: dict[str, str] = {}
        self.t: dict[str, np.ndarray] = {}
        self.xyz: dict[str, np.ndarray] = {}
        self.plane = plane
        for tid in self.ids:
            ss = sorted(by[tid], key=lambda s: s.time)
            self.type[tid] = ss[0].target_type
            self.t[tid] = np.array([s.time for s in ss])
            x, y = plane.xy([s.lat for s in ss], [s.lon for s in ss])
            self.xyz[tid] = np.stack([x, y, [s.alt for s in ss]], axis=1)

    def at(self, tid: str, t: np.ndarray) -> np.ndarray:
        """Positions (n, 3) at times t (NaN outside the target's life)."""
        tt, p = self.t[tid], self.xyz[tid]
        out = np.stack([np.interp(t, tt, p[:, k]) for k in range(3)], axis=1)
        out[(t < tt[0]) | (t > tt[-1])] = np.nan
        return out


def _collect(source: Any) -> tuple[dict[str, Any], list[Track], list[TruthState], list[Event]]:
    if hasattr(source, "messages") and callable(source.messages):
        tracks: list[Track] = []
        truth: list[TruthState] = []
        tev: list[Event] = []
        for _seq, topic, msg in source.messages(["tracks", "truth.states", "truth.events"]):
            lists: dict[str, list[Any]] = {"tracks": tracks, "truth.states": truth,
                                           "truth.events": tev}
            lists[topic].append(msg)
        return dict(source.meta()), tracks, truth, tev
    return dict(source.meta), list(source.tracks), list(source.truth), list(source.truth_events)


def associate(tracks: Sequence[Track], truth: _Truth, plane: Plane) -> dict[str, str]:
    """Track id -> truth target id (majority of nearest-target votes)."""
    if not tracks or not truth.ids:
        return {}
    t = np.array([tr.time for tr in tracks])
    x, y = plane.xy([tr.lat for tr in tracks], [tr.lon for tr in tracks])
    p = np.stack([x, y, [tr.alt for tr in tracks]], axis=1)
    d = np.stack([np.linalg.norm(truth.at(tid, t) - p, axis=1) for tid in truth.ids], axis=1)
    d = np.where(np.isnan(d), np.inf, d)
    best = np.argmin(d, axis=1)
    near = d[np.arange(len(tracks)), best] < 5000.0
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for tr, b, ok in zip(tracks, best, near, strict=True):
        if ok:
            votes[tr.id][truth.ids[int(b)]] += 1
    return {k: v.most_common(1)[0][0] for k, v in votes.items()}


def scenario_assets(meta: dict[str, Any]) -> list[Asset]:
    """The scenario's assets (its own file, read through the simulator's loader), the
    shipped extra assets of the watched countries (power plants, bases) and their shipped
    cities and airports (:func:`~dronewall.engage.catalog.shipped_assets`)."""
    from dronewall.sim.loader import find_scenario, load_scenario

    out: list[Asset] = []
    try:
        scn = load_scenario(find_scenario(meta["scenario"]))
        out = [Asset(id=a.id, name=a.name, lat=a.lat, lon=a.lon, kind=a.kind, value=a.value)
               for a in scn.assets]
    except Exception:  # a stored run of a scenario file no longer at hand
        out = [Asset(id=f"a{i}", name=str(n), lat=float(la), lon=float(lo))
               for i, (n, la, lo) in enumerate(meta.get("assets", []))]
    watch = [str(c) for c in meta.get("watch", [])]
    for iso in watch:
        out.extend(assets_for(iso))
    return out + shipped_assets(set(watch), existing=out)


def engage_run(source: Any, doctrine_name: str = "layered", *, laydown: str | None = None,
               seed: int = 0) -> dict[str, Any]:
    """Replay a finished run through the engagement stage; return the ``engagement``
    summary (see :func:`summary`)."""
    meta, tracks, truth_states, truth_events = _collect(source)
    doctrine = load_doctrine(doctrine_name)
    lay = load_laydown(laydown) if laydown else laydown_for(str(meta.get("scenario", "")))
    lay = lay or Laydown(name="none", country="")
    assets = scenario_assets(meta)
    own = [str(c) for c in meta.get("watch", [])]
    lats = [u.lat for u in lay.units] + [a.lat for a in assets] + [t.lat for t in tracks[::50]]
    lons = [u.lon for u in lay.units] + [a.lon for a in assets] + [t.lon for t in tracks[::50]]
    grid = PopulationGrid.around(lats, lons, margin_deg=0.5) if lats else None
    if grid is None:
        return summary(doctrine.name, lay.name, [], {}, {}, set(), {}, [])
    stage = EngagementStage(assets, lay, doctrine, grid, own)
    plane = stage.plane
    truth = _Truth(truth_states, plane)
    assoc = associate(tracks, truth, plane)
    killed: dict[str, float] = {}  # target id -> time destroyed
    pending: list[tuple[float, str]] = []
    outcome: dict[str, dict[str, Any]] = {}
    rng = np.random.default_rng(seed)
    types = effector_types()

    def resolve(until: float) -> None:
        pending.sort()
        while pending and pending[0][0] <= until:
            t_int, rid = pending.pop(0)
            shot = stage.shot_of(rid)
            rec = stage.recs[rid]
            tgt = assoc.get(rec.track_id)
            res: dict[str, Any] = {"target": tgt, "fired": False, "hit": False}
            outcome[rid] = res
            if shot is None or tgt is None or (tgt in killed and killed[tgt] <= t_int):
                continue
            pos = truth.at(tgt, np.array([t_int]))[0]
            if np.isnan(pos).any():
                continue
            et = types[shot["effector_type"]]
            aim = np.array([*plane.xy(shot["lat"], shot["lon"]), shot["alt"]], dtype=float)
            tol = 20000.0 if et.kind == "fighter" else max(1000.0, 0.2 * et.range_m[1])
            if np.linalg.norm(pos[:2] - aim[:2]) > tol:
                continue
            res["fired"] = True
            true_cls = TRUE_CLASS.get(truth.type.get(tgt, ""), "unknown")
            if rng.random() < et.pk_of(true_cls):
                res["hit"] = True
                killed[tgt] = t_int

    def before(t_end: float, batch: list[Track]) -> list[Track]:
        resolve(t_end)
        return [tr for tr in batch
                if not (assoc.get(tr.id) in killed and killed[assoc[tr.id]] <= tr.time)]

    def on_decision(rec: Recommendation, dec: Decision) -> None:
        if dec.action == "approve":
            shot = stage.shot_of(rec.id)
            if shot is not None:
                pending.append((shot["t_int"], rec.id))

    log = replay(tracks, stage, SimulatedCommander(), before_batch=before,
                 on_decision=on_decision)
    resolve(np.inf)
    threats = _threats(truth_events, truth, own)
    leaked_to_asset = _reached_asset(threats - set(killed), truth, stage)
    return summary(doctrine.name, lay.name, log.recommendations, outcome, dict(killed),
                   threats, {"leaked_to_asset": leaked_to_asset, "seed": seed,
                             "types": truth.type, "stage": stage}, log.decisions)


def _threats(events: Sequence[Event], truth: _Truth, own: Sequence[str]) -> set[str]:
    out = set()
    for e in events:
        tid = e.track_id or ""
        kind = CATALOG[truth.type[tid]].kind if truth.type.get(tid) in CATALOG else ""
        if e.kind == "incursion_start" and e.country in own and kind in THREAT_KINDS:
            out.add(tid)
    return out


def _reached_asset(leakers: set[str], truth: _Truth, stage: EngagementStage) -> int:
    a = stage.assets
    n = 0
    for tid in leakers:
        p = truth.xyz[tid]
        d = np.hypot(p[:, 0, None] - a.x[None, :], p[:, 1, None] - a.y[None, :])
        n += bool((d <= a.radius[None, :]).any()) if len(a.assets) else 0
    return n


def summary(doctrine: str, laydown: str, recs: Sequence[Recommendation],
            outcome: dict[str, dict[str, Any]], killed: dict[str, float], threats: set[str],
            extra: dict[str, Any], decisions: Sequence[Decision]) -> dict[str, Any]:
    """The demo's ``engagement`` object."""
    by_id = {r.id: r for r in recs}
    types = extra.get("types", {})
    stage: EngagementStage | None = extra.get("stage")
    approved = [d.recommendation_id for d in decisions if d.action == "approve"]
    fired = [by_id[r] for r in approved if r in by_id and outcome.get(r or "", {}).get("fired")]
    shots_by = Counter(r.effector_type for r in fired)
    cost = float(sum(r.cost_usd for r in fired))
    defeated = sorted(t for t in killed if t in threats)
    ecs = [r.ec for r in fired]

    def decoy(r: Recommendation) -> bool:
        return types.get(outcome.get(r.id, {}).get("target") or "", "") == "gerbera"

    costly_decoy = [r for r in fired if r.cost_usd > COSTLY_USD and decoy(r)]
    verdicts = Counter(r.verdict for r in recs)
    forbidden_rules = Counter(r.rule or "none" for r in recs if r.verdict == "forbidden")
    non_threat = sorted({outcome[r.id]["target"] for r in fired
                         if outcome[r.id]["target"] not in threats})
    return {
        "doctrine": doctrine,
        "laydown": laydown,
        "threats": len(threats),
        "defeated": len(defeated),
        "leakers": len(threats) - len(defeated),
        "leaked_to_asset": int(extra.get("leaked_to_asset", 0)),
        "shots_by_effector": dict(sorted(shots_by.items())),
        "shots_total": len(fired),
        "shots_missed": sum(1 for r in fired if not outcome[r.id]["hit"]),
        "cost_total_usd": round(cost),
        "cost_per_defeated_usd": round(cost / len(defeated)) if defeated else None,
        "ec_total": float(sum(ecs)),
        "ec_max_per_shot": float(max(ecs, default=0.0)),
        "shots_over_ec_limit": sum(1 for e in ecs if e > EC_LIMIT),
        "ec_absolute_total": float(sum(r.evidence.get("ec_absolute", r.ec) for r in fired)),
        "ec_absolute_max_per_shot": float(max(
            (r.evidence.get("ec_absolute", r.ec) for r in fired), default=0.0)),
        "decoys_engaged_by_costly": len(costly_decoy),
        "decoys_engaged_by_costly_not_threatening": sum(
            1 for r in costly_decoy if r.threat_score < 0.5),
        "non_threats_engaged": len(non_threat),
        "recommendations": dict(sorted(verdicts.items())),
        "forbidden_by_rule": dict(sorted(forbidden_rules.items())),
        "approved": len(approved),
        "warned_places": len(stage.warned) if stage else 0,
        "seed": extra.get("seed", 0),
        "stage_stats": dict(stage.stats) if stage else {},
    }
