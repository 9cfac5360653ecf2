"""The node classifier: shipped model, numpy inference equal to scikit-learn's, training."""

from __future__ import annotations

import numpy as np
import pytest

from dronewall.acoustic import features as F
from dronewall.acoustic.classifier import LABELS, MODEL_PATH, Model, load_model, p_drone
from dronewall.acoustic.evaluate import auc, grouped_cv, threshold_for
from dronewall.acoustic.train import Frames, fit


def test_shipped_model_is_small_and_covers_the_vocabulary():
    assert MODEL_PATH.exists() and MODEL_PATH.stat().st_size < 2_000_000
    m = load_model()
    assert set(m.classes) == set(LABELS)
    assert m.mean.shape == (len(F.FEATURE_NAMES),)
    probs = m.class_probs(np.zeros(len(F.FEATURE_NAMES)))
    assert list(probs) == list(LABELS) and sum(probs.values()) <= 1.0
    assert p_drone(probs) == pytest.approx(sum(probs[k] for k in
                                               ("shahed", "gerbera", "jet", "multicopter")))


def _blobs(n: int, seed: int) -> Frames:
    rng = np.random.default_rng(seed)
    classes = ["multicopter", "helicopter", "background"]
    y = np.repeat(classes, n)
    x = rng.standard_normal((len(y), len(F.FEATURE_NAMES)))
    for i, c in enumerate(classes):
        x[y == c, 5 * i:5 * i + 5] += 4.0
    groups = np.array([f"{c}-{k % 4}" for k, c in enumerate(y)])
    return Frames(x, y, groups, np.zeros(len(y)))


@pytest.mark.parametrize("kind", ["logreg", "mlp"])
def test_numpy_inference_matches_and_round_trips(tmp_path, kind):
    pytest.importorskip("sklearn")
    data = _blobs(40, 0)
    m = fit(data, kind=kind, hidden=8, max_iter=300)
    p = tmp_path / "m.npz"
    m.save(p)
    m2 = Model.load(p)
    test = _blobs(10, 1)
    np.testing.assert_allclose(m2.predict_proba(test.x), m.predict_proba(test.x), atol=1e-5)
    pred = np.array(m.classes)[np.argmax(m.predict_proba(test.x), axis=1)]
    assert np.mean(pred == test.y) > 0.9
    assert m2.class_probs(test.x[0])["shahed"] == 0.0  # not trained on: zero


def test_grouped_cv_holds_recordings_out():
    pytest.importorskip("sklearn")
    res = grouped_cv(_blobs(24, 2), None, folds=3, real_weight=1)
    assert res["folds"] == 3 and res["frame_auc"] > 0.9
    assert set(res["clip_scores"]) == {f"{c}-{k}" for c in
                                       ("multicopter", "helicopter", "background")
                                       for k in range(4)}


def test_auc_and_tail_threshold():
    assert auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])) == 0.75
    assert auc(np.array([1.0, 1.0]), np.array([0, 1])) == 0.5
    rng = np.random.default_rng(0)
    s = rng.exponential(1.0, 200_000)  # P(T > t) = exp(-t): t(1e-4) = 9.21
    r = threshold_for(s, pfa=1e-4)
    assert r["threshold_fit"] == pytest.approx(np.log(1e4), abs=0.3)
    assert r["threshold_empirical"] == pytest.approx(np.log(1e4), abs=0.3)
