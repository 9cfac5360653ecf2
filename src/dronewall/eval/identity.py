"""How well are tracks classified and identified? Scored against the simulated truth.

1. Each track is associated with the true target it followed (the nearest in median
   horizontal distance, :func:`dronewall.eval.incursions.associate_tracks`); clutter
   tracks get none and are counted apart.
2. **Class**: each classified track state (a label given, status not tentative) is
   compared with the track class of its target's catalogue type (:data:`TRUTH_CLASS`).
   Reported: state-level accuracy, a confusion table (truth class -> predicted label ->
   states), the mean probability the classifier gave the true class (an honest
   classifier gives the truth a high probability *and* says so when unsure: e.g. about 0.5
   between Shahed and Gerbera on kinematics alone), and the per-track accuracy of the
   final label.
3. **Identity**: each associated track's final identity is compared with the identities
   acceptable for its target: a cooperative target (transponder, ADS-B) should end friend,
   assumed friend or neutral; a non-cooperative military aircraft, drone, decoy or missile
   should end suspect or hostile (or stay unknown, when ``watch`` is given and the
   target never entered the watched airspace). Reported over all associated tracks and over the
   *settled* ones (tracked at least ``settled_s``: a fragment living a few scans is
   never judged by the rules, by design). Also the time from a track's birth to its
   first suspect/hostile identity.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from dronewall.eval.incursions import DEFAULT_GATE_M, associate_tracks
from dronewall.geo.borders import country_at
from dronewall.geo.frames import LocalFrame
from dronewall.model import Track, TruthState

# Simulator catalogue type -> track class (VOCAB.md). Types without a track class of
# their own (AWACS, tankers: large military jets) are scored against "airliner", the
# class with their kinematics, and listed as such in the report.
TRUTH_CLASS: dict[str, str] = {
    "gerbera": "gerbera",
    "shahed": "shahed",
    "jet-shahed": "jet_shahed",
    "cruise-missile": "cruise_missile",
    "mig-31": "fighter",
    "su-35": "fighter",
    "fighter": "fighter",
    "tu-95": "bomber",
    "airliner": "airliner",
    "awacs": "airliner",
    "tanker": "airliner",
    "helicopter": "helicopter",
    "multicopter": "multicopter",
    "bird": "bird",
}
FRIENDLY = frozenset({"friend", "assumed_friend", "neutral"})
THREAT = frozenset({"suspect", "hostile"})


def expected_identities(target_type: str, cooperative: bool,
                        entered: bool = True) -> frozenset[str]:
    """The identities a track of this true target may end with. A non-cooperative
    target that never ``entered`` the watched airspace may also stay unknown (a drone
    over a neighbour, flying away, is rightly not declared)."""
    if cooperative:
        return FRIENDLY
    if target_type in ("bird",):
        return frozenset({"unknown", "neutral", "pending"})
    return THREAT if entered else THREAT | {"unknown"}


def _share(rows: Sequence[dict[str, Any]]) -> float | None:
    """Share of rows whose final identity is acceptable."""
    return round(sum(r["identity_ok"] for r in rows) / len(rows), 4) if rows else None


def identity_accuracy(
    tracks: Sequence[Track],
    truth: Sequence[TruthState],
    target_info: Mapping[str, Sequence[Any]],
    frame_origin: Sequence[float],
    gate_m: float = DEFAULT_GATE_M,
    settled_s: float = 60.0,
    watch: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Class and identity scores of classified, adjudicated track states (see the module
    docstring). ``target_info``: target id -> (type, cooperative, ...) as in a run's
    meta; ``frame_origin``: (lat, lon) of a local frame near the action; ``watch``: the
    watched countries (ISO3): with them, a non-cooperative target whose truth never
    entered their airspace may also end "unknown"."""
    frame = LocalFrame(float(frame_origin[0]), float(frame_origin[1]))
    entered: dict[str, bool] = defaultdict(lambda: True)
    if watch is not None:
        lat = np.array([s.lat for s in truth])
        lon = np.array([s.lon for s in truth])
        inside = np.isin(country_at(lat, lon), np.array(list(watch) or [""]))
        ids = np.array([s.target_id for s in truth])
        entered.update({tid: False for tid in set(ids.tolist())})
        entered.update({tid: True for tid in set(ids[inside].tolist())})
    assoc = associate_tracks(tracks, truth, frame, gate_m)
    by_track: dict[str, list[Track]] = defaultdict(list)
    for tr in tracks:
        by_track[tr.id].append(tr)

    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    p_true: list[float] = []
    p_true_by: dict[str, list[float]] = defaultdict(list)
    track_rows: list[dict[str, Any]] = []
    n_states = n_right = 0
    for tid in sorted(by_track):
        states = sorted(by_track[tid], key=lambda t: t.time)
        target = assoc.get(tid)
        if target is None or target not in target_info:
            continue
        ttype, coop = str(target_info[target][0]), bool(target_info[target][1])
        want = TRUTH_CLASS.get(ttype)
        scored = [t for t in states if t.status != "tentative" and t.class_label
                  and t.class_label != "unknown"]
        for t in scored:
            if want is None:
                continue
            confusion[want][str(t.class_label)] += 1
            n_states += 1
            n_right += t.class_label == want
            p = float((t.class_probs or {}).get(want, 0.0))
            p_true.append(p)
            p_true_by[want].append(p)
        final = states[-1]
        ok_ids = expected_identities(ttype, coop, entered[target])
        first_threat = next((t.time for t in states if t.identity in THREAT), None)
        track_rows.append({
            "track_id": tid,
            "target_id": target,
            "target_type": ttype,
            "cooperative": coop,
            "truth_class": want,
            "final_class": scored[-1].class_label if scored else "unknown",
            "final_p_true": (round(float((scored[-1].class_probs or {}).get(want, 0.0)), 4)
                             if scored and want else None),
            "final_identity": final.identity,
            "identity_ok": final.identity in ok_ids,
            "expected_identities": sorted(ok_ids),
            "seconds_to_suspect": (round(first_threat - states[0].born, 1)
                                   if first_threat is not None else None),
            "seconds_tracked": round(final.time - states[0].born, 1),
            "target_entered_watched": entered[target],
        })
    per_track_class = [r for r in track_rows if r["truth_class"]]
    summary = {
        "tracks_scored": len(track_rows),
        "clutter_tracks": sum(1 for tid in by_track if assoc.get(tid) is None),
        "class_states": n_states,
        "class_state_accuracy": round(n_right / n_states, 4) if n_states else None,
        "class_track_accuracy": (round(
            sum(r["final_class"] == r["truth_class"] for r in per_track_class)
            / len(per_track_class), 4) if per_track_class else None),
        "mean_p_true_class": round(float(np.mean(p_true)), 4) if p_true else None,
        "mean_p_true_by_class": {k: round(float(np.mean(v)), 4)
                                 for k, v in sorted(p_true_by.items())},
        "identity_accuracy": _share(track_rows),
        "identity_accuracy_settled": _share(
            [r for r in track_rows if r["seconds_tracked"] >= settled_s]),
        "settled_s": settled_s,
    }
    return {
        "summary": summary,
        "confusion": {k: dict(v.most_common()) for k, v in sorted(confusion.items())},
        "tracks": track_rows,
    }
