"""The engagement stage: tracks in, engagement recommendations out.

Per batch of track updates (time taken from the tracks, never from a clock) the stage
keeps the latest state of each track and, at most every ``planning.replan_s`` seconds of
track time, plans:

1. reads each confirmed track's class probabilities (:mod:`.labels`) and the identity
   the adjudicator gave it;
2. evaluates the threat of hostile/suspect tracks to the protected assets (:mod:`.threat`);
3. for every available effector unit x threat x launch slot computes the intercept
   (:mod:`.intercept`), keeps those inside the envelope, and for each unit-track pair the
   earliest and the lowest-risk slot; prices each with Pk, cost and Ec (:mod:`.debris`);
4. asks the rules of engagement (:mod:`.roe`) for a verdict on each candidate;
5. assigns effectors to threats over the permitted candidates (:mod:`.wta`, MILP);
6. recommends the chosen shots that must launch before the next plan; later ones wait
   for a re-plan with fresher tracks. A threat with no permitted option gets one
   information-only ``forbidden`` recommendation per rule, saying why.

:meth:`EngagementStage.decide` applies an operator's decision: an approved shot takes a
round from the unit's magazine, occupies a fire channel until the intercept, moves an
airborne unit to the intercept point; the track is not re-engaged until the shot's
outcome can be seen (intercept + ``look_s``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
import numpy as np
from numpy.typing import NDArray

from dronewall.engage import debris, labels, threat, wta
from dronewall.engage.catalog import (
    TRACK_CLASSES,
    Asset,
    Doctrine,
    EffectorType,
    Laydown,
    Unit,
    effector_types,
)
from dronewall.engage.geometry import Plane
from dronewall.engage.intercept import engagement_slots
from dronewall.engage.roe import RuleSet
from dronewall.geo.borders import country_at, populated_places
from dronewall.geo.population import DEFAULT_FLOOR, RURAL_FLOOR, PopulationGrid
from dronewall.model import Decision, GeoPoint, Recommendation, Track

FloatArray = NDArray[np.float64]


@dataclass
class UnitState:
    """Where a unit is and what it has left."""

    unit: Unit
    etype: EffectorType
    home: tuple[float, float]
    pos: tuple[float, float, float]
    magazine: int
    ready_s: float = 0.0
    airborne: bool = False
    reload_at: float | None = None
    busy: list[float] = field(default_factory=list)  # intercept times of shots in flight


@dataclass
class _Shot:
    rec: Recommendation
    unit: int
    t_launch: float
    t_int: float
    point: tuple[float, float, float]


class EngagementStage:
    """Pipeline stage: ``process(tracks) -> recommendations``, ``decide(decision)``.

    ``warnings`` holds the latest plan's public-warning areas (see
    :func:`dronewall.engage.threat.warning_areas`), ``warned`` every place warned so far."""

    look_s = 30.0  # after an intercept, time to see whether the target survived
    stale_s = 60.0  # a track not updated for this long is dropped
    reject_cooldown_s = 300.0
    warning_horizon_s = 1200.0  # public warning: places the path reaches within 20 min
    warning_radius_m = 15000.0  # ... passing within 15 km

    def __init__(
        self,
        assets: Sequence[Asset],
        laydown: Laydown,
        doctrine: Doctrine,
        population_grid: PopulationGrid,
        own_countries: Sequence[str],
        *,
        roe: RuleSet | None = None,
        effectors: dict[str, EffectorType] | None = None,
        id_prefix: str = "REC",
    ) -> None:
        self.doctrine = doctrine
        self.grid = population_grid
        self.own = set(own_countries)
        self.roe = roe or RuleSet.load(doctrine.roe)
        types = effectors or effector_types()
        units = [u for u in laydown.units if doctrine.allows(u.type)]
        pts_lat = [u.lat for u in units] + [a.lat for a in assets]
        pts_lon = [u.lon for u in units] + [a.lon for a in assets]
        lat0 = float(np.mean(pts_lat)) if pts_lat else 0.0
        lon0 = float(np.mean(pts_lon)) if pts_lon else 0.0
        self.plane = Plane(lat0, lon0)
        self.assets = threat.AssetTable.build(list(assets), self.plane)
        self.units: list[UnitState] = []
        for u in units:
            x, y = self.plane.xy(u.lat, u.lon)
            et = types[u.type]
            self.units.append(UnitState(u, et, (float(x), float(y)),
                                        (float(x), float(y), u.alt), et.magazine))
        self.id_prefix = id_prefix
        # Rural floor of the defended country: where a one-way drone left alone would come
        # down on average (the baseline of the incremental Ec, see debris.shot_ec).
        self.baseline_density = min(
            (RURAL_FLOOR.get(c, DEFAULT_FLOOR) for c in self.own), default=0.0)
        self.tracks: dict[str, Track] = {}
        self.now = 0.0
        self.last_plan = -np.inf
        self.recs: dict[str, Recommendation] = {}
        self._shots: dict[str, _Shot] = {}
        self._locked: dict[str, float] = {}  # track id -> time until which it is engaged
        self._cooldown: dict[tuple[str, int], float] = {}
        self._jammed: dict[str, int] = {}
        self._forbidden_said: set[tuple[str, str | None]] = set()
        self._n = 0
        self.stats: dict[str, int] = {"plans": 0, "candidates": 0, "recommended": 0,
                                      "forbidden_info": 0, "approved": 0, "rejected": 0,
                                      "expired": 0, "bad_decisions": 0, "bad_tracks": 0}
        # Public-warning "districts": the shipped populated places of the own countries.
        self._places = [(p.name, p.country, p.lat, p.lon, p.pop) for p in populated_places()
                        if p.country in self.own]
        self.warnings: list[dict[str, object]] = []  # the latest plan's warning areas
        self.warned: dict[str, float] = {}  # place -> first time it was warned

    # ------------------------------------------------------------------ stage API

    def process(self, tracks: Sequence[Track]) -> list[Recommendation]:
        """Take a batch of track updates; return new recommendations (maybe none)."""
        for tr in tracks:
            if not all(math.isfinite(v) for v in (tr.time, tr.alt, tr.ve, tr.vn, tr.vu)):
                self.stats["bad_tracks"] += 1  # counted, never crashing the stage
                continue
            self.now = max(self.now, tr.time)
            if tr.status == "lost":
                self.tracks.pop(tr.id, None)
            elif tr.id not in self.tracks or tr.time >= self.tracks[tr.id].time:
                self.tracks[tr.id] = tr
        for tid in [k for k, t in self.tracks.items() if self.now - t.time > self.stale_s]:
            del self.tracks[tid]
        self._expire()
        if self.now - self.last_plan < self.doctrine.planning.replan_s:
            return []
        self.last_plan = self.now
        return self._plan(self.now)

    def decide(self, decision: Decision) -> None:
        """Apply an operator's approval or rejection of a recommendation."""
        rec = self.recs.get(decision.recommendation_id or "")
        if rec is None or rec.status != "pending" or decision.action == "acknowledge":
            self.stats["bad_decisions"] += 1
            return
        shot = self._shots.get(rec.id)
        if decision.action == "reject" or shot is None or rec.verdict == "forbidden":
            self.recs[rec.id] = _with_status(rec, "rejected")
            self.stats["rejected"] += 1
            self._locked.pop(rec.track_id, None)
            if shot is not None:
                self._cooldown[(rec.track_id, shot.unit)] = decision.time + self.reject_cooldown_s
            return
        self.recs[rec.id] = _with_status(rec, "approved")
        self.stats["approved"] += 1
        us = self.units[shot.unit]
        us.magazine -= 1
        us.busy.append(shot.t_int)
        if us.etype.mobility == "airborne":
            us.airborne = True
            us.pos = shot.point
            us.ready_s = shot.t_int + 30.0
        if us.magazine <= 0:
            us.reload_at = shot.t_int + us.etype.reload_s
        if us.etype.kind == "ew":
            self._jammed[rec.track_id] = self._jammed.get(rec.track_id, 0) + 1
        self._locked[rec.track_id] = shot.t_int + self.look_s

    def shot_of(self, rec_id: str) -> dict[str, Any] | None:
        """Launch and intercept of a recommended shot (for outcome evaluation)."""
        s = self._shots.get(rec_id)
        if s is None:
            return None
        lat, lon = self.plane.latlon(s.point[0], s.point[1])
        us = self.units[s.unit]
        return {"t_launch": s.t_launch, "t_int": s.t_int, "lat": float(lat), "lon": float(lon),
                "alt": s.point[2], "unit": us.unit.id, "effector_type": us.unit.type,
                "unit_lat": us.unit.lat, "unit_lon": us.unit.lon}

    # ------------------------------------------------------------------ internals

    def _expire(self) -> None:
        for rid, rec in list(self.recs.items()):
            shot = self._shots.get(rid)
            if rec.status == "pending" and shot is not None and \
                    self.now > shot.t_launch + self.doctrine.planning.replan_s:
                self.recs[rid] = _with_status(rec, "expired")
                self.stats["expired"] += 1
                if self._locked.get(rec.track_id, 0) <= shot.t_int + self.look_s:
                    self._locked.pop(rec.track_id, None)
        for us in self.units:
            us.busy = [t for t in us.busy if t > self.now]
            if us.reload_at is not None and self.now >= us.reload_at:
                us.magazine = us.etype.magazine
                us.reload_at = None
                if us.airborne:
                    us.airborne = False
                    us.pos = (*us.home, us.unit.alt)
                    us.ready_s = self.now

    def _next_id(self) -> str:
        self._n += 1
        return f"{self.id_prefix}-{self._n}"

    def _plan(self, now: float) -> list[Recommendation]:
        self.stats["plans"] += 1
        trs = [t for t in self.tracks.values() if t.status == "confirmed"]
        if not trs:
            return []
        dt = np.array([now - t.time for t in trs])
        ve = np.array([t.ve for t in trs])
        vn = np.array([t.vn for t in trs])
        vu = np.array([t.vu for t in trs])
        x0, y0 = self.plane.xy([t.lat for t in trs], [t.lon for t in trs])
        x, y = x0 + ve * dt, y0 + vn * dt
        z = np.array([t.alt for t in trs]) + vu * dt
        lat, lon = self.plane.latlon(x, y)
        own_here = np.isin(country_at(lat, lon), list(self.own))
        probs = np.array([labels.class_vector(t) for t in trs])
        names = [labels.class_label(t, p) for t, p in zip(trs, probs, strict=True)]
        idents = [t.identity for t in trs]
        hostile = np.array([i in ("hostile", "suspect") for i in idents])
        w = self.doctrine.weights
        th = threat.evaluate(x, y, ve, vn, probs, hostile & own_here, self.assets,
                             w.usd_per_value, w.sovereignty_usd)
        value = np.where(hostile, th.value_usd, 0.0)
        hi = np.flatnonzero(hostile)
        self.warnings = threat.warning_areas(
            lat[hi], lon[hi], ve[hi], vn[hi], np.array([now - trs[i].born for i in hi]),
            [trs[i].id for i in hi], self._places, self.plane,
            horizon_s=self.warning_horizon_s, radius_m=self.warning_radius_m) if hi.size else []
        for w_ in self.warnings:
            self.warned.setdefault(str(w_["place"]), now)
        cand_t = np.flatnonzero(hostile & (value > 0) & np.array(
            [self._locked.get(t.id, -np.inf) < now for t in trs]))
        if cand_t.size == 0 or not self.units:
            return []
        u_ok = [i for i, us in enumerate(self.units)
                if us.magazine > 0 and len(us.busy) < us.etype.channels]
        if not u_ok:
            return []
        U = [self.units[i] for i in u_ok]
        pl = self.doctrine.planning
        n_slots = max(1, int(pl.horizon_s // pl.slot_s))
        pos = np.array([us.pos for us in U])
        ready = np.array([max(us.ready_s, now) + (30.0 if us.airborne else us.etype.reaction_s)
                          for us in U])
        speed = np.array([us.etype.speed_mps for us in U])
        tpos = np.stack([x[cand_t], y[cand_t], z[cand_t]], axis=1)
        tvel = np.stack([ve[cand_t], vn[cand_t], vu[cand_t]], axis=1)
        t_l, t_i, pt = engagement_slots(pos, ready, speed, tpos, tvel, now, pl.slot_s, n_slots)
        et_rmin = np.array([us.etype.range_m[0] for us in U])[:, None, None]
        et_rmax = np.array([us.etype.range_m[1] for us in U])[:, None, None]
        amin = np.array([us.etype.altitude_m[0] for us in U])[:, None, None]
        amax = np.array([us.etype.altitude_m[1] for us in U])[:, None, None]
        vmax = np.array([us.etype.max_target_speed_mps for us in U])[:, None, None]
        origin = np.array([(*us.home, us.unit.alt) if us.etype.mobility == "airborne"
                           else us.pos for us in U])
        rng_from = np.linalg.norm(pt - origin[:, None, None, :], axis=-1)
        tspeed = np.linalg.norm(tvel, axis=1)[None, :, None]
        pk_mat = np.array([[us.etype.pk_of(c) for c in TRACK_CLASSES] for us in U])
        pk_ut = pk_mat @ probs[cand_t].T  # (U, T) expected single-shot Pk
        feas = (np.isfinite(t_i) & (t_i <= now + pl.horizon_s) & (rng_from >= et_rmin)
                & (rng_from <= et_rmax) & (pt[..., 2] >= amin) & (pt[..., 2] <= amax)
                & (tspeed <= vmax) & (pk_ut[..., None] > 0))
        for (tid, ui), until in self._cooldown.items():
            if until > now and ui in u_ok:
                jj = [k for k, j in enumerate(cand_t) if trs[j].id == tid]
                if jj:
                    feas[u_ok.index(ui), jj[0], :] = False
        ui_, ti_, ki_ = np.nonzero(feas)
        if ui_.size == 0:
            return []
        # Price every feasible slot, then keep per unit-track pair the earliest and the
        # lowest-Ec slot.
        j_glob = cand_t[ti_]
        ipt = pt[ui_, ti_, ki_]
        et = [U[u].etype for u in ui_]
        pk = pk_ut[ui_, ti_]
        ec_abs, ec, dens = debris.shot_ec(
            self.plane, self.grid, t_i[ui_, ti_, ki_], ipt[:, 0], ipt[:, 1], ipt[:, 2],
            ve[j_glob], vn[j_glob], probs[j_glob], pk, pos[ui_, 0], pos[ui_, 1],
            np.array([e.miss_flyout_m for e in et]), np.array([e.casualty_area_m2 for e in et]),
            baseline_density=np.full(ui_.size, self.baseline_density))
        pair = ui_ * len(cand_t) + ti_
        keep = np.zeros(ui_.size, dtype=bool)
        order_t = np.lexsort((ki_, pair))
        first = np.r_[True, pair[order_t][1:] != pair[order_t][:-1]]
        keep[order_t[first]] = True
        order_e = np.lexsort((ki_, ec, pair))
        first = np.r_[True, pair[order_e][1:] != pair[order_e][:-1]]
        keep[order_e[first]] = True
        sel = np.flatnonzero(keep)
        self.stats["candidates"] += int(sel.size)
        ui_, ti_, ki_, j_glob = ui_[sel], ti_[sel], ki_[sel], j_glob[sel]
        pk, ec, dens, ipt, ec_abs = pk[sel], ec[sel], dens[sel], ipt[sel], ec_abs[sel]
        ilat, ilon = self.plane.latlon(ipt[:, 0], ipt[:, 1])
        own_int = np.isin(country_at(ilat, ilon), list(self.own))
        cost = np.array([U[u].etype.cost_per_shot_usd for u in ui_])
        table = {
            "identity": [idents[j] for j in j_glob],
            "class": [names[j] for j in j_glob],
            "effector_type": [U[u].unit.type for u in ui_],
            "effector_kind": [U[u].etype.kind for u in ui_],
            "own_zone": own_int,
            "jam_attempted": [self._jammed.get(trs[j].id, 0) > 0 for j in j_glob],
            "ec": ec, "threat": th.score[j_glob], "cost": cost, "density": dens,
        }
        verdict, rule_ids, reasons = self.roe.evaluate(table)
        gain = value[j_glob] * pk - w.cost * cost - w.ec_usd * ec
        ok = verdict != "forbidden"
        cap = np.array([min(us.etype.channels - len(us.busy), us.magazine) for us in U])
        chosen = np.zeros(sel.size, dtype=bool)
        if ok.any():
            idx = np.flatnonzero(ok)
            prob = wta.Problem(gain[idx], ti_[idx].astype(np.int64),
                               ui_[idx].astype(np.int64), cap.astype(np.int64))
            chosen[idx[wta.solve_milp(prob)]] = True
        out: list[Recommendation] = []
        t_first = np.where(feas, t_i, np.inf).min(axis=2)
        t_last = np.where(feas, t_i, -np.inf).max(axis=2)

        def make(c: int, verdict_c: str) -> Recommendation:
            u, tj, j = int(ui_[c]), int(ti_[c]), int(j_glob[c])
            tr = trs[j]
            a = int(th.asset[j])
            top = np.argsort(-probs[j])[:3]
            rec = Recommendation(
                id=self._next_id(), time=now, track_id=tr.id, effector_id=U[u].unit.id,
                effector_type=U[u].unit.type, verdict=verdict_c,  # type: ignore[arg-type]
                reason=reasons[c], rule=rule_ids[c], target_class=names[j],
                identity=idents[j],
                threat_score=round(float(th.score[j]), 4), pk=round(float(pk[c]), 4),
                cost_usd=float(cost[c]), ec=float(ec[c]),
                intercept=GeoPoint(lat=float(ilat[c]), lon=float(ilon[c]),
                                   alt=float(np.clip(ipt[c, 2], -1000, 1e6))),
                time_to_go_s=round(float(t_i[u, tj, ki_[c]] - now), 1),
                window_s=(float(t_first[u, tj]), float(t_last[u, tj])),
                evidence={
                    "class_probs": {TRACK_CLASSES[k]: round(float(probs[j, k]), 3)
                                    for k in top if probs[j, k] > 0},
                    "threatened_asset": self.assets.assets[a].id if a >= 0 else None,
                    "closest_approach_m": round(float(th.cpa_m[j, a])) if a >= 0 else None,
                    "time_to_closest_s": round(float(th.t_cpa_s[j, a])) if a >= 0 else None,
                    "threat_value_usd": round(float(value[j])),
                    "gain_usd": round(float(gain[c])),
                    "launch_time": float(t_l[u, tj, ki_[c]]),
                    "people_per_km2": round(float(dens[c]), 1),
                    "ec_absolute": float(ec_abs[c]),
                    "doctrine": self.doctrine.name, "roe": self.roe.name,
                    "track_age_s": round(float(now - tr.born), 1),
                },
            )
            self.recs[rec.id] = rec
            self._shots[rec.id] = _Shot(rec, u_ok[u], float(t_l[u, tj, ki_[c]]),
                                        float(t_i[u, tj, ki_[c]]),
                                        (float(ipt[c, 0]), float(ipt[c, 1]), float(ipt[c, 2])))
            return rec

        for c in np.flatnonzero(chosen):
            # launch in the first slots (after the unit's reaction time); later ones wait
            if t_l[ui_[c], ti_[c], ki_[c]] <= ready[ui_[c]] + self.doctrine.planning.replan_s:
                rec = make(int(c), str(verdict[c]))
                self._locked[rec.track_id] = self._shots[rec.id].t_int + self.look_s
                out.append(rec)
                self.stats["recommended"] += 1
        # Information for the operator: a threat with no permitted option, and why.
        for tj in np.unique(ti_):
            mine = ti_ == tj
            if (ok & mine).any():
                continue
            cf = int(np.flatnonzero(mine)[np.argmax(gain[mine])])
            key = (trs[int(j_glob[cf])].id, rule_ids[cf])
            if key not in self._forbidden_said:
                self._forbidden_said.add(key)
                out.append(make(cf, "forbidden"))
                self.stats["forbidden_info"] += 1
        return out


def _with_status(rec: Recommendation, status: str) -> Recommendation:
    return msgspec.structs.replace(rec, status=status)
