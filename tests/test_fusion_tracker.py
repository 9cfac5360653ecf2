"""The tracker end to end on synthetic streams (see test_fusion_synth.py)."""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))

import itertools

from dronewall.fusion import Tracker, TrackerConfig
from dronewall.geo.frames import LocalFrame
from dronewall.model.messages import (
    BearingOnly,
    Detection,
    GeoPoint,
    RangeBearing,
    Track,
    decode,
    encode,
)
from test_fusion_synth import SimRadar, SimTarget, Stream, generate, match_tracks

FRAME = LocalFrame(52.0, 21.0)
T_END = 600.0


def scenario(seed: int = 1) -> Stream:
    """Two radars 100-150 km out, 5 clutter plots per scan each, Pd 0.9; a drone, an
    airliner with ADS-B and a fast low flyer, for 10 minutes."""
    radars = [
        SimRadar("r1", 51.2, 20.0, pd=0.9, clutter_per_scan=5.0, phase_s=0.0),
        SimRadar("r2", 52.9, 22.1, pd=0.9, clutter_per_scan=5.0, phase_s=4.3),
    ]
    targets = [
        SimTarget("drone", (-12_000.0, 5_000.0, 300.0), (40.0, 0.0, 0.0), 0.0, T_END),
        SimTarget(
            "airliner",
            (10_000.0, 60_000.0, 9_000.0),
            (0.0, -200.0, 0.0),
            0.0,
            T_END,
            icao24="48af01",
        ),
        SimTarget("fast", (30_000.0, -30_000.0, 2_000.0), (-90.0, 90.0, 0.0), 0.0, T_END),
    ]
    return generate(FRAME, radars, targets, 0.0, T_END, seed=seed)


def run(stream: Stream, config: TrackerConfig | None = None, chunks: int = 1) -> list[Track]:
    tracker = Tracker(FRAME, config)
    out: list[Track] = []
    dets = stream.detections
    bounds = np.linspace(0, len(dets), chunks + 1).astype(int)
    for a, b in itertools.pairwise(bounds):
        out += tracker.process(dets[a:b])
    out += tracker.finish()
    return out


@pytest.fixture(
    scope="module",
    params=[{}, {"motion": "imm"}, {"association": "jpda"}],
    ids=["cv-gnn", "imm-gnn", "cv-jpda"],
)
def result(request: pytest.FixtureRequest) -> tuple[Stream, list[Track], Tracker]:
    """The scenario tracked by each motion model / association choice."""
    stream = scenario()
    tracker = Tracker(FRAME, TrackerConfig(**request.param))
    out = tracker.process(stream.detections)
    out += tracker.finish()
    return stream, out, tracker


def by_track(out: list[Track]) -> dict[str, list[Track]]:
    d: dict[str, list[Track]] = defaultdict(list)
    for t in out:
        d[t.id].append(t)
    return d


def test_one_confirmed_track_per_target_and_no_false_tracks(
    result: tuple[Stream, list[Track], Tracker],
) -> None:
    stream, out, tracker = result
    m = match_tracks(stream, out)
    owner = {}
    for tid, hits in m.items():
        total = sum(len(v) for v in hits.values())
        best, errs = max(hits.items(), key=lambda kv: len(kv[1]))
        assert best != "none", f"{tid} follows no target: {hits.keys()}"
        assert len(errs) >= 0.95 * total, f"{tid} wanders: { {k: len(v) for k, v in hits.items()} }"
        owner[tid] = best
    assert sorted(owner.values()) == ["airliner", "drone", "fast"]
    assert tracker.stats["tracks_confirmed"] == 3
    stats = tracker.stats
    if tracker.config.association == "jpda":  # a detection shared by two gates may be
        assert stats["detections_unused"] <= 0.005 * stats["detections"]  # neither's
        assert stats["jpda_updates"] > 150
    else:
        assert stats["detections_used"] == stats["detections"]


def test_accuracy(result: tuple[Stream, list[Track], Tracker]) -> None:
    """Bounds: a radar plot at 100-150 km is good to ~r·0.15° = 260-390 m across the
    beam (75 m in range) and r·0.3° = 520-790 m in height; two radars at 10 s, a CV
    filter must do clearly better than one plot horizontally (measured: ~150-200 m).
    ADS-B (15 m horizontal, 30 m vertical) at 1 Hz must be followed within tens of
    metres."""
    stream, out, _ = result
    targets = {t.id: t for t in stream.targets}
    m = match_tracks(stream, out)
    for tid, hits in m.items():
        name = max(hits, key=lambda k: len(hits[k]))
        tg = targets[name]
        msgs = [t for t in out if t.id == tid and t.status == "confirmed" and t.time > 60.0]
        err = np.array(
            [FRAME.to_enu(t.lat, t.lon, t.alt) - tg.position(np.array(t.time)) for t in msgs]
        )
        h = float(np.sqrt(np.mean(np.sum(err[:, :2] ** 2, axis=1))))
        v = float(np.sqrt(np.mean(err[:, 2] ** 2)))
        if name == "airliner":
            assert h < 30.0 and v < 40.0, (name, h, v)
        else:
            assert h < 260.0 and v < 600.0, (name, h, v)
        # velocity (local ENU) within reason for a converged CV filter
        ve = np.array([[t.ve, t.vn] for t in msgs]) - np.array(tg.v[:2])
        assert float(np.sqrt(np.mean(np.sum(ve**2, axis=1)))) < 15.0


def test_message_protocol(result: tuple[Stream, list[Track], Tracker]) -> None:
    """Per track: tentative history, then confirmed updates, then one lost."""
    _, out, _ = result
    cfg = TrackerConfig()
    tracks = by_track(out)
    for _tid, msgs in tracks.items():
        status = [t.status for t in msgs]
        k = status.index("confirmed")
        assert status[:k] == ["tentative"] * (cfg.confirm_hits - 1)
        assert status[-1] == "lost" and status.count("lost") == 1
        assert set(status[k:-1]) == {"confirmed"}
        hits = [t.hits for t in msgs[:-1]]
        assert hits == list(range(1, len(hits) + 1))
        times = [t.time for t in msgs[:-1]]
        assert times == sorted(times)
        assert msgs[0].time == msgs[0].born and all(t.born == msgs[0].born for t in msgs)
        last, lost = msgs[-2], msgs[-1]
        assert lost.time == last.time and lost.hits == last.hits
        assert (lost.lat, lost.lon, lost.alt, lost.covariance) == (
            last.lat,
            last.lon,
            last.alt,
            last.covariance,
        )
        assert all(t.identity == "pending" for t in msgs)
        # sensors: unique, in order of first support, never shrinking
        for a, b in itertools.pairwise(msgs):
            assert b.sensors[: len(a.sensors)] == a.sensors
        assert len(set(msgs[-1].sensors)) == len(msgs[-1].sensors)


def test_ids_are_deterministic_in_confirmation_order(
    result: tuple[Stream, list[Track], Tracker],
) -> None:
    _, out, _ = result
    first = list(dict.fromkeys(t.id for t in out))
    assert first == ["T0001", "T0002", "T0003"]
    conf_time = {
        tid: min(t.time for t in out if t.id == tid and t.status == "confirmed") for tid in first
    }
    assert [conf_time[t] for t in first] == sorted(conf_time.values())


def test_output_is_in_time_order_as_far_as_possible(
    result: tuple[Stream, list[Track], Tracker],
) -> None:
    """Confirmed updates come out frame by frame, frames close to time order: never
    more than one radar revolution (+ margin) behind what was already emitted. History
    and lost messages are older by construction."""
    _, out, _ = result
    latest = -np.inf
    for t in out:
        if t.status == "confirmed":
            assert t.time >= latest - 12.0
            latest = max(latest, t.time)


def test_same_input_same_output_whatever_the_batching() -> None:
    stream = scenario(seed=2)
    a = [encode(t) for t in run(stream)]
    b = [encode(t) for t in run(stream)]
    c = [encode(t) for t in run(stream, chunks=37)]
    assert a == b == c


def test_messages_are_valid_on_the_wire(result: tuple[Stream, list[Track], Tracker]) -> None:
    _, out, _ = result
    for t in out[::7]:
        assert decode(encode(t)) == t


def test_adsb_goes_to_the_track_holding_its_address(
    result: tuple[Stream, list[Track], Tracker],
) -> None:
    stream, out, tracker = result
    m = match_tracks(stream, out)
    tid = next(k for k, v in m.items() if max(v, key=lambda x: len(v[x])) == "airliner")
    msgs = [t for t in out if t.id == tid]
    assert all(t.transponder is not None and t.transponder.icao24 == "48af01" for t in msgs)
    assert set(msgs[-1].sensors) == {"adsb", "r1", "r2"}  # radar plots joined the same track
    others = [t for t in out if t.id != tid]
    assert all(t.transponder is None for t in others)
    n_adsb = sum(d.sensor_id == "adsb" for d in stream.detections)
    assert tracker.stats["adsb_icao_associations"] >= n_adsb - 3


def test_two_aircraft_side_by_side_keep_their_own_addresses() -> None:
    radars = [SimRadar("r1", 51.5, 21.0, pd=1.0)]
    targets = [
        SimTarget("a", (0.0, 0.0, 8000.0), (0.0, 220.0, 0.0), 0.0, 300.0, icao24="aaaaaa"),
        SimTarget("b", (600.0, 0.0, 8000.0), (0.0, 220.0, 0.0), 0.0, 300.0, icao24="bbbbbb"),
    ]
    stream = generate(FRAME, radars, targets, 0.0, 300.0, seed=4)
    out = run(stream)
    m = match_tracks(stream, out)
    assert len(m) == 2
    for tid, hits in m.items():
        name = max(hits, key=lambda k: len(hits[k]))
        icaos = {t.transponder.icao24 for t in out if t.id == tid and t.transponder}
        assert icaos == {"aaaaaa" if name == "a" else "bbbbbb"}


def test_crossing_targets_do_not_swap() -> None:
    radars = [SimRadar("r1", 51.5, 21.3, pd=1.0)]
    s = 100.0 * np.sqrt(0.5)
    targets = [
        SimTarget("a", (-s * 300, -s * 300, 3000.0), (s, s, 0.0), 0.0, 600.0),
        SimTarget("b", (s * 300, -s * 300, 3000.0), (-s, s, 0.0), 0.0, 600.0),
    ]
    out = run(generate(FRAME, radars, targets, 0.0, 600.0, seed=3))
    m = match_tracks(generate(FRAME, radars, targets, 0.0, 600.0, seed=3), out)
    assert len(m) == 2
    for hits in m.values():
        total = sum(len(v) for v in hits.values())
        assert max(len(v) for v in hits.values()) >= 0.95 * total


def test_clutter_alone_confirms_nothing_in_an_hour() -> None:
    radars = [SimRadar("r1", 52.0, 21.0, clutter_per_scan=5.0, max_range_m=250_000.0)]
    stream = generate(FRAME, radars, [], 0.0, 3600.0, seed=6)
    tracker = Tracker(FRAME)
    out = tracker.process(stream.detections) + tracker.finish()
    assert out == []
    st = tracker.stats
    assert st["tracks_confirmed"] == 0
    assert st["tentative_dropped"] == st["tracks_initiated"] > 1500


def test_a_turning_airliner_keeps_its_track() -> None:
    """A 3°/s turn at 200 m/s (1 g) between 10 s plots is beyond the CV model's gate;
    the maneuver gate and process-noise switch keep one track through it."""
    radars = [SimRadar("r1", 51.1, 21.0, pd=1.0)]
    tg = SimTarget(
        "a",
        (0.0, 0.0, 9000.0),
        (0.0, 200.0, 0.0),
        0.0,
        600.0,
        turn_rate_dps=3.0,
        turn_start=100.0,
        turn_end=160.0,
    )
    stream = generate(FRAME, radars, [tg], 0.0, 600.0, seed=2)
    tracker = Tracker(FRAME)
    out = tracker.process(stream.detections) + tracker.finish()
    assert {t.id for t in out} == {"T0001"}
    assert tracker.stats["maneuver_associations"] >= 1


def test_lost_after_coast_timeout_with_last_update() -> None:
    radars = [SimRadar("r1", 51.5, 21.0, pd=1.0)]
    targets = [
        SimTarget("short", (0.0, 0.0, 1000.0), (50.0, 0.0, 0.0), 0.0, 200.0),
        SimTarget("long", (20_000.0, 0.0, 1000.0), (0.0, 50.0, 0.0), 0.0, 400.0),
    ]
    stream = generate(FRAME, radars, targets, 0.0, 400.0, seed=1)
    tracker = Tracker(FRAME)
    out = tracker.process(stream.detections)
    lost = [t for t in out if t.status == "lost"]
    assert len(lost) == 1, "the short target's track is lost before the stream ends"
    tid = lost[0].id
    msgs = [t for t in out if t.id == tid]
    assert msgs[-1] is lost[0] and lost[0].time == msgs[-2].time
    assert 190.0 <= lost[0].time <= 200.0
    # reported once the stream had passed its last update + the coast timeout
    before = max(t.time for t in out[: out.index(lost[0])])
    assert before >= lost[0].time + TrackerConfig().coast_timeout_s - 12.0
    rest = tracker.finish()
    assert rest[-1].status == "lost" and {t.id for t in rest} == {"T0001", "T0002"} - {tid}


def test_finish_at_a_time_and_stats() -> None:
    stream = scenario(seed=3)
    tracker = Tracker(FRAME)
    half = [d for d in stream.detections if d.time < 300.0]
    out = tracker.process(half)
    out += tracker.finish(time=1000.0)
    c = Counter(t.status for t in out)
    st = tracker.stats
    assert c["lost"] == st["tracks_deleted"] == st["tracks_confirmed"] == 3
    assert st["tracks_live"] == 0
    assert st["frames"] > 0 and st["detections"] == len(half)


def test_a_lone_bearing_is_counted_and_starts_nothing() -> None:
    o = GeoPoint(lat=52.0, lon=21.0)
    b = Detection(
        id="b1",
        sensor_id="mic",
        time=1.0,
        measurement=BearingOnly(azimuth=45.0, origin=o),
        covariance=[[4.0]],
    )
    tracker = Tracker(FRAME)
    assert tracker.process([b]) == []
    tracker.finish()
    st = tracker.stats
    assert st["detections_bearing"] == 1 and st["detections_tdoa"] == 0
    assert st["tracks_initiated"] == 0 and st["acoustic_unused"] == 1


def test_far_jump_starts_a_new_track_instead_of_updating() -> None:
    """A detection 30 km away 10 s later (3 km/s) is not the same object."""
    o = GeoPoint(lat=51.5, lon=21.0, alt=100.0)
    cov = [[75.0**2, 0.0, 0.0], [0.0, 0.15**2, 0.0], [0.0, 0.0, 0.3**2]]

    def plot(k: int, rng: float, az: float) -> Detection:
        m = RangeBearing(range=rng, azimuth=az, elevation=1.0, origin=o)
        return Detection(
            id=f"p{k}", sensor_id="r", time=10.0 * k, measurement=m, covariance=cov, frame=k
        )

    dets = [plot(k, 50_000.0 + 400.0 * k, 10.0) for k in range(5)]
    dets.append(plot(5, 80_000.0, 10.0))
    tracker = Tracker(FRAME)
    out = tracker.process(dets) + tracker.finish()
    assert {t.id for t in out} == {"T0001"}
    assert max(t.hits for t in out) == 5
    assert tracker.stats["tracks_initiated"] == 2


def test_2d_radar_tracks_horizontally() -> None:
    radars = [SimRadar("r2d", 51.6, 21.2, pd=1.0, sigma_el_deg=None)]
    tg = SimTarget("a", (0.0, 0.0, 1500.0), (60.0, 30.0, 0.0), 0.0, 600.0)
    stream = generate(FRAME, radars, [tg], 0.0, 600.0, seed=8)
    out = run(stream)
    msgs = [t for t in out if t.status == "confirmed" and t.time > 100.0]
    assert {t.id for t in out} == {"T0001"}
    err = np.array(
        [FRAME.to_enu(t.lat, t.lon, t.alt) - tg.position(np.array(t.time)) for t in msgs]
    )
    assert float(np.sqrt(np.mean(np.sum(err[:, :2] ** 2, 1)))) < 150.0
    # height comes from the 1000 m prior, held loosely
    assert all(abs(t.alt - 1000.0) < 1500.0 for t in msgs)
    assert all(t.covariance[2][2] > 300.0**2 for t in msgs)


def test_adsb_address_moves_to_the_track_its_reports_follow() -> None:
    """Reports of one address that jump 30 km (a corrected position, a wrong holder) fail
    the holder's loose gate, start a new track, which takes the address over."""
    targets = [
        SimTarget("before", (0.0, 0.0, 9000.0), (0.0, 200.0, 0.0), 0.0, 200.0, icao24="abc123"),
        SimTarget(
            "after", (30_000.0, 0.0, 9000.0), (0.0, 200.0, 0.0), 200.0, 400.0, icao24="abc123"
        ),
    ]
    stream = generate(FRAME, [], targets, 0.0, 400.0, seed=5)
    tracker = Tracker(FRAME)
    out = tracker.process(stream.detections) + tracker.finish()
    assert list(dict.fromkeys(t.id for t in out)) == ["T0001", "T0002"]
    second = [t for t in out if t.id == "T0002"]
    assert second[0].time >= 200.0
    assert all(t.transponder is not None and t.transponder.icao24 == "abc123" for t in second)
    # every report went to the holder of its address except three: the two that
    # started tracks and the one that moved the address to the second track
    assert tracker.stats["adsb_icao_associations"] == len(stream.detections) - 3
