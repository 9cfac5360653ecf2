"""asterix-decoder in a child process, so that a record that crashes it cannot crash us.

asterix-decoder's C++ core reads some malformed records out of bounds and dies with
SIGSEGV (upstream issues CroatiaControlLtd/asterix #202, #225, #230; our fuzz test finds
such inputs in seconds), which no ``try`` can catch. So blocks are decoded in batches by
a worker process (started from a ``forkserver`` that has imported asterix once); when
the worker dies, a new one decodes that batch's blocks one at a time, and those that kill
it again are reported as crashes, not decoded. Clean data costs one round trip per batch.
"""

from __future__ import annotations

import multiprocessing as mp
import weakref
from multiprocessing.connection import Connection
from typing import Any

CRASH = "crash"
ERROR = "error"

# One result per block: ("ok", records) | ("error", text) | ("crash", text)
Result = tuple[str, Any]


def _prune(rec: dict[str, Any], keep: dict[int, frozenset[str]]) -> dict[str, Any]:
    """Only the items the reader uses: pickling whole records costs more than decoding."""
    items = keep.get(rec.get("category", -1))
    if items is None:
        return rec
    out = {k: v for k, v in rec.items() if k in items}
    out["category"] = rec.get("category")
    out["hexdata"] = None if rec.get("hexdata") is None else ""
    return out


def _worker(conn: Connection, keep: dict[int, frozenset[str]]) -> None:  # in the child
    import asterix

    while True:
        try:
            blocks = conn.recv()
        except EOFError:
            return
        out: list[Result] = []
        for b in blocks:
            try:
                recs = asterix.parse(b, verbose=False)
                out.append(("ok", [_prune(r, keep) for r in recs]))
            except Exception as e:  # the extension raises assorted types
                out.append((ERROR, f"{type(e).__name__}: {e}"))
        conn.send(out)


class IsolatedParser:
    """``asterix.parse`` of many blocks, in a worker process that may die; ``keep`` names,
    per category, the items to send back (all when the category is not in it)."""

    def __init__(self, keep: dict[int, frozenset[str]] | None = None) -> None:
        self._keep = keep or {}
        self._ctx = mp.get_context("forkserver")
        self._ctx.set_forkserver_preload(["asterix"])
        self._proc: Any = None
        self._conn: Connection | None = None
        self.restarts = 0
        self._finalizer = weakref.finalize(self, IsolatedParser._stop, [None, None])

    @staticmethod
    def _stop(state: list[Any]) -> None:
        proc, conn = state
        if conn is not None:
            conn.close()
        if proc is not None and proc.is_alive():
            proc.terminate()
            proc.join(timeout=5)

    def _start(self) -> Connection:
        if self._conn is None:
            parent, child = self._ctx.Pipe()
            self._proc = self._ctx.Process(target=_worker, args=(child, self._keep), daemon=True)
            self._proc.start()
            child.close()
            # handshake: a worker that cannot start (e.g. the main module cannot be
            # re-imported, as with ``python -`` from stdin) is an error, not a "crash"
            try:
                parent.send([])
                if not parent.poll(60.0) or parent.recv() != []:
                    raise EOFError
            except (EOFError, OSError):
                IsolatedParser._stop([self._proc, parent])
                self._proc = None
                raise RuntimeError(
                    "the asterix-decoder worker process did not start; run from a script "
                    "file or module, or decode in-process (isolate=False)"
                ) from None
            self._conn = parent
            self._finalizer.detach()
            self._finalizer = weakref.finalize(self, IsolatedParser._stop, [self._proc, self._conn])
        return self._conn

    def _kill(self) -> str:
        proc = self._proc
        IsolatedParser._stop([proc, self._conn])
        self._proc = self._conn = None
        self.restarts += 1
        code = proc.exitcode if proc is not None else None
        return f"asterix-decoder crashed (exit code {code})"

    def _round(self, blocks: list[bytes]) -> list[Result] | None:
        conn = self._start()
        try:
            conn.send(blocks)
            out: list[Result] = conn.recv()
            return out
        except (EOFError, OSError):
            return None

    def parse(self, blocks: list[bytes]) -> list[Result]:
        """One result per block, in order."""
        if not blocks:
            return []
        out = self._round(blocks)
        if out is not None:
            return out
        self._kill()
        if len(blocks) == 1:
            return [(CRASH, "asterix-decoder crashed on this block")]
        results: list[Result] = []
        for b in blocks:
            one = self._round([b])
            if one is None:
                results.append((CRASH, self._kill()))
            else:
                results.extend(one)
        return results

    def close(self) -> None:
        """Stop the worker (also done when the parser is garbage-collected)."""
        IsolatedParser._stop([self._proc, self._conn])
        self._proc = self._conn = None
