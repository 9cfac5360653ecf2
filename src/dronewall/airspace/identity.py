"""Identity adjudication: who is each track (STANAG 1241 standard identity), and why.

Stage after the classifier. For every track state it computes *facts* (the evidence)
and runs the *rules* (data: a versioned YAML file, default
``dronewall/data/rules/identity-v1.yaml``) in order; the first rule whose conditions all
hold proposes an identity. Each change of identity is an ``Event(kind="identity_change")``
whose details carry ``from``, ``to``, the ``rule`` that fired and the ``evidence`` (the
facts); emergency squawks and other alert rules give ``Event(kind="alert")``.

Facts (names usable in a rule's ``when``; see docs/identity.md):

============================  =====  ==================================================
fact                          type   meaning
============================  =====  ==================================================
status                        str    tentative / confirmed / lost
confirmed                     bool   the track has been confirmed (now or before)
classified                    bool   the classifier gave a class other than "unknown"
class                         str    the track class label (VOCAB.md)
class_prob                    num    its probability
p_<group>                     num    sum of class probabilities over a rules ``groups``
cooperative                   bool   transponder with an ICAO address
squawk                        str    Mode 3/A code ("" when none)
emergency_squawk              bool   7500, 7600 or 7700 (the rules' ``emergency_squawks``)
iff                           str    valid / invalid / none (see below)
flight_plan                   str    match / deviation / none (:mod:`.flightplan`)
flight_plan_operator          str    civil / state / own_military / allied_military / ""
origin_country                str    ISO3 of the first position ("" outside any airspace)
origin_hostile                bool   first position, or the straight line back from the
                                     first confirmed state (``origin_lookback_km``), lies
                                     in a hostile country
in_own_airspace               bool   now inside the national airspace of an own country
entered_own_airspace          bool   has been inside it (latched)
in_adiz / entered_adiz        bool   the same for the ADIZ zones given
approaching                   bool   flying on, it would be inside own airspace or an
                                     ADIZ within ``approach_horizon_s``
speed, alt, age_s             num    ground speed m/s, altitude m, seconds since born
============================  =====  ==================================================

IFF: the message model has no IFF field yet, so a reply counts as a valid IFF reply when
the transponder's Mode 3/A code or ICAO address is in the rules' ``iff`` lists (the codes
and addresses the air tasking order allocates to own and allied aircraft); a Transponder
attribute ``iff`` ("valid"/"invalid"), if the model ever gains one, is read first.

Rule semantics: rules are tried in order and the first match proposes. The track takes
the proposal when it comes from a rule earlier in the list than the one that set its
current identity, or when that rule no longer holds and is not ``latch``-ed (a latched
identity, e.g. hostile, stays until an earlier rule overrules it). Time is the track's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

import msgspec
import numpy as np
import shapely
from msgspec import Struct

from dronewall.airspace.classify import TRACK_CLASSES
from dronewall.airspace.flightplan import (
    DataFileError,
    FlightPlan,
    FlightPlans,
    PathItem,
    PlanCheck,
    YamlDoc,
    read_yaml,
)
from dronewall.airspace.wording import track_label
from dronewall.geo.borders import country_at
from dronewall.geo.zones import zone_geometry
from dronewall.model import Event, GeoPoint, Track, Zone, with_fields
from dronewall.model.messages import Identity, Severity

RULES_VERSION = 1
IDENTITIES: tuple[str, ...] = get_args(Identity)
_DEG = 180.0 / math.pi
_R = 6_371_008.8

FactKind = Literal["bool", "str", "num"]
FACTS: dict[str, FactKind] = {
    "status": "str",
    "confirmed": "bool",
    "classified": "bool",
    "class": "str",
    "class_prob": "num",
    "cooperative": "bool",
    "squawk": "str",
    "emergency_squawk": "bool",
    "iff": "str",
    "flight_plan": "str",
    "flight_plan_operator": "str",
    "origin_country": "str",
    "origin_hostile": "bool",
    "in_own_airspace": "bool",
    "entered_own_airspace": "bool",
    "in_adiz": "bool",
    "entered_adiz": "bool",
    "approaching": "bool",
    "speed": "num",
    "alt": "num",
    "age_s": "num",
}
FACT_VALUES: dict[str, tuple[str, ...]] = {
    "status": ("tentative", "confirmed", "lost"),
    "class": TRACK_CLASSES,
    "iff": ("valid", "invalid", "none"),
    "flight_plan": ("match", "deviation", "none"),
    "flight_plan_operator": ("civil", "state", "own_military", "allied_military", ""),
}

# --------------------------------------------------------------------------- rules file


class Settings(Struct, forbid_unknown_fields=True, kw_only=True):
    """Tuning of the facts."""

    emergency_squawks: dict[str, str] = msgspec.field(default_factory=lambda: {
        "7500": "unlawful interference (hijack)",
        "7600": "radio failure",
        "7700": "general emergency",
    })
    approach_horizon_s: float = 600.0
    approach_steps: int = 6
    origin_lookback_km: float = 30.0
    origin_steps: int = 3
    plan_check_s: float = 10.0
    hostile_countries: list[str] = []
    iff_valid_squawks: list[str] = []
    iff_valid_icao24: list[str] = []


class RuleSpec(Struct, forbid_unknown_fields=True, kw_only=True):
    id: str
    identity: Identity
    when: dict[str, Any] = {}
    latch: bool = False
    description: str = ""


class AlertSpec(Struct, forbid_unknown_fields=True, kw_only=True):
    id: str
    when: dict[str, Any]
    severity: Severity = "warning"
    message: str = "{track}: {rule}"


class RulesFile(Struct, forbid_unknown_fields=True, kw_only=True):
    version: int
    name: str
    description: str = ""
    settings: Settings = msgspec.field(default_factory=Settings)
    groups: dict[str, list[str]] = {}
    rules: list[RuleSpec]
    alerts: list[AlertSpec] = []


Columns = Mapping[str, np.ndarray]  # fact name -> its values for each state of a batch
Condition = Callable[[Columns], np.ndarray]


@dataclass(frozen=True)
class Rule:
    """A compiled rule: its spec, position in the file and its conditions."""

    index: int
    spec: RuleSpec | AlertSpec
    conditions: tuple[Condition, ...]
    facts: tuple[str, ...]  # the facts it reads (listed first in the evidence)

    def mask(self, cols: Columns, n: int) -> np.ndarray:
        """Where the rule holds, over the ``n`` states of a batch."""
        out = np.ones(n, dtype=bool)
        for c in self.conditions:
            out &= c(cols)
        return out


@dataclass(frozen=True)
class IdentityRules:
    """A loaded, checked rules file."""

    version: int
    name: str
    source: str
    settings: Settings
    groups: dict[str, tuple[str, ...]]
    rules: tuple[Rule, ...]
    alerts: tuple[Rule, ...]


def default_rules_path() -> Path:
    return Path(str(resources.files("dronewall") / "data" / "rules" / "identity-v1.yaml"))


def _condition(doc: YamlDoc, path: list[PathItem], fact: str, kind: FactKind,
               value: Any) -> Condition:
    if kind == "bool":
        if not isinstance(value, bool):
            raise doc.error(path, f"{fact} is true or false, not {value!r}")
        return lambda f: np.asarray(f[fact] == value)
    if kind == "str":
        vals = value if isinstance(value, list) else [value]
        if not vals or not all(isinstance(v, str) for v in vals):
            raise doc.error(path, f"{fact} is a text or a list of texts, not {value!r}")
        allowed = FACT_VALUES.get(fact)
        for v in vals:
            if allowed is not None and v not in allowed:
                known = ", ".join(repr(x) for x in allowed)
                raise doc.error(path, f"{v!r} is not a value of {fact} (one of: {known})")
        wanted = np.array(vals)
        return lambda f: np.isin(f[fact], wanted)
    if not (isinstance(value, dict) and value and set(value) <= {"min", "max"}):
        raise doc.error(path, f"{fact} is a number: write {{min: ..., max: ...}}")
    lo, hi = value.get("min", -math.inf), value.get("max", math.inf)
    for b in (lo, hi):
        if isinstance(b, bool) or not isinstance(b, int | float):
            raise doc.error(path, f"{fact}: min and max are numbers, not {b!r}")
    return lambda f: (f[fact] >= lo) & (f[fact] <= hi)  # NaN (absent): False


def _compile(doc: YamlDoc, section: str, i: int, spec: RuleSpec | AlertSpec,
             facts: Mapping[str, FactKind]) -> Rule:
    conds = []
    for name, value in spec.when.items():
        path: list[PathItem] = [section, i, "when", name]
        kind = facts.get(name)
        if kind is None:
            raise doc.error(path, f"unknown fact {name!r} (known: {', '.join(sorted(facts))})")
        conds.append(_condition(doc, path, name, kind, value))
    return Rule(i, spec, tuple(conds), tuple(spec.when))


def load_rules(path: str | Path | None = None, text: str | None = None) -> IdentityRules:
    """Read and check an identity rules file (default: the shipped identity-v1.yaml).
    Raises :class:`~dronewall.airspace.flightplan.DataFileError` (file:line: field:
    message) on any problem."""
    doc = read_yaml(path if path is not None else default_rules_path(), text)
    if not isinstance(doc.data, dict):
        raise doc.error([], "a rules file is a mapping with `version`, `name` and `rules`")
    try:
        f: RulesFile = doc.convert(doc.data, RulesFile)
    except DataFileError as e:
        if e.field.endswith(".identity") and "enum" in e.message:
            e.message += f" (identities: {', '.join(IDENTITIES)})"
            e.args = (str(e),)
        raise
    if f.version != RULES_VERSION:
        raise doc.error(["version"], f"version {f.version} is not supported "
                                     f"(this dronewall reads {RULES_VERSION})")
    facts: dict[str, FactKind] = dict(FACTS)
    for g, members in f.groups.items():
        for k, c in enumerate(members):
            if c not in TRACK_CLASSES:
                raise doc.error(["groups", g, k], f"{c!r} is not a track class "
                                                  f"(one of: {', '.join(TRACK_CLASSES)})")
        facts[f"p_{g}"] = "num"
    if not f.rules:
        raise doc.error(["rules"], "at least one rule is needed")
    seen: set[str] = set()
    ids = [("rules", i, r.id) for i, r in enumerate(f.rules)]
    ids += [("alerts", i, r.id) for i, r in enumerate(f.alerts)]
    for section, i, rid in ids:
        if rid in seen:
            raise doc.error([section, i, "id"], f"duplicate rule id {rid!r}")
        seen.add(rid)
    s = f.settings
    if s.approach_steps < 1 or s.origin_steps < 1 or s.approach_horizon_s < 0:
        raise doc.error(["settings"], "approach_steps and origin_steps must be >= 1, "
                                      "approach_horizon_s >= 0")
    rules = tuple(_compile(doc, "rules", i, r, facts) for i, r in enumerate(f.rules))
    alerts = tuple(_compile(doc, "alerts", i, a, facts) for i, a in enumerate(f.alerts))
    return IdentityRules(f.version, f.name, doc.file, s,
                         {g: tuple(m) for g, m in f.groups.items()}, rules, alerts)


# --------------------------------------------------------------------------- adjudicator



@dataclass
class _TrackState:
    """What the adjudicator remembers of a track: its identity, the rule that set it,
    and the latched evidence (confirmed, origin, entered own airspace / ADIZ)."""

    identity: str = "pending"
    rule: int | None = None  # index of the rule that set the identity
    confirmed: bool = False
    origin_country: str | None = None
    origin_point: tuple[float, float] | None = None
    origin_hostile: bool = False
    origin_by: str = ""
    entered_own: bool = False
    entered_adiz: bool = False
    alerts_on: set[str] = field(default_factory=set)
    changes: int = 0
    plan: tuple[float, Any, PlanCheck] | None = None  # time, transponder, last check


def _offsets(lat: np.ndarray, lon: np.ndarray, de: np.ndarray, dn: np.ndarray,
             ) -> tuple[np.ndarray, np.ndarray]:
    """Points ``de``/``dn`` metres east/north of (lat, lon) (local flat Earth: the
    distances here are tens of km)."""
    la = lat + dn / _R * _DEG
    lo = lon + de / (_R * np.maximum(np.cos(np.radians(lat)), 1e-6)) * _DEG
    lo = (lo + 180.0) % 360.0 - 180.0
    return np.clip(la, -90.0, 90.0), lo


def _py(v: Any) -> Any:
    """A numpy scalar as a plain Python value (for JSON evidence)."""
    return v.item() if isinstance(v, np.generic) else v


_CLASS_INDEX = {c: i for i, c in enumerate(TRACK_CLASSES)}
_CORE_EVIDENCE = ("cooperative", "class", "class_prob", "origin_country", "origin_hostile",
                  "in_own_airspace", "in_adiz", "approaching", "flight_plan", "iff", "speed",
                  "alt", "age_s")


class IdentityAdjudicator:
    """Sets ``Track.identity`` from the evidence, with the rule and the evidence for each
    change (see the module docstring).

    ``rules``: loaded rules or a rules file (None: the shipped identity-v1.yaml);
    ``own_countries``: ISO3 codes whose airspace is defended; ``hostile_countries``: ISO3
    codes whose territory counts as hostile origin (None: the rules' list); ``zones``:
    ADIZ zones (others are ignored); ``flight_plans``: the filed plans
    (:mod:`dronewall.airspace.flightplan`); ``keep_lost_s``: forget the chain of a track
    this long (track time) after it was lost (None: keep all, for a finite run; set it
    for a live service)."""

    def __init__(
        self,
        rules: IdentityRules | str | Path | None = None,
        flight_plans: Iterable[FlightPlan] = (),
        own_countries: Sequence[str] = (),
        hostile_countries: Sequence[str] | None = None,
        zones: Sequence[Zone] = (),
        keep_lost_s: float | None = None,
    ) -> None:
        self.rules = rules if isinstance(rules, IdentityRules) else load_rules(rules)
        self.keep_lost_s = keep_lost_s
        self._lost: dict[str, float] = {}
        self.plans = FlightPlans(flight_plans)
        self.own = frozenset(own_countries)
        s = self.rules.settings
        self.hostile = frozenset(
            s.hostile_countries if hostile_countries is None else hostile_countries
        )
        adiz = [zone_geometry(z) for z in zones if z.kind == "adiz"]
        self._adiz = shapely.union_all(adiz) if adiz else None
        if self._adiz is not None:
            shapely.prepare(self._adiz)
        self._emergency = s.emergency_squawks
        self._iff_squawks = frozenset(s.iff_valid_squawks)
        self._iff_icao = frozenset(c.lower() for c in s.iff_valid_icao24)
        self._latch = np.array([bool(r.spec.latch) for r in self.rules.rules])  # type: ignore[union-attr]
        self._tracks: dict[str, _TrackState] = {}
        self._history: dict[str, dict[str, Any]] = {}

    # ------------------------------------------------------------------ geometry
    def _geo(self, trs: Sequence[Track]) -> tuple[np.ndarray, np.ndarray]:
        """Country (ISO3 or "") and ADIZ membership of, per state (rows): the position,
        ``approach_steps`` points ahead along the velocity (up to the horizon) and
        ``origin_steps`` points behind (up to the look-back), one vectorised call each."""
        s = self.rules.settings
        n, a, b = len(trs), s.approach_steps, s.origin_steps
        lat = np.fromiter((t.lat for t in trs), float, n)
        lon = np.fromiter((t.lon for t in trs), float, n)
        ve = np.fromiter((t.ve for t in trs), float, n)
        vn = np.fromiter((t.vn for t in trs), float, n)
        ahead = s.approach_horizon_s * np.arange(1, a + 1) / a  # seconds
        speed = np.maximum(np.hypot(ve, vn), 1e-9)[:, None]
        back = s.origin_lookback_km * 1e3 * np.arange(1, b + 1) / b  # metres
        de = np.concatenate([np.zeros((n, 1)), ve[:, None] * ahead, -ve[:, None] / speed * back],
                            axis=1)
        dn = np.concatenate([np.zeros((n, 1)), vn[:, None] * ahead, -vn[:, None] / speed * back],
                            axis=1)
        la, lo = _offsets(lat[:, None], lon[:, None], de, dn)
        country = country_at(la, lo)
        if self._adiz is not None:
            adiz = shapely.contains_xy(self._adiz, lo, la)
        else:
            adiz = np.zeros(la.shape, dtype=bool)
        return country, adiz

    # ------------------------------------------------------------------ facts
    def _plan_check(self, tr: Track, st: _TrackState) -> PlanCheck:
        """The flight-plan check, redone every ``plan_check_s`` of track time (or when
        the transponder changes): conformance changes slowly and states come often."""
        last = st.plan
        if (last is None or last[1] != tr.transponder
                or tr.time - last[0] >= self.rules.settings.plan_check_s or tr.time < last[0]):
            st.plan = (tr.time, tr.transponder, self.plans.check(tr))
        assert st.plan is not None
        return st.plan[2]

    def _columns(self, trs: Sequence[Track], live: list[int],
                 ) -> tuple[dict[str, np.ndarray], list[PlanCheck | None]]:
        """The facts of the live (not lost) states, one array per fact; updates the
        latched evidence of their tracks in order."""
        s = self.rules.settings
        a, b = s.approach_steps, s.origin_steps
        sub = [trs[i] for i in live]
        n = len(sub)
        country, adiz = self._geo(sub)
        own = np.isin(country, np.array(sorted(self.own) or [""])) & (country != "")
        in_own = own[:, 0]
        approaching = (own[:, 1:1 + a].any(axis=1) | adiz[:, 1:1 + a].any(axis=1)) & ~in_own
        hostile_back = np.isin(country[:, 1 + a:], np.array(sorted(self.hostile) or [""]))
        hostile_back &= country[:, 1 + a:] != ""
        names = ("confirmed", "origin_country", "origin_hostile", "entered_own_airspace",
                 "entered_adiz", "cooperative", "squawk", "iff", "flight_plan",
                 "flight_plan_operator", "class", "class_prob")
        rows: list[tuple[Any, ...]] = []
        groups = self.rules.groups
        probs_rows: list[dict[str, float]] = []
        checks: list[PlanCheck | None] = []
        for k, tr in enumerate(sub):
            st = self._tracks[tr.id]
            if tr.status == "confirmed":
                st.confirmed = True
            if st.origin_country is None:
                st.origin_country = str(country[k, 0])
                st.origin_point = (round(tr.lat, 5), round(tr.lon, 5))
                if st.origin_country in self.hostile:
                    st.origin_hostile, st.origin_by = True, "first position"
            if st.confirmed and not st.origin_by:
                # once, at the first confirmed state: the straight line back
                hit = np.flatnonzero(hostile_back[k])
                if hit.size:
                    km = s.origin_lookback_km * (int(hit[0]) + 1) / b
                    st.origin_hostile = True
                    st.origin_by = f"{country[k, 1 + a + int(hit[0])]} {km:g} km back along " \
                                   "the track"
                else:
                    st.origin_by = "not hostile"
            st.entered_own |= bool(in_own[k])
            st.entered_adiz |= bool(adiz[k, 0])
            xp = tr.transponder
            coop = xp is not None and bool(xp.icao24)
            squawk = (xp.squawk or "") if xp is not None else ""
            iff = getattr(xp, "iff", None)
            if iff not in ("valid", "invalid"):
                iff = "valid" if xp is not None and (
                    squawk in self._iff_squawks or (xp.icao24 or "").lower() in self._iff_icao
                ) else "none"
            check = self._plan_check(tr, st) if coop and len(self.plans) else None
            checks.append(check)
            probs = tr.class_probs or {}
            label = tr.class_label if tr.class_label in TRACK_CLASSES else "unknown"
            rows.append((
                st.confirmed, st.origin_country, st.origin_hostile, st.entered_own,
                st.entered_adiz, coop, squawk, iff, check.status if check else "none",
                (check.operator or "") if check else "", label, float(probs.get(label, 0.0)),
            ))
            probs_rows.append(probs)
        out: dict[str, np.ndarray] = {k: np.array(v) for k, v in zip(
            names, zip(*rows, strict=True) if rows else [()] * len(names), strict=True)}
        out["classified"] = out["class"] != "unknown"
        out["status"] = np.array([t.status for t in sub])
        out["emergency_squawk"] = np.isin(out["squawk"], np.array(list(self._emergency)))
        out["in_own_airspace"] = in_own
        out["in_adiz"] = adiz[:, 0]
        out["approaching"] = approaching
        out["speed"] = np.round(np.fromiter((t.speed for t in sub), float, n), 1)
        out["alt"] = np.round(np.fromiter((t.alt for t in sub), float, n), 0)
        out["age_s"] = np.round(np.fromiter((t.time - t.born for t in sub), float, n), 1)
        if groups:  # class probabilities as a matrix, then one sum per group
            mat = np.zeros((n, len(TRACK_CLASSES)))
            for k, probs in enumerate(probs_rows):
                for c, p in probs.items():
                    j = _CLASS_INDEX.get(c)
                    if j is not None:
                        mat[k, j] = p
            for g, members in groups.items():
                idx = [_CLASS_INDEX[c] for c in members]
                out[f"p_{g}"] = np.round(mat[:, idx].sum(axis=1), 4)
        for key in ("origin_country", "squawk", "class", "iff", "flight_plan",
                    "flight_plan_operator"):
            out[key] = out[key].astype(str)
        return out, checks

    def _evidence(self, rule: Rule, cols: Columns, k: int, st: _TrackState, tr: Track,
                  check: PlanCheck | None) -> dict[str, Any]:
        ev: dict[str, Any] = {f: _py(cols[f][k]) for f in rule.facts}
        for f in _CORE_EVIDENCE:
            ev.setdefault(f, _py(cols[f][k]))
        if st.origin_hostile or "origin_hostile" in rule.facts:
            ev["origin"] = {"point": list(st.origin_point or ()), "by": st.origin_by}
        if tr.transponder is not None:
            ev["transponder"] = msgspec.to_builtins(tr.transponder)
        if check is not None and check.status != "none":
            ev["flight_plan_check"] = check.evidence()
        if tr.class_probs:
            top = sorted(tr.class_probs.items(), key=lambda kv: -kv[1])[:3]
            ev["class_probs"] = dict(top)
        ev["sensors"] = list(tr.sensors)
        return ev

    # ------------------------------------------------------------------ public
    def process(self, tracks: Iterable[Track]) -> tuple[list[Track], list[Event]]:
        """Adjudicate each state (in order): the states with ``identity`` set, and the
        identity-change and alert events they caused, in time order per track."""
        trs = list(tracks)
        for tr in trs:
            if tr.id not in self._tracks:
                self._tracks[tr.id] = _TrackState()
                self._history.setdefault(tr.id, {
                    "track_id": tr.id, "born": tr.born, "identity": "pending", "changes": [],
                })
        live = [i for i, tr in enumerate(trs) if tr.status != "lost"]
        events: list[Event] = []
        if live:
            cols, checks = self._columns(trs, live)
            n = len(live)
            rules = self.rules.rules
            match = np.stack([r.mask(cols, n) for r in rules], axis=1)
            first = np.where(match.any(axis=1), match.argmax(axis=1), -1)
            alert_masks = [r.mask(cols, n) for r in self.rules.alerts]
            for k, i in enumerate(live):
                tr = trs[i]
                st = self._tracks[tr.id]
                cand = int(first[k])
                cur = st.rule
                if cand >= 0 and not (
                    cur is not None and cand > cur and (self._latch[cur] or match[k, cur])
                ):
                    st.rule = cand
                    new = rules[cand].spec.identity  # type: ignore[union-attr]
                    if new != st.identity:
                        events.append(self._change(tr, st, new, rules[cand],
                                                   self._evidence(rules[cand], cols, k, st, tr,
                                                                  checks[k])))
                for rule, mask in zip(self.rules.alerts, alert_masks, strict=True):
                    if not mask[k]:
                        st.alerts_on.discard(rule.spec.id)
                    elif rule.spec.id not in st.alerts_on:
                        st.alerts_on.add(rule.spec.id)
                        events.append(self._alert(tr, st, rule, cols, k))
        out: list[Track] = []
        for tr in trs:
            st = self._tracks[tr.id]
            hist = self._history[tr.id]
            hist.update(identity=st.identity, class_label=tr.class_label, last_time=tr.time)
            if tr.transponder is not None:
                hist["transponder"] = msgspec.to_builtins(tr.transponder)
            out.append(with_fields(tr, identity=st.identity))
            if tr.status == "lost":
                self._tracks.pop(tr.id, None)
                self._lost[tr.id] = tr.time
        if self.keep_lost_s is not None and trs:
            cutoff = max(t.time for t in trs) - self.keep_lost_s
            for tid in [k for k, t in self._lost.items() if t < cutoff]:
                del self._lost[tid]
                if tid not in self._tracks:
                    self._history.pop(tid, None)
        return out, events

    def _change(self, tr: Track, st: _TrackState, new: str, rule: Rule,
                evidence: dict[str, Any]) -> Event:
        old, st.identity = st.identity, new
        st.changes += 1
        spec = rule.spec
        self._history[tr.id]["changes"].append(
            {"time": tr.time, "from": old, "to": new, "rule": spec.id, "evidence": evidence})
        why = getattr(spec, "description", "") or spec.id
        severity: Severity = "critical" if new == "hostile" else (
            "warning" if new == "suspect" else "info")
        return Event(
            id=f"ID-{tr.id}-{st.changes}",
            time=tr.time,
            kind="identity_change",
            message=f"{track_label(tr.id, tr.transponder)}: {old} -> {new} ({why})",
            track_id=tr.id,
            position=GeoPoint(lat=tr.lat, lon=tr.lon, alt=min(max(tr.alt, -1000.0), 1e6)),
            severity=severity,
            details={"from": old, "to": new, "rule": spec.id,
                     "rules_version": self.rules.version, "evidence": evidence},
        )

    def _alert(self, tr: Track, st: _TrackState, rule: Rule, cols: Columns, k: int) -> Event:
        spec = rule.spec
        assert isinstance(spec, AlertSpec)
        squawk = str(cols["squawk"][k])
        text = spec.message.format_map({
            "track": track_label(tr.id, tr.transponder),
            "squawk": squawk,
            "meaning": self._emergency.get(squawk, ""),
            "rule": spec.id,
            "identity": st.identity,
        })
        evidence = {f: _py(cols[f][k]) for f in rule.facts}
        evidence.update(squawk=squawk, cooperative=_py(cols["cooperative"][k]))
        if tr.transponder is not None:
            evidence["transponder"] = msgspec.to_builtins(tr.transponder)
        return Event(
            id=f"AL-{tr.id}-{spec.id}-{round(tr.time * 1000)}",
            time=tr.time,
            kind="alert",
            message=text,
            track_id=tr.id,
            position=GeoPoint(lat=tr.lat, lon=tr.lon, alt=min(max(tr.alt, -1000.0), 1e6)),
            severity=spec.severity,
            details={"rule": spec.id, "identity": st.identity, "evidence": evidence},
        )

    def identities(self) -> list[dict[str, Any]]:
        """Per track (by id): final identity, class, transponder and the chain of
        changes with their rule and evidence; JSON-ready (the demo's ``identities``)."""
        return [dict(self._history[k]) for k in sorted(self._history)]


def identity_chains(events: Iterable[Event], tracks: Iterable[Track] = ()) -> list[dict[str, Any]]:
    """The same list as :meth:`IdentityAdjudicator.identities`, rebuilt from stored
    messages (the identity-change events and the track states), e.g. for a report made
    from a replayed store."""
    out: dict[str, dict[str, Any]] = {}

    def entry(tid: str) -> dict[str, Any]:
        if tid not in out:
            out[tid] = {"track_id": tid, "identity": "pending", "changes": []}
        return out[tid]

    for tr in sorted(tracks, key=lambda t: t.time):
        h = entry(tr.id)
        h.setdefault("born", tr.born)
        h.update(identity=tr.identity, class_label=tr.class_label, last_time=tr.time)
        if tr.transponder is not None:
            h["transponder"] = msgspec.to_builtins(tr.transponder)
    for ev in sorted((e for e in events if e.kind == "identity_change" and e.track_id),
                     key=lambda e: e.time):
        assert ev.track_id is not None
        h = entry(ev.track_id)
        d = ev.details
        h["changes"].append({"time": ev.time, "from": d.get("from"), "to": d.get("to"),
                             "rule": d.get("rule"), "evidence": d.get("evidence", {})})
        if "last_time" not in h:
            h["identity"] = d.get("to")
    return [out[k] for k in sorted(out)]
