"""Cutting a time-ordered detection stream into assignment frames.

An assignment frame is a set of detections of one sensor in which each track may take
at most one detection:

- a scanning sensor numbers its revolutions (``Detection.frame``): one frame is all
  detections of one (sensor, number);
- detections without a number are grouped per sensor into windows of ``window_s``
  seconds from the window's first detection; a window also closes early when an ICAO
  address it already holds comes again (one report per aircraft per frame).

The stream interleaves sensors, so each sensor has one open frame. It is closed (handed
back for processing) when its sensor starts another frame, or when the stream's time
passes the frame's deadline: ``first time + span + margin`` for numbered frames, where
``span`` is learned per sensor as the longest time seen between the first detections
of consecutive frames (``initial_span_s`` until then), and ``first time + window_s``
for windows. Frames come back in the order they close, which keeps them close to time
order; several closing at once are sorted by first detection time.
"""

from __future__ import annotations

import math

from dronewall.model.messages import Detection


class _Open:
    __slots__ = ("deadline", "icaos", "idx", "number", "number_first", "t_first")

    def __init__(self, d: Detection, g: int, number_first: float, deadline: float) -> None:
        self.number = d.frame
        self.t_first = d.time
        self.number_first = number_first  # first time of this number, across splits
        self.deadline = deadline
        self.idx: list[int] = [g]
        self.icaos: set[str] | None = None


class FrameAssembler:
    """Groups detections into frames; see the module docstring. Detections are known by
    the index the caller gives them (increasing); a frame is the list of its indices."""

    def __init__(self, window_s: float, initial_span_s: float, margin_s: float) -> None:
        self.window_s = window_s
        self.initial_span_s = initial_span_s
        self.margin_s = margin_s
        self._open: dict[str, _Open] = {}
        self._span: dict[str, float] = {}
        self._continuing: dict[str, tuple[int, float]] = {}
        self._next_deadline = math.inf
        self.split_frames = 0  # numbered frames closed by deadline and continued later

    def span(self, sensor_id: str) -> float:
        """The frame span currently assumed for a sensor (s)."""
        return self._span.get(sensor_id, self.initial_span_s)

    def oldest(self, default: int) -> int:
        """The smallest index still in an open frame (``default`` if none is open)."""
        return min((o.idx[0] for o in self._open.values()), default=default)

    def push(self, d: Detection, g: int) -> list[list[int]] | None:
        """Add detection ``d`` with index ``g``; returns the frames this closes (or
        None)."""
        t = d.time
        closed: list[list[int]] | None = None
        if t > self._next_deadline:
            closed = self._close_due(t)
        sid = d.sensor_id
        o = self._open.get(sid)
        number = d.frame
        if o is not None:
            if number is None:
                tr = d.transponder
                icao = tr.icao24 if tr is not None else None
                if o.number is not None or t > o.deadline:
                    pass
                elif icao is not None:
                    if o.icaos is None:
                        o.icaos = {icao}
                        o.idx.append(g)
                        return closed
                    if icao not in o.icaos:
                        o.icaos.add(icao)
                        o.idx.append(g)
                        return closed
                else:
                    o.idx.append(g)
                    return closed
            elif number == o.number:
                o.idx.append(g)
                return closed
            # this detection starts a new frame of the same sensor
            if number is not None and o.number is not None and number == o.number + 1:
                self._learn(sid, t - o.number_first)
            del self._open[sid]
            if closed is None:
                closed = []
            closed.append(o.idx)
        self._start(d, g)
        return closed

    def _learn(self, sid: str, period: float) -> None:
        if period > self._span.get(sid, 0.0):
            self._span[sid] = period

    def _start(self, d: Detection, g: int) -> None:
        t = d.time
        sid = d.sensor_id
        if d.frame is None:
            o = _Open(d, g, t, t + self.window_s)
            tr = d.transponder
            if tr is not None and tr.icao24 is not None:
                o.icaos = {tr.icao24}
        else:
            number_first = t
            cont = self._continuing.pop(sid, None)
            if cont is not None:
                if cont[0] == d.frame:  # more of a frame closed by its deadline
                    number_first = cont[1]
                    self.split_frames += 1
                elif d.frame == cont[0] + 1:
                    self._learn(sid, t - cont[1])
            o = _Open(d, g, number_first, t + self.span(sid) + self.margin_s)
        self._open[sid] = o
        if o.deadline < self._next_deadline:
            self._next_deadline = o.deadline

    def _close_due(self, t: float) -> list[list[int]]:
        due = [(o.t_first, sid) for sid, o in self._open.items() if o.deadline < t]
        due.sort()
        out = []
        for _, sid in due:
            o = self._open.pop(sid)
            if o.number is not None:
                # a later detection with this number continues it as another frame
                self._continuing[sid] = (o.number, o.number_first)
            out.append(o.idx)
        self._next_deadline = min((o.deadline for o in self._open.values()), default=math.inf)
        return out

    def flush(self) -> list[list[int]]:
        """Close every open frame (end of stream), in order of first detection."""
        out = self._close_due(math.inf)
        self._continuing.clear()
        return out
