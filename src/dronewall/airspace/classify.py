"""What kind of flyer is this track? A naive-Bayes posterior over the track classes.

Evidence, per track state:

- **kinematics** over a short per-track history (the last ``window`` updates, kept in a
  numpy ring buffer): median ground speed, median altitude, median |climb rate| and median
  turn rate (heading change per second, only while the track moves faster than 10 m/s:
  the heading of a slow track is noise);
- **cooperation**: whether the track carries a transponder with an ICAO address;
- **acoustic class probabilities** when the tracker put some on the track (the running
  mean of the associated acoustic detections' ``class_probs``, acoustic labels of
  VOCAB.md).

Radar cross-section would help tell a foam-and-plywood Gerbera from a Shahed, but the
track does not carry it (detections have ``snr_db``; the tracker keeps no RCS estimate),
so it is not used here.

The model. For class ``c`` and feature value ``x`` the likelihood is a *soft box*: flat on
``[lo, hi]`` (the published envelope) with Gaussian shoulders of width ``w`` outside it,
normalised, ``p(x|c) = exp(-d^2 / 2w^2) / (hi - lo + sqrt(2 pi) w)`` where ``d`` is the
distance of ``x`` outside the box. Narrow envelopes therefore score higher inside them
(the Bayesian Occam factor). Speed and altitude are such densities; climb and turn rate
are manoeuvre *capability* factors, ``exp(-d^2 / 2w^2)`` without the normalisation: a
fighter in level transit is as consistent with a fighter as a bomber is with a bomber,
but a 10 deg/s turn rules the bomber out. Features are taken as independent (naive Bayes); the
acoustic likelihood is ``sum_a M[c, a] q(a)`` with ``q`` the acoustic probabilities (the
mass they leave unassigned spread evenly) and ``M[c, a]`` the chance that class ``c``
sounds like acoustic label ``a`` (:data:`MODELS`, 85 % on the expected label). The
posterior is ``prior x product of likelihoods``, normalised.

Honesty about decoys: the Shahed and Gerbera envelopes overlap almost entirely, so
without acoustic evidence their posterior ratio stays close to the prior ratio (1:1 by
default: Ukrainian Air Force daily reports through 2025 count roughly as many decoys
("imitators") as attack drones among launched Shahed-type airframes). Only the acoustic
``gerbera``/``shahed`` labels (a smaller engine, higher fundamental) move it.

Altitudes are metres above the WGS84 ellipsoid (the ground is 0-300 m above it in the
scenario regions), so the low envelopes start at 0 and have wide shoulders.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from dronewall.model import Track, with_fields

FloatArray = NDArray[np.float64]

# Track class labels (VOCAB.md), in a fixed order: the columns of every array below.
TRACK_CLASSES: tuple[str, ...] = (
    "shahed",
    "gerbera",
    "jet_shahed",
    "cruise_missile",
    "fighter",
    "bomber",
    "airliner",
    "light_aircraft",
    "helicopter",
    "multicopter",
    "bird",
    "unknown",
)
CLASSES = TRACK_CLASSES  # the name the first, rule-based version exported

# Acoustic class labels (VOCAB.md): keys of the tracker's acoustic ``class_probs``.
ACOUSTIC_LABELS: tuple[str, ...] = (
    "shahed",
    "gerbera",
    "jet",
    "helicopter",
    "multicopter",
    "propeller_aircraft",
    "bird",
    "background",
)
# Labels of the simulator's first acoustic stand-in, read as their VOCAB equivalents
# ("shahed-class" was one label for both piston airframes).
ACOUSTIC_ALIASES: dict[str, dict[str, float]] = {
    "shahed-class": {"shahed": 0.5, "gerbera": 0.5},
    "propeller-aircraft": {"propeller_aircraft": 1.0},
}

FEATURES = ("speed", "alt", "climb", "turn")  # m/s, m, m/s, deg/s

Box = tuple[float, float, float]  # lo, hi, shoulder width


@dataclass(frozen=True)
class ClassModel:
    """The envelope of one class: soft boxes per feature, prior weight, the chance it
    flies with a transponder on, and what it sounds like (acoustic label weights)."""

    name: str
    prior: float
    speed: Box
    alt: Box
    climb: Box
    turn: Box
    p_coop: float
    sounds: Mapping[str, float]


# Sources for the envelopes (public figures; where none exists the number is a stated
# engineering guess). Speeds are ground speeds, so winds of +-30 m/s widen the shoulders.
# - Shahed-136 / Geran-2: max ~185 km/h (51 m/s), cruise ~150-185 km/h = 42-51 m/s (CSIS Missile
#   Threat "Shahed 136"; Ukrainian Air Force); flies 50 m to ~2 km, since 2025 often 2-4 km
#   (Ukrainian reports of high-altitude Geran profiles).
# - Gerbera decoy: <= 160 km/h (44 m/s), span 2.5 m, <= 18 kg, up to 3 km (Reuters and
#   Moldovan police via INCIDENTS.md [P34]). Kinematically a slightly slower Shahed.
# - Geran-3 (jet Shahed): reported 300-370 km/h cruise, dash up to ~550 km/h (Ukrainian
#   Defence Intelligence, early 2025); altitude up to ~6 km assumed.
# - Cruise missiles: Kh-101 ~700 km/h cruise (~195 m/s), Kalibr ~0.8 Mach (~250 m/s);
#   terrain following at 30-70 m over land, higher over sea or in the mid-course (CSIS).
# - Fighters: MiG-31 / Su-35 / F-16 class mostly transit level at 0.6-0.9 Mach (180-320
#   m/s), with supersonic dashes (the wide shoulders); 0.3-14 km; the only class with
#   sustained climb rates above ~20 m/s and turn rates above ~5 deg/s (wide shoulders on
#   climb and turn: level in transit, manoeuvring when it matters).
# - Bombers: Tu-95MS cruise ~710 km/h (197 m/s), max ~830 km/h (230 m/s); Tu-22M3/Tu-160
#   cruise faster (~250 m/s, the shoulder); long-range patrols at 8-12 km.
# - Airliners: Mach 0.78-0.85 at 10-12.5 km (230-250 m/s true airspeed), slower and lower
#   in climb and descent; standard-rate turns at most 3 deg/s.
# - Light aircraft: Cessna 172 cruise 122 kt (63 m/s); light twins up to ~90 m/s.
# - Helicopters: Mi-8/17 cruise ~230 km/h (64 m/s); can hover.
# - Multicopters: DJI Mavic 3 max ~21 m/s; EU "open" category below 120 m above ground.
# - Birds: storks and geese 12-25 m/s; migration mostly below 1.5 km, sometimes 3 km.
# - "unknown": anything else (balloons, kites, things outside the envelopes): flat over
#   the whole plausible range and a small prior, so a misfit goes here, not to a class.
# Priors are relative weights, not measured frequencies: the decoy/attack-drone ratio is
# 1:1 (see the module docstring); the rest reflects a border air-defence picture.
MODELS: tuple[ClassModel, ...] = (
    ClassModel("shahed", 1.0, (42.0, 51.0, 8.0), (0.0, 4000.0, 1000.0), (0.0, 5.0, 4.0),
               (0.0, 5.0, 3.0), 0.001, {"shahed": 0.85, "gerbera": 0.1}),
    ClassModel("gerbera", 1.0, (30.0, 44.0, 8.0), (0.0, 3500.0, 1000.0), (0.0, 5.0, 4.0),
               (0.0, 5.0, 3.0), 0.001, {"gerbera": 0.85, "shahed": 0.1}),
    ClassModel("jet_shahed", 0.3, (80.0, 155.0, 25.0), (0.0, 6000.0, 1500.0),
               (0.0, 10.0, 8.0), (0.0, 5.0, 3.0), 0.001, {"jet": 0.85}),
    ClassModel("cruise_missile", 0.3, (170.0, 270.0, 30.0), (0.0, 300.0, 400.0),
               (0.0, 10.0, 8.0), (0.0, 5.0, 3.0), 0.001, {"jet": 0.85}),
    ClassModel("fighter", 0.5, (180.0, 320.0, 80.0), (300.0, 14000.0, 3000.0),
               (0.0, 15.0, 30.0), (0.0, 3.0, 8.0), 0.1, {"jet": 0.85}),
    ClassModel("bomber", 0.3, (170.0, 240.0, 20.0), (6000.0, 12500.0, 1500.0),
               (0.0, 15.0, 8.0), (0.0, 3.0, 1.5), 0.05,
               {"propeller_aircraft": 0.45, "jet": 0.45}),
    ClassModel("airliner", 1.0, (180.0, 270.0, 40.0), (7000.0, 12500.0, 3000.0),
               (0.0, 15.0, 8.0), (0.0, 3.0, 1.5), 0.99, {"jet": 0.85}),
    ClassModel("light_aircraft", 0.5, (30.0, 90.0, 15.0), (0.0, 4000.0, 1000.0),
               (0.0, 6.0, 4.0), (0.0, 6.0, 3.0), 0.7, {"propeller_aircraft": 0.85}),
    ClassModel("helicopter", 0.3, (0.0, 75.0, 10.0), (0.0, 1500.0, 500.0),
               (0.0, 8.0, 5.0), (0.0, 20.0, 10.0), 0.7, {"helicopter": 0.85}),
    ClassModel("multicopter", 0.3, (0.0, 21.0, 5.0), (0.0, 600.0, 300.0),
               (0.0, 6.0, 4.0), (0.0, 60.0, 30.0), 0.001, {"multicopter": 0.85}),
    ClassModel("bird", 0.3, (5.0, 25.0, 5.0), (0.0, 1500.0, 800.0),
               (0.0, 3.0, 3.0), (0.0, 60.0, 30.0), 0.0001, {"bird": 0.85}),
    ClassModel("unknown", 0.05, (0.0, 700.0, 100.0), (0.0, 20000.0, 5000.0),
               (0.0, 100.0, 50.0), (0.0, 90.0, 30.0), 0.3, {}),
)
assert tuple(m.name for m in MODELS) == TRACK_CLASSES

_MIN_TURN_SPEED = 10.0  # m/s: below this the heading (hence the turn rate) is noise
_ACOUSTIC_FLOOR = 0.15 / len(ACOUSTIC_LABELS)  # M[c, a] outside a class's own sounds


def _boxes() -> FloatArray:
    """(features, classes, 3) array of (lo, hi, w)."""
    return np.array([[getattr(m, f) for m in MODELS] for f in FEATURES], dtype=float)


def _sound_matrix() -> FloatArray:
    """M[c, a] = P(acoustic label a | class c); rows sum to 1 (the "unknown" row is flat)."""
    m = np.full((len(MODELS), len(ACOUSTIC_LABELS)), _ACOUSTIC_FLOOR)
    for i, mod in enumerate(MODELS):
        for a, w in mod.sounds.items():
            m[i, ACOUSTIC_LABELS.index(a)] += w
    return m / m.sum(axis=1, keepdims=True)


BOXES = _boxes()
SOUNDS = _sound_matrix()
P_COOP = np.array([m.p_coop for m in MODELS])
PRIOR = np.array([m.prior for m in MODELS])


def soft_box_loglik(x: FloatArray, box: FloatArray, normalised: bool = True) -> FloatArray:
    """log p(x | class) for values ``x`` (n,) and boxes (k, 3): shape (n, k); NaN
    values give 0 (the feature is absent, it says nothing). Not ``normalised``: only
    the penalty for lying outside the box (a "can this class do that?" factor)."""
    lo, hi, w = box[:, 0], box[:, 1], box[:, 2]
    xx = x[:, None]
    d = np.maximum(np.maximum(lo - xx, xx - hi), 0.0)
    ll = -0.5 * (d / w) ** 2
    if normalised:
        ll = ll - np.log(hi - lo + math.sqrt(2.0 * math.pi) * w)
    return np.where(np.isnan(xx), 0.0, ll)


def acoustic_vector(probs: Mapping[str, float] | None) -> FloatArray | None:
    """The acoustic probabilities as a vector over :data:`ACOUSTIC_LABELS` (aliases
    resolved, the unassigned mass spread evenly), or None when there are none or when
    a key is not an acoustic label (then they are track-class probabilities, e.g. a
    track classified once already; a classifier posterior always has such keys)."""
    if not probs or any(k not in ACOUSTIC_LABELS and k not in ACOUSTIC_ALIASES
                        for k in probs):
        return None  # none, or a classifier's track-class output (has other labels)
    q = np.zeros(len(ACOUSTIC_LABELS))
    for label, p in probs.items():
        for name, share in ACOUSTIC_ALIASES.get(label, {label: 1.0}).items():
            q[ACOUSTIC_LABELS.index(name)] += p * share
    q = np.clip(q, 0.0, None)
    total = q.sum()
    if total > 1.0:
        return q / total
    return q + (1.0 - total) / len(ACOUSTIC_LABELS)


def posterior(
    features: FloatArray,
    cooperative: NDArray[np.bool_],
    acoustic: FloatArray | None = None,
    prior: FloatArray = PRIOR,
) -> FloatArray:
    """Class posteriors (n, classes) from features (n, 4) in :data:`FEATURES` order (NaN
    = absent), cooperation (n,) and acoustic vectors (n, labels) (NaN rows = none)."""
    logp = np.log(prior / prior.sum())[None, :].repeat(len(features), axis=0)
    for j in range(len(FEATURES)):
        logp += soft_box_loglik(features[:, j], BOXES[j], normalised=j < 2)
    logp += np.where(cooperative[:, None], np.log(P_COOP), np.log1p(-P_COOP))
    if acoustic is not None:
        lik = acoustic @ SOUNDS.T  # (n, classes)
        logp += np.where(np.isnan(lik), 0.0, np.log(np.where(np.isnan(lik), 1.0, lik)))
    logp -= logp.max(axis=1, keepdims=True)
    p = np.exp(logp)
    out: FloatArray = p / p.sum(axis=1, keepdims=True)
    return out


def classify(speed: float, alt: float, cooperative: bool, climb: float = 0.0,
             turn: float = float("nan")) -> str:
    """The most probable class of one flyer from its kinematics alone."""
    p = posterior(np.array([[speed, alt, abs(climb), turn]]), np.array([cooperative]))
    return TRACK_CLASSES[int(np.argmax(p[0]))]


def nan_median(x: FloatArray) -> FloatArray:
    """Median over axis 1 ignoring NaN, NaN where a slice has none: (n, m, f) -> (n, f).
    (np.nanmedian's result, without its per-slice Python overhead and warnings.)"""
    s = np.sort(x, axis=1)  # NaN sort last
    cnt = (~np.isnan(x)).sum(axis=1)  # (n, f)
    lo = np.clip((cnt - 1) // 2, 0, None)[:, None, :]
    hi = np.clip(cnt // 2, 0, x.shape[1] - 1)[:, None, :]
    med = 0.5 * (np.take_along_axis(s, lo, axis=1) + np.take_along_axis(s, hi, axis=1))[:, 0]
    out: FloatArray = np.where(cnt > 0, med, np.nan)
    return out


def _rounded(p: FloatArray) -> dict[str, float]:
    """Probabilities rounded down to 1e-4 (so they sum to <= 1), zeros left out except
    "unknown", always present: it marks them as track-class, not acoustic, probabilities."""
    q = np.floor(p * 1e4) / 1e4
    out = {TRACK_CLASSES[k]: float(q[k]) for k in np.flatnonzero(q > 0.0)}
    out.setdefault("unknown", 0.0)
    return out


@dataclass
class KinematicClassifier:
    """Stage between tracker and identity: sets ``class_label`` and ``class_probs``
    (track classes) on each Track message, replacing the tracker's acoustic ones.

    A young track (fewer than ``min_hits`` updates, no transponder) stays "unknown" with
    no probabilities: its velocity is still poor. The label is the most probable class,
    or "unknown" when that class's probability is below ``label_min_prob``. ``priors``
    overrides the default prior weights of some classes (e.g. a theatre where decoys
    outnumber attack drones)."""

    min_hits: int = 4
    window: int = 16  # updates of history per track
    label_min_prob: float = 0.3
    priors: Mapping[str, float] | None = None
    _rows: dict[str, int] = field(default_factory=dict)
    _free: list[int] = field(default_factory=list)
    _hist: FloatArray = field(default_factory=lambda: np.zeros((0, 0, 5)))
    _n: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    _last: dict[str, tuple[float, float]] = field(default_factory=dict)  # time, heading

    def __post_init__(self) -> None:
        self._prior = PRIOR.copy()
        for name, w in (self.priors or {}).items():
            if name not in TRACK_CLASSES or not w > 0.0:
                raise ValueError(f"priors: {name!r} must be a track class with a weight > 0")
            self._prior[TRACK_CLASSES.index(name)] = float(w)
        # history columns: speed, alt, |climb|, turn rate (NaN when unknown), time
        self._hist = np.full((0, self.window, 5), np.nan)

    def _row(self, tid: str) -> int:
        row = self._rows.get(tid)
        if row is not None:
            return row
        if not self._free:
            n = len(self._hist)
            grow = max(16, n)
            self._hist = np.concatenate([self._hist, np.full((grow, self.window, 5), np.nan)])
            self._n = np.concatenate([self._n, np.zeros(grow, dtype=np.int64)])
            self._free = list(range(n + grow - 1, n - 1, -1))
        row = self._rows[tid] = self._free.pop()
        self._hist[row] = np.nan
        self._n[row] = 0
        return row

    def _push(self, tr: Track) -> FloatArray:
        """Add one state to its track's history; return a copy of the history (window, 4)."""
        row = self._row(tr.id)
        heading = math.atan2(tr.ve, tr.vn)
        turn = float("nan")
        last = self._last.get(tr.id)
        if last is not None and tr.time > last[0] and tr.speed > _MIN_TURN_SPEED:
            dh = (heading - last[1] + math.pi) % (2.0 * math.pi) - math.pi
            turn = abs(math.degrees(dh)) / (tr.time - last[0])
        self._last[tr.id] = (tr.time, heading)
        k = int(self._n[row]) % self.window
        self._hist[row, k] = (tr.speed, tr.alt, abs(tr.vu), turn, tr.time)
        self._n[row] += 1
        return self._hist[row, :, :4].copy()

    def _drop(self, tid: str) -> None:
        row = self._rows.pop(tid, None)
        self._last.pop(tid, None)
        if row is not None:
            self._free.append(row)

    def process(self, tracks: Iterable[Track]) -> list[Track]:
        """Classify each track state (in order); returns the states with class set."""
        trs = list(tracks)
        n = len(trs)
        hist = np.full((n, self.window, 4), np.nan)
        coop = np.zeros(n, dtype=bool)
        acoustic = np.full((n, len(ACOUSTIC_LABELS)), np.nan)
        ready = np.zeros(n, dtype=bool)
        for i, tr in enumerate(trs):
            coop[i] = tr.transponder is not None and bool(tr.transponder.icao24)
            if tr.status != "lost":
                hist[i] = self._push(tr)
            else:
                row = self._rows.get(tr.id)
                if row is not None:
                    hist[i] = self._hist[row, :, :4]
            q = acoustic_vector(tr.class_probs)
            if q is not None:
                acoustic[i] = q
            ready[i] = coop[i] or tr.hits >= self.min_hits
            if tr.status == "lost":
                self._drop(tr.id)
        feats = nan_median(hist)
        probs = posterior(feats, coop, acoustic, self._prior) if n else np.zeros((0, 0))
        out = []
        for i, tr in enumerate(trs):
            if not ready[i] or np.isnan(feats[i, 0]):
                out.append(with_fields(tr, class_label="unknown", class_probs=None))
                continue
            k = int(np.argmax(probs[i]))
            label = TRACK_CLASSES[k] if probs[i, k] >= self.label_min_prob else "unknown"
            out.append(with_fields(tr, class_label=label, class_probs=_rounded(probs[i])))
        return out
