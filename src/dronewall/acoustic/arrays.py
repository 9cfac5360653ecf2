"""Microphone array geometry of a node: mic positions in metres in the node's ENU frame.

The node's ENU origin is its reference point (the array centre); x east, y north, z up.
A YAML file lists the microphones either as bare triples or as mappings::

    # data/arrays/square_10cm.yaml
    mics:
      - {name: ne, enu: [0.05, 0.05, 0.0]}
      - [-0.05, 0.05, 0.0]          # a bare [east, north, up] triple works too
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import ArrayLike, NDArray

from dronewall.errors import BadInput


@dataclass(frozen=True)
class ArrayGeometry:
    """Microphone positions (n_mics, 3), metres, node ENU frame, with optional names."""

    positions: NDArray[np.float64]
    names: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        pos = np.atleast_2d(np.asarray(self.positions, dtype=float))
        if pos.ndim != 2 or pos.shape[1] != 3 or pos.shape[0] < 1:
            raise ValueError(f"mic positions must be (n, 3), got {pos.shape}")
        if not np.all(np.isfinite(pos)):
            raise ValueError("mic positions must be finite")
        object.__setattr__(self, "positions", pos)
        names = self.names or tuple(f"m{i}" for i in range(pos.shape[0]))
        if len(names) != pos.shape[0]:
            raise ValueError(f"{len(names)} names for {pos.shape[0]} mics")
        object.__setattr__(self, "names", tuple(names))

    @property
    def n_channels(self) -> int:
        """Number of microphones."""
        return int(self.positions.shape[0])

    @property
    def aperture_m(self) -> float:
        """Largest distance between two microphones, m (0 for one mic)."""
        d = self.positions[:, None, :] - self.positions[None, :, :]
        return float(np.max(np.linalg.norm(d, axis=-1)))

    @classmethod
    def single(cls) -> ArrayGeometry:
        """One microphone at the node origin."""
        return cls(np.zeros((1, 3)), ("m0",))

    @classmethod
    def square(cls, side_m: float = 0.1) -> ArrayGeometry:
        """Four microphones on the corners of a horizontal square of side ``side_m``."""
        h = side_m / 2.0
        pos = np.array([[h, h, 0.0], [-h, h, 0.0], [-h, -h, 0.0], [h, -h, 0.0]])
        return cls(pos, ("ne", "nw", "sw", "se"))

    @classmethod
    def circular(cls, n: int = 6, radius_m: float = 0.05) -> ArrayGeometry:
        """``n`` microphones evenly on a horizontal circle of ``radius_m``."""
        a = 2.0 * np.pi * np.arange(n) / n
        pos = np.stack([radius_m * np.sin(a), radius_m * np.cos(a), np.zeros(n)], axis=1)
        return cls(pos)

    @classmethod
    def from_positions(cls, positions: ArrayLike, names: tuple[str, ...] = ()) -> ArrayGeometry:
        """From an (n, 3) array-like of ENU positions, metres."""
        return cls(np.asarray(positions, dtype=float), names)

    @classmethod
    def from_yaml(cls, path: str | Path) -> ArrayGeometry:
        """Read a ``mics:`` list from a YAML file; bad input raises ``BadInput``."""
        p = Path(path)
        try:
            doc = yaml.safe_load(p.read_text(encoding="utf-8"))
        except OSError as exc:
            raise BadInput(f"{p}: cannot read array file ({exc.strerror})") from None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark is not None else ""
            raise BadInput(f"{p}{where}: not valid YAML") from None
        return cls.from_mapping(doc, source=str(p))

    @classmethod
    def from_mapping(cls, doc: Any, source: str = "<array>") -> ArrayGeometry:
        """From an already-parsed ``{"mics": [...]}`` document."""
        if not isinstance(doc, dict) or not isinstance(doc.get("mics"), list) or not doc["mics"]:
            raise BadInput(f"{source}: field 'mics' must be a non-empty list of mic positions")
        pos: list[list[float]] = []
        names: list[str] = []
        for i, item in enumerate(doc["mics"]):
            name = f"m{i}"
            enu = item
            if isinstance(item, dict):
                name = str(item.get("name", name))
                enu = item.get("enu")
            if (
                not isinstance(enu, list | tuple)
                or len(enu) != 3
                or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in enu)
                or not all(np.isfinite(float(v)) for v in enu)
            ):
                raise BadInput(
                    f"{source}: field 'mics[{i}]' must be [east, north, up] in metres, got {enu!r}"
                )
            pos.append([float(v) for v in enu])
            names.append(name)
        if len(set(names)) != len(names):
            raise BadInput(f"{source}: field 'mics' has duplicate names")
        return cls(np.asarray(pos), tuple(names))

    def to_mapping(self) -> dict[str, Any]:
        """The YAML-ready ``{"mics": [...]}`` form."""
        return {
            "mics": [
                {"name": n, "enu": [float(v) for v in p]}
                for n, p in zip(self.names, self.positions, strict=True)
            ]
        }
