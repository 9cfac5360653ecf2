"""The engagement stage end to end on synthetic tracks (time injected from the tracks),
the simulated commander and the replay helper."""

from __future__ import annotations

import msgspec
import pytest

from dronewall.engage.catalog import Asset, Laydown, Unit, load_doctrine
from dronewall.engage.commander import SimulatedCommander
from dronewall.engage.run import replay
from dronewall.engage.stage import EngagementStage
from dronewall.geo.population import PopulationGrid
from dronewall.model import Decision, Recommendation, Track, Transponder

T0 = 1757466000.0  # 2025-09-10 01:00Z, night
COV = [[100.0 if i == j else 0.0 for j in range(6)] for i in range(6)]
M_PER_DEG_LON = 111_320 * 0.6225  # at 51.5 N


def track(tid: str, t: float, lat: float, lon: float, ve: float = -40.0, vn: float = 0.0,
          **kw: object) -> Track:
    fields = {"status": "confirmed", "alt": 1000.0, "vu": 0.0, "class_label": "shahed",
              "identity": "hostile", "hits": 20}
    fields.update(kw)
    return Track(id=tid, time=t, lat=lat, lon=lon, ve=ve, vn=vn, covariance=COV, born=T0,
                 **fields)  # type: ignore[arg-type]


def flight(tid: str, lon0: float, lat: float, t0: float, n: int, dt: float = 10.0,
           **kw: object) -> list[Track]:
    ve = float(kw.pop("ve", -40.0))  # type: ignore[arg-type]
    return [track(tid, t0 + k * dt, lat, lon0 + ve * k * dt / M_PER_DEG_LON, ve=ve, **kw)
            for k in range(n)]


@pytest.fixture(scope="module")
def grid() -> PopulationGrid:
    return PopulationGrid.build(50.9, 52.0, 21.8, 23.8, cell_km=1.0)


LAYDOWN = Laydown(name="test", country="POL", units=[
    Unit(id="idt", type="interceptor_drone", lat=51.5, lon=23.0),
    Unit(id="qra", type="fighter_aim120", lat=51.5, lon=22.0),
])
ASSETS = [Asset(id="lublin", name="Lublin", lat=51.2465, lon=22.5684, kind="city", value=5)]


def stage(grid: PopulationGrid, doctrine: str = "layered", laydown: Laydown = LAYDOWN
          ) -> EngagementStage:
    return EngagementStage(ASSETS, laydown, load_doctrine(doctrine), grid, ["POL"])


def test_hostile_drone_gets_a_cheap_recommendation(grid):
    st = stage(grid)
    recs = st.process(flight("T1", 23.3, 51.5, T0, 1))
    assert len(recs) == 1
    r = recs[0]
    assert isinstance(r, Recommendation)
    assert (r.effector_id, r.verdict, r.status) == ("idt", "allowed", "pending")
    assert r.identity == "hostile"
    assert r.cost_usd == 2500 and 0 < r.pk < 1 and r.ec <= 1e-4
    assert r.time == T0 and r.time_to_go_s > 0
    assert r.window_s[0] <= T0 + r.time_to_go_s <= r.window_s[1]
    # the same batch time again: no re-plan, no duplicate
    assert st.process(flight("T1", 23.3, 51.5, T0 + 5, 1)) == []
    msgspec.json.decode(msgspec.json.encode(r), type=Recommendation)


def test_cooperative_and_foreign_tracks_get_nothing(grid):
    st = stage(grid)
    airliner = track("A1", T0, 51.5, 22.5, ve=230.0, alt=11000.0,
                     class_label="airliner", identity="neutral",
                     transponder=Transponder(icao24="48ae01"))
    over_belarus = track("B1", T0, 51.9, 24.5, ve=10.0)  # suspect, heading further out
    assert st.process([airliner, over_belarus]) == []


def test_approve_spends_a_round_and_locks_the_track(grid):
    st = stage(grid)
    rec = st.process(flight("T1", 23.3, 51.5, T0, 1))[0]
    mag = st.units[0].magazine
    st.decide(Decision(id="D1", time=T0, action="approve", user="u", role="commander",
                       recommendation_id=rec.id))
    assert st.recs[rec.id].status == "approved" and st.units[0].magazine == mag - 1
    # next plan, the track still flies: no new shot until the first one's outcome is seen
    assert st.process(flight("T1", 23.3, 51.5, T0 + 40, 1)) == []
    st.decide(Decision(id="D2", time=T0, action="approve", user="u", role="commander",
                       recommendation_id=rec.id))
    assert st.stats["bad_decisions"] == 1


def test_reject_puts_the_pair_on_cooldown(grid):
    st = stage(grid)
    rec = st.process(flight("T1", 23.3, 51.5, T0, 1))[0]
    st.decide(Decision(id="D1", time=T0, action="reject", user="u", role="commander",
                       recommendation_id=rec.id))
    assert st.recs[rec.id].status == "rejected"
    later = st.process(flight("T1", 23.3, 51.5, T0 + 40, 1))
    assert all(r.effector_id != "idt" for r in later)


def test_fighters_only_fires_a_missile_at_a_decoy_the_layered_doctrine_does_not(grid):
    far = Laydown(name="f", country="POL", units=[LAYDOWN.units[1]])
    recs = stage(grid, "fighters-only", far).process(flight("T1", 23.3, 51.5, T0, 1))
    assert [r.effector_type for r in recs] == ["fighter_aim120"]
    assert recs[0].verdict == "allowed"
    recs = stage(grid, "layered", far).process(flight("T1", 23.3, 51.5, T0, 1))
    assert all(r.verdict == "forbidden" for r in recs)  # Ec of a missed AIM-120, or cost


def test_replay_with_commander_and_time_order(grid):
    st = stage(grid)
    trs = flight("T1", 23.3, 51.5, T0, 60) + flight("T2", 23.5, 51.3, T0, 60)
    log = replay(list(reversed(trs)), st, SimulatedCommander())
    assert log.recommendations and len(log.decisions) == len(log.recommendations)
    assert all(d.action == "approve" for d, r in zip(log.decisions, log.recommendations,
                                                     strict=True) if r.verdict != "forbidden")
    times = [r.time for r in log.recommendations]
    assert times == sorted(times)
    # determinism
    log2 = replay(trs, stage(grid), SimulatedCommander())
    assert [msgspec.json.encode(r) for r in log2.recommendations] == \
        [msgspec.json.encode(r) for r in log.recommendations]


def test_identity_from_the_adjudicator_is_respected(grid):
    st = stage(grid)
    friend = track("F1", T0, 51.5, 23.3, identity="friend")
    assert st.process([friend]) == []
    hostile = track("H1", T0 + 60, 51.5, 23.3, identity="hostile", class_label="gerbera",
                    class_probs={"gerbera": 0.9, "shahed": 0.1})
    (r,) = st.process([hostile])
    assert r.target_class == "gerbera"


def test_non_finite_track_is_counted_not_fatal(grid):
    st = stage(grid)
    bad = track("X1", T0, 51.5, 23.3, ve=float("nan"))
    assert st.process([bad]) == [] and st.stats["bad_tracks"] == 1
    assert len(st.process(flight("T1", 23.3, 51.5, T0 + 1, 1))) == 1


def test_bombers_in_the_adiz_get_no_recommendation():
    from dronewall.engage.catalog import load_laydown

    g = PopulationGrid.build(60.0, 66.0, -172.0, -160.0, cell_km=5.0)
    st = EngagementStage([Asset(id="nome", name="Nome", lat=64.5011, lon=-165.4064)],
                         load_laydown("alaska"), load_doctrine("layered"), g, ["USA"])
    for k in range(5):  # Tu-95 pair flying along the ADIZ, no transponder, over the sea
        trs = [track(f"B{i}", T0 + 60 * k, 62.0 + 0.2 * i, -171.0 + 0.5 * k, ve=200.0,
                     alt=10000.0, class_label="bomber", identity="suspect") for i in range(2)]
        assert st.process(trs) == []
    assert st.stats["plans"] == 5 and st.stats["candidates"] == 0


def test_a_pending_track_is_not_engaged_until_identified(grid):
    st = stage(grid)
    assert st.process(flight("P1", 23.3, 51.5, T0, 1, identity="pending")) == []
    later = st.process(flight("P1", 23.3, 51.5, T0 + 60, 1, identity="hostile"))
    assert [r.track_id for r in later if r.verdict != "forbidden"] == ["P1"]
