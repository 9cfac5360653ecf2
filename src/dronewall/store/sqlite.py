"""Every message of a run in one SQLite file, written as it happens, read back in order.

One table holds the messages in the order they were published: sequence number,
event time, topic (``detections``, ``tracks``, ``events``, ...), kind and the
message's JSON. A second holds run metadata (scenario, seed, versions, status).

Each row also carries a SHA-256 hash chained to the previous row's, so a stored run
is tamper-evident: :meth:`RunStore.verify` recomputes the chain and names the first
row that does not match. After-action reviews of engagements need that.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import msgspec

from dronewall.model import Message, decode, encode

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY,
    time REAL NOT NULL,
    topic TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload BLOB NOT NULL,
    chain BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_topic ON messages(topic, seq);
"""
STORE_FORMAT = "dronewall.store/1"
_GENESIS = b"\x00" * 32


class StoreError(Exception):
    """A store file that cannot be opened or read as a dronewall run."""


def _kind_of(msg: Message) -> str:
    return type(msg).__struct_config__.tag  # type: ignore[return-value]


class RunStore:
    """A run's message store. Open with ``RunStore.create(path)`` to write a new run
    (an existing file is replaced) or ``RunStore.open(path)`` to read one."""

    def __init__(self, conn: sqlite3.Connection, path: Path, writable: bool) -> None:
        self._conn = conn
        self.path = path
        self._writable = writable
        self._pending: list[tuple[int, float, str, str, bytes, bytes]] = []
        row = conn.execute("SELECT seq, chain FROM messages ORDER BY seq DESC LIMIT 1").fetchone()
        self._seq = row[0] if row else 0
        self._chain = row[1] if row else _GENESIS

    # ------------------------------------------------------------------ open / close
    @classmethod
    def create(cls, path: str | Path) -> RunStore:
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(p) + suffix).unlink(missing_ok=True)
        conn = sqlite3.connect(p)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(SCHEMA)
        conn.execute("INSERT INTO meta VALUES ('format', ?)", (json.dumps(STORE_FORMAT),))
        conn.commit()
        return cls(conn, p, writable=True)

    @classmethod
    def open(cls, path: str | Path) -> RunStore:
        p = Path(path)
        if not p.is_file():
            raise StoreError(f"{p}: no such file")
        try:
            conn = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
            fmt = conn.execute("SELECT value FROM meta WHERE key='format'").fetchone()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{p}: not a dronewall run store ({exc})") from None
        if fmt is None or json.loads(fmt[0]) != STORE_FORMAT:
            raise StoreError(f"{p}: not a dronewall run store (format {fmt and fmt[0]})")
        return cls(conn, p, writable=False)

    def close(self) -> None:
        if self._writable:
            self.flush()
            # WAL while writing (fast appends); a finished run is one self-contained file.
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._conn.execute("PRAGMA journal_mode=DELETE")
        self._conn.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ writing
    def set_meta(self, key: str, value: Any) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value, sort_keys=True))
        )
        self._conn.commit()

    def append(self, topic: str, messages: Iterable[Message]) -> None:
        """Queue messages of one topic; they reach the file at the next flush."""
        chain, seq = self._chain, self._seq
        rows = self._pending
        for msg in messages:
            payload = encode(msg)
            seq += 1
            chain = hashlib.sha256(chain + payload).digest()
            rows.append(
                (seq, float(getattr(msg, "time", 0.0)), topic, _kind_of(msg), payload, chain)
            )
        self._chain, self._seq = chain, seq
        if len(rows) >= 20_000:
            self.flush()

    def flush(self) -> None:
        """Write queued messages in one transaction."""
        if self._pending:
            with self._conn:
                self._conn.executemany("INSERT INTO messages VALUES (?,?,?,?,?,?)", self._pending)
            self._pending.clear()

    # ------------------------------------------------------------------ reading
    def meta(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self._conn.execute("SELECT key, value FROM meta")}

    def count(self, topic: str | None = None) -> int:
        if topic is None:
            return int(self._conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0])
        q = "SELECT COUNT(*) FROM messages WHERE topic=?"
        return int(self._conn.execute(q, (topic,)).fetchone()[0])

    def topics(self) -> dict[str, int]:
        q = "SELECT topic, COUNT(*) FROM messages GROUP BY topic ORDER BY topic"
        return dict(self._conn.execute(q).fetchall())

    def messages(self, topics: Sequence[str] | None = None) -> Iterator[tuple[int, str, Message]]:
        """(seq, topic, message) in publication order, decoded and validated."""
        if topics:
            marks = ",".join("?" * len(topics))
            cur = self._conn.execute(
                f"SELECT seq, topic, payload FROM messages WHERE topic IN ({marks}) ORDER BY seq",
                tuple(topics),
            )
        else:
            cur = self._conn.execute("SELECT seq, topic, payload FROM messages ORDER BY seq")
        for seq, topic, payload in cur:
            try:
                yield seq, topic, decode(payload)
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                raise StoreError(f"{self.path}: message seq {seq} ({topic}): {exc}") from None

    def verify(self) -> tuple[bool, str]:
        """Recompute the hash chain; (True, summary) or (False, first bad row)."""
        chain = _GENESIS
        n = 0
        for seq, payload, stored in self._conn.execute(
            "SELECT seq, payload, chain FROM messages ORDER BY seq"
        ):
            chain = hashlib.sha256(chain + payload).digest()
            n += 1
            if chain != stored or seq != n:
                return False, f"chain broken at message seq {seq}: altered, inserted or removed"
        return True, f"{n} messages, chain intact (head {chain.hex()[:16]})"
