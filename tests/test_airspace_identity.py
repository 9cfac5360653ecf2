"""Identity adjudication on synthetic tracks: the ladder, the evidence, the rules file."""

import json
import math

import pytest

from dronewall.airspace.classify import KinematicClassifier
from dronewall.airspace.flightplan import DataFileError, load_flight_plans
from dronewall.airspace.identity import IdentityAdjudicator, identity_chains, load_rules
from dronewall.model import Track, Transponder, Zone, decode, encode

COV = [[100.0 if i == j else 0.0 for j in range(6)] for i in range(6)]
T0 = 1.75e9
M_PER_DEG = 111_195.0


def flight(tid, lat, lon, ve, vn, n, alt=1000.0, dt=5.0, transponder=None, start=T0,
           lost=True):
    """States of a straight flight (tentative for 3 updates, then confirmed, then lost)."""
    out = []
    for k in range(n):
        t = start + k * dt
        la = lat + vn * k * dt / M_PER_DEG
        lo = lon + ve * k * dt / (M_PER_DEG * math.cos(math.radians(lat)))
        status = "tentative" if k < 3 else ("lost" if lost and k == n - 1 else "confirmed")
        out.append(Track(id=tid, time=t, status=status, lat=la, lon=lo, alt=alt, ve=ve, vn=vn,
                         vu=0.0, covariance=COV, born=start, hits=k + 1,
                         transponder=transponder))
    return out


def run(adj, states, classify=True):
    c = KinematicClassifier()
    trs, events = [], []
    for s in states:  # one state per batch: batches must not matter
        out, ev = adj.process(c.process([s]) if classify else [s])
        trs += out
        events += ev
    return trs, events


def test_shahed_from_belarus_into_poland_pending_unknown_hostile():
    adj = IdentityAdjudicator(own_countries=["POL"], hostile_countries=["BLR"])
    states = flight("T1", 52.5, 24.0, -45.0, 0.0, 60)  # west from Belarus at 45 m/s
    trs, events = run(adj, states)
    assert [t.identity for t in trs[:3]] == ["pending"] * 3
    changes = [e for e in events if e.kind == "identity_change"]
    assert [(e.details["from"], e.details["to"]) for e in changes] == [
        ("pending", "unknown"), ("unknown", "hostile")]
    hostile = changes[-1]
    assert hostile.details["rule"] == "weapon-from-hostile-territory"
    ev = hostile.details["evidence"]
    assert ev["origin_country"] == "BLR" and ev["origin_hostile"] is True
    assert ev["cooperative"] is False and ev["p_one_way_attack"] >= 0.5
    assert ev["origin"]["by"] == "first position"
    assert hostile.time == next(t.time for t in trs if t.identity == "hostile")  # track time
    assert hostile.severity == "critical" and hostile.track_id == "T1"
    assert trs[-1].status == "lost" and trs[-1].identity == "hostile"
    chain = adj.identities()
    assert chain[0]["track_id"] == "T1" and chain[0]["identity"] == "hostile"
    assert [c["to"] for c in chain[0]["changes"]] == ["unknown", "hostile"]
    json.dumps(chain)  # JSON-ready
    for e in events:  # and the events survive the wire
        assert decode(encode(e)) == e
    # the chain can be rebuilt from the stored messages (a replayed run)
    rebuilt = identity_chains([decode(encode(e)) for e in events], trs)
    assert json.loads(json.dumps(rebuilt)) == json.loads(json.dumps(chain))


def test_same_drone_without_hostile_origin_is_suspect_then_hostile_inside():
    # starting inside Belarus but Belarus not listed as hostile: approaching -> suspect,
    # then a weapon-class track inside own airspace -> hostile
    adj = IdentityAdjudicator(own_countries=["POL"], hostile_countries=[])
    _, events = run(adj, flight("T1", 52.5, 23.9, -45.0, 0.0, 200))
    seq = [(e.details["to"], e.details["rule"]) for e in events]
    assert seq == [("unknown", "confirmed-no-evidence"),
                   ("suspect", "non-cooperative-approaching"),
                   ("hostile", "weapon-in-own-airspace")]
    assert events[-1].details["evidence"]["entered_own_airspace"] is True


def test_young_track_is_not_judged():
    adj = IdentityAdjudicator(own_countries=["POL"], hostile_countries=["BLR"])
    trs, _ = run(adj, flight("T1", 52.5, 24.0, -45.0, 0.0, 6, lost=False))  # 25 s old
    assert trs[-1].identity == "unknown"


def test_airliner_on_its_plan_is_neutral_off_it_suspect_and_back():
    plans = load_flight_plans("p.yaml", """\
version: 1
flight_plans:
  - {id: P1, icao24: 48ae01, departure: {lat: 52.0, lon: 20.0},
     destination: {lat: 52.0, lon: 23.0}, corridor_km: 10}
""")
    adj = IdentityAdjudicator(flight_plans=plans, own_countries=["POL"])
    xp = Transponder(icao24="48ae01", callsign="LOT1", squawk="1000")
    on = flight("T2", 52.0, 20.5, 230.0, 0.0, 8, alt=11000.0, transponder=xp, lost=False)
    off = flight("T2", 52.3, 21.0, 230.0, 0.0, 8, alt=11000.0, transponder=xp,
                 start=T0 + 100, lost=False)[3:]  # ~33 km north of the route
    back = flight("T2", 52.0, 21.5, 230.0, 0.0, 8, alt=11000.0, transponder=xp,
                  start=T0 + 200, lost=False)[3:]
    _, events = run(adj, on + off + back)
    assert [(e.details["from"], e.details["to"]) for e in events] == [
        ("pending", "neutral"), ("neutral", "suspect"), ("suspect", "neutral")]
    assert events[1].details["rule"] == "flight-plan-deviation"
    assert events[1].details["evidence"]["flight_plan_check"]["plan_id"] == "P1"


def test_cooperative_without_plan_is_assumed_friend():
    adj = IdentityAdjudicator(own_countries=["POL"])
    xp = Transponder(icao24="3c65c3", callsign="BCS2AB", squawk="1000")
    trs, _ = run(adj, flight("T3", 52.0, 18.0, 230.0, 0.0, 6, alt=11000.0, transponder=xp))
    assert trs[-1].identity == "assumed_friend"


def test_emergency_squawks_alert_once_and_hijack_is_suspect():
    adj = IdentityAdjudicator(own_countries=["POL"])
    xp = Transponder(icao24="3c65c3", callsign="BCS2AB", squawk="7500")
    trs, events = run(adj, flight("T4", 52.0, 18.0, 230.0, 0.0, 10, alt=11000.0,
                                  transponder=xp))
    alerts = [e for e in events if e.kind == "alert"]
    assert len(alerts) == 1 and alerts[0].severity == "critical"
    assert "7500" in alerts[0].message and "hijack" in alerts[0].message
    assert trs[-1].identity == "suspect"
    radio = Transponder(icao24="3c65c4", callsign="X", squawk="7600")
    trs, events = run(adj, flight("T5", 52.0, 18.0, 230.0, 0.0, 10, alt=11000.0,
                                  transponder=radio))
    assert [e.kind for e in events].count("alert") == 1
    assert trs[-1].identity == "assumed_friend"


def test_non_cooperative_in_adiz_is_suspect():
    adiz = Zone(id="adiz", name="Test ADIZ", kind="adiz", country="USA", geometry={
        "type": "Polygon",
        "coordinates": [[[-170, 60], [-165, 60], [-165, 65], [-170, 65], [-170, 60]]]})
    adj = IdentityAdjudicator(own_countries=["USA"], hostile_countries=[], zones=[adiz])
    _, events = run(adj, flight("T6", 62.0, -168.0, 200.0, 0.0, 20, alt=10000.0))
    assert events[-1].details["to"] == "suspect"
    assert events[-1].details["rule"] == "non-cooperative-in-adiz"
    assert events[-1].details["evidence"]["in_adiz"] is True


def test_iff_and_own_rules_file(tmp_path):
    text = """\
version: 1
name: test rules
settings: {iff_valid_squawks: ["4401"], hostile_countries: [RUS]}
rules:
  - {id: iff, when: {iff: valid}, identity: friend}
  - {id: fast, when: {speed: {min: 100}}, identity: suspect}
  - {id: rest, identity: unknown}
"""
    p = tmp_path / "rules.yaml"
    p.write_text(text)
    adj = IdentityAdjudicator(rules=p)
    assert adj.hostile == {"RUS"}
    xp = Transponder(icao24="43c001", squawk="4401")
    trs, events = run(adj, flight("F1", 52.0, 18.0, 250.0, 0.0, 5, alt=8000.0,
                                  transponder=xp), classify=False)
    assert trs[-1].identity == "friend" and events[0].details["rule"] == "iff"
    trs, _ = run(adj, flight("F2", 52.0, 18.0, 250.0, 0.0, 5, alt=8000.0), classify=False)
    assert trs[-1].identity == "suspect"


def test_default_rules_load_and_are_versioned():
    rules = load_rules()
    assert rules.version == 1 and rules.rules[-1].spec.identity == "pending"
    assert rules.source.endswith("identity-v1.yaml")


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("version: 1\nname: x\nrules:\n  - {id: a, when: {colour: red}, identity: hostile}\n",
         "r.yaml:4: rules[0].when.colour: unknown fact 'colour'"),
        ("version: 1\nname: x\nrules:\n  - id: a\n    identity: enemy\n",
         "r.yaml:5: rules[0].identity: Invalid enum value 'enemy' (identities: pending,"),
        ("version: 1\nname: x\nrules:\n  - id: a\n    when:\n      cooperative: 'yes'\n"
         "    identity: hostile\n",
         "r.yaml:6: rules[0].when.cooperative: cooperative is true or false"),
        ("version: 1\nname: x\nrules:\n  - id: a\n    when: {flight_plan: maybe}\n"
         "    identity: hostile\n",
         "r.yaml:5: rules[0].when.flight_plan: 'maybe' is not a value of flight_plan"),
        ("version: 1\nname: x\nrules:\n  - id: a\n    when: {speed: 5}\n    identity: hostile\n",
         "r.yaml:5: rules[0].when.speed: speed is a number"),
        ("version: 1\nname: x\ngroups: {g: [shahed, ufo]}\n"
         "rules:\n  - {id: a, identity: unknown}\n",
         "r.yaml:3: groups.g[1]: 'ufo' is not a track class"),
        ("version: 1\nname: x\nrules:\n  - {id: a, identity: unknown}\n"
         "  - {id: a, identity: pending}\n",
         "r.yaml:5: rules[1].id: duplicate rule id 'a'"),
        ("version: 2\nname: x\nrules: []\n", "r.yaml:1: version: version 2 is not supported"),
        ("version: 1\nname: x\nrules:\n  - {id: a, identity: unknown, latched: true}\n",
         "r.yaml:4: rules[0].latched: unknown key"),
        ("version: 1\nrules:\n  - {id: a, identity: unknown}\n",
         "r.yaml:1: name: missing required key"),
    ],
)
def test_rules_errors_name_file_line_and_field(text, where):
    with pytest.raises(DataFileError) as e:
        load_rules("r.yaml", text)
    assert str(e.value).startswith(where), str(e.value)


def test_live_service_forgets_lost_tracks_after_a_while():
    adj = IdentityAdjudicator(own_countries=["POL"], keep_lost_s=100.0)
    run(adj, flight("T1", 52.5, 24.0, -45.0, 0.0, 10), classify=False)  # lost at T0 + 45
    assert [h["track_id"] for h in adj.identities()] == ["T1"]
    run(adj, flight("T2", 52.5, 24.0, -45.0, 0.0, 5, start=T0 + 100, lost=False),
        classify=False)
    assert [h["track_id"] for h in adj.identities()] == ["T1", "T2"]  # 75 s after: kept
    run(adj, flight("T2", 52.5, 24.0, -45.0, 0.0, 5, start=T0 + 150, lost=False),
        classify=False)
    assert [h["track_id"] for h in adj.identities()] == ["T2"]  # 125 s after: gone
