"""The run store: round trip, order, tamper evidence, clear errors on bad files."""

import sqlite3

import pytest

from dronewall.model import Detection, Event, GeodeticPosition, GeoPoint
from dronewall.store import RunStore, StoreError

COV = [[100.0, 0, 0], [0, 100.0, 0], [0, 0, 400.0]]


def det(i: int) -> Detection:
    return Detection(id=f"d{i}", sensor_id="adsb-1", time=1.7e9 + i,
                     measurement=GeodeticPosition(lat=52.0 + i * 1e-3, lon=21.0, alt=10000.0),
                     covariance=COV)


def ev(i: int) -> Event:
    return Event(id=f"e{i}", time=1.7e9 + i, kind="alert", message=f"alert {i}",
                 position=GeoPoint(lat=52.0, lon=21.0), details={"n": i})


def test_round_trip_keeps_order_topics_and_content(tmp_path):
    path = tmp_path / "run.sqlite"
    with RunStore.create(path) as store:
        store.set_meta("scenario", "x")
        store.append("detections", [det(i) for i in range(5)])
        store.append("events", [ev(0)])
        store.append("detections", [det(5)])
    with RunStore.open(path) as store:
        got = list(store.messages())
        assert [s for s, _, _ in got] == list(range(1, 8))
        assert [t for _, t, _ in got] == ["detections"] * 5 + ["events", "detections"]
        assert got[0][2] == det(0)
        assert got[5][2] == ev(0)
        assert store.meta()["scenario"] == "x"
        assert store.topics() == {"detections": 6, "events": 1}
        assert [m for _, _, m in store.messages(["events"])] == [ev(0)]
        assert store.verify()[0]


def test_create_replaces_an_existing_run(tmp_path):
    path = tmp_path / "run.sqlite"
    with RunStore.create(path) as store:
        store.append("events", [ev(0), ev(1)])
    with RunStore.create(path) as store:
        store.append("events", [ev(2)])
    with RunStore.open(path) as store:
        assert store.count() == 1


def test_tampering_breaks_the_chain(tmp_path):
    path = tmp_path / "run.sqlite"
    with RunStore.create(path) as store:
        store.append("events", [ev(i) for i in range(10)])
    conn = sqlite3.connect(path)
    payload = conn.execute("SELECT payload FROM messages WHERE seq=4").fetchone()[0]
    conn.execute("UPDATE messages SET payload=? WHERE seq=4",
                 (payload.replace(b"alert 3", b"alert X"),))
    conn.commit()
    conn.close()
    with RunStore.open(path) as store:
        ok, why = store.verify()
    assert not ok and "seq 4" in why


def test_deleted_row_breaks_the_chain(tmp_path):
    path = tmp_path / "run.sqlite"
    with RunStore.create(path) as store:
        store.append("events", [ev(i) for i in range(5)])
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM messages WHERE seq=2")
    conn.commit()
    conn.close()
    with RunStore.open(path) as store:
        assert not store.verify()[0]


def test_bad_files_give_clear_errors(tmp_path):
    with pytest.raises(StoreError, match="no such file"):
        RunStore.open(tmp_path / "missing.sqlite")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a dronewall run store"):
        RunStore.open(junk)
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(StoreError, match="not a dronewall run store"):
        RunStore.open(other)


def test_corrupt_message_is_named_by_seq(tmp_path):
    path = tmp_path / "run.sqlite"
    with RunStore.create(path) as store:
        store.append("events", [ev(0), ev(1)])
    conn = sqlite3.connect(path)
    conn.execute("UPDATE messages SET payload=? WHERE seq=2", (b'{"type":"event","id":3}',))
    conn.commit()
    conn.close()
    with RunStore.open(path) as store, pytest.raises(StoreError, match="seq 2"):
        list(store.messages())


def test_a_closed_run_is_one_file(tmp_path):
    path = tmp_path / "run.sqlite"
    with RunStore.create(path) as store:
        store.append("events", [ev(0)])
    with RunStore.open(path) as store:
        assert store.count() == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.sqlite"]
