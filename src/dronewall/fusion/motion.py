"""Motion models: how a state and its uncertainty move with time, for many tracks at
once."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

STATE_DIM = 6  # e, n, u, ve, vn, vu in the tracker's LocalFrame (m, m/s)


@dataclass(frozen=True)
class ConstantVelocity:
    """Nearly-constant-velocity model (continuous white-noise acceleration), 3-D.

    State ``x = [e, n, u, ve, vn, vu]``; over ``dt`` seconds::

        x' = F(dt) x + w,   F(dt) = | I  dt·I |        w ~ N(0, Q(dt))
                                    | 0   I   |

        Q(dt) = | |dt|³/3 · Σ   dt|dt|/2 · Σ |      Σ = diag(q_h², q_h², q_v²)  (m²/s³)
                | dt|dt|/2 · Σ    |dt| · Σ   |

    with ``q_h``, ``q_v`` the RMS horizontal / vertical accelerations (m/s²): white
    acceleration of spectral density q² makes velocity random-walk by ``q·sqrt(|dt|)``.

    A negative ``dt`` retrodicts: ``F(dt)`` runs the state backwards and ``Q(dt)`` is the
    exact covariance of the backward transition (the same magnitudes; the
    position-velocity term changes sign), so a measurement slightly older than a track's
    last update can be compared with where the track was at that time.
    """

    q_horizontal: float
    q_vertical: float
    _basis: FloatArray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        sigma = np.array([self.q_horizontal, self.q_horizontal, self.q_vertical]) ** 2
        basis = np.zeros((3, STATE_DIM, STATE_DIM))
        i = np.arange(3)
        basis[0, i, i] = sigma / 3.0  # × |dt|³
        basis[1, i, i + 3] = sigma / 2.0  # × dt|dt|
        basis[1, i + 3, i] = sigma / 2.0
        basis[2, i + 3, i + 3] = sigma  # × |dt|
        object.__setattr__(self, "_basis", basis.reshape(3, STATE_DIM * STATE_DIM))

    def transition(self, dt: FloatArray) -> FloatArray:
        """``F(dt)`` for each dt: (K, 6, 6)."""
        f: FloatArray = _I6 + dt[:, None, None] * _SHIFT
        return f

    def noise(self, dt: FloatArray, scale: FloatArray | None = None) -> FloatArray:
        """``Q(dt)`` for each dt: (K, 6, 6); ``scale`` (K,) multiplies each (the
        tracker's maneuver response raises the noise level of some tracks)."""
        a = np.abs(dt)
        if scale is not None:
            a = a * scale
        coef = np.empty((len(dt), 3))
        coef[:, 2] = a
        coef[:, 1] = dt * a
        coef[:, 0] = coef[:, 1] * dt
        q: FloatArray = (coef @ self._basis).reshape(len(dt), STATE_DIM, STATE_DIM)
        return q

    def predict(
        self, x: FloatArray, p: FloatArray, dt: FloatArray, scale: FloatArray | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """``F x`` and ``F P Fᵀ + scale·Q`` for K states (K, 6), (K, 6, 6) over dt (K,)."""
        return propagate(self.transition(dt), self.noise(dt, scale), x, p)


def propagate(
    f: FloatArray, q: FloatArray, x: FloatArray, p: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """``F x`` and ``F P Fᵀ + Q`` for stacks of K transitions, noises and states."""
    xp: FloatArray = (f @ x[:, :, None])[:, :, 0]
    pp: FloatArray = f @ p @ f.transpose(0, 2, 1) + q
    return xp, pp


_I6 = np.eye(STATE_DIM)
_SHIFT = np.zeros((STATE_DIM, STATE_DIM))
_SHIFT[(0, 1, 2), (3, 4, 5)] = 1.0
