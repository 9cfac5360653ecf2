"""Class and identity of a track as the engagement stage reads them, in one place.

The track classifier (airspace/classify.py) is being replaced: the new one writes Track
class labels (VOCAB.md) and their probabilities; the old kinematic one writes coarse
labels ("slow UAV", ...). Both are mapped here to a probability vector over the Track
class labels. The coarse labels' spreads are assumptions (a "slow UAV" is a Shahed or a
Gerbera with equal odds: kinematics cannot tell them apart).

Identity: the adjudicator (airspace/identity.py) sets Track.identity. Where it is still
"pending" (the adjudicator is not in the pipeline yet), :func:`derive_identity` gives a
simple stand-in, flagged as derived in the evidence: a transponder makes a track neutral;
a non-cooperative track whose class probability is at least half on unmanned classes is
hostile over own territory and suspect elsewhere; anything else stays unknown (manned
aircraft are never auto-declared hostile).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from dronewall.engage.catalog import TRACK_CLASSES
from dronewall.model import Track

INDEX = {c: i for i, c in enumerate(TRACK_CLASSES)}
UNMANNED = ("shahed", "gerbera", "jet_shahed", "cruise_missile", "multicopter")
MANNED = ("fighter", "bomber", "airliner", "light_aircraft", "helicopter")

# Old kinematic labels (airspace/classify.py) -> spread over Track class labels.
OLD_LABELS: dict[str, dict[str, float]] = {
    "cooperative aircraft": {"airliner": 0.7, "light_aircraft": 0.3},
    "hovering / very slow": {"multicopter": 0.6, "helicopter": 0.2, "bird": 0.2},
    "slow UAV": {"shahed": 0.5, "gerbera": 0.5},
    "fast UAV / light aircraft": {"jet_shahed": 0.3, "light_aircraft": 0.4, "helicopter": 0.3},
    "cruise missile / jet UAV": {"cruise_missile": 0.5, "jet_shahed": 0.5},
    "fast aircraft": {"fighter": 0.5, "airliner": 0.3, "bomber": 0.2},
    "high slow flyer": {"light_aircraft": 0.5, "bomber": 0.2, "unknown": 0.3},
    "unknown": {"unknown": 1.0},
}
# Acoustic labels (tracker's running mean, before the classifier) -> Track class labels.
ACOUSTIC: dict[str, dict[str, float]] = {
    "shahed": {"shahed": 1.0}, "gerbera": {"gerbera": 1.0},
    "jet": {"jet_shahed": 0.5, "cruise_missile": 0.5}, "helicopter": {"helicopter": 1.0},
    "multicopter": {"multicopter": 1.0}, "propeller_aircraft": {"light_aircraft": 1.0},
    "bird": {"bird": 1.0}, "background": {"unknown": 1.0},
}


def _vec(spread: dict[str, float]) -> NDArray[np.float64]:
    v = np.zeros(len(TRACK_CLASSES))
    for k, p in spread.items():
        v[INDEX[k]] += p
    return v


def class_vector(track: Track) -> NDArray[np.float64]:
    """Probabilities over TRACK_CLASSES (sum 1; what is unaccounted for goes to unknown)."""
    v = np.zeros(len(TRACK_CLASSES))
    probs = track.class_probs or {}
    if probs and set(probs) <= set(INDEX):
        v = _vec(probs)
    elif probs and set(probs) <= set(ACOUSTIC):
        for k, p in probs.items():
            v += p * _vec(ACOUSTIC[k])
    elif track.class_label in INDEX:
        v = _vec({track.class_label: 1.0})
    elif track.class_label in OLD_LABELS:
        v = _vec(OLD_LABELS[track.class_label])
    rest = 1.0 - v.sum()
    if rest > 0:
        v[INDEX["unknown"]] += rest
    return v / v.sum()


def class_label(track: Track, vec: NDArray[np.float64]) -> str:
    """The label the ROE match on: the track's own if it is a Track class label, else the
    most probable class (ties go to the earlier class of TRACK_CLASSES, Shahed before
    Gerbera: the armed reading)."""
    if track.class_label in INDEX:
        return str(track.class_label)
    return TRACK_CLASSES[int(np.argmax(vec))]


_UNMANNED_IDX = np.array([INDEX[c] for c in UNMANNED])


def derive_identity(track: Track, vec: NDArray[np.float64], own_territory: bool
                    ) -> tuple[str, bool]:
    """(identity, derived): the track's own identity unless pending (see module doc);
    "unmanned" means at least half the class probability on unmanned classes."""
    if track.identity != "pending":
        return track.identity, False
    if track.transponder is not None and track.transponder.icao24:
        return "neutral", True
    if float(vec[_UNMANNED_IDX].sum()) >= 0.5:
        return ("hostile" if own_territory else "suspect"), True
    return "unknown", True
