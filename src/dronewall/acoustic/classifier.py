"""The node's sound classifier: a small neural network over the frame features, run with
numpy alone (no scikit-learn or ONNX at run time).

The model file (``data/model.npz``, a few tens of kB) holds the feature standardisation,
the weights of a one-hidden-layer perceptron (ReLU, softmax) trained by
``dronewall acoustic train`` with scikit-learn, the class labels it knows, the detector's
noise calibration and training metadata (JSON). Its output is spread over the acoustic
labels of the shared vocabulary; labels the model was not trained on get 0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

LABELS: tuple[str, ...] = ("shahed", "gerbera", "jet", "helicopter", "multicopter",
                           "propeller_aircraft", "bird", "background")
DRONE_LABELS: tuple[str, ...] = ("shahed", "gerbera", "jet", "multicopter")
MODEL_PATH = Path(__file__).parent / "data" / "model.npz"


@dataclass
class Model:
    """Standardisation + MLP weights + metadata."""

    mean: np.ndarray
    scale: np.ndarray
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    classes: tuple[str, ...]
    meta: dict[str, Any] = field(default_factory=dict)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities (n, len(classes)) of feature rows ``x`` (n, n_features)."""
        h = (np.atleast_2d(x) - self.mean) / self.scale
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = h @ w + b
            if i < len(self.weights) - 1:
                h = np.maximum(h, 0.0)
        h = h - h.max(axis=1, keepdims=True)
        e = np.exp(h)
        return e / e.sum(axis=1, keepdims=True)

    def class_probs(self, x: np.ndarray) -> dict[str, float]:
        """Probabilities over all acoustic labels of one feature row (sum <= 1)."""
        p = self.predict_proba(x)[0]
        out = dict.fromkeys(LABELS, 0.0)
        for c, v in zip(self.classes, p, strict=True):
            out[c] = round(float(v), 6)
        excess = sum(out.values()) - 1.0
        if excess > 0:  # rounding up: take it off the largest
            top = max(out, key=lambda k: out[k])
            out[top] = round(out[top] - excess - 1e-6, 6)
        return out

    def save(self, path: str | Path) -> None:
        arrays: dict[str, np.ndarray] = {"mean": self.mean, "scale": self.scale}
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            arrays[f"w{i}"] = w.astype(np.float32)
            arrays[f"b{i}"] = b.astype(np.float32)
        meta = dict(self.meta, classes=list(self.classes), n_layers=len(self.weights))
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        np.savez_compressed(Path(path), **arrays)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: str | Path) -> Model:
        with np.load(Path(path)) as z:
            meta = json.loads(bytes(z["meta"]).decode())
            n = int(meta["n_layers"])
            return cls(mean=z["mean"].astype(np.float64), scale=z["scale"].astype(np.float64),
                       weights=[z[f"w{i}"].astype(np.float64) for i in range(n)],
                       biases=[z[f"b{i}"].astype(np.float64) for i in range(n)],
                       classes=tuple(meta["classes"]), meta=meta)


@lru_cache(maxsize=4)
def load_model(path: str | None = None) -> Model:
    """The shipped model (cached), or the one at ``path``."""
    p = Path(path) if path else MODEL_PATH
    if not p.exists():
        from dronewall.errors import BadInput

        raise BadInput(f"{p}: classifier model not found (train one with "
                       "`dronewall acoustic train`)")
    return Model.load(p)


def p_drone(probs: dict[str, float]) -> float:
    """Probability that the sound is a drone: shahed + gerbera + jet + multicopter."""
    return float(sum(probs.get(k, 0.0) for k in DRONE_LABELS))
