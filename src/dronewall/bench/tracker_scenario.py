"""The tracker benchmark's scenario: constant-velocity targets and noisy 2-D plots.

``generate(n_targets, n_scans, seed)`` draws, with one seeded numpy generator:

- ``n_targets`` targets born uniformly inside a square of ``SIDE_M`` (100 km) centred on
  the frame origin, with uniform headings and speeds U(30, 60) m/s, all flying straight
  for every scan. A target leaving the square keeps flying (at most 18 km out after
  300 s) and is still detected: the sensor sees everywhere, clutter falls in the square.
- every ``DT_S`` (1 s) scan: each target detected with probability ``PD`` (0.9) at its
  true east/north position plus N(0, ``SIGMA_M``²) (50 m) noise per axis, and
  Poisson(``CLUTTER_MEAN``) (10) false alarms uniform over the square.

Altitude is 0 m in the frame's ENU (a 2-D problem). The plots of one scan are shuffled
so that their order says nothing about which are true.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

SIDE_M = 100_000.0
SPEED_MPS = (30.0, 60.0)
DT_S = 1.0
PD = 0.9
SIGMA_M = 50.0
CLUTTER_MEAN = 10.0


@dataclass(frozen=True)
class Scenario:
    """Truth and plots of one benchmark run.

    ``truth``: (scans, targets, 2) true east/north positions (m) at each scan time;
    ``plots[k]``: (m_k, 2) east/north plots of scan k; ``is_true[k]``: (m_k,) which
    plots come from a target (for the tests; no tracker sees it); ``times``: scan times
    in seconds from the start.
    """

    truth: NDArray[np.float64]
    plots: list[NDArray[np.float64]]
    is_true: list[NDArray[np.bool_]]
    times: NDArray[np.float64]

    @property
    def n_detections(self) -> int:
        return sum(len(p) for p in self.plots)


def generate(
    n_targets: int,
    n_scans: int,
    seed: int = 1,
    side_m: float = SIDE_M,
    clutter_mean: float = CLUTTER_MEAN,
) -> Scenario:
    """Draw the scenario described in the module docstring (``side_m``, ``clutter_mean``:
    another square and false-alarm rate, for denser scenes)."""
    rng = np.random.default_rng(seed)
    half = side_m / 2.0
    p0 = rng.uniform(-half, half, (n_targets, 2))
    heading = rng.uniform(0.0, 2.0 * np.pi, n_targets)
    speed = rng.uniform(*SPEED_MPS, n_targets)
    vel = np.stack([speed * np.sin(heading), speed * np.cos(heading)], axis=1)
    times: NDArray[np.float64] = np.arange(n_scans, dtype=np.float64) * DT_S
    truth = p0[None, :, :] + times[:, None, None] * vel[None, :, :]
    plots: list[NDArray[np.float64]] = []
    flags: list[NDArray[np.bool_]] = []
    for k in range(n_scans):
        seen = rng.random(n_targets) < PD
        true_pts = truth[k, seen] + rng.normal(0.0, SIGMA_M, (int(seen.sum()), 2))
        n_false = int(rng.poisson(clutter_mean))
        false_pts = rng.uniform(-half, half, (n_false, 2))
        pts = np.concatenate([true_pts, false_pts])
        is_true = np.concatenate([np.ones(len(true_pts), bool), np.zeros(n_false, bool)])
        order = rng.permutation(len(pts))
        plots.append(pts[order])
        flags.append(is_true[order])
    return Scenario(truth, plots, flags, times)
