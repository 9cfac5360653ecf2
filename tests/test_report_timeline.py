"""The timeline picture: drawn from a report and a GOSPA series, bars where they belong."""

import numpy as np
from matplotlib.image import imread

from dronewall.eval.gospa import GospaTimeline
from dronewall.report.timeline import VERDICT_COLOUR, render_timeline


def test_timeline_png(tmp_path):
    report = {
        "title": "Test", "watch": ["POL"], "start": "2025-09-09T21:00:00Z",
        "end": "2025-09-09T23:00:00Z",
        "truth_incursions": [{"truth_id": "g1", "entry_time": "2025-09-09T21:30:00Z",
                              "exit_time": None, "end_reason": "track_lost",
                              "seconds_inside": 3600.0}],
        "incursions": [{"track_id": "T1", "truth_id": "g1", "verdict": "detected",
                        "entry_time": "2025-09-09T21:30:05Z", "seconds_inside": 3590.0},
                       {"track_id": "T9", "truth_id": None, "verdict": "false",
                        "entry_time": "2025-09-09T22:10:00Z", "seconds_inside": 30.0}],
    }
    t = np.arange(0.0, 7200.0, 10.0) + 1757451600.0
    z = np.zeros_like(t)
    timeline = GospaTimeline(t, z + 100, z + 80, z + 20, z, np.ones(len(t), dtype=np.int64),
                             np.ones(len(t), dtype=np.int64), 2000.0, 1.0)
    path = render_timeline(tmp_path / "timeline.png", report, timeline)
    img = imread(path)[..., :3]
    red = np.array([int(VERDICT_COLOUR["detected"][i:i + 2], 16) / 255 for i in (1, 3, 5)])
    assert (np.abs(img - red).sum(axis=-1) < 0.05).sum() > 500  # the detected bar is drawn
    purple = np.array([int(VERDICT_COLOUR["false"][i:i + 2], 16) / 255 for i in (1, 3, 5)])
    assert (np.abs(img - purple).sum(axis=-1) < 0.05).sum() > 10  # and the false one
