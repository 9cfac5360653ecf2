"""Rules of engagement: the shipped rule sets, precedence between conflicting rules, and
a forbidden shot over a city."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.engage.catalog import CatalogError
from dronewall.engage.roe import Conditions, Rule, RuleSet
from dronewall.geo.population import PopulationGrid


@pytest.fixture(scope="module")
def default() -> RuleSet:
    return RuleSet.load(["default"])


def test_hostile_drone_cheap_effector_is_allowed(default):
    v, rule, _ = default.check(identity="hostile", **{"class": "gerbera"},
                               effector_kind="interceptor_drone", cost=2500)
    assert (v, rule) == ("allowed", "hostile-drone")


@pytest.mark.parametrize("facts,verdict,rule", [
    ({"identity": "friend"}, "forbidden", "no-friend"),
    ({"identity": "hostile", "class": "airliner"}, "forbidden", "no-manned"),
    ({"identity": "hostile", "class": "shahed", "own_zone": False}, "forbidden",
     "own-territory-only"),
    ({"identity": "pending", "class": "shahed"}, "forbidden", "identify-first"),
    ({"identity": "suspect", "class": "shahed"}, "needs_approval", "suspect-needs-approval"),
    ({"identity": "hostile", "class": "shahed", "effector_kind": "missile", "cost": 2.5e5},
     "needs_approval", "missile-needs-approval"),
    ({"identity": "hostile", "class": "gerbera", "effector_kind": "fighter", "cost": 1.1e6,
      "threat": 0.1}, "forbidden", "no-costly-on-decoy"),
    ({"identity": "hostile", "class": "gerbera", "effector_kind": "fighter", "cost": 1.1e6,
      "threat": 0.9}, "needs_approval", "missile-needs-approval"),
    ({"identity": "hostile", "class": "shahed", "ec": 2e-4}, "forbidden", "range-safety-ec"),
])
def test_default_rules(default, facts, verdict, rule):
    v, r, reason = default.check(**facts)
    assert (v, r) == (verdict, rule) and reason


def test_forbidden_shot_over_a_city():
    grid = PopulationGrid.build(52.0, 52.5, 20.7, 21.4, cell_km=1.0)
    d_city = float(grid.density_at(52.2297, 21.0122))  # central Warsaw
    d_field = float(grid.density_at(52.45, 20.75))
    assert d_city >= 1000 > d_field
    rs = RuleSet.load(["default"])
    facts = {"identity": "hostile", "class": "gerbera", "effector_kind": "gun", "cost": 1e4}
    assert rs.check(density=d_city, **facts)[:2] == ("forbidden", "no-city")
    assert rs.check(density=d_field, **facts)[0] == "allowed"


def _rule(id_, verdict, priority=0, **when):
    return Rule(id=id_, verdict=verdict, reason=id_, priority=priority,
                when=Conditions(**when))


def test_precedence_priority_then_severity_then_specificity():
    table = {"identity": ["hostile"], "class": ["shahed"], "effector_type": ["x"],
             "effector_kind": ["gun"], "own_zone": [True], "jam_attempted": [False],
             "ec": [0.0], "threat": [0.9], "cost": [1.0], "density": [0.0]}
    # higher priority wins even if less severe
    rs = RuleSet([_rule("deny", "forbidden", 1, identity=["hostile"]),
                  _rule("allow", "allowed", 5, identity=["hostile"])])
    assert rs.evaluate(table)[1] == ["allow"]
    # equal priority: forbidden beats allowed (conflict), whatever the order
    rs = RuleSet([_rule("allow", "allowed", 5, identity=["hostile"], class_=["shahed"]),
                  _rule("deny", "forbidden", 5, identity=["hostile"])])
    assert rs.evaluate(table)[1] == ["deny"]
    # equal priority and verdict: the most specific rule gives the reason
    rs = RuleSet([_rule("broad", "allowed", 5, identity=["hostile"]),
                  _rule("narrow", "allowed", 5, identity=["hostile"], class_=["shahed"],
                        threat_min=0.5)])
    assert rs.evaluate(table)[1] == ["narrow"]
    # nothing matches: forbidden
    rs = RuleSet([_rule("only-friends", "allowed", 5, identity=["friend"])])
    v, ids, reasons = rs.evaluate(table)
    assert v.tolist() == ["forbidden"] and ids == [None] and reasons == ["no rule permits it"]


def test_later_rule_file_overrides_same_id_and_romania_ladder():
    rs = RuleSet.load(["default", "romania"])
    kinetic = {"identity": "hostile", "class": "shahed", "effector_kind": "interceptor_drone"}
    assert rs.check(**kinetic)[:2] == ("forbidden", "ro-jam-first")
    assert rs.check(identity="hostile", **{"class": "shahed"}, effector_kind="ew")[0] == \
        "allowed"
    assert rs.check(jam_attempted=True, **kinetic)[:2] == ("needs_approval",
                                                           "ro-kinetic-approval")
    over = RuleSet([_rule("a", "forbidden", 1), _rule("a", "allowed", 1)])
    assert len(over.rules) == 1 and over.check()[0] == "allowed"


def test_vectorised_evaluation_matches_one_by_one(default):
    rng = np.random.default_rng(0)
    n = 200
    table = {
        "identity": rng.choice(["hostile", "suspect", "friend", "pending"], n),
        "class": rng.choice(["shahed", "gerbera", "airliner", "unknown"], n),
        "effector_type": rng.choice(["gun_35mm", "manpads"], n),
        "effector_kind": rng.choice(["gun", "missile", "fighter", "ew"], n),
        "own_zone": rng.random(n) < 0.8, "jam_attempted": rng.random(n) < 0.5,
        "ec": 10 ** rng.uniform(-7, -3, n), "threat": rng.random(n),
        "cost": 10 ** rng.uniform(2, 6.5, n), "density": 10 ** rng.uniform(0, 4, n),
    }
    verdicts, ids, _ = default.evaluate(table)
    for i in range(0, n, 17):
        row = {k: (v[i].item() if hasattr(v[i], "item") else v[i]) for k, v in table.items()}
        assert default.check(**row)[:2] == (verdicts[i], ids[i])


def test_bad_rule_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nrules:\n  - {id: r, verdict: maybe, reason: x}\n")
    with pytest.raises(CatalogError, match="verdict"):
        RuleSet.load([bad])
