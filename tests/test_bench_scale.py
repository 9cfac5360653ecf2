"""The scale benchmark command runs and reports what it says (tiny load: not a speed
test)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from dronewall.bench.scale import scale


def test_scale_command_prints_json() -> None:
    res = CliRunner().invoke(scale, ["--targets", "20", "--rate", "100", "--seconds", "6"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["targets"] == 20 and out["sensors"] == 5 and out["scenario_s"] == 6
    assert out["detections"] > 0.9 * 6 * 100
    assert out["tracks_confirmed"] >= 20 and out["tracks_confirmed_live_at_end"] >= 20
    for key in ("tracker_wall_s", "real_time_factor", "det_per_s", "peak_rss_mib"):
        assert out[key] > 0


def test_scale_command_rejects_bad_numbers() -> None:
    res = CliRunner().invoke(scale, ["--targets", "0"])
    assert res.exit_code == 2
