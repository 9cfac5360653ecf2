"""The tracker on a short demo-shaped stream: every detection accounted for, targets
confirmed, the track protocol kept. (Its speed is measured by bench/tracker_throughput.py.)"""

from __future__ import annotations

from fusion_streams import demo_stream, run


def test_demo_shaped_stream() -> None:
    stream = demo_stream(0.1)
    _cpu, n_out, tracker = run(stream)
    st = tracker.stats
    assert st["detections"] == len(stream.detections)
    assert st["detections_used"] + st["detections_unused"] <= st["detections"]
    assert st["tracks_confirmed"] > 10
    assert st["tracks_deleted"] == st["tracks_confirmed"]  # finish() closes every track
    assert n_out > st["tracks_confirmed"]
