"""The incident map: one PNG of airspace, sensors, tracks and events (matplotlib, Agg).

Offline: the background is the shipped national airspace (land + territorial sea),
urban areas and populated places, no tiles. The map is plate carree with the aspect
set to 1/cos(mid latitude), so distances are true near the middle; the requested
bounds are widened to fill the figure. Paths are (n, 2) arrays of (lon, lat) degrees.
The picture carries the OpenStreetMap (ODbL) attribution the borders require. Drawing
uses a bare ``Figure`` on the Agg canvas: no pyplot, no global backend switch, no display.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.ticker import FuncFormatter
from numpy.typing import NDArray
from shapely.ops import polylabel

from dronewall.geo import borders
from dronewall.geo.frames import GEOD
from dronewall.model import Event, Sensor, Zone

Bounds = tuple[float, float, float, float]
_NO_PATHS: Mapping[str, NDArray[np.float64]] = MappingProxyType({})

# colours
SEA = "#dde8f0"  # international airspace (and anything outside the shipped borders)
LAND = "#f4f2ec"
LAND_EDGE = "#8f8f8f"
WATCH = "#fde7bd"
WATCH_EDGE = "#b0620e"
URBAN = "#ddd3c4"
INCURSION = "#d62728"
TRACK = "#1f5fbf"
TRUTH = "#555555"
ADIZ = "#e07b00"
RESTRICTED = "#a01c1c"
CUSTOM = "#6a3d9a"
SENSOR_STYLE: dict[str, tuple[str, str, float, str]] = {
    # kind: (marker, colour, size, legend label)
    "radar": ("^", "#1b7a3a", 9.0, "radar (max range)"),
    "adsb": ("D", "#6a3d9a", 6.5, "ADS-B receiver"),
    "acoustic": ("o", "#0f7c8c", 3.5, "acoustic node"),
    "eo": ("s", "#444444", 5.0, "EO/IR camera"),
    "sapient": ("s", "#444444", 5.0, "SAPIENT sensor"),
    "other": ("s", "#444444", 5.0, "other sensor"),
}
ATTRIBUTION = "Borders incl. territorial sea: © OpenStreetMap contributors, ODbL · Natural Earth"
HALO = [patheffects.withStroke(linewidth=2.6, foreground="white")]
AXES_RECT = (0.05, 0.045, 0.735, 0.895)  # left, bottom, width, height (figure fraction)
MAX_TRACK_LABELS = 30


# Patches go in with ``add_artist``, not ``add_patch``: the map sets its own limits, and
# add_patch's data-limit update walks every vertex in Python (over half the render time).


def _ring_path(geom: shapely.Geometry) -> MplPath | None:
    """One compound path of all rings of all polygons (holes stay holes)."""
    verts, codes = [], []
    for ring in shapely.get_rings(shapely.get_parts(geom)):
        c = shapely.get_coordinates(ring)
        if len(c) < 4:
            continue
        code = np.full(len(c), MplPath.LINETO, dtype=np.uint8)
        code[0], code[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
        verts.append(c)
        codes.append(code)
    if not verts:
        return None
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _polygons(geom: shapely.Geometry) -> list[shapely.Polygon]:
    return [p for p in shapely.get_parts(geom) if isinstance(p, shapely.Polygon)]


def _points_of(
    sensors: Sequence[Sensor],
    paths: Iterable[NDArray[np.float64]],
    events: Sequence[Event],
    assets: Sequence[tuple[str, float, float]],
) -> NDArray[np.float64]:
    pts = [np.array([[s.position.lon, s.position.lat] for s in sensors]).reshape(-1, 2)]
    pts += [np.asarray(p, np.float64).reshape(-1, 2) for p in paths]
    pts.append(np.array([[e.position.lon, e.position.lat] for e in events if e.position]))
    pts.append(np.array([[lon, lat] for _, lat, lon in assets]))
    pts = [p.reshape(-1, 2) for p in pts]
    allp = np.concatenate(pts) if pts else np.empty((0, 2))
    return allp[np.isfinite(allp).all(axis=1)]


def fit_bounds(points: NDArray[np.float64], watch: Sequence[str]) -> Bounds:
    """Bounds around the points with a 12 % margin (at least 0.2 deg), else around the
    watched countries, else around everything shipped."""
    if len(points):
        x0, y0 = points.min(axis=0)
        x1, y1 = points.max(axis=0)
    else:
        known = borders.countries()
        geoms = [known[c] for c in watch if c in known] or list(known.values())
        x0, y0, x1, y1 = shapely.total_bounds(np.array(geoms, dtype=object))
    mx = max(0.12 * (x1 - x0), 0.2)
    my = max(0.12 * (y1 - y0), 0.2)
    return (max(x0 - mx, -180.0), max(y0 - my, -89.0), min(x1 + mx, 180.0), min(y1 + my, 89.0))


def fill_extent(bounds: Bounds, box_w: float, box_h: float) -> Bounds:
    """Widen bounds (about their centre) so the map fills a box of box_w x box_h with
    1/cos(lat) aspect: nothing requested is cut off."""
    x0, y0, x1, y1 = bounds
    kx = math.cos(math.radians((y0 + y1) / 2.0))
    w, h = (x1 - x0) * kx, y1 - y0
    if w / h < box_w / box_h:
        w = h * box_w / box_h
    else:
        h = w * box_h / box_w
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    return cx - w / kx / 2.0, cy - h / 2.0, cx + w / kx / 2.0, cy + h / 2.0


def _label_point(poly: shapely.Polygon, kx: float) -> tuple[float, float]:
    """Pole of inaccessibility in the map's own metric (x scaled by cos lat)."""
    scaled = shapely.transform(poly, lambda c: c * np.array([kx, 1.0]))
    tol = max(math.sqrt(scaled.area) / 50.0, 1e-4)
    p = polylabel(scaled, tolerance=tol)
    return p.x / kx, p.y


def _draw_countries(ax: Axes, extent: Bounds, watch: Collection[str], kx: float) -> None:
    x0, y0, x1, y1 = extent
    pad = 0.02 * max(x1 - x0, y1 - y0)
    view = (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
    view_area = (x1 - x0) * (y1 - y0) * kx
    for iso, geom in sorted(borders.countries().items(), key=lambda kv: kv[0] in watch):
        clip = shapely.clip_by_rect(geom, *view)
        path = _ring_path(clip) if not clip.is_empty else None
        if path is None:
            continue
        watched = iso in watch
        ax.add_artist(
            PathPatch(
                path,
                facecolor=WATCH if watched else LAND,
                lw=1.3 if watched else 0.6,
                edgecolor=WATCH_EDGE if watched else LAND_EDGE,
                zorder=2 if watched else 1,
            )
        )
        visible = shapely.clip_by_rect(geom, *extent)
        parts = _polygons(visible)
        if not parts:
            continue
        big = max(parts, key=lambda p: p.area)
        share = big.area * kx / view_area
        if share < 0.01:
            continue
        lx, ly = _label_point(big, kx)
        name = borders.country_name(iso)
        ax.text(
            lx,
            ly,
            f"{name.upper()}\n{iso}",
            ha="center",
            va="center",
            fontsize=11 if watched else 9,
            fontweight="bold" if watched else "normal",
            color=WATCH_EDGE if watched else "#6b6b6b",
            alpha=0.9,
            zorder=3,
            path_effects=HALO,
            linespacing=1.1,
        )


def _draw_urban(ax: Axes, extent: Bounds) -> None:
    geoms = np.array(borders.urban_areas(), dtype=object)
    x0, y0, x1, y1 = extent
    b = shapely.bounds(geoms)
    keep = (b[:, 2] >= x0) & (b[:, 0] <= x1) & (b[:, 3] >= y0) & (b[:, 1] <= y1)
    if keep.any():
        path = _ring_path(shapely.GeometryCollection(list(geoms[keep])))
        if path is not None:
            ax.add_artist(PathPatch(path, facecolor=URBAN, edgecolor="none", zorder=2.5))


def pick_places(
    extent: Bounds, kx: float, avoid: Sequence[tuple[float, float]] = (), n: int = 14
) -> list[borders.Place]:
    """The biggest places in view, skipping any too close to a bigger one or to a
    point in ``avoid`` (lon, lat: assets, which carry their own labels)."""
    x0, y0, x1, y1 = extent
    mx, my = 0.01 * (x1 - x0), 0.03 * (y1 - y0)  # keep labels off the frame
    inside = [
        p
        for p in borders.populated_places()
        if x0 + mx <= p.lon <= x1 - mx and y0 + my <= p.lat <= y1 - my
    ]
    inside.sort(key=lambda p: -p.pop)
    min_d = 0.07 * (y1 - y0)
    taken = list(avoid)
    chosen: list[borders.Place] = []
    for p in inside:
        if all(math.hypot((p.lon - lon) * kx, p.lat - lat) > min_d for lon, lat in taken):
            chosen.append(p)
            taken.append((p.lon, p.lat))
        if len(chosen) == n:
            break
    return chosen


def _draw_places(
    ax: Axes, extent: Bounds, kx: float, assets: Sequence[tuple[str, float, float]]
) -> bool:
    places = pick_places(extent, kx, [(lon, lat) for _, lat, lon in assets])
    if not places:
        return False
    ax.plot(
        [p.lon for p in places],
        [p.lat for p in places],
        "o",
        ms=3.5,
        color="#333333",
        mec="white",
        mew=0.6,
        zorder=4,
        ls="none",
    )
    x0, _, x1, _ = extent
    for p in places:
        right = p.lon > x0 + 0.85 * (x1 - x0)  # label to the left near the right edge
        ax.annotate(
            p.name,
            (p.lon, p.lat),
            xytext=(-4 if right else 4, 0),
            textcoords="offset points",
            ha="right" if right else "left",
            va="center",
            fontsize=7.5,
            color="#333333",
            zorder=4,
            path_effects=HALO,
            annotation_clip=True,
        )
    return True


def _draw_zones(ax: Axes, zones: Sequence[Zone], extent: Bounds) -> set[str]:
    kinds: set[str] = set()
    x0, y0, x1, y1 = extent
    pad = 0.02 * max(x1 - x0, y1 - y0)
    for z in zones:
        geom = shapely.clip_by_rect(
            shapely.geometry.shape(z.geometry), x0 - pad, y0 - pad, x1 + pad, y1 + pad
        )
        path = _ring_path(geom) if not geom.is_empty else None
        if path is None:
            continue
        kinds.add(z.kind)
        if z.kind == "adiz":
            patch = PathPatch(
                path, facecolor="none", edgecolor=ADIZ, lw=1.6, ls=(0, (6, 3)), zorder=5
            )
        elif z.kind == "restricted":
            patch = PathPatch(
                path,
                facecolor="none",
                edgecolor=RESTRICTED,
                lw=1.0,
                hatch="////",
                zorder=5,
                alpha=0.8,
            )
        elif z.kind == "national_airspace":
            patch = PathPatch(path, facecolor="none", edgecolor=WATCH_EDGE, lw=2.0, zorder=5)
        else:
            patch = PathPatch(path, facecolor="none", edgecolor=CUSTOM, lw=1.2, ls=":", zorder=5)
        ax.add_artist(patch)
    return kinds


def _draw_sensors(ax: Axes, sensors: Sequence[Sensor]) -> set[str]:
    kinds: set[str] = set()
    by_kind: dict[str, list[Sensor]] = {}
    for s in sensors:
        by_kind.setdefault(s.kind if s.kind in SENSOR_STYLE else "other", []).append(s)
    az = np.linspace(0.0, 360.0, 181)
    for kind, group in by_kind.items():
        marker, colour, size, _ = SENSOR_STYLE[kind]
        kinds.add(kind)
        ax.plot(
            [s.position.lon for s in group],
            [s.position.lat for s in group],
            marker,
            ms=size,
            color=colour,
            mec="white",
            mew=0.8,
            ls="none",
            zorder=8,
        )
        if kind != "radar":
            continue
        for s in group:
            if not s.max_range_m:
                continue
            lon, lat, _ = GEOD.fwd(
                np.full_like(az, s.position.lon),
                np.full_like(az, s.position.lat),
                az,
                np.full_like(az, s.max_range_m),
            )
            ax.plot(lon, lat, color=colour, lw=0.9, alpha=0.45, zorder=6)
            ax.fill(lon, lat, color=colour, alpha=0.04, zorder=6, lw=0)
    return kinds


def _draw_paths(
    ax: Axes,
    track_paths: Mapping[str, NDArray[np.float64]],
    incursion_tracks: Collection[str],
    truth_paths: Mapping[str, NDArray[np.float64]],
) -> None:
    for p in truth_paths.values():
        a = np.asarray(p, np.float64).reshape(-1, 2)
        ax.plot(a[:, 0], a[:, 1], ls=(0, (4, 3)), lw=0.9, color=TRUTH, alpha=0.8, zorder=9)
    label_all = len(track_paths) <= MAX_TRACK_LABELS
    # draw incursion tracks last so they lie on top
    for tid in sorted(track_paths, key=lambda t: t in incursion_tracks):
        a = np.asarray(track_paths[tid], np.float64).reshape(-1, 2)
        if len(a) == 0:
            continue
        bad = tid in incursion_tracks
        colour = INCURSION if bad else TRACK
        ax.plot(
            a[:, 0],
            a[:, 1],
            lw=2.0 if bad else 1.5,
            color=colour,
            zorder=11 if bad else 10,
            solid_capstyle="round",
        )
        ax.plot(a[-1, 0], a[-1, 1], "o", ms=3.5, color=colour, zorder=11)
        if bad or label_all:
            ax.annotate(
                tid,
                (a[-1, 0], a[-1, 1]),
                xytext=(5, 4),
                textcoords="offset points",
                fontsize=8,
                fontweight="bold",
                color=colour,
                zorder=12,
                path_effects=HALO,
            )


EVENT_STYLE: dict[str, dict[str, Any]] = {
    "incursion_start": {
        "marker": "X",
        "ms": 11,
        "color": INCURSION,
        "mec": "white",
        "mew": 0.8,
        "label": "incursion start",
    },
    "incursion_end": {
        "marker": "o",
        "ms": 9,
        "color": INCURSION,
        "mfc": "none",
        "mew": 1.8,
        "label": "incursion end",
    },
    "adiz_entry": {
        "marker": "P",
        "ms": 9,
        "color": ADIZ,
        "mec": "white",
        "mew": 0.6,
        "label": "ADIZ entry",
    },
}


def _draw_events(ax: Axes, events: Sequence[Event]) -> set[str]:
    kinds: set[str] = set()
    for kind, style in EVENT_STYLE.items():
        pts = [
            (e.position.lon, e.position.lat)
            for e in events
            if e.kind == kind and e.position is not None
        ]
        if not pts:
            continue
        kinds.add(kind)
        a = np.array(pts)
        kw = {k: v for k, v in style.items() if k != "label"}
        ax.plot(a[:, 0], a[:, 1], ls="none", zorder=13, **kw)
    return kinds


def _draw_assets(ax: Axes, assets: Sequence[tuple[str, float, float]]) -> None:
    for name, lat, lon in assets:
        ax.plot(lon, lat, "s", ms=7, color="#ffd21f", mec="#222222", mew=1.0, zorder=12)
        ax.annotate(
            name,
            (lon, lat),
            xytext=(6, -10),
            textcoords="offset points",
            fontsize=8,
            fontweight="bold",
            color="#222222",
            zorder=12,
            path_effects=HALO,
        )


def _nice_length(km: float) -> float:
    """The largest 1, 2 or 5 x 10^k not above km."""
    e = 10.0 ** math.floor(math.log10(km))
    return max(m * e for m in (1.0, 2.0, 5.0) if m * e <= km)


def _draw_scale_bar(ax: Axes, extent: Bounds) -> None:
    x0, y0, x1, y1 = extent
    lat = y0 + 0.045 * (y1 - y0)
    lon = x0 + 0.03 * (x1 - x0)
    _, _, width_m = GEOD.inv(x0, (y0 + y1) / 2, x1, (y0 + y1) / 2)
    km = _nice_length(width_m / 1000.0 / 4.5)
    ends = [lon]
    for frac in (0.5, 1.0):
        e, _, _ = GEOD.fwd(lon, lat, 90.0, km * 1000.0 * frac)
        ends.append(float(e))
    h = 0.008 * (y1 - y0)
    ax.add_artist(
        Rectangle(
            (x0 + 0.015 * (x1 - x0), y0 + 0.015 * (y1 - y0)),
            ends[2] - x0 - 0.015 * (x1 - x0) + 0.02 * (x1 - x0),
            0.075 * (y1 - y0),
            facecolor="white",
            alpha=0.8,
            edgecolor="none",
            zorder=14,
        )
    )
    for i, colour in enumerate(("#222222", "white")):
        ax.add_artist(
            Rectangle(
                (ends[i], lat),
                ends[i + 1] - ends[i],
                h,
                facecolor=colour,
                edgecolor="#222222",
                lw=0.8,
                zorder=15,
            )
        )
    for x, text in ((ends[0], "0"), (ends[2], f"{km:g} km")):
        ax.text(x, lat + 1.8 * h, text, ha="center", va="bottom", fontsize=8, zorder=15)


def _legend(
    ax: Axes,
    watch: Sequence[str],
    zone_kinds: set[str],
    sensor_kinds: set[str],
    event_kinds: set[str],
    tracks: bool,
    incursions: bool,
    truth: bool,
    places: bool,
    assets: bool,
) -> None:
    names = ", ".join(borders.country_name(c) for c in watch if c in borders.countries())
    h: list[Any] = []
    if names:
        h.append(Patch(facecolor=WATCH, edgecolor=WATCH_EDGE, label=f"watched: {names}"))
    h.append(Patch(facecolor=LAND, edgecolor=LAND_EDGE, label="national airspace (land + sea)"))
    h.append(Patch(facecolor=SEA, edgecolor="#9aa9b5", label="international airspace"))
    zone_style = {
        "adiz": Patch(facecolor="none", edgecolor=ADIZ, ls="--", lw=1.5, label="ADIZ"),
        "restricted": Patch(
            facecolor="none", edgecolor=RESTRICTED, hatch="////", label="restricted area"
        ),
        "national_airspace": Patch(
            facecolor="none", edgecolor=WATCH_EDGE, lw=2.0, label="national airspace zone"
        ),
        "custom": Patch(facecolor="none", edgecolor=CUSTOM, ls=":", label="zone"),
    }
    h += [
        zone_style[k]
        for k in ("national_airspace", "adiz", "restricted", "custom")
        if k in zone_kinds
    ]
    for kind, (marker, colour, size, label) in SENSOR_STYLE.items():
        if kind in sensor_kinds:
            h.append(
                Line2D(
                    [],
                    [],
                    marker=marker,
                    color=colour,
                    ms=size,
                    ls="none",
                    mec="white",
                    label=label,
                )
            )
    if places:
        h.append(Line2D([], [], marker="o", color="#333333", ms=3.5, ls="none", label="city"))
    if assets:
        h.append(
            Line2D(
                [],
                [],
                marker="s",
                color="#ffd21f",
                mec="#222222",
                ms=7,
                ls="none",
                label="defended asset",
            )
        )
    if truth:
        h.append(Line2D([], [], color=TRUTH, ls=(0, (4, 3)), lw=0.9, label="ground truth"))
    if tracks:
        h.append(Line2D([], [], color=TRACK, lw=1.5, label="track"))
    if incursions:
        h.append(Line2D([], [], color=INCURSION, lw=2.0, label="track with incursion"))
    for kind, style in EVENT_STYLE.items():
        if kind in event_kinds:
            kw = {k: v for k, v in style.items() if k != "label"}
            h.append(Line2D([], [], ls="none", label=style["label"], **kw))
    leg = ax.legend(
        handles=h,
        loc="upper left",
        bbox_to_anchor=(1.012, 1.0),
        fontsize=8.5,
        frameon=False,
        borderaxespad=0.0,
        labelspacing=0.7,
        handlelength=2.2,
    )
    leg.set_zorder(20)


def _deg(v: float, pos: str, neg: str) -> str:
    return f"{abs(v):g}°{pos if v >= 0 else neg}"


def render_map(
    path: Path,
    *,
    title: str,
    watch: Sequence[str],
    zones: Sequence[Zone] = (),
    sensors: Sequence[Sensor] = (),
    track_paths: Mapping[str, NDArray[np.float64]] = _NO_PATHS,
    incursion_tracks: Collection[str] = (),
    truth_paths: Mapping[str, NDArray[np.float64]] = _NO_PATHS,
    events: Sequence[Event] = (),
    assets: Sequence[tuple[str, float, float]] = (),
    bounds: Bounds | None = None,
    dpi: int = 120,
    figsize: tuple[float, float] = (12.0, 9.0),
) -> Path:
    """Draw the incident map to ``path`` (PNG, ``figsize * dpi`` pixels) and return it.

    ``watch``: ISO alpha-3 codes highlighted. ``bounds``: (lon_min, lat_min, lon_max,
    lat_max), default fitted to sensors, paths, events and assets (widened to fill the
    figure). ``assets``: (name, lat, lon). Events other than incursion start/end and
    ADIZ entry, and events without a position, are not drawn."""
    path = Path(path)
    if bounds is None:
        pts = _points_of(sensors, [*track_paths.values(), *truth_paths.values()], events, assets)
        bounds = fit_bounds(pts, watch)
    if not (bounds[0] < bounds[2] and bounds[1] < bounds[3]):
        raise ValueError(f"bounds must be (lon_min, lat_min, lon_max, lat_max), got {bounds}")
    fig = Figure(figsize=figsize, dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes(AXES_RECT)
    box_w, box_h = AXES_RECT[2] * figsize[0], AXES_RECT[3] * figsize[1]
    extent = fill_extent(bounds, box_w, box_h)
    x0, y0, x1, y1 = extent
    kx = math.cos(math.radians((y0 + y1) / 2.0))
    watched = set(watch)

    ax.set_facecolor(SEA)
    _draw_countries(ax, extent, watched, kx)
    _draw_urban(ax, extent)
    has_places = _draw_places(ax, extent, kx, assets)
    zone_kinds = _draw_zones(ax, zones, extent)
    sensor_kinds = _draw_sensors(ax, sensors)
    _draw_paths(ax, track_paths, incursion_tracks, truth_paths)
    event_kinds = _draw_events(ax, events)
    _draw_assets(ax, assets)
    _draw_scale_bar(ax, extent)
    _legend(
        ax,
        watch,
        zone_kinds,
        sensor_kinds,
        event_kinds,
        tracks=any(t not in incursion_tracks for t in track_paths),
        incursions=any(t in incursion_tracks for t in track_paths),
        truth=bool(truth_paths),
        places=has_places,
        assets=bool(assets),
    )

    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(1.0 / kx, adjustable="datalim")
    ax.grid(color="white", lw=0.6, alpha=0.7, zorder=0.5)
    ax.set_axisbelow(True)
    ax.tick_params(labelsize=7.5, length=3, color="#777777", labelcolor="#555555")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: _deg(v, "E", "W")))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _deg(v, "N", "S")))
    for spine in ax.spines.values():
        spine.set_color("#777777")
    fig.text(
        AXES_RECT[0],
        0.985,
        title,
        fontsize=14,
        fontweight="bold",
        va="top",
        ha="left",
        color="#222222",
    )
    ax.text(
        0.995,
        0.004,
        ATTRIBUTION,
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=6.5,
        color="#555555",
        zorder=20,
        bbox={"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 1.5},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi, format="png", facecolor="white")
    return path
