"""Rules of engagement as data: declarative rules (``data/roe/*.yaml``) evaluated over a
table of candidate shots at once (numpy masks).

A rule holds conditions (all must hold; a list means "any of") and a verdict:
``allowed``, ``needs_approval`` or ``forbidden``. Conditions:

| key | holds when |
|---|---|
| identity, class, effector_type, effector_kind | the candidate's value is in the list |
| zone | ``own``: intercept point over own national airspace; ``foreign``: not |
| ec_min / ec_max | Ec > ec_min / Ec <= ec_max |
| threat_min / threat_max | threat score >= threat_min / < threat_max |
| cost_min / cost_max | cost per shot >= cost_min / < cost_max |
| density_min | people/km² at the intercept point >= density_min |
| jam_attempted | whether the track has already been jammed (true/false) |

**Precedence** when several rules match one candidate: (1) the highest ``priority`` wins;
(2) at equal priority the most severe verdict wins (forbidden > needs_approval >
allowed); (3) at equal verdict the most specific rule (most conditions) gives the reason
and the rule id, then the first in file order. No matching rule: forbidden ("no rule
permits it"). Rule sets are stacked in order (a doctrine lists e.g. [default, romania]);
a later rule with the same id replaces the earlier one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import msgspec
import numpy as np
import yaml
from numpy.typing import NDArray

from dronewall.engage.catalog import CatalogError

VERDICTS = ("allowed", "needs_approval", "forbidden")  # index = severity
LIST_KEYS = ("identity", "class", "effector_type", "effector_kind")
NUM_KEYS = ("ec_min", "ec_max", "threat_min", "threat_max", "cost_min", "cost_max",
            "density_min")


class Conditions(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, rename={
        "class_": "class"}):
    identity: list[str] | None = None
    class_: list[str] | None = None
    effector_type: list[str] | None = None
    effector_kind: list[str] | None = None
    zone: Literal["own", "foreign"] | None = None
    ec_min: float | None = None
    ec_max: float | None = None
    threat_min: float | None = None
    threat_max: float | None = None
    cost_min: float | None = None
    cost_max: float | None = None
    density_min: float | None = None
    jam_attempted: bool | None = None

    def count(self) -> int:
        return sum(getattr(self, f) is not None for f in self.__struct_fields__)


class Rule(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: str
    verdict: Literal["allowed", "needs_approval", "forbidden"]
    reason: str
    when: Conditions = msgspec.field(default_factory=Conditions)
    priority: int = 0


class _File(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: str
    rules: list[Rule]


def _mask(rule: Rule, t: Mapping[str, NDArray[Any]], n: int) -> NDArray[np.bool_]:
    c = rule.when
    m = np.ones(n, dtype=bool)
    for key, col in (("identity", "identity"), ("class_", "class"),
                     ("effector_type", "effector_type"), ("effector_kind", "effector_kind")):
        val = getattr(c, key)
        if val is not None:
            m &= np.isin(t[col], val)
    if c.zone is not None:
        m &= t["own_zone"] if c.zone == "own" else ~t["own_zone"]
    if c.ec_min is not None:
        m &= t["ec"] > c.ec_min
    if c.ec_max is not None:
        m &= t["ec"] <= c.ec_max
    if c.threat_min is not None:
        m &= t["threat"] >= c.threat_min
    if c.threat_max is not None:
        m &= t["threat"] < c.threat_max
    if c.cost_min is not None:
        m &= t["cost"] >= c.cost_min
    if c.cost_max is not None:
        m &= t["cost"] < c.cost_max
    if c.density_min is not None:
        m &= t["density"] >= c.density_min
    if c.jam_attempted is not None:
        m &= t["jam_attempted"] == c.jam_attempted
    return m


class RuleSet:
    """An ordered stack of rules; :meth:`evaluate` gives a verdict per candidate."""

    def __init__(self, rules: Sequence[Rule], name: str = "") -> None:
        merged: dict[str, Rule] = {}
        for r in rules:
            merged[r.id] = r
        self.rules = list(merged.values())
        self.name = name

    @classmethod
    def load(cls, names: Sequence[str | Path]) -> RuleSet:
        """Rule files by name (``data/roe/NAME.yaml``) or path, stacked in order."""
        rules: list[Rule] = []
        for name in names:
            p = Path(name)
            ref: Any = p if p.suffix in (".yaml", ".yml") else resources.files(
                "dronewall").joinpath("data", "roe", f"{name}.yaml")
            if not ref.is_file():
                raise CatalogError(f"no ROE file {name!r} (dronewall/data/roe/)")
            try:
                raw = yaml.safe_load(ref.read_text(encoding="utf-8"))
                rules.extend(msgspec.convert(raw, _File).rules)
            except (yaml.YAMLError, msgspec.ValidationError) as exc:
                raise CatalogError(f"{ref}: {exc}") from None
        return cls(rules, "+".join(str(n) for n in names))

    def evaluate(self, table: Mapping[str, Any]
                 ) -> tuple[NDArray[np.str_], list[str | None], list[str]]:
        """(verdicts, rule ids, reasons) for every row of ``table`` (columns: identity,
        class, effector_type, effector_kind (str arrays), own_zone, jam_attempted (bool),
        ec, threat, cost, density (float))."""
        t = {k: np.asarray(v) for k, v in table.items()}
        n = len(t["identity"])
        best = np.full(n, -1, dtype=np.int64)
        key = np.full((n, 3), -(10**9), dtype=np.int64)  # priority, severity, specificity
        for i, r in enumerate(self.rules):
            m = _mask(r, t, n)
            k = np.array([r.priority, VERDICTS.index(r.verdict), r.when.count()])
            better = m & ((k[0] > key[:, 0]) | (k[0] == key[:, 0]) & (
                (k[1] > key[:, 1]) | (k[1] == key[:, 1]) & (k[2] > key[:, 2])))
            best[better] = i
            key[better] = k
        verdicts = np.array([self.rules[b].verdict if b >= 0 else "forbidden" for b in best])
        ids = [self.rules[b].id if b >= 0 else None for b in best]
        reasons = [self.rules[b].reason if b >= 0 else "no rule permits it" for b in best]
        return verdicts, ids, reasons

    def check(self, **facts: Any) -> tuple[str, str | None, str]:
        """One candidate: (verdict, rule id, reason). Missing facts take harmless
        defaults (own zone, no Ec, no threat, no cost, empty area, not jammed)."""
        row = {"identity": "hostile", "class": "unknown", "effector_type": "",
               "effector_kind": "", "own_zone": True, "jam_attempted": False, "ec": 0.0,
               "threat": 0.0, "cost": 0.0, "density": 0.0}
        row.update(facts)
        v, ids, reasons = self.evaluate({k: [val] for k, val in row.items()})
        return str(v[0]), ids[0], reasons[0]
