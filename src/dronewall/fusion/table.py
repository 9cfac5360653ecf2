"""The live tracks, stored as columns (struct of arrays)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from dronewall.fusion.motion import STATE_DIM
from dronewall.model.messages import Transponder

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
BoolArray = NDArray[np.bool_]


class HistoryEntry(NamedTuple):
    """One past update of a tentative track, kept to be emitted at confirmation."""

    time: float
    x: FloatArray
    p: FloatArray
    hits: int
    sensors: list[str]
    transponder: Transponder | None
    class_probs: dict[str, float] | None = None


class TrackTable:
    """All live tracks (tentative and confirmed), one row each, rows ``0..n-1``.

    Numbers live in arrays sized to a capacity that doubles when full:
    ``x`` (state, tracker frame), ``p`` (covariance), ``t`` (time of the last update),
    ``born``, ``hits``, ``confirmed``, ``alive``, ``icao`` (code of the ICAO address the
    track holds, -1 for none), ``qscale`` (its process-noise multiplier, 1 unless
    maneuvering) and ``expire_at`` (when it is deleted unless updated). With an IMM
    (``mu0`` given: the mode probabilities of a new track) also ``xm``, ``pm`` (one state
    and covariance per mode) and ``mu`` (mode probabilities); ``x``, ``p`` are then their
    combined estimate.
    Per-track Python objects that are not numbers sit in parallel lists: ``ids`` (""
    while tentative), ``sensors`` (replaced, never mutated, when a sensor is added, so
    that emitted messages can share it), ``transponder``, ``history``, and the acoustic
    class evidence: ``class_sum`` (sum of the associated acoustic detections'
    ``class_probs``), ``class_n`` (how many) and ``class_probs`` (their mean, replaced
    at each change so messages can share it).

    Deleting is lazy: :meth:`kill` marks rows dead (position NaN, so no gate ever
    passes; no ICAO address; never expiring) and :meth:`compact` removes dead rows,
    keeping the order of the rest, once there are enough of them to be worth it.
    """

    def __init__(self, capacity: int = 64, mu0: FloatArray | None = None) -> None:
        self.n = 0
        self.dead = 0
        self.mu0 = np.zeros(0) if mu0 is None else np.asarray(mu0, dtype=float)
        self._alloc(capacity)
        self.ids: list[str] = []
        self.sensors: list[list[str]] = []
        self.transponder: list[Transponder | None] = []
        self.history: list[list[HistoryEntry]] = []
        self.class_sum: list[dict[str, float] | None] = []
        self.class_n: list[int] = []
        self.class_probs: list[dict[str, float] | None] = []

    def _alloc(self, cap: int) -> None:
        old = self.__dict__.copy()
        self.x = np.zeros((cap, STATE_DIM))
        self.p = np.zeros((cap, STATE_DIM, STATE_DIM))
        self.t = np.zeros(cap)
        self.born = np.zeros(cap)
        self.expire_at = np.zeros(cap)
        self.hits = np.zeros(cap, dtype=np.int64)
        self.confirmed = np.zeros(cap, dtype=np.bool_)
        self.alive = np.zeros(cap, dtype=np.bool_)
        self.icao = np.full(cap, -1, dtype=np.int64)
        self.qscale = np.ones(cap)
        m = len(self.mu0)
        self.xm = np.zeros((cap, m, STATE_DIM))
        self.pm = np.zeros((cap, m, STATE_DIM, STATE_DIM))
        self.mu = np.zeros((cap, m))
        n = self.n
        if n:
            for name in _COLUMNS:
                getattr(self, name)[:n] = old[name][:n]

    @property
    def capacity(self) -> int:
        return len(self.t)

    def add(
        self,
        x: FloatArray,
        p: FloatArray,
        t: FloatArray,
        icao: NDArray[np.int64],
        sensors: list[list[str]],
        transponder: list[Transponder | None],
    ) -> IntArray:
        """Append k new tracks (one hit each, tentative); returns their rows."""
        k = len(t)
        n = self.n
        if n + k > self.capacity:
            self._alloc(max(2 * self.capacity, n + k))
        rows = np.arange(n, n + k)
        self.x[n : n + k] = x
        self.p[n : n + k] = p
        self.t[n : n + k] = t
        self.born[n : n + k] = t
        self.hits[n : n + k] = 1
        self.confirmed[n : n + k] = False
        self.alive[n : n + k] = True
        self.icao[n : n + k] = icao
        self.qscale[n : n + k] = 1.0
        if len(self.mu0):
            self.xm[n : n + k] = x[:, None, :]
            self.pm[n : n + k] = p[:, None, :, :]
            self.mu[n : n + k] = self.mu0
        self.n = n + k
        self.ids.extend([""] * k)
        self.sensors.extend(sensors)
        self.transponder.extend(transponder)
        self.history.extend([] for _ in range(k))
        self.class_sum.extend([None] * k)
        self.class_n.extend([0] * k)
        self.class_probs.extend([None] * k)
        return rows

    def set_state(self, rows: IntArray, x: FloatArray, p: FloatArray) -> None:
        """Set the state of rows; an IMM track's modes all collapse onto it (its mode
        probabilities are kept)."""
        self.x[rows] = x
        self.p[rows] = p
        if len(self.mu0):
            self.xm[rows] = x[:, None, :]
            self.pm[rows] = p[:, None, :, :]

    def add_class_evidence(self, row: int, probs: dict[str, float]) -> None:
        """Fold one acoustic detection's class probabilities into the running mean."""
        acc = self.class_sum[row]
        if acc is None:
            acc = self.class_sum[row] = {}
        for key, v in probs.items():
            acc[key] = acc.get(key, 0.0) + v
        n = self.class_n[row] + 1
        self.class_n[row] = n
        self.class_probs[row] = {key: min(1.0, v / n) for key, v in acc.items()}

    def kill(self, rows: IntArray) -> None:
        """Mark rows dead (see the class docstring)."""
        self.x[rows, :3] = np.nan
        self.alive[rows] = False
        self.confirmed[rows] = False
        self.icao[rows] = -1
        self.expire_at[rows] = np.inf
        self.dead += len(rows)
        for r in rows.tolist():
            self.history[r] = []

    def compact(self, force: bool = False) -> None:
        """Remove the dead rows if they are many (or ``force``)."""
        n = self.n
        if self.dead == 0 or not (force or self.dead > max(32, n // 4)):
            return
        keep = np.flatnonzero(self.alive[:n])
        m = len(keep)
        for name in _COLUMNS:
            col = getattr(self, name)
            col[:m] = col[keep]
        self.n = m
        self.dead = 0
        kl = keep.tolist()
        self.ids = [self.ids[i] for i in kl]
        self.sensors = [self.sensors[i] for i in kl]
        self.transponder = [self.transponder[i] for i in kl]
        self.history = [self.history[i] for i in kl]
        self.class_sum = [self.class_sum[i] for i in kl]
        self.class_n = [self.class_n[i] for i in kl]
        self.class_probs = [self.class_probs[i] for i in kl]


_COLUMNS = (
    "x",
    "p",
    "t",
    "born",
    "expire_at",
    "hits",
    "confirmed",
    "alive",
    "icao",
    "qscale",
    "xm",
    "pm",
    "mu",
)
