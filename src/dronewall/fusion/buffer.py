"""Detections received and not yet processed, with their converted measurements.

Converting measurements does not depend on the tracks, so it is done in bulk: every
detection of a :meth:`Tracker.process` call at once (:meth:`DetectionBuffer.convert`),
and otherwise whatever has arrived when a frame needs it. Detections are numbered in
arrival order (a global index); rows before the oldest detection still in an open frame
are dropped from time to time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter
from typing import Any, TypeVar, cast

import numpy as np
from numpy.typing import NDArray

from dronewall.fusion.measurements import MeasurementConverter
from dronewall.model.messages import BearingOnly, Detection, Tdoa

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
Int64Array = NDArray[np.int64]

_COMPACT_AT = 2048  # drop released rows once there are this many
_TRANSPONDER = attrgetter("transponder")


@dataclass
class FrameData:
    """The usable detections of one frame: ``dets`` (objects), ``z`` (M, 3), ``r``
    (M, 3, 3), ``t`` (M,), ``codes`` (M,) ICAO address codes (-1: none) or None when no
    detection of the frame has one; ``acoustic``: its bearing and TDOA detections
    (handled by the acoustic models, not converted to positions)."""

    dets: list[Detection]
    z: FloatArray
    r: FloatArray
    t: FloatArray
    codes: Int64Array | None
    acoustic: list[Detection] = field(default_factory=list)


class DetectionBuffer:
    """See the module docstring. ``code`` numbers the ICAO addresses (stable for the
    tracker's life)."""

    def __init__(self, converter: MeasurementConverter) -> None:
        self.converter = converter
        self.base = 0  # global index of dets[0]
        self.dets: list[Detection] = []
        self.codes: list[int] = []
        self._icao: dict[str, int] = {}
        self._nconv = 0  # dets[:_nconv] are converted
        self._ok = np.zeros(0, dtype=np.bool_)
        self._z = np.zeros((0, 3))
        self._r = np.zeros((0, 3, 3))
        self._t = np.zeros(0)
        self._c = np.zeros(0, dtype=np.int64)

    def append(self, d: Detection) -> int:
        """Keep a detection; returns its global index."""
        tr = d.transponder
        code = -1
        if tr is not None:
            icao = tr.icao24
            if icao is not None:
                code = self._icao.get(icao, -1)
                if code < 0:
                    code = self._icao[icao] = len(self._icao)
        self.codes.append(code)
        self.dets.append(d)
        return self.base + len(self.dets) - 1

    def extend(self, dets: Sequence[Detection]) -> int:
        """Keep detections (in order); returns the global index of the first. The same as
        :meth:`append` for each, with C-level passes when none carries a transponder
        (radar plots, most sensors): no Python work per detection."""
        first = self.base + len(self.dets)
        trs = list(map(_TRANSPONDER, dets))
        n = len(trs)
        if trs.count(None) == n:
            self.codes.extend(repeat(-1, n))
        else:
            icaos = self._icao
            codes = self.codes
            for tr in trs:
                code = -1
                if tr is not None:
                    icao = tr.icao24
                    if icao is not None:
                        code = icaos.get(icao, -1)
                        if code < 0:
                            code = icaos[icao] = len(icaos)
                codes.append(code)
        self.dets.extend(dets)
        return first

    def convert(self) -> None:
        """Convert every detection received so far."""
        self._convert_pending()

    def _convert_pending(self) -> None:
        new = self.dets[self._nconv :]
        if not new:
            return
        conv = self.converter.convert(new)
        start, stop = self._nconv, self._nconv + len(new)
        if stop > len(self._t):
            cap = max(2 * len(self._t), stop, 256)
            self._ok = _grow(self._ok, cap)
            self._z = _grow(self._z, cap)
            self._r = _grow(self._r, cap)
            self._t = _grow(self._t, cap)
            self._c = _grow(self._c, cap)
        self._ok[start:stop] = conv.ok
        self._z[start:stop] = conv.z
        self._r[start:stop] = conv.r
        self._t[start:stop] = conv.t
        self._c[start:stop] = self.codes[start:stop]
        self._nconv = stop

    def gather(self, idx: list[int]) -> FrameData:
        """The usable detections among global indices ``idx`` (ascending)."""
        base = self.base
        if idx[-1] - base >= self._nconv:
            self._convert_pending()
        pos = np.array(idx, dtype=np.intp)
        pos -= base
        ok = self._ok.take(pos)
        dets = self.dets
        acoustic: list[Detection] = []
        if not ok.all():
            for i in pos[~ok].tolist():
                if isinstance(dets[i].measurement, (BearingOnly, Tdoa)):
                    acoustic.append(dets[i])
            pos = pos[ok]
        pl = pos.tolist()
        codes = self._c.take(pos)
        return FrameData(
            [dets[i] for i in pl],
            self._z.take(pos, axis=0),
            self._r.take(pos, axis=0),
            self._t.take(pos),
            codes if codes.max(initial=-1) >= 0 else None,
            acoustic,
        )

    def release(self, keep_from: int) -> None:
        """Rows before global index ``keep_from`` are no longer needed."""
        k = keep_from - self.base
        if k < _COMPACT_AT:
            return
        k = min(k, self._nconv)
        del self.dets[:k]
        del self.codes[:k]
        m = self._nconv - k
        for name in ("_ok", "_z", "_r", "_t", "_c"):
            arr = getattr(self, name)
            arr[:m] = arr[k : k + m]
        self._nconv = m
        self.base += k


_A = TypeVar("_A", bound=NDArray[Any])


def _grow(a: _A, cap: int) -> _A:
    out = np.zeros((cap, *a.shape[1:]), dtype=a.dtype)
    out[: len(a)] = a
    return cast(_A, out)
