"""Cutting the detection stream into assignment frames."""

from __future__ import annotations

from dronewall.fusion.framing import FrameAssembler
from dronewall.model.messages import Detection, GeodeticPosition, Transponder

_M = GeodeticPosition(lat=52.0, lon=21.0, alt=100.0)
_C = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]


def det(sensor: str, t: float, frame: int | None = None, icao: str | None = None) -> Detection:
    tr = Transponder(icao24=icao) if icao else None
    return Detection(
        id=f"{sensor}-{t}",
        sensor_id=sensor,
        time=t,
        measurement=_M,
        covariance=_C,
        frame=frame,
        transponder=tr,
    )


def feed(fa: FrameAssembler, dets: list[Detection]) -> list[list[int]]:
    out: list[list[int]] = []
    for g, d in enumerate(dets):
        closed = fa.push(d, g)
        if closed:
            out += closed
    return out


def test_numbered_frames_close_when_their_sensor_moves_on() -> None:
    fa = FrameAssembler(window_s=1.0, initial_span_s=12.0, margin_s=1.0)
    dets = [
        det("a", 0.0, 0),
        det("b", 1.0, 7),
        det("a", 4.0, 0),
        det("b", 5.0, 7),
        det("a", 10.0, 1),
        det("b", 11.0, 8),
        det("a", 13.0, 1),
    ]
    frames = feed(fa, dets)
    assert frames == [[0, 2], [1, 3]]
    assert fa.flush() == [[4, 6], [5]]
    # the period was learned from the first detections of consecutive frames
    assert fa.span("a") == 10.0 and fa.span("b") == 10.0


def test_silent_sensor_frame_closes_after_its_span() -> None:
    fa = FrameAssembler(window_s=1.0, initial_span_s=12.0, margin_s=1.0)
    dets = [det("a", 0.0, 0), det("a", 3.0, 0), det("b", 12.5, 0), det("b", 13.5, 0)]
    frames = feed(fa, dets)
    assert frames == [[0, 1]]  # closed when the stream passed 0 + 12 + 1
    assert fa.flush() == [[2, 3]]


def test_frameless_detections_are_grouped_in_windows() -> None:
    fa = FrameAssembler(window_s=1.0, initial_span_s=12.0, margin_s=1.0)
    dets = [det("x", 0.0), det("x", 0.4), det("x", 0.9), det("x", 1.2), det("x", 3.0)]
    frames = feed(fa, dets)
    assert frames == [[0, 1, 2], [3]]
    assert fa.flush() == [[4]]


def test_window_closes_when_an_icao_address_repeats() -> None:
    fa = FrameAssembler(window_s=1.0, initial_span_s=12.0, margin_s=1.0)
    dets = [
        det("adsb", 0.0, icao="aaa"),
        det("adsb", 0.1, icao="bbb"),
        det("adsb", 0.8, icao="aaa"),
        det("adsb", 0.9, icao="ccc"),
    ]
    assert feed(fa, dets) == [[0, 1]]
    assert fa.flush() == [[2, 3]]


def test_frames_due_together_come_out_in_time_order() -> None:
    fa = FrameAssembler(window_s=1.0, initial_span_s=5.0, margin_s=0.5)
    dets = [det("b", 0.5, 3), det("a", 1.0, 9), det("c", 30.0, 1)]
    assert feed(fa, dets) == [[0], [1]]


def test_split_frame_continues_and_teaches_the_span() -> None:
    fa = FrameAssembler(window_s=1.0, initial_span_s=5.0, margin_s=0.5)
    dets = [
        det("a", 0.0, 0),
        det("a", 5.0, 0),  # span guess 5 s: frame 0 ends at 5.5
        det("b", 6.0, 3),  # stream passes 5.5: frame a/0 closes
        det("a", 8.0, 0),  # more of frame 0: a continuation
        det("a", 20.0, 1),  # frame 1 starts: period 20 s learned
    ]
    frames = feed(fa, dets)
    assert frames[0] == [0, 1]
    assert [3] in frames
    assert fa.split_frames == 1
    assert fa.span("a") == 20.0
