"""Training data and training of the node classifier.

Two sources of labelled 1-s frames:

- **Synthetic** (:func:`synthetic_frames`): every acoustic label from
  :func:`dronewall.acoustic.synthesis.synthesize` (the other half of the acoustic wall), each
  clip a random pass of its class (range, altitude, speed, engine speed, variant), recorded
  in a quiet environment and mixed with separately synthesised ambient + wind noise of a
  random preset at a chosen SNR (signal over noise power in 50–4000 Hz at the microphone).
  Controlling the SNR this way is what lets the evaluation draw ROC curves per SNR.
- **Real** (:func:`real_frames`): the dev clips (Svanström 2021, CC0; ``labels.csv``:
  drone -> multicopter, helicopter, background), 10 frames per 10-s recording, with the
  recording name as the group for grouped cross-validation.

:func:`fit` trains a scikit-learn multinomial logistic regression (default) or a
one-hidden-layer ``MLPClassifier`` on standardised features, classes balanced, and exports
it to the numpy :class:`~dronewall.acoustic.classifier.Model`. scikit-learn is needed here
only.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dronewall.acoustic import features as F
from dronewall.acoustic.audio import load
from dronewall.acoustic.classifier import LABELS, Model
from dronewall.acoustic.framing import FrameSpec
from dronewall.acoustic.node import clip_features

REAL_LABELS = {"drone": "multicopter", "helicopter": "helicopter", "background": "background"}
AMBIENTS = ("quiet", "rural_night", "rural_day", "suburban", "urban_night", "urban")

# per label: (variants, altitude range m, horizontal closest-approach range m, speed m/s)
_PASSES: dict[str, tuple[tuple[str, ...], tuple[float, float], tuple[float, float],
                         tuple[float, float]]] = {
    "shahed": (("shahed",), (100, 1500), (100, 2000), (40, 55)),
    "gerbera": (("gerbera",), (100, 1500), (100, 1500), (35, 50)),
    "jet": (("jet_drone", "cruise_missile"), (50, 1000), (300, 3000), (150, 250)),
    "helicopter": (("helicopter",), (50, 800), (200, 3000), (20, 70)),
    "multicopter": (("multicopter",), (10, 150), (20, 300), (0, 15)),
    "propeller_aircraft": (("light_aircraft",), (150, 1500), (200, 3000), (40, 70)),
    "bird": (("bird",), (2, 30), (5, 60), (0, 0)),
    "background": (("road_traffic", "generator", "wind", "noise"), (0, 2), (30, 400), (0, 20)),
}


@dataclass
class Frames:
    """Feature rows with their labels and groups (recording or synthetic clip id)."""

    x: np.ndarray
    y: np.ndarray
    groups: np.ndarray
    snr_db: np.ndarray

    def __add__(self, other: Frames) -> Frames:
        return Frames(np.vstack([self.x, other.x]), np.concatenate([self.y, other.y]),
                      np.concatenate([self.groups, other.groups]),
                      np.concatenate([self.snr_db, other.snr_db]))

    def take(self, mask: np.ndarray) -> Frames:
        return Frames(self.x[mask], self.y[mask], self.groups[mask], self.snr_db[mask])


def band_power(x: np.ndarray, fs: int = 16000) -> float:
    """Mean power of ``x`` (1-D) in the 50–4000 Hz band (the SNR band)."""
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(len(x), 1 / fs)
    b = (f >= F.BAND[0]) & (f <= F.BAND[1])
    return float(np.sum(np.abs(spec[b]) ** 2)) / len(x) ** 2


def synthetic_clip(label: str, rng: np.random.Generator, *, seconds: float = 3.0,
                   fs: int = 16000, array: object | None = None,
                   ) -> tuple[np.ndarray, np.ndarray, str]:
    """(clean source signal (n_ch, n), noise (n_ch, n), variant) of one random pass.

    The source is recorded with a quiet, windless environment (its own noise ~50 dB below);
    the noise is an independent ambient + wind + self-noise draw of a random preset."""
    from dronewall.acoustic.arrays import ArrayGeometry
    from dronewall.acoustic.noise import synthesize_noise
    from dronewall.acoustic.synthesis import Environment, Signature, Trajectory, synthesize

    geo = array if isinstance(array, ArrayGeometry) else ArrayGeometry.single()
    variants, alt, rng_h, speed = _PASSES[label]
    variant = str(rng.choice(variants))
    n = round(seconds * fs)
    noise_env = Environment(ambient=str(rng.choice(AMBIENTS)), wind_m_s=float(rng.uniform(0, 6)))
    noise = synthesize_noise(geo.positions, n, fs, noise_env, rng)
    if variant == "noise":
        return np.zeros_like(noise), noise, variant
    sig = Signature.named(variant)
    if sig.tones and label != "bird":
        sig = sig.with_overrides(dominant_hz=sig.dominant_hz * float(rng.uniform(0.8, 1.2)))
    v = float(rng.uniform(*speed))
    heading = rng.uniform(0, 2 * np.pi)
    d = float(rng.uniform(*rng_h))
    bearing = rng.uniform(0, 2 * np.pi)
    closest = np.array([d * np.sin(bearing), d * np.cos(bearing), float(rng.uniform(*alt))])
    vel = np.array([v * np.sin(heading), v * np.cos(heading), 0.0])
    tca = float(rng.uniform(-20, 20))  # time of closest approach relative to the clip
    traj = Trajectory.line(closest - vel * (60 + tca), vel, 120.0)
    quiet = Environment(ambient="quiet", wind_m_s=0.0)
    clean = synthesize(sig, traj, geo, fs=fs, duration_s=seconds, t0=60.0, env=quiet,
                       seed=int(rng.integers(2**31)))
    return clean.astype(np.float64), noise, variant


def mix(clean: np.ndarray, noise: np.ndarray, snr_db: float, level: float = 0.02,
        ) -> np.ndarray:
    """``clean`` scaled to ``snr_db`` over ``noise`` (reference channel, SNR band), the sum
    scaled to rms ``level`` (full scale 1)."""
    pn = band_power(noise[0])
    ps = band_power(clean[0])
    g = np.sqrt(pn / ps * 10 ** (snr_db / 10)) if ps > 0 else 0.0
    x = g * clean + noise
    return x * (level / (np.sqrt(np.mean(x[0] ** 2)) + 1e-30))


def synthetic_frames(n_clips: int, seed: int, *, labels: Sequence[str] = LABELS,
                     snr_range: tuple[float, float] = (-10.0, 20.0), seconds: float = 3.0,
                     snr_db: float | None = None) -> Frames:
    """``n_clips`` random clips per label, mixed at a uniform random SNR in ``snr_range``
    (or exactly ``snr_db``); frames of a clip share its group ``syn-<seed>-<i>``."""
    rng = np.random.default_rng(seed)
    spec = FrameSpec()
    xs, ys, gs, ss = [], [], [], []
    for label in labels:
        for i in range(n_clips):
            clean, noise, variant = synthetic_clip(label, rng, seconds=seconds)
            snr = float(snr_db if snr_db is not None else rng.uniform(*snr_range))
            if variant == "wind":
                snr = 20.0  # the gusts are the "signal"
            level = float(10 ** rng.uniform(-3, -1))
            x = mix(clean, noise, snr, level) if variant != "noise" else \
                noise * (level / np.sqrt(np.mean(noise[0] ** 2)))
            rows = clip_features(x[:1], spec)
            xs.append(rows)
            ys += [label] * len(rows)
            gs += [f"syn-{seed}-{label}-{i}"] * len(rows)
            ss += [snr if variant != "noise" else -np.inf] * len(rows)
    return Frames(np.vstack(xs), np.array(ys), np.array(gs), np.array(ss, dtype=float))


def real_frames(directory: str | Path) -> Frames:
    """Frames of the labelled real clips in ``directory`` (``labels.csv``: file,label)."""
    d = Path(directory)
    with (d / "labels.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    xs, ys, gs = [], [], []
    for r in rows:
        audio = load(d / r["file"])
        f = clip_features(audio.data[:1])
        xs.append(f)
        ys += [REAL_LABELS[r["label"]]] * len(f)
        gs += [r["file"]] * len(f)
    return Frames(np.vstack(xs), np.array(ys), np.array(gs), np.full(len(ys), np.nan))


def fit(frames: Frames, *, kind: str = "logreg", hidden: int = 32, alpha: float = 1e-2,
        c: float = 0.03, seed: int = 0, max_iter: int = 400, meta: dict | None = None) -> Model:
    """Train on ``frames`` and export to the numpy :class:`Model`.

    ``kind="logreg"`` (default): multinomial logistic regression, L2 strength ``1/c``,
    classes balanced by weight; ``kind="mlp"``: one hidden layer of ``hidden`` ReLU units,
    L2 ``alpha``, classes balanced by resampling. Grouped CV on the real clips favoured the
    strongly regularised linear model (docs/acoustic-node.md)."""
    classes = [c_ for c_ in LABELS if c_ in set(frames.y)]
    counts = {c_: int(np.sum(frames.y == c_)) for c_ in classes}
    mean = frames.x.mean(axis=0)
    scale = frames.x.std(axis=0) + 1e-6
    info = dict(meta or {}, kind=kind, n_frames=len(frames.y), class_counts=counts,
                features=list(F.FEATURE_NAMES), hidden=hidden, alpha=alpha, c=c)
    if kind == "logreg":
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
        lr.fit((frames.x - mean) / scale, frames.y)
        order = [list(lr.classes_).index(c_) for c_ in classes]
        return Model(mean=mean, scale=scale, weights=[lr.coef_.T[:, order]],
                     biases=[lr.intercept_[order]], classes=tuple(classes), meta=info)
    if kind != "mlp":
        raise ValueError(f"unknown model kind {kind!r} (logreg or mlp)")
    from sklearn.neural_network import MLPClassifier

    rng = np.random.default_rng(seed)
    n_max = max(counts.values())
    idx = np.concatenate([rng.choice(np.flatnonzero(frames.y == c_), n_max,
                                     replace=counts[c_] < n_max) for c_ in classes])
    x, y = frames.x[idx], frames.y[idx]
    clf = MLPClassifier(hidden_layer_sizes=(hidden,), alpha=alpha, max_iter=max_iter,
                        random_state=seed, early_stopping=False)
    clf.fit((x - mean) / scale, y)
    order = [list(clf.classes_).index(c_) for c_ in classes]
    return Model(mean=mean, scale=scale, weights=[clf.coefs_[0], clf.coefs_[1][:, order]],
                 biases=[clf.intercepts_[0], clf.intercepts_[1][order]],
                 classes=tuple(classes), meta=info)
