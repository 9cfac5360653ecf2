"""Detection coverage of a line of acoustic nodes: Pd maps and border length covered.

For a node layout and a target class at a given height, every grid point gets each node's
probability of detection per 1-s decision from the fast mode
(:class:`dronewall.acoustic.fastmode.FastAcousticModel`: the calibrated full-physics table
when ``data/calibration.json`` is shipped, else its uncalibrated SNR threshold -- the
result says which). From those:

* ``p_any``: probability that at least one node detects (nodes independent);
* ``n_covering``: how many nodes have Pd >= ``pd_min`` (default 0.5) there;
* border coverage: the watched country's border inside the map window, sampled every
  ``step_m``, and the length where ``n_covering >= k`` (default 3 -- three bearings are what
  a bearings-only fix needs to be robust to one bad bearing).

Layouts come from a YAML file (``nodes: [{id, lat, lon, ambient?}]``, optional ``watch``)
or from a scenario file (its ``type: acoustic`` sensors; ``ambient_db`` maps to the nearest
ambient preset by A-weighted level, and its ``watch`` list names the border).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import yaml
from numpy.typing import NDArray

from dronewall.acoustic.fastmode import FastAcousticModel
from dronewall.acoustic.noise import AMBIENT_PRESETS
from dronewall.acoustic.propagation import Environment
from dronewall.errors import BadInput
from dronewall.geo.frames import LocalFrame


@dataclass(frozen=True)
class Node:
    """An acoustic node: id, position (degrees) and its ambient preset."""

    id: str
    lat: float
    lon: float
    ambient: str = "rural_night"


@dataclass(frozen=True)
class Layout:
    """Nodes plus the countries whose border matters (ISO alpha-3)."""

    nodes: tuple[Node, ...]
    watch: tuple[str, ...] = ()
    source: str = ""


def nearest_ambient(level_db: float) -> str:
    """The ambient preset whose A-weighted level is closest to ``level_db``."""
    return min(AMBIENT_PRESETS, key=lambda k: abs(AMBIENT_PRESETS[k].la_db - level_db))


def _builtin_scenario(name: str) -> Path | None:
    p = Path(__file__).parents[1] / "scenarios" / f"{name.removesuffix('.yaml')}.yaml"
    return p if "/" not in name and p.is_file() else None


def load_layout(path: str | Path) -> Layout:
    """Read a node layout from a layout YAML file, a scenario file or a built-in scenario."""
    p = Path(path)
    if not p.is_file():
        found = _builtin_scenario(str(path))
        if found is None:
            raise BadInput(f"{p}: no such layout file or built-in scenario")
        p = found
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise BadInput(f"{p}{where}: not valid YAML") from None
    if not isinstance(doc, dict):
        raise BadInput(f"{p}: expected a mapping with 'nodes' or 'sensors'")
    watch = tuple(str(w) for w in (doc.get("watch") or ()))
    nodes: list[Node] = []
    if "nodes" in doc:
        items = doc["nodes"]
        if not isinstance(items, list):
            raise BadInput(f"{p}: field 'nodes' must be a list")
        for i, n in enumerate(items):
            try:
                amb = str(n.get("ambient", "rural_night"))
                if amb not in AMBIENT_PRESETS:
                    raise BadInput(f"{p}: field 'nodes[{i}].ambient': unknown {amb!r} "
                                   f"(one of {', '.join(AMBIENT_PRESETS)})")
                nodes.append(Node(str(n.get("id", f"node-{i}")), float(n["lat"]),
                                  float(n["lon"]), amb))
            except (KeyError, TypeError, ValueError, AttributeError):
                raise BadInput(f"{p}: field 'nodes[{i}]' needs numeric lat and lon") from None
    elif "sensors" in doc:
        for i, s in enumerate(doc["sensors"] or []):
            if not isinstance(s, dict) or s.get("type") != "acoustic":
                continue
            try:
                pos = s["position"]
                nodes.append(Node(str(s.get("id", f"acoustic-{i}")), float(pos["lat"]),
                                  float(pos["lon"]),
                                  nearest_ambient(float(s.get("ambient_db", 40.0)))))
            except (KeyError, TypeError, ValueError):
                raise BadInput(f"{p}: field 'sensors[{i}].position' needs lat and lon") from None
    else:
        raise BadInput(f"{p}: expected field 'nodes' (layout) or 'sensors' (scenario)")
    if not nodes:
        raise BadInput(f"{p}: no acoustic nodes")
    return Layout(tuple(nodes), watch, str(p))


@dataclass
class CoverageResult:
    """Grids (ny, nx) in the local ENU frame centred on the layout, plus border figures."""

    frame: LocalFrame
    x_m: NDArray[np.float64]
    y_m: NDArray[np.float64]
    node_enu: NDArray[np.float64]
    p_any: NDArray[np.float64]
    n_covering: NDArray[np.int64]
    label: str
    height_m: float
    k: int
    pd_min: float
    detection_range_m: float
    model_source: str
    border_km: float = 0.0
    covered_km: float = 0.0
    border_lines_m: list[NDArray[np.float64]] = field(default_factory=list)
    border_covered: list[NDArray[np.bool_]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """The figures, JSON-ready."""
        return {
            "target": self.label, "height_m": self.height_m, "nodes": len(self.node_enu),
            "k": self.k, "pd_min": self.pd_min,
            "detection_range_km": round(self.detection_range_m / 1000.0, 3),
            "border_in_window_km": round(self.border_km, 2),
            "border_covered_km": round(self.covered_km, 2),
            "border_covered_fraction": round(self.covered_km / self.border_km, 4)
            if self.border_km > 0 else None,
            "area_p_any_ge_0.5_km2": round(float(np.sum(self.p_any >= 0.5)) * self.cell_km2, 2),
            "pd_model": self.model_source,
        }

    @property
    def cell_km2(self) -> float:
        """Area of one grid cell, km^2."""
        return float((self.x_m[1] - self.x_m[0]) * (self.y_m[1] - self.y_m[0]) / 1e6)


def _node_pd(model: FastAcousticModel, label: str, nodes: tuple[Node, ...],
             node_enu: NDArray[np.float64], pts: NDArray[np.float64], height_m: float,
             wind_m_s: float, temperature_c: float, humidity_pct: float,
             **overrides: Any) -> NDArray[np.float64]:
    """Pd (n_nodes, n_points) of each node at horizontal points ``pts`` (n, 2)."""
    out = np.empty((len(nodes), pts.shape[0]))
    for i, node in enumerate(nodes):
        env = Environment(ambient=node.ambient, wind_m_s=wind_m_s, temperature_c=temperature_c,
                          humidity_pct=humidity_pct)
        horiz = np.hypot(pts[:, 0] - node_enu[i, 0], pts[:, 1] - node_enu[i, 1])
        slant = np.hypot(horiz, height_m)
        # Pd depends on range only: evaluate on a range grid and interpolate (fast, smooth).
        grid = np.geomspace(max(height_m, 1.0), max(float(slant.max()), height_m + 1.0), 400)
        pd_grid = model.p_detect(grid, label, env, source_height_m=height_m, **overrides)
        out[i] = np.interp(slant, grid, pd_grid)
    return out


def coverage(
    layout: Layout,
    label: str = "shahed",
    *,
    height_m: float = 300.0,
    wind_m_s: float = 2.0,
    temperature_c: float = 15.0,
    humidity_pct: float = 70.0,
    k: int = 3,
    pd_min: float = 0.5,
    resolution_m: float = 250.0,
    margin_m: float | None = None,
    border: tuple[str, ...] | None = None,
    step_m: float = 50.0,
    model: FastAcousticModel | None = None,
    **overrides: Any,
) -> CoverageResult:
    """Pd map of ``label`` at ``height_m`` above the nodes and the border covered by ``k``."""
    model = model or FastAcousticModel.load()
    lat0 = float(np.mean([n.lat for n in layout.nodes]))
    lon0 = float(np.mean([n.lon for n in layout.nodes]))
    frame = LocalFrame(lat0, lon0)
    lat = np.array([n.lat for n in layout.nodes])
    lon = np.array([n.lon for n in layout.nodes])
    node_enu = frame.to_enu(lat, lon, np.zeros_like(lat))
    best_env = Environment(ambient=min((n.ambient for n in layout.nodes),
                                       key=lambda a: AMBIENT_PRESETS[a].la_db),
                           wind_m_s=wind_m_s, temperature_c=temperature_c,
                           humidity_pct=humidity_pct)
    det_range = model.range_at_pd(label, pd_min, best_env, source_height_m=height_m, **overrides)
    horiz_range = float(np.sqrt(max(det_range**2 - height_m**2, 0.0)))
    margin = margin_m if margin_m is not None else max(1.5 * horiz_range, 2000.0)
    x = np.arange(node_enu[:, 0].min() - margin, node_enu[:, 0].max() + margin + 1, resolution_m)
    y = np.arange(node_enu[:, 1].min() - margin, node_enu[:, 1].max() + margin + 1, resolution_m)
    gx, gy = np.meshgrid(x, y)
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    pd = _node_pd(model, label, layout.nodes, node_enu, pts, height_m, wind_m_s, temperature_c,
                  humidity_pct, **overrides)
    p_any = 1.0 - np.prod(1.0 - pd, axis=0)
    n_cov = np.sum(pd >= pd_min, axis=0)
    res = CoverageResult(frame, x, y, node_enu, p_any.reshape(gx.shape),
                         n_cov.reshape(gx.shape).astype(np.int64), label, height_m, k, pd_min,
                         det_range, model.source)
    iso = border if border is not None else layout.watch
    if iso:
        _border_coverage(res, iso, (x[0], y[0], x[-1], y[-1]), step_m, model, layout,
                         wind_m_s, temperature_c, humidity_pct, overrides)
    return res


def _border_coverage(res: CoverageResult, iso: tuple[str, ...],
                     box: tuple[float, float, float, float], step_m: float,
                     model: FastAcousticModel, layout: Layout, wind_m_s: float,
                     temperature_c: float, humidity_pct: float,
                     overrides: dict[str, Any]) -> None:
    from dronewall.geo.borders import countries

    shapes = countries()
    unknown = [c for c in iso if c not in shapes]
    if unknown:
        raise BadInput(f"border: unknown country code(s) {', '.join(unknown)}")
    # Window corners to lon/lat (slightly enlarged), clip the boundary there, then project.
    cx = np.array([box[0], box[2], box[2], box[0]])
    cy = np.array([box[1], box[1], box[3], box[3]])
    la, lo, _ = res.frame.to_geodetic(np.stack([cx, cy, np.zeros(4)], axis=1))
    window_ll = shapely.box(lo.min() - 0.01, la.min() - 0.01, lo.max() + 0.01, la.max() + 0.01)
    window_m = shapely.box(*box)
    lines: list[NDArray[np.float64]] = []
    for code in iso:
        clipped = shapely.intersection(shapes[code].boundary, window_ll)
        for part in shapely.get_parts(shapely.line_merge(clipped)):
            if part.is_empty or part.geom_type != "LineString":
                continue
            ll = np.asarray(part.coords)
            enu = res.frame.to_enu(ll[:, 1], ll[:, 0], np.zeros(len(ll)))
            line = shapely.segmentize(shapely.LineString(enu[:, :2]), step_m)
            for sub in shapely.get_parts(shapely.intersection(line, window_m)):
                if sub.geom_type == "LineString" and not sub.is_empty:
                    lines.append(np.asarray(sub.coords))
    total = covered = 0.0
    for xy in lines:
        mid = 0.5 * (xy[1:] + xy[:-1])
        seg = np.linalg.norm(np.diff(xy, axis=0), axis=1)
        pd = _node_pd(model, res.label, layout.nodes, res.node_enu, mid, res.height_m,
                      wind_m_s, temperature_c, humidity_pct, **overrides)
        ok = np.sum(pd >= res.pd_min, axis=0) >= res.k
        total += float(seg.sum())
        covered += float(seg[ok].sum())
        res.border_lines_m.append(xy)
        res.border_covered.append(ok)
    res.border_km = total / 1000.0
    res.covered_km = covered / 1000.0


def plot_coverage(res: CoverageResult, path: str | Path, title: str | None = None) -> None:
    """Write a PNG: P(any node detects), the k-node contour, nodes and border coverage."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    km = 1000.0
    aspect = float(np.ptp(res.y_m) / max(float(np.ptp(res.x_m)), 1.0))
    fig, ax = plt.subplots(figsize=(7.5 if aspect > 1.2 else 10.0,
                                    float(np.clip(6.0 * aspect, 5.0, 10.0))), dpi=110)
    mesh = ax.pcolormesh(res.x_m / km, res.y_m / km, res.p_any, cmap="viridis", vmin=0, vmax=1,
                         shading="auto")
    fig.colorbar(mesh, ax=ax, label="P(at least one node detects) per 1-s decision")
    if np.any(res.n_covering >= res.k) and np.any(res.n_covering < res.k):
        ax.contour(res.x_m / km, res.y_m / km, (res.n_covering >= res.k).astype(float),
                   levels=[0.5], colors="white", linewidths=1.2)
    for xy, ok in zip(res.border_lines_m, res.border_covered, strict=True):
        segs = np.stack([xy[:-1], xy[1:]], axis=1) / km
        colours = np.where(ok[:, None], [[0.1, 0.8, 0.2, 1.0]], [[0.9, 0.1, 0.1, 1.0]])
        ax.add_collection(LineCollection(list(segs), colors=colours, linewidths=2.5))
    ax.plot(res.node_enu[:, 0] / km, res.node_enu[:, 1] / km, "^", color="orange",
            markeredgecolor="black", markersize=7, label="acoustic node")
    ax.set_xlabel("east, km")
    ax.set_ylabel("north, km")
    ax.set_aspect("equal")
    s = res.summary()
    ax.set_title(title or (
        f"{res.label} at {res.height_m:.0f} m: white = >= {res.k} nodes with Pd >= "
        f"{res.pd_min:g}\nborder covered {s['border_covered_km']} of "
        f"{s['border_in_window_km']} km (green covered, red not)"), fontsize=9)
    ax.legend(loc="lower right", fontsize=8)
    fig.text(0.01, 0.005, f"Pd model: {res.model_source}", fontsize=6)
    fig.tight_layout()
    fig.savefig(str(path))
    plt.close(fig)
