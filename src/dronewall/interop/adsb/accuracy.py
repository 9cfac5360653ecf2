"""Position accuracy of ADS-B reports, as a covariance in local ENU metres².

Horizontal. An ADS-B transmitter states its accuracy as NACp (navigation accuracy
category for position, sent in the operational status message, TC 31, and in target
state and status, TC 29): the 95 % bound EPU of the horizontal position error
(DO-260B §2.2.3.2.7.2.7, RTCA table "NACp")::

    NACp  11    10    9     8      7       6       5      4       3       2       1
    EPU   3 m   10 m  30 m  0.05NM 0.1 NM  0.3 NM  0.5NM  1 NM    2 NM    4 NM    10 NM

A 2-D Gaussian holds 95 % of its mass within 2.45 sigma, so ``sigma = EPU / 2.45`` in
east and north. Before a NACp is known (or when it is 0, unknown) the position message's
own type code gives a bound: its NUCp (version 0 navigation uncertainty category, which
pyModeS decodes from the type code) and that category's horizontal protection limit HPL
(DO-260 table 2-14) are used in place of EPU. HPL is an integrity bound, wider than a
95 % accuracy, so this fallback is conservative.

Vertical. Barometric altitude is reported in 25 ft steps (Q bit set; 100 ft Gillham steps
otherwise); a quantisation step q gives a uniform error of standard deviation
``q / sqrt(12)``. On top of it ``margin_m`` (default 10 m, documented in
:class:`AccuracyModel`) covers the 100-ft Gillham coding (8.8 m) and altimeter error.
The difference between pressure altitude and height above the ellipsoid is a bias of
tens to hundreds of metres that depends on the weather; it is not part of this variance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

NM = 1852.0
FT = 0.3048

# 95 % horizontal accuracy bound (m) per NACp.
NACP_EPU_M: dict[int, float] = {
    11: 3.0, 10: 10.0, 9: 30.0, 8: 0.05 * NM, 7: 0.1 * NM, 6: 0.3 * NM, 5: 0.5 * NM,
    4: 1.0 * NM, 3: 2.0 * NM, 2: 4.0 * NM, 1: 10.0 * NM,
}
# Horizontal protection limit (m) per NUCp (version 0 ADS-B).
NUCP_HPL_M: dict[int, float] = {
    9: 7.5, 8: 25.0, 7: 0.1 * NM, 6: 0.2 * NM, 5: 0.5 * NM, 4: 1.0 * NM, 3: 2.0 * NM,
    2: 10.0 * NM, 1: 20.0 * NM,
}
GAUSS_2D_95 = 2.4477  # sqrt(chi2_2(0.95))


@dataclass(frozen=True)
class AccuracyModel:
    """How a report's accuracy becomes a covariance.

    ``unknown_epu_m``: EPU used when neither NACp nor NUCp says anything (NACp 0,
    NUCp 0): 10 NM, NACp 1's bound. ``quantum_ft``: altitude step (25 ft).
    ``margin_m``: vertical standard deviation added to the quantisation's (10 m)."""

    unknown_epu_m: float = 10.0 * NM
    quantum_ft: float = 25.0
    margin_m: float = 10.0

    def epu_m(self, nacp: int | None, nucp: int | None) -> float:
        """The 95 % horizontal bound: NACp's EPU, else NUCp's HPL, else the default."""
        if nacp is not None and nacp in NACP_EPU_M:
            return NACP_EPU_M[nacp]
        if nucp is not None and nucp in NUCP_HPL_M:
            return NUCP_HPL_M[nucp]
        return self.unknown_epu_m

    def vertical_sigma_m(self) -> float:
        q = self.quantum_ft * FT
        return math.sqrt(q * q / 12.0 + self.margin_m**2)

    def covariance(self, nacp: int | None, nucp: int | None) -> list[list[float]]:
        """Diagonal ENU covariance (m²) of a position report."""
        sh = self.epu_m(nacp, nucp) / GAUSS_2D_95
        vh, vv = sh * sh, self.vertical_sigma_m() ** 2
        return [[vh, 0.0, 0.0], [0.0, vh, 0.0], [0.0, 0.0, vv]]
