"""The tracker benchmark (dronewall vs Stone Soup): scenario statistics, scoring, a small
run of each tracker, and the JSON object's keys."""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest

from dronewall.bench import tracker as bench
from dronewall.bench.tracker_runners import GOSPA_C_M, score
from dronewall.bench.tracker_scenario import CLUTTER_MEAN, PD, SIDE_M, SIGMA_M, generate
from dronewall.eval.gospa import gospa

HAS_STONESOUP = importlib.util.find_spec("stonesoup") is not None
KEYS = {"gospa_mean", "tracks_mean", "truth_mean", "wall_s", "meas_per_s", "peak_rss_mib"}


def test_scenario_statistics() -> None:
    scn = generate(200, 50, seed=3)
    assert scn.truth.shape == (50, 200, 2)
    assert np.all(np.abs(scn.truth[0]) <= SIDE_M / 2)
    speed = np.linalg.norm(scn.truth[1] - scn.truth[0], axis=1)
    assert speed.min() >= 30.0 and speed.max() <= 60.0
    n_true = np.array([f.sum() for f in scn.is_true])
    n_false = np.array([(~f).sum() for f in scn.is_true])
    assert n_true.mean() / 200 == pytest.approx(PD, abs=0.01)
    assert n_false.mean() == pytest.approx(CLUTTER_MEAN, abs=1.5)
    # noise: each true plot against its nearest target (targets are km apart)
    res = []
    for k in range(50):
        pts = scn.plots[k][scn.is_true[k]]
        d = pts[:, None, :] - scn.truth[k][None, :, :]
        res.append(d[np.arange(len(pts)), np.argmin(np.linalg.norm(d, axis=-1), axis=1)])
    assert np.concatenate(res).std(axis=0) == pytest.approx([SIGMA_M, SIGMA_M], rel=0.05)
    again = generate(200, 50, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(scn.plots, again.plots, strict=True))


def test_gospa_zero_for_perfect_estimates() -> None:
    scn = generate(7, 5, seed=1)
    g = gospa(scn.truth[2], scn.truth[2][::-1].copy(), GOSPA_C_M, 1.0)
    assert g.total == 0.0 and g.missed == 0.0 and g.false == 0.0
    s = score(scn.truth, [t.copy() for t in scn.truth])
    assert s["gospa_mean"] == 0.0 and s["tracks_mean"] == s["truth_mean"] == 7.0
    s = score(scn.truth, [np.zeros((0, 2))] * 5)
    assert s["missed"] == pytest.approx(7 * GOSPA_C_M / 2)


def _check(result: dict[str, float], n_targets: int) -> None:
    assert result.keys() >= KEYS
    assert result["truth_mean"] == n_targets
    assert result["meas_per_s"] > 0 and result["peak_rss_mib"] > 0
    # after the first few scans both trackers hold about one track per target
    assert abs(result["tracks_mean"] - n_targets) < 1.5
    assert result["gospa_mean"] < n_targets * 60.0 + 2 * GOSPA_C_M


def test_dronewall_small_run() -> None:
    _check(bench.run_one("dronewall", 5, 30, seed=2), 5)


@pytest.mark.skipif(not HAS_STONESOUP, reason="Stone Soup (the 'bench' extra) not installed")
def test_stonesoup_small_run() -> None:
    _check(bench.run_one("stonesoup", 5, 30, seed=2), 5)


def test_main_json_keys(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--targets", "4", "--scans", "20", "--only", "dronewall", "--json"]
    out = bench.main(argv)
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed.keys() == out.keys() == {"4"}
    assert printed["4"]["dronewall"].keys() >= KEYS
    assert printed["4"]["speedup"] is None
    entry = bench.compare({"dronewall": {"meas_per_s": 10.0}, "stonesoup": {"meas_per_s": 2.0}})
    assert entry["speedup"] == 5.0
