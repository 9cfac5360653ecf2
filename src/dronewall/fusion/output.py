"""From tracker states to :class:`~dronewall.model.messages.Track` messages.

States are kept in the tracker's frame; a message carries the position as WGS84 and the
velocity and covariance in the local ENU at the track's position::

    v_local = M v_frame,   P_local = B P_frame Bᵀ,   B = diag(M, M)

with ``M`` from :meth:`LocalFrame.local_rotation`. The conversion is batched: rows pile
up while frames are processed and become messages in one go at :meth:`TrackWriter.flush`.
"""

from __future__ import annotations

import gc

import numpy as np
from numpy.typing import NDArray

from dronewall.fusion.geodesy import FastFrame
from dronewall.model.messages import Track, TrackStatus, Transponder

FloatArray = NDArray[np.float64]

# The message schema's altitude range (decoding rejects values outside it).
_ALT_MIN, _ALT_MAX = -1000.0, 1.0e6


# What a Track message carries besides the state: id, status, born, hits, sensors,
# transponder, acoustic class probabilities (a plain tuple: cheaper to make than a
# NamedTuple, one per message).
TrackMeta = tuple[
    str, TrackStatus, float, int, list[str], Transponder | None, dict[str, float] | None
]


class TrackWriter:
    """Collects states and metadata, frame by frame; each frame's rows are put in time
    order (stable, so a confirmed track's history precedes its confirmed state). With
    ``every_update`` False, :meth:`flush` keeps only the last row of each track (the
    picture as of the call, for high-rate feeds where one message per update costs
    more than the tracking)."""

    def __init__(self, frame: FastFrame, every_update: bool = True) -> None:
        self.frame = frame
        self.every_update = every_update
        self._x: list[FloatArray] = []
        self._p: list[FloatArray] = []
        self._t: list[FloatArray] = []
        self._meta: list[TrackMeta] = []
        self._done_x: list[FloatArray] = []
        self._done_p: list[FloatArray] = []
        self._done_t: list[FloatArray] = []
        self._done_meta: list[TrackMeta] = []

    def add(self, x: FloatArray, p: FloatArray, t: FloatArray, meta: list[TrackMeta]) -> None:
        """Queue k states (k, 6), (k, 6, 6), times (k,) with their metadata."""
        if len(meta):
            self._x.append(x)
            self._p.append(p)
            self._t.append(t)
            self._meta.extend(meta)

    def end_frame(self) -> None:
        """Close the current frame: its rows, sorted by time, join the finished ones."""
        if not self._meta:
            return
        if len(self._x) == 1:
            x, p, t, meta = self._x[0], self._p[0], self._t[0], self._meta
        else:
            x = np.concatenate(self._x)
            p = np.concatenate(self._p)
            t = np.concatenate(self._t)
            order = np.argsort(t, kind="stable")
            x, p, t = x[order], p[order], t[order]
            meta = [self._meta[i] for i in order.tolist()]
        self._done_x.append(x)
        self._done_p.append(p)
        self._done_t.append(t)
        self._done_meta.extend(meta)
        self._x, self._p, self._t, self._meta = [], [], [], []

    def flush(self) -> list[Track]:
        """Messages for every finished frame's rows, in order."""
        self.end_frame()
        if not self._done_meta:
            return []
        x = np.concatenate(self._done_x)
        p = np.concatenate(self._done_p)
        t = np.concatenate(self._done_t)
        meta = self._done_meta
        self._done_x, self._done_p, self._done_t, self._done_meta = [], [], [], []
        if not self.every_update:  # the latest state of each track only
            last = {m[0]: i for i, m in enumerate(meta)}
            if len(last) < len(meta):
                keep = np.array(sorted(last.values()), dtype=np.intp)
                x, p, t = x[keep], p[keep], t[keep]
                meta = [meta[i] for i in keep.tolist()]
        return self.messages(x, p, t, meta)

    def messages(
        self, x: FloatArray, p: FloatArray, t: FloatArray, meta: list[TrackMeta]
    ) -> list[Track]:
        """Track messages for states ``x`` (K, 6), ``p`` (K, 6, 6) at times ``t``.

        Building K messages allocates ~8K small containers (the covariance rows), which
        makes Python's cyclic garbage collector run hundreds of times over everything
        alive; these objects cannot form cycles, so collection is paused for the burst
        (and restored as it was): half the cost of a message on the demo stream."""
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._messages(x, p, t, meta)
        finally:
            if was_enabled:
                gc.enable()

    def _messages(
        self, x: FloatArray, p: FloatArray, t: FloatArray, meta: list[TrackMeta]
    ) -> list[Track]:
        lat, lon, alt = self.frame.to_geodetic(x[:, :3])
        m = self.frame.local_rotation(lat, lon)
        k = len(t)
        b = np.zeros((k, 6, 6))
        b[:, :3, :3] = m
        b[:, 3:, 3:] = m
        v = (m @ x[:, 3:, None])[:, :, 0]
        pl = b @ p @ b.transpose(0, 2, 1)
        pl = 0.5 * (pl + pl.transpose(0, 2, 1))
        alt = np.clip(alt, _ALT_MIN, _ALT_MAX)
        out = []
        for ti, la, lo, al, (ve, vn, vu), cov, (tid, status, born, hits, sensors, tr, cp) in zip(
            t.tolist(),
            lat.tolist(),
            lon.tolist(),
            alt.tolist(),
            v.tolist(),
            pl.tolist(),
            meta,
            strict=True,
        ):
            out.append(
                Track(
                    id=tid,
                    time=ti,
                    status=status,
                    lat=la,
                    lon=lo,
                    alt=al,
                    ve=ve,
                    vn=vn,
                    vu=vu,
                    covariance=cov,
                    born=born,
                    hits=hits,
                    sensors=sensors,
                    transponder=tr,
                    class_probs=cp,
                )
            )
        return out
