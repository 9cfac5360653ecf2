"""The multi-target tracker: detections in, tracks out.

One frame at a time (see :mod:`dronewall.fusion.framing`)::

    convert detections to positions in the tracker frame      measurements.py, buffer.py
    delete tracks that timed out                              (TrackTable.expire_at)
    ADS-B first: each report to the track holding its ICAO
      address, if within the loose ICAO gate                  kalman.py
    gate every other track against every other detection,
      each track predicted to each detection's own time       association.py, kalman.py
    GNN for confirmed tracks, then GNN for tentative tracks
      with the detections left                                association.py
    maneuver gate: a confirmed track left without a detection
      may take one in its wider gate, with raised process
      noise                                                   (TrackerConfig, "Maneuvers")
    update the assigned tracks (batched; a detection older
      than its track's last update by retrodiction)           kalman.py
    confirm (M hits within the confirmation window)
    start tentative tracks from detections no track took and
      no confirmed track gated                                (single-point initiation)
    queue messages; they are built once per process() call    output.py

Acoustic detections (bearings, TDOAs) skip the frames: they are queued and processed
together, all nodes at once, in windows of ``acoustic_window_s`` of arrival time
(``_acoustic_window``): every track is predicted to each sound's emission time
(arrival - range / c), gated on the bearing / TDOA innovation, assigned by GNN per node
and report instant, and updated by EKF (or UKF), a track heard by several nodes taking
their detections in turn. What no track took and no confirmed track gated waits in a
pool, from which tracks are started by triangulation / multilateration (acoustic.py,
localise.py). Their ``class_probs`` are averaged into ``Track.class_probs``.

The state of every track lives in the arrays of :class:`~dronewall.fusion.table.TrackTable`
(N × 6 and N × 6 × 6, tracker LocalFrame ENU), and each step above is a handful of
array operations over all tracks and detections of the frame. An ADS-B report whose
address another track holds never updates a track holding a different address.

Output protocol: nothing for a tentative track; at confirmation, its tentative
history (each earlier update, status "tentative", at most ``history_length``) then the
confirmed state; then one "confirmed" message per update; at deletion one "lost"
message with the last updated state and the time of that update. Ids are "T0001",
"T0002", ... in order of confirmation (tracks that never confirm get none). Within a
frame messages are in time order; a frame's messages follow the previous frame's.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from dronewall.fusion import jpda
from dronewall.fusion.acoustic import (
    AcousticBatch,
    NlInnovations,
    nl_innovations,
    nl_update,
    to_batches,
)
from dronewall.fusion.association import chi2_gate, gnn, speed_pregate
from dronewall.fusion.buffer import DetectionBuffer, FrameData
from dronewall.fusion.config import TrackerConfig
from dronewall.fusion.framing import FrameAssembler
from dronewall.fusion.geodesy import FastFrame
from dronewall.fusion.imm import air_modes, imm_innovations, imm_update
from dronewall.fusion.kalman import Innovations, innovations, update
from dronewall.fusion.localise import locate
from dronewall.fusion.measurements import MeasurementConverter
from dronewall.fusion.motion import ConstantVelocity
from dronewall.fusion.output import TrackMeta, TrackWriter
from dronewall.fusion.table import HistoryEntry, TrackTable
from dronewall.geo.frames import LocalFrame
from dronewall.model.messages import BearingOnly, Detection, Tdoa, Track

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]
Int64Array = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

_DIAG3 = (0, 1, 2)
_BULK = 32  # convert a process() call's detections up front from this many
_ACOUSTIC = (BearingOnly, Tdoa)


class Tracker:
    """Multi-target tracker over radar plots and position reports; see the module
    docstring. Feed :meth:`process` with detections in time order (across calls too),
    end with :meth:`finish`. Larger batches per call are cheaper: measurement
    conversion and message building are batched per call."""

    def __init__(self, frame: LocalFrame, config: TrackerConfig | None = None) -> None:
        self.frame = frame
        self.config = config = config if config is not None else TrackerConfig()
        self._ff = FastFrame(frame)
        self._model = ConstantVelocity(config.q_horizontal, config.q_vertical)
        self._converter = MeasurementConverter.from_config(self._ff, config)
        self._buffer = DetectionBuffer(self._converter)
        self._frames = FrameAssembler(
            config.frame_window_s, config.frame_span_s, config.frame_margin_s
        )
        self._imm = None
        if config.motion == "imm":
            self._imm = air_modes(
                config.q_horizontal,
                config.q_vertical,
                config.imm_turn_rate_deg_s,
                config.maneuver_q_factor,
                config.imm_sojourn_s,
            )
        self._table = TrackTable(mu0=None if self._imm is None else self._imm.stationary)
        self._jpda = config.association == "jpda"
        self._writer = TrackWriter(self._ff, config.output_every_update)
        self._gamma = chi2_gate(config.gate_probability)
        self._gamma_maneuver = chi2_gate(config.maneuver_gate_probability)
        self._nis_high = chi2_gate(config.maneuver_nis_probability)
        self._pregate_sigma = math.sqrt(self._gamma_maneuver)
        self._icao_d2 = config.icao_gate_sigma**2
        vh = config.init_velocity_sigma_horizontal**2
        self._v0 = np.diag([vh, vh, config.init_velocity_sigma_vertical**2])
        self._next_number = 1
        self._next_expiry = math.inf
        self._counts = {
            "detections": 0,
            "detections_used": 0,
            "detections_unused": 0,
            "frames": 0,
            "adsb_icao_associations": 0,
            "maneuver_associations": 0,
            "tracks_initiated": 0,
            "tracks_confirmed": 0,
            "tracks_deleted": 0,
            "tentative_dropped": 0,
            "acoustic_used": 0,
            "acoustic_unused": 0,
            "acoustic_initiations": 0,
            "jpda_updates": 0,
        }
        self._gamma_dim = {d: chi2_gate(config.gate_probability, d) for d in (1, 2)}
        self._ukf = config.acoustic_filter == "ukf"
        self._pool: list[Detection] = []
        self._aq: deque[Detection] = deque()
        self._acoustic_counts = {"bearing": 0, "tdoa": 0}
        self._sensor_codes: dict[str, int] = {}

    # ------------------------------------------------------------------ public API

    def process(self, detections: Iterable[Detection]) -> list[Track]:
        """Take detections (time-ordered, across calls too); return the track messages
        of the frames this completes."""
        dets = detections if isinstance(detections, list) else list(detections)
        positional = dets
        if any(type(d.measurement) in _ACOUSTIC for d in dets):
            positional = []
            aq = self._aq
            for d in dets:
                if type(d.measurement) in _ACOUSTIC:
                    aq.append(d)
                    kind = "bearing" if type(d.measurement) is BearingOnly else "tdoa"
                    self._acoustic_counts[kind] += 1
                else:
                    positional.append(d)
        buffer = self._buffer
        first = buffer.extend(positional)
        if len(positional) >= _BULK:
            buffer.convert()
        push = self._frames.push
        run = self._process_frame
        window = self.config.acoustic_window_s
        for g, d in enumerate(positional, first):
            if self._aq and self._aq[0].time + window < d.time:
                self._flush_acoustic(d.time)
            closed = push(d, g)
            if closed:
                for idx in closed:
                    run(idx)
        if self._aq:
            self._flush_acoustic(max(self._aq[-1].time, dets[-1].time if dets else 0.0))
        self._counts["detections"] += len(dets)
        self._buffer.release(self._frames.oldest(self._buffer.base + len(self._buffer.dets)))
        return self._writer.flush()

    def finish(self, time: float | None = None) -> list[Track]:
        """Process the open frames, apply the timeouts at ``time`` (if given), then close
        every track: confirmed ones are reported "lost", tentative ones dropped."""
        for idx in self._frames.flush():
            self._process_frame(idx)
        self._flush_acoustic(math.inf)
        self._counts["acoustic_unused"] += len(self._pool)
        self._pool = []
        if time is not None:
            self._expire(time)
            self._writer.end_frame()
        tab = self._table
        live = np.flatnonzero(tab.alive[: tab.n])
        if len(live):
            self._delete(live)
            self._writer.end_frame()
        tab.compact(force=True)
        self._next_expiry = math.inf
        self._buffer.release(self._buffer.base + len(self._buffer.dets))
        return self._writer.flush()

    @property
    def stats(self) -> dict[str, int]:
        """Counters: detections seen, used (updated or started a track), unused (inside a
        confirmed track's gate but not assigned), acoustic detections per kind
        (``detections_bearing``, ``detections_tdoa``), of them used (updated a track or
        started one: ``acoustic_used``) or not, tracks started from acoustic fixes
        (``acoustic_initiations``), frames, ADS-B detections that went
        to the track holding their address, tracks initiated, confirmed, deleted
        (confirmed then lost), tentative tracks dropped, live tracks now."""
        out = dict(self._counts)
        for kind, count in self._acoustic_counts.items():
            out[f"detections_{kind}"] = count
        tab = self._table
        out["tracks_live"] = int(tab.alive[: tab.n].sum())
        out["tracks_confirmed_live"] = int(tab.confirmed[: tab.n].sum())
        out["split_frames"] = self._frames.split_frames
        return out

    # ------------------------------------------------------------------ one frame

    def _process_frame(self, idx: list[int]) -> None:
        self._counts["frames"] += 1
        fr = self._buffer.gather(idx)
        m = len(fr.t)
        if m == 0:
            return
        now = float(fr.t.min())
        if now > self._next_expiry:
            self._expire(now)
        tab = self._table
        n = tab.n
        taken_c = np.zeros(m, dtype=np.bool_)
        in_conf: BoolArray | None = None
        if n:
            parts: list[Innovations] = []
            taken_r = None
            if fr.codes is not None:
                held = self._holders(fr)
                if held is not None:
                    parts.append(held)
                    taken_c[held.cols] = True
                    taken_r = np.zeros(n, dtype=np.bool_)
                    taken_r[held.rows] = True
            rest = np.flatnonzero(~taken_c) if parts else None
            soft = None
            if rest is None or len(rest):
                chosen, in_conf, soft = self._associate(fr, rest, taken_r, n, m)
                if chosen is not None:
                    parts.append(chosen)
                    taken_c[chosen.cols] = True
            if parts:
                self._update(Innovations.concat(parts), fr)
            if soft is not None:
                taken_c |= self._jpda_update(soft, fr, m)
        # detections no track took and no confirmed track gated start new tracks
        blocked = taken_c if in_conf is None else taken_c | in_conf
        free = np.flatnonzero(~blocked)
        taken = int(taken_c.sum())
        self._counts["detections_used"] += taken + len(free)
        self._counts["detections_unused"] += m - taken - len(free)
        if len(free):
            self._initiate(free, fr)
        self._writer.end_frame()
        if tab.dead:
            tab.compact()

    def _holders(self, fr: FrameData) -> Innovations | None:
        """ADS-B detections paired with the track holding their ICAO address, kept if
        within the loose ICAO gate (one detection per track: the nearest)."""
        codes = fr.codes
        assert codes is not None
        tab = self._table
        n = tab.n
        m = len(codes)
        # -1 (no address) must not match -1: compare with -2 for those
        hit = np.flatnonzero(tab.icao[:n, None] == np.where(codes >= 0, codes, -2)[None, :])
        if not len(hit):
            return None
        rows, cols = np.divmod(hit, m)
        inn = self._innovations(fr, rows, cols, tab.qscale)
        ok = inn.d2 <= self._icao_d2
        if not ok.all():
            inn = inn.take(np.flatnonzero(ok))
            if not len(inn):
                return None
        if len(inn) > 1 and np.bincount(inn.rows).max() > 1:
            inn = inn.take(gnn(inn.rows, inn.cols, inn.d2, inn.d2))
        self._counts["adsb_icao_associations"] += len(inn)
        return inn

    def _associate(
        self,
        fr: FrameData,
        rest: IntArray | None,
        taken_r: BoolArray | None,
        n: int,
        m: int,
    ) -> tuple[Innovations | None, BoolArray, Innovations | None]:
        """Gate the detections ``rest`` (all if None) against the tracks not in
        ``taken_r``; GNN over confirmed tracks, then over tentative tracks with the
        detections left. Returns the chosen pairs, which detections lie inside a
        confirmed track's gate, and (with JPDA) the gated pairs of the confirmed tracks
        that JPDA updates instead: all their forward pairs (tentative tracks, and
        detections older than a track's last update, stay with GNN)."""
        tab = self._table
        x, p, t = tab.x, tab.p, tab.t
        z, r, tz = fr.z, fr.r, fr.t
        if rest is not None:
            z, r, tz = z.take(rest, axis=0), r.take(rest, axis=0), tz.take(rest)
        g = self._pregate_sigma
        pd = p[:n, _DIAG3, _DIAG3]
        spread = g * np.sqrt(pd[:, 0] + pd[:, 1] + pd[:, 2])
        rd = r[:, _DIAG3, _DIAG3]
        zspread = g * np.sqrt(rd[:, 0] + rd[:, 1] + rd[:, 2])
        rows, cols = speed_pregate(
            x[:n, :3], t[:n], spread, z, tz, zspread, self.config.max_speed_mps
        )
        if rest is not None:
            cols = rest.take(cols)
        in_conf = np.zeros(m, dtype=np.bool_)
        if not len(rows):
            return None, in_conf, None
        keep = None
        if taken_r is not None:
            keep = ~taken_r.take(rows)
        codes = fr.codes
        if codes is not None:
            tc, dc = tab.icao.take(rows), codes.take(cols)
            ok = (tc < 0) | (dc < 0) | (tc == dc)
            keep = ok if keep is None else keep & ok
        if keep is not None and not keep.all():
            rows, cols = rows[keep], cols[keep]
            if not len(rows):
                return None, in_conf, None
        inn = self._innovations(fr, rows, cols, tab.qscale)
        d2 = inn.d2
        gated = d2 <= self._gamma
        confirmed = tab.confirmed.take(inn.rows)
        in_conf[inn.cols[gated & confirmed]] = True
        soft = None
        if self._jpda and gated.any():
            joint = gated & confirmed & (inn.dt >= 0.0)
            if joint.any():
                soft = inn.take(np.flatnonzero(joint))
                jrows = np.zeros(n, dtype=np.bool_)
                jrows[soft.rows] = True
                jcols = np.zeros(m, dtype=np.bool_)
                jcols[soft.cols] = True
                # a JPDA track takes no other pair, and its detections go to no other track
                gated = gated & ~joint & ~jrows.take(inn.rows) & ~jcols.take(inn.cols)
        chosen = self._gnn(inn, gated, confirmed, m) if gated.any() else None
        # maneuver gate: confirmed tracks left without a detection, detections left
        # outside every confirmed gate
        wide = np.flatnonzero(confirmed & ~gated & (d2 <= self._gamma_maneuver))
        if len(wide):
            taken_c = in_conf.copy()
            taken_rows = np.zeros(n, dtype=np.bool_)
            if soft is not None:
                taken_rows[soft.rows] = True
            if chosen is not None:
                taken_c[inn.cols.take(chosen)] = True
                taken_rows[inn.rows.take(chosen)] = True
            wide = wide[~taken_c.take(inn.cols.take(wide)) & ~taken_rows.take(inn.rows.take(wide))]
            if len(wide):
                wide = wide[gnn(inn.rows[wide], inn.cols[wide], d2[wide], d2[wide])]
                man = (
                    inn.take(wide)  # the IMM's maneuver mode is the response
                    if self._imm is not None
                    else self._innovations(
                        fr,
                        inn.rows[wide],
                        inn.cols[wide],
                        np.full(n, self.config.maneuver_q_factor),
                    )
                )
                man.d2 = d2[wide]  # as gated: marks the pairs as maneuvering
                self._counts["maneuver_associations"] += len(wide)
                parts = [man] if chosen is None else [inn.take(chosen), man]
                return Innovations.concat(parts), in_conf, soft
        return (None if chosen is None else inn.take(chosen)), in_conf, soft

    def _jpda_update(self, inn: Innovations, fr: FrameData, m: int) -> BoolArray:
        """JPDA update of the confirmed tracks of ``inn`` (all their gated forward pairs;
        see :mod:`dronewall.fusion.jpda`). A track whose detection probability
        (``1 - β0``) is at least one half counts a hit (its expiry, confirmation and
        messages as any update); the others only take the soft update. Returns which
        detections were used (association probability ≥ 0.5)."""
        cfg = self.config
        tab = self._table
        lam = cfg.jpda_clutter_density
        clutter = (
            jpda.nonparametric_clutter(inn.rows, inn.det, self._gamma) if lam is None else lam
        )
        beta, beta0 = jpda.marginals(
            inn.rows,
            inn.cols,
            jpda.log_likelihood(inn.d2, inn.det),
            cfg.jpda_detection_probability,
            cfg.gate_probability,
            clutter,
            n_tracks=tab.n,
        )
        rows, x_new, p_new = jpda.jpda_update_pairs(
            inn.rows, inn.xp, inn.pp, inn.nu, inn.s_inv, beta, beta0
        )
        first = np.unique(inn.rows, return_index=True)[1]
        t_new = fr.t.take(inn.cols.take(first))
        tab.set_state(rows, x_new, p_new)
        tab.t[rows] = t_new
        self._counts["jpda_updates"] += len(rows)
        hit = beta0.take(rows) <= 0.5
        used = np.zeros(m, dtype=np.bool_)
        used[inn.cols[beta >= 0.5]] = True
        # the most likely detection of each hit track names its sensor and transponder
        order = np.lexsort((-beta, inn.rows))
        top = order[np.unique(inn.rows[order], return_index=True)[1]]
        sensors, transponder, dets = tab.sensors, tab.transponder, fr.dets
        for r, j, h in zip(rows.tolist(), inn.cols[top].tolist(), hit.tolist(), strict=True):
            if not h:
                continue
            d = dets[j]
            if d.sensor_id not in sensors[r]:
                sensors[r] = [*sensors[r], d.sensor_id]
            if d.transponder is not None:
                transponder[r] = d.transponder
        if hit.any():
            hr = rows[hit]
            tab.hits[hr] += 1
            self._after_update(hr, hr.tolist(), x_new[hit], p_new[hit], t_new[hit])
        return used

    def _gnn(self, inn: Innovations, gated: BoolArray, confirmed: BoolArray, m: int) -> IntArray:
        """Indices of the chosen gated pairs: GNN over confirmed tracks, then over
        tentative tracks with the detections left."""
        sel = np.flatnonzero(gated)
        rows, cols = inn.rows.take(sel), inn.cols.take(sel)
        if len(sel) == 1 or (np.bincount(rows).max() == 1 and np.bincount(cols).max() == 1):
            return sel  # no conflicts: every gated pair is chosen
        cost = inn.cost()
        miss = 0.5 * (self._gamma + np.log(inn.det))
        out = []
        first = np.flatnonzero(gated & confirmed)
        if len(first):
            out.append(first[gnn(inn.rows[first], inn.cols[first], cost[first], miss[first])])
        taken = np.zeros(m, dtype=np.bool_)
        if out:
            taken[inn.cols[out[0]]] = True
        second = np.flatnonzero(gated & ~confirmed & ~taken.take(inn.cols))
        if len(second):
            out.append(second[gnn(inn.rows[second], inn.cols[second], cost[second], miss[second])])
        return np.sort(np.concatenate(out)) if len(out) > 1 else out[0]

    def _innovations(
        self, fr: FrameData, rows: IntArray, cols: IntArray, qscale: FloatArray | None
    ) -> Innovations:
        """Tracks ``rows`` predicted to detections ``cols`` of the frame (IMM or CV)."""
        tab = self._table
        if self._imm is not None:
            return imm_innovations(
                self._imm, tab.xm, tab.pm, tab.mu, tab.t, fr.z, fr.r, fr.t, rows, cols
            )
        return innovations(self._model, tab.x, tab.p, tab.t, fr.z, fr.r, fr.t, rows, cols, qscale)

    def _update(self, inn: Innovations, fr: FrameData) -> None:
        tab = self._table
        rows = inn.rows
        cfg = self.config
        if self._imm is not None:
            x_new, p_new, t_new, xm, pm, mu = imm_update(
                self._imm, tab.xm, tab.pm, tab.t, fr.t, inn
            )
            tab.xm[rows] = xm
            tab.pm[rows] = pm
            tab.mu[rows] = mu
        else:
            x_new, p_new, t_new = update(tab.x, tab.p, tab.t, fr.t, inn)
            tab.qscale[rows] = np.where(
                inn.d2 > self._nis_high,
                cfg.maneuver_q_factor,
                np.maximum(1.0, tab.qscale.take(rows) * cfg.maneuver_decay),
            )
        tab.x[rows] = x_new
        tab.p[rows] = p_new
        tab.t[rows] = t_new
        tab.hits[rows] += 1
        sensors, transponder = tab.sensors, tab.transponder
        dets = fr.dets
        rl = rows.tolist()
        for r, j in zip(rl, inn.cols.tolist(), strict=True):
            d = dets[j]
            s = sensors[r]
            if d.sensor_id not in s:
                sensors[r] = [*s, d.sensor_id]
            if d.transponder is not None:
                transponder[r] = d.transponder
        if fr.codes is not None:
            dc = fr.codes.take(inn.cols)
            change = (dc >= 0) & (tab.icao.take(rows) != dc)
            for k in np.flatnonzero(change).tolist():
                self._hold(rl[k], int(dc[k]))
        self._after_update(rows, rl, x_new, p_new, t_new)

    def _hold(self, row: int, code: int) -> None:
        """Give an ICAO address to a track, taking it from any other."""
        icao = self._table.icao[: self._table.n]
        icao[icao == code] = -1
        icao[row] = code

    def _initiate(self, free: IntArray, fr: FrameData) -> None:
        """Single-point initiation: position from the measurement, zero velocity with
        the configured velocity uncertainty, no position-velocity correlation."""
        k = len(free)
        x0 = np.zeros((k, 6))
        x0[:, :3] = fr.z.take(free, axis=0)
        p0 = np.zeros((k, 6, 6))
        p0[:, :3, :3] = fr.r.take(free, axis=0)
        p0[:, 3:, 3:] = self._v0
        t0 = fr.t.take(free)
        dets = [fr.dets[j] for j in free.tolist()]
        tab = self._table
        if fr.codes is None:
            icao = np.full(k, -1, dtype=np.int64)
        else:
            # a new track holds the detection's address unless a live track does; it
            # takes it over with its first update (``_hold``) if the reports follow it
            icao = fr.codes.take(free)
            icao[np.isin(icao, tab.icao[: tab.n])] = -1
        rows = tab.add(
            x0, p0, t0, icao, [[d.sensor_id] for d in dets], [d.transponder for d in dets]
        )
        self._counts["tracks_initiated"] += k
        self._after_update(rows, rows.tolist(), x0, p0, t0)

    def _after_update(
        self, rows: IntArray, rl: list[int], x: FloatArray, p: FloatArray, t: FloatArray
    ) -> None:
        """Confirmation, history, expiry times and messages of rows just updated (or
        started) to states x, p at times t."""
        cfg = self.config
        tab = self._table
        was = tab.confirmed.take(rows)
        if was.all():
            tab.expire_at[rows] = t + cfg.coast_timeout_s
            self._emit(rl, x, p, t)
            return
        born = tab.born.take(rows)
        hits = tab.hits.take(rows)
        newly = ~was & (hits >= cfg.confirm_hits) & (t - born <= cfg.confirm_window_s)
        now_conf = was | newly
        expire = np.where(
            now_conf,
            t + cfg.coast_timeout_s,
            np.minimum(t + cfg.tentative_timeout_s, born + cfg.confirm_window_s),
        )
        tab.expire_at[rows] = expire
        low = float(expire.min())
        if low < self._next_expiry:
            self._next_expiry = low
        if newly.any():
            self._confirm(rows, newly, t)
        tentative = np.flatnonzero(~now_conf)
        if len(tentative):
            self._remember(rl, tentative, x, p, t)
        if len(tentative) < len(rl):
            idx = np.flatnonzero(now_conf)
            self._emit([rl[i] for i in idx.tolist()], x[idx], p[idx], t[idx])

    def _emit(self, rl: list[int], x: FloatArray, p: FloatArray, t: FloatArray) -> None:
        """Queue "confirmed" messages for rows ``rl`` with states x, p at times t."""
        tab = self._table
        ids, sensors, transponder, cp = tab.ids, tab.sensors, tab.transponder, tab.class_probs
        born = tab.born.take(rl).tolist()
        hits = tab.hits.take(rl).tolist()
        self._writer.add(
            x,
            p,
            t,
            [
                (ids[r], "confirmed", b, h, sensors[r], transponder[r], cp[r])
                for r, b, h in zip(rl, born, hits, strict=True)
            ],
        )

    def _remember(
        self, rl: list[int], which: IntArray, x: FloatArray, p: FloatArray, t: FloatArray
    ) -> None:
        """Append the new state of still-tentative rows (``which``) to their history."""
        tab = self._table
        keep = self.config.history_length
        if keep == 0:
            return
        tl = t.tolist()
        hits = tab.hits
        for i in which.tolist():
            r = rl[i]
            h = tab.history[r]
            h.append(
                # x, p are fresh arrays nobody writes to later: views are safe
                HistoryEntry(
                    tl[i],
                    x[i],
                    p[i],
                    int(hits[r]),
                    tab.sensors[r],
                    tab.transponder[r],
                    tab.class_probs[r],
                )
            )
            if len(h) > keep:
                del h[0]

    def _confirm(self, rows: IntArray, newly: BoolArray, t: FloatArray) -> None:
        """Give ids (in time order) to newly confirmed rows and emit their history."""
        tab = self._table
        idx = np.flatnonzero(newly)
        idx = idx[np.argsort(t[idx], kind="stable")]
        for r in rows[idx].tolist():
            tab.confirmed[r] = True
            tid = f"T{self._next_number:04d}"
            self._next_number += 1
            tab.ids[r] = tid
            hist = tab.history[r]
            if hist:
                self._writer.add(
                    np.stack([h.x for h in hist]),
                    np.stack([h.p for h in hist]),
                    np.array([h.time for h in hist]),
                    [
                        (
                            tid,
                            "tentative",
                            float(tab.born[r]),
                            h.hits,
                            h.sensors,
                            h.transponder,
                            h.class_probs,
                        )
                        for h in hist
                    ],
                )
            tab.history[r] = []
        self._counts["tracks_confirmed"] += len(idx)

    # ------------------------------------------------------------------ acoustic

    def _flush_acoustic(self, now: float) -> None:
        """Process the queued acoustic detections in windows of ``acoustic_window_s``
        (across all nodes) whose end is at or before ``now``."""
        aq = self._aq
        window = self.config.acoustic_window_s
        while aq and aq[0].time + window <= now:
            end = aq[0].time + window
            batch = []
            while aq and aq[0].time < end:
                batch.append(aq.popleft())
            self._acoustic_window(batch)

    def _acoustic_window(self, dets: list[Detection]) -> None:
        """Bearings and TDOAs of all nodes over one short window: gate against every
        track (each predicted to the sound's emission time), GNN per node and report
        instant (confirmed tracks first), EKF updates (a track heard by several nodes
        takes their detections one after another); the rest goes to the pool from which
        tracks are started."""
        self._counts["frames"] += 1
        cfg = self.config
        now = min(d.time for d in dets)
        if now > self._next_expiry:
            self._expire(now)
        codes = self._sensor_codes
        batches = to_batches(
            dets, self._converter.placement, cfg.sensor_latency_s, cfg.sensor_azimuth_bias_deg
        )
        for b in batches:
            key = np.array(
                [codes.setdefault(dets[i].sensor_id, len(codes)) for i in b.idx.tolist()],
                dtype=np.int64,
            )
            # one assignment per (node, report instant)
            _, inst = np.unique(b.t, return_inverse=True)
            key = key * (int(inst.max()) + 1) + inst
            free = self._acoustic_associate(b, dets, key)
            self._pool.extend(dets[i] for i in b.idx[free].tolist())
        self._acoustic_initiate(now)
        self._writer.end_frame()
        tab = self._table
        if tab.dead:
            tab.compact()

    def _acoustic_associate(
        self, b: AcousticBatch, dets: list[Detection], key: Int64Array
    ) -> BoolArray:
        """Associate and update one batch (``key``: node and instant of each detection);
        returns which of its detections no track took and no confirmed track gated."""
        cfg = self.config
        tab = self._table
        n = tab.n
        k = len(b)
        free = np.ones(k, dtype=np.bool_)
        if n == 0:
            return free
        x, p, t = tab.x, tab.p, tab.t
        pd = p[:n, _DIAG3, _DIAG3]
        spread = self._pregate_sigma * np.sqrt(pd[:, 0] + pd[:, 1] + pd[:, 2])
        rows, cols = speed_pregate(
            x[:n, :3],
            t[:n],
            spread,
            b.o,
            b.t,
            np.full(k, cfg.acoustic_max_range_m),
            cfg.max_speed_mps,
        )
        if not len(rows):
            return free
        c = cfg.speed_of_sound_mps
        retard = cfg.acoustic_retardation
        inn = nl_innovations(self._model, x, p, t, b, rows, cols, c, retard, tab.qscale, self._ukf)
        gamma = self._gamma_dim[b.dim]
        gated = inn.d2 <= gamma
        if not gated.any():
            return free
        inn = inn.take(np.flatnonzero(gated))
        confirmed = tab.confirmed.take(inn.rows)
        free[inn.cols[confirmed]] = False
        pick = self._assign_by_key(inn, confirmed, key, gamma)
        taken = np.zeros(k, dtype=np.bool_)
        taken[inn.cols[pick]] = True
        free &= ~taken
        self._counts["acoustic_used"] += int(taken.sum())
        self._counts["acoustic_unused"] += int((~taken & ~free).sum())
        chosen = inn.take(pick)
        # rounds: a track's first detection of the window, then its second, ...
        order = np.lexsort((b.t[chosen.cols], chosen.rows))
        chosen = chosen.take(order)
        rr = chosen.rows
        rank = np.arange(len(rr)) - np.searchsorted(rr, rr, side="left")
        for rnd in range(int(rank.max()) + 1 if len(rank) else 0):
            sel = np.flatnonzero(rank == rnd)
            if rnd == 0:
                step = chosen.take(sel)
            else:  # states moved since: recompute, keep those still in the gate
                step = nl_innovations(
                    self._model,
                    x,
                    p,
                    t,
                    b,
                    rr[sel],
                    chosen.cols[sel],
                    c,
                    retard,
                    tab.qscale,
                    self._ukf,
                )
                step = step.take(np.flatnonzero(step.d2 <= self._gamma_maneuver))
                if not len(step):
                    continue
            self._acoustic_update(step, b, dets)
        return free

    def _assign_by_key(
        self, inn: NlInnovations, confirmed: BoolArray, key: Int64Array, gamma: float
    ) -> IntArray:
        """Indices of the chosen gated pairs: within each (node, instant) a one-to-one
        GNN (confirmed tracks first); pairs without conflict are chosen directly."""
        kk = key[inn.cols]
        rk = inn.rows.astype(np.int64) * (int(key.max()) + 1) + kk
        _, rk_inv, rk_count = np.unique(rk, return_inverse=True, return_counts=True)
        col_count = np.bincount(inn.cols)
        clash = (rk_count[rk_inv] > 1) | (col_count[inn.cols] > 1)
        if not clash.any():
            return np.arange(len(inn), dtype=np.intp)
        bad_keys = np.unique(kk[clash])
        in_bad = np.isin(kk, bad_keys)
        out = [np.flatnonzero(~in_bad)]
        logdet = np.log(inn.det)
        cost = 0.5 * (inn.d2 + logdet)
        miss = 0.5 * (gamma + logdet)
        for kv in bad_keys.tolist():
            grp = np.flatnonzero(kk == kv)
            first = grp[confirmed[grp]]
            taken_cols: set[int] = set()
            if len(first):
                sel = first[gnn(inn.rows[first], inn.cols[first], cost[first], miss[first])]
                out.append(sel)
                taken_cols.update(inn.cols[sel].tolist())
            second = grp[~confirmed[grp]]
            if len(second):
                second = second[~np.isin(inn.cols[second], list(taken_cols))]
            if len(second):
                sel = second[gnn(inn.rows[second], inn.cols[second], cost[second], miss[second])]
                out.append(sel)
        return np.sort(np.concatenate(out))

    def _acoustic_update(self, inn: NlInnovations, b: AcousticBatch, dets: list[Detection]) -> None:
        tab = self._table
        x_new, p_new, t_new = nl_update(tab.x, tab.p, tab.t, inn)
        rows = inn.rows
        tab.set_state(rows, x_new, p_new)
        tab.t[rows] = t_new
        tab.hits[rows] += 1
        cfg = self.config
        tab.qscale[rows] = np.maximum(1.0, tab.qscale.take(rows) * cfg.maneuver_decay)
        rl = rows.tolist()
        sensors = tab.sensors
        for r, j in zip(rl, b.idx[inn.cols].tolist(), strict=True):
            d = dets[j]
            s = sensors[r]
            if d.sensor_id not in s:
                sensors[r] = [*s, d.sensor_id]
            if d.class_probs:
                tab.add_class_evidence(r, d.class_probs)
        self._after_update(rows, rl, x_new, p_new, t_new)

    def _acoustic_initiate(self, now: float) -> None:
        """Start tracks from the pool: triangulated bearings, multilaterated TDOAs."""
        cfg = self.config
        pool = [d for d in self._pool if d.time >= now - cfg.acoustic_pool_s]
        self._counts["acoustic_unused"] += len(self._pool) - len(pool)
        self._pool = pool
        if len(pool) < 2:
            return
        batches = to_batches(
            pool, self._converter.placement, cfg.sensor_latency_s, cfg.sensor_azimuth_bias_deg
        )
        codes = self._sensor_codes
        sensors = [
            np.array(
                [codes.setdefault(pool[i].sensor_id, len(codes)) for i in b.idx.tolist()],
                dtype=np.intp,
            )
            for b in batches
        ]
        c = cfg.speed_of_sound_mps
        fixes = locate(
            batches,
            sensors,
            c=c,
            max_dt=cfg.acoustic_pair_window_s,
            max_baseline=cfg.acoustic_max_baseline_m,
            max_range=cfg.acoustic_max_range_m,
            gate_probability=cfg.gate_probability,
            min_sensors=cfg.acoustic_min_sensors,
            altitude_prior=(cfg.acoustic_altitude_m, cfg.acoustic_altitude_sigma_m),
        )
        if not fixes:
            return
        used: set[int] = set()
        k = len(fixes)
        x0 = np.zeros((k, 6))
        p0 = np.zeros((k, 6, 6))
        t0 = np.zeros(k)
        support: list[list[Detection]] = []
        for f, fix in enumerate(fixes):
            members = [int(batches[bi].idx[i]) for bi, i in fix.support]
            used.update(members)
            ds = [pool[i] for i in members]
            support.append(ds)
            x0[f, :3] = fix.p
            p0[f, :3, :3] = fix.cov + np.eye(3) * 1.0
            p0[f, 3:, 3:] = self._v0
            ta = np.array([d.time - cfg.sensor_latency_s.get(d.sensor_id, 0.0) for d in ds])
            if cfg.acoustic_retardation:
                o = np.stack([batches[bi].o[i] for bi, i in fix.support])
                ta = ta - np.linalg.norm(o - fix.p, axis=1) / c
            t0[f] = float(ta.mean())
        self._pool = [d for i, d in enumerate(pool) if i not in used]
        tab = self._table
        sensor_lists = [list(dict.fromkeys(d.sensor_id for d in ds)) for ds in support]
        rows = tab.add(x0, p0, t0, np.full(k, -1, dtype=np.int64), sensor_lists, [None] * k)
        for r, ds, sl in zip(rows.tolist(), support, sensor_lists, strict=True):
            tab.hits[r] = len(sl)
            for d in ds:
                if d.class_probs:
                    tab.add_class_evidence(r, d.class_probs)
        self._counts["tracks_initiated"] += k
        self._counts["acoustic_initiations"] += k
        self._counts["acoustic_used"] += len(used)
        self._after_update(rows, rows.tolist(), x0, p0, t0)

    # ------------------------------------------------------------------ deletion

    def _expire(self, now: float) -> None:
        """Delete the tracks whose expiry time is before ``now``."""
        tab = self._table
        n = tab.n
        if n:
            dead = np.flatnonzero(tab.expire_at[:n] < now)
            if len(dead):
                self._delete(dead)
        self._next_expiry = float(tab.expire_at[:n].min()) if n else math.inf

    def _delete(self, rows: IntArray) -> None:
        """Kill rows; confirmed ones are reported lost (last updated state)."""
        tab = self._table
        lost = rows[tab.confirmed.take(rows)]
        if len(lost):
            meta: list[TrackMeta] = []
            for r in lost.tolist():
                meta.append(
                    (
                        tab.ids[r],
                        "lost",
                        float(tab.born[r]),
                        int(tab.hits[r]),
                        tab.sensors[r],
                        tab.transponder[r],
                        tab.class_probs[r],
                    )
                )
            self._writer.add(tab.x[lost], tab.p[lost], tab.t[lost], meta)
        self._counts["tracks_deleted"] += len(lost)
        self._counts["tentative_dropped"] += len(rows) - len(lost)
        tab.kill(rows)


__all__ = ["Tracker", "TrackerConfig"]
