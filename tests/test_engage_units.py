"""Engagement building blocks: catalogue files, intercept geometry, threat evaluation,
debris footprints, weapon-target assignment."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.engage import debris, intercept, threat, wta
from dronewall.engage.catalog import (
    TRACK_CLASSES,
    Asset,
    CatalogError,
    effector_types,
    laydown_for,
    load_doctrine,
    load_laydown,
    shipped_assets,
)
from dronewall.engage.geometry import Plane
from dronewall.geo.borders import country_at
from dronewall.geo.population import PopulationGrid

# ------------------------------------------------------------------ catalogue


def test_catalogue_files_load_and_cover_the_required_effectors():
    types = effector_types()
    kinds = {t.kind for t in types.values()}
    assert {"gun", "missile", "interceptor_drone", "fighter", "ew"} <= kinds
    for t in types.values():
        assert set(t.pk) <= set(TRACK_CLASSES)
        assert t.range_m[0] <= t.range_m[1]
    assert types["interceptor_drone"].cost_per_shot_usd < 10_000 < types[
        "fighter_aim120"].cost_per_shot_usd
    for name in ("layered", "fighters-only", "romania-ladder"):
        load_doctrine(name)
    assert load_doctrine("fighters-only").allows("fighter_aim9x")
    assert not load_doctrine("fighters-only").allows("gun_35mm")


@pytest.mark.parametrize("name,iso", [("poland", "POL"), ("romania", "ROU"),
                                      ("estonia", "EST"), ("alaska", "USA")])
def test_laydowns_stand_in_their_country(name, iso):
    lay = load_laydown(name)
    assert lay.country == iso and lay.units
    ground = [u for u in lay.units if effector_types()[u.type].kind != "fighter"]
    where = country_at([u.lat for u in ground], [u.lon for u in ground])
    assert (where == iso).all(), [u.id for u, w in zip(ground, where, strict=True) if w != iso]


def test_shipped_cities_and_airports_as_assets():
    own = [Asset(id="warsaw", name="Warsaw", lat=52.2297, lon=21.0122, value=10)]
    got = shipped_assets({"POL"}, existing=own)
    names = {a.name for a in got}
    assert "Warsaw" not in names and "Lublin" in names  # deduplicated against the scenario
    assert any(a.kind == "airport" for a in got)
    assert all(1.0 <= a.value <= 10.0 for a in got)
    assert not shipped_assets({"EST"}, min_pop=10**8) or all(
        a.kind == "airport" for a in shipped_assets({"EST"}, min_pop=10**8))


def test_laydown_for_scenario_and_bad_files(tmp_path):
    assert laydown_for("poland-2025-09-10").name == "poland"
    assert laydown_for("no-such-scenario") is None
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\ncountry: POL\nunits:\n  - {id: a, type: laser, lat: 52, lon: 21}\n")
    with pytest.raises(CatalogError, match=r"units\[0\]\.type"):
        load_laydown(bad)
    with pytest.raises(CatalogError, match="no doctrines file"):
        load_doctrine("nonsense")


# ------------------------------------------------------------------ intercept


def test_lead_point_meets_the_target_at_the_interceptor_speed():
    rng = np.random.default_rng(3)
    x = rng.uniform(-20e3, 20e3, (200, 3))
    v = rng.uniform(-40, 40, (200, 3))  # slower than the interceptor: always caught
    p = rng.uniform(-5e3, 5e3, (200, 3))
    s = np.full(200, 85.0)
    tau, point = intercept.lead_point(x, v, p, s)
    assert np.isfinite(tau).all()
    np.testing.assert_allclose(np.linalg.norm(point - p, axis=1), s * tau, rtol=1e-9)
    np.testing.assert_allclose(point, x + v * tau[:, None])


def test_no_intercept_of_a_faster_receding_target_and_head_on_case():
    tau = intercept.time_to_go(np.array([[1000.0, 0, 0]]), np.array([[100.0, 0, 0]]),
                               np.array([50.0]))
    assert np.isnan(tau).all()
    tau = intercept.time_to_go(np.array([[1000.0, 0, 0]]), np.array([[-50.0, 0, 0]]),
                               np.array([50.0]))
    assert tau[0] == pytest.approx(10.0)  # closing at 100 m/s


def test_engagement_slots_and_window():
    unit = np.array([[0.0, 0.0, 0.0]])
    tgt = np.array([[-10_000.0, 1000.0, 1000.0]])
    vel = np.array([[40.0, 0.0, 0.0]])
    t_l, t_i, pt = intercept.engagement_slots(unit, np.array([10.0]), np.array([1100.0]),
                                              tgt, vel, 0.0, 30.0, 40)
    assert t_l.shape == (1, 1, 40) and pt.shape == (1, 1, 40, 3)
    rng_m = np.linalg.norm(pt[0, 0], axis=-1)
    feas = rng_m <= 4000.0
    first, last = intercept.window(t_i, feas[None, None, :])
    # inside 4 km of the gun while |x| <= sqrt(4000² - 1000² - 1000²) ≈ 3742 m
    assert first[0, 0] == pytest.approx((10_000 - 3742) / 40, abs=35)
    assert last[0, 0] == pytest.approx((10_000 + 3742) / 40, abs=35)


# ------------------------------------------------------------------ threat


def test_closest_approach_and_threat_score():
    plane = Plane(52.0, 21.0)
    ax, ay = plane.xy(52.0, 21.0)
    table = threat.AssetTable.build(
        [Asset(id="c", name="c", lat=52.0, lon=21.0, kind="city", value=10)], plane)
    x = np.array([-30_000.0, -30_000.0, -30_000.0])
    y = np.array([0.0, 20_000.0, 0.0])
    vx = np.array([40.0, 40.0, -40.0])
    vy = np.zeros(3)
    probs = np.zeros((3, len(TRACK_CLASSES)))
    probs[:, TRACK_CLASSES.index("shahed")] = 1.0
    th = threat.evaluate(x + ax, y + ay, vx, vy, probs, np.ones(3, bool), table, 1e6, 1e5)
    assert th.cpa_m[0, 0] == pytest.approx(0.0, abs=1.0)
    assert th.t_cpa_s[0, 0] == pytest.approx(750.0, abs=1.0)
    assert th.cpa_m[1, 0] == pytest.approx(20_000.0, abs=1.0)
    assert th.cpa_m[2, 0] == pytest.approx(30_000.0, abs=1.0)  # flying away: now is closest
    assert th.score[0] > 0.99 and th.score[1] < 0.01 and th.asset[0] == 0
    assert th.value_usd[0] > th.value_usd[1] >= 1e5


def test_warning_areas_list_places_under_the_path():
    plane = Plane(51.25, 22.0)
    places = [("On-path", "POL", 51.25, 22.3, 10_000), ("Far", "POL", 52.5, 22.3, 5_000)]
    out = threat.warning_areas(np.array([51.25]), np.array([22.0]), np.array([40.0]),
                               np.array([0.0]), np.array([120.0]), ["T1"], places, plane)
    assert [e["place"] for e in out] == ["On-path"]
    assert out[0]["track_age_s"] == 120.0 and 400 < out[0]["eta_s"] < 600


# ------------------------------------------------------------------ debris


def test_debris_footprint_moves_with_the_target_and_falls_under_a_hover():
    dx, dy, sa, sc = debris.target_footprint(np.array([1000.0, 1000.0]),
                                             np.array([50.0, 0.0]), np.array([0.0, 0.0]),
                                             np.array([25.0, 25.0]))
    assert dx[0] > 50 and abs(dy[0]) < 1e-9 and dx[1] == 0.0
    assert (sa >= sc).all() and (sc > 0).all()


def test_ec_scales_with_density_and_a_missed_missile_adds_risk():
    grid = PopulationGrid(51.0, 22.0, 0.01, 0.01, np.full((100, 100), 100.0))
    plane = Plane(51.5, 22.5)
    probs = np.zeros((2, len(TRACK_CLASSES)))
    probs[:, TRACK_CLASSES.index("gerbera")] = 1.0
    args = dict(ix=np.zeros(2), iy=np.zeros(2), ih=np.full(2, 1000.0), vx=np.full(2, 40.0),
                vy=np.zeros(2), class_probs=probs, pk=np.full(2, 0.6), ex=np.full(2, -3000.0),
                ey=np.zeros(2), miss_area_m2=np.full(2, 200.0))
    t_night = np.full(2, 1757466000.0)  # 01:00Z, ~02:30 local solar time at 22.5 E
    ec, _inc, dens = debris.shot_ec(plane, grid, t_night, miss_flyout_m=np.array([0.0, 20e3]),
                                   **args)
    # gerbera: 0.6 * 100e-6 /m² * 3 m² * 0.05 outdoors at night
    assert ec[0] == pytest.approx(0.6 * 100e-6 * 3.0 * 0.05, rel=1e-6)
    assert ec[1] > ec[0] * 10 and dens[0] == pytest.approx(100.0)
    grid2 = PopulationGrid(51.0, 22.0, 0.01, 0.01, np.full((100, 100), 1000.0))
    ec2, _, _ = debris.shot_ec(plane, grid2, t_night, miss_flyout_m=np.zeros(2), **args)
    assert ec2[0] == pytest.approx(10 * ec[0])
    _, inc_base, _ = debris.shot_ec(plane, grid, t_night, miss_flyout_m=np.zeros(2),
                                    baseline_density=np.full(2, 100.0), **args)
    assert inc_base[0] == pytest.approx(0.0, abs=1e-15)  # no worse than its own fall


# ------------------------------------------------------------------ WTA


def _random_problem(rng: np.random.Generator, n: int) -> wta.Problem:
    return wta.Problem(rng.normal(0.5, 1.0, n), rng.integers(0, 4, n), rng.integers(0, 3, n),
                       rng.integers(1, 3, 3))


def test_milp_matches_brute_force_on_small_cases():
    rng = np.random.default_rng(7)
    for _ in range(60):
        p = _random_problem(rng, int(rng.integers(1, 13)))
        _best, value = wta.solve_brute(p)
        got = wta.solve_milp(p)
        assert wta.total_gain(p, got) == pytest.approx(value, abs=1e-9)
        assert wta.total_gain(p, wta.solve_greedy(p)) <= value + 1e-9


def test_greedy_is_beaten_where_it_should_be():
    # one unit with one channel; greedy gives it to the biggest gain (track 0), leaving
    # track 1 with nothing; the optimum uses the other unit on track 0.
    p = wta.Problem(np.array([10.0, 9.0, 8.0]), np.array([0, 1, 0]), np.array([0, 0, 1]),
                    np.array([1, 1]))
    assert wta.total_gain(p, wta.solve_greedy(p)) == 10.0
    assert wta.total_gain(p, wta.solve_milp(p)) == 17.0


def test_problem_from_terms_prices_shots():
    p = wta.Problem.from_terms(np.array([1e5]), np.array([0.5, 0.9]),
                               np.array([2500.0, 1.1e6]), np.array([0.0, 1e-5]),
                               np.array([0, 0]), np.array([0, 1]), np.array([1, 1]))
    assert p.gain[0] == pytest.approx(47_500.0)
    assert p.gain[1] < 0
    assert wta.solve_milp(p).tolist() == [True, False]
