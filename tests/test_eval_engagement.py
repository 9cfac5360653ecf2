"""Engagement outcomes against the truth on a small synthetic run."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from dronewall.eval.engagement import engage_run
from dronewall.model import Event, Track, Transponder, TruthState

T0 = 1757466000.0
COV = [[100.0 if i == j else 0.0 for j in range(6)] for i in range(6)]
M_PER_DEG_LON = 111_320 * 0.6225


@dataclass
class FakeRun:
    """What the pipeline's RunData offers (duck-typed)."""

    meta: dict[str, Any]
    tracks: list[Track] = field(default_factory=list)
    truth: list[TruthState] = field(default_factory=list)
    truth_events: list[Event] = field(default_factory=list)


def _run(n_drones: int = 3) -> FakeRun:
    run = FakeRun(meta={"scenario": "synthetic-test", "watch": ["POL"],
                        "assets": [["Lublin", 51.2465, 22.5684]]})
    for d in range(n_drones):
        tid, lat = f"g{d}", 51.45 + 0.05 * d
        for k in range(200):
            t, lon = T0 + 10 * k, 23.5 - 40.0 * 10 * k / M_PER_DEG_LON
            run.truth.append(TruthState(target_id=tid, time=t, lat=lat, lon=lon, alt=1000.0,
                                        ve=-40.0, target_type="gerbera"))
            run.tracks.append(Track(id=f"T{d}", time=t + 0.5, status="confirmed", lat=lat,
                                    lon=lon - 20 / M_PER_DEG_LON, alt=1000.0, ve=-40.0, vn=0.0,
                                    vu=0.0, covariance=COV, born=T0, hits=20,
                                    class_label="gerbera", identity="hostile"))
        run.truth_events.append(Event(id=f"E{d}", time=T0, kind="incursion_start",
                                      message="in", track_id=tid, country="POL"))
    for k in range(100):  # an airliner: never engaged
        t, lon = T0 + 10 * k, 21.0 + 230.0 * 10 * k / M_PER_DEG_LON
        run.truth.append(TruthState(target_id="a1", time=t, lat=51.7, lon=lon, alt=11000.0,
                                    ve=230.0, target_type="airliner", cooperative=True))
        run.tracks.append(Track(id="A1", time=t, status="confirmed", lat=51.7, lon=lon,
                                alt=11000.0, ve=230.0, vn=0.0, vu=0.0, covariance=COV, born=T0,
                                hits=20, class_label="airliner", identity="neutral",
                                transponder=Transponder(icao24="48ae01")))
    return run


LAYDOWN = """name: t
country: POL
units:
  - {id: idt, type: interceptor_drone, lat: 51.5, lon: 23.0}
  - {id: qra, type: fighter_aim120, lat: 51.5, lon: 21.5}
"""


@pytest.fixture(scope="module")
def laydown(tmp_path_factory) -> str:
    p = tmp_path_factory.mktemp("lay") / "t.yaml"
    p.write_text(LAYDOWN)
    return str(p)


def test_layered_defeats_decoys_cheaply(laydown):
    s = engage_run(_run(), "layered", laydown=laydown, seed=1)
    assert s["threats"] == 3 and s["defeated"] + s["leakers"] == 3
    assert s["defeated"] >= 2
    assert set(s["shots_by_effector"]) == {"interceptor_drone"}
    assert s["cost_total_usd"] == 2500 * s["shots_total"]
    assert s["cost_per_defeated_usd"] == round(s["cost_total_usd"] / s["defeated"])
    assert s["ec_max_per_shot"] <= 1e-4 and s["decoys_engaged_by_costly"] == 0
    assert s["non_threats_engaged"] == 0
    for key in ("doctrine", "threats", "defeated", "leakers", "shots_by_effector",
                "cost_total_usd", "cost_per_defeated_usd", "ec_total", "ec_max_per_shot",
                "decoys_engaged_by_costly"):
        assert key in s


def test_fighters_only_spends_missiles_on_decoys(laydown):
    s = engage_run(_run(), "fighters-only", laydown=laydown, seed=1)
    assert set(s["shots_by_effector"]) <= {"fighter_aim120"}
    assert s["shots_total"] >= 1 and s["decoys_engaged_by_costly"] == s["shots_total"]
    assert s["cost_total_usd"] == 1_100_000 * s["shots_total"]


def test_outcome_is_seeded(laydown):
    a = engage_run(_run(), "layered", laydown=laydown, seed=5)
    b = engage_run(_run(), "layered", laydown=laydown, seed=5)
    assert a == b
