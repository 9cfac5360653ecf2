"""Class and identity of a track as the engagement stage reads them, in one place.

The track classifier (airspace/classify.py) writes Track class labels (VOCAB.md) and
their probabilities; where a track carries only the tracker's acoustic evidence, those
labels are mapped to Track classes here. Identity is the adjudicator's
(airspace/identity.py), taken as it is: a pending track is not engaged (the rules of
engagement say "identify first"), and the stage never invents an identity.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from dronewall.engage.catalog import TRACK_CLASSES
from dronewall.model import Track

INDEX = {c: i for i, c in enumerate(TRACK_CLASSES)}

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
