"""The incident map PNG: size, content where things are drawn, the extent maths."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from dronewall.model import Event, GeoPoint, Sensor, Zone
from dronewall.report import map as mapmod
from dronewall.report.map import fill_extent, fit_bounds, pick_places, render_map

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
BOUNDS = (21.0, 50.5, 25.5, 53.5)  # eastern Poland and the Belarus border


def _pixel(
    extent: tuple[float, float, float, float], lon: float, lat: float, size: tuple[int, int]
) -> tuple[int, int]:
    """Row, column of a lon/lat in the rendered image (axes at AXES_RECT)."""
    x0, y0, x1, y1 = extent
    left, bottom, width, height = mapmod.AXES_RECT
    w, h = size
    fx = left + width * (lon - x0) / (x1 - x0)
    fy = bottom + height * (lat - y0) / (y1 - y0)
    return round((1.0 - fy) * h), round(fx * w)


def _window(img: np.ndarray, rc: tuple[int, int], r: int = 3) -> np.ndarray:
    return img[rc[0] - r : rc[0] + r + 1, rc[1] - r : rc[1] + r + 1, :3].reshape(-1, 3)


def _red(px: np.ndarray) -> np.ndarray:
    return (px[:, 0] > 0.7) & (px[:, 1] < 0.35) & (px[:, 2] < 0.35)


def _blue(px: np.ndarray) -> np.ndarray:
    return (px[:, 2] > 0.6) & (px[:, 0] < 0.3)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    t = np.linspace(0.0, 1.0, 60)
    intruder = np.column_stack([24.8 - 2.0 * t, 52.4 - 0.3 * t])  # Belarus -> Poland
    friendly = np.column_stack([21.5 + 1.0 * t, 50.9 + 0.1 * t])
    zone = Zone(
        id="adiz",
        name="ADIZ",
        kind="adiz",
        geometry={
            "type": "Polygon",
            "coordinates": [[[23.0, 51.0], [25.0, 51.0], [25.0, 53.0], [23.0, 53.0], [23.0, 51.0]]],
        },
    )
    sensors = [
        Sensor(id="r1", kind="radar", position=GeoPoint(lat=52.0, lon=22.9), max_range_m=80e3),
        Sensor(id="a1", kind="adsb", position=GeoPoint(lat=52.2, lon=21.0)),
        Sensor(id="n1", kind="acoustic", position=GeoPoint(lat=51.8, lon=23.5)),
    ]
    events = [
        Event(
            id="e1",
            time=10.0,
            kind="incursion_start",
            message="crossed",
            track_id="T1",
            position=GeoPoint(lat=52.23, lon=23.67),
        ),
        Event(
            id="e2",
            time=50.0,
            kind="incursion_end",
            message="lost",
            track_id="T1",
            position=GeoPoint(lat=52.1, lon=22.8),
        ),
        Event(
            id="e3",
            time=5.0,
            kind="adiz_entry",
            message="adiz",
            track_id="T1",
            position=GeoPoint(lat=52.3, lon=25.0),
        ),
    ]
    out = tmp_path_factory.mktemp("map") / "sub" / "map.png"
    got = render_map(
        out,
        title="Test incursion",
        watch=["POL"],
        zones=[zone],
        sensors=sensors,
        track_paths={"T1": intruder, "T2": friendly},
        incursion_tracks={"T1"},
        truth_paths={"T1": intruder},
        events=events,
        assets=[("Lublin", 51.25, 22.57)],
        bounds=BOUNDS,
        dpi=80,
    )
    assert got == out
    return out, imread(str(out))


def test_png_is_valid_with_the_expected_size(rendered: tuple[Path, np.ndarray]) -> None:
    path, img = rendered
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert img.shape[:2] == (9 * 80, 12 * 80)


def test_incursion_track_is_red_and_other_track_blue(rendered: tuple[Path, np.ndarray]) -> None:
    _, img = rendered
    size = (img.shape[1], img.shape[0])
    extent = fill_extent(BOUNDS, mapmod.AXES_RECT[2] * 12, mapmod.AXES_RECT[3] * 9)
    # a point of the intruder's path away from markers and labels
    red_rc = _pixel(extent, 24.8 - 2.0 * 0.3, 52.4 - 0.3 * 0.3, size)
    blue_rc = _pixel(extent, 21.5 + 1.0 * 0.5, 50.9 + 0.1 * 0.5, size)
    assert _red(_window(img, red_rc)).sum() >= 3
    assert not _blue(_window(img, red_rc)).any()
    assert _blue(_window(img, blue_rc)).sum() >= 3
    assert not _red(_window(img, blue_rc)).any()
    # far from any path: no red at all (north-west corner of the view)
    corner = _pixel(extent, BOUNDS[0] + 0.3, BOUNDS[3] - 0.3, size)
    assert not _red(_window(img, corner, 10)).any()


def test_default_bounds_and_no_data_render(tmp_path: Path) -> None:
    out = render_map(tmp_path / "empty.png", title="Estonia", watch=["EST"], dpi=40)
    img = imread(str(out))
    assert img.shape[:2] == (9 * 40, 12 * 40)
    assert not _red(img[..., :3].reshape(-1, 3)).any()  # nothing alarming drawn
    with pytest.raises(ValueError, match="bounds"):
        render_map(tmp_path / "bad.png", title="x", watch=[], bounds=(25.0, 50.0, 20.0, 55.0))


def test_fill_extent_keeps_bounds_and_fits_box() -> None:
    b = (14.0, 49.0, 24.2, 55.0)
    x0, y0, x1, y1 = fill_extent(b, 8.8, 8.0)
    assert x0 <= b[0] and y0 <= b[1] and x1 >= b[2] and y1 >= b[3]
    k = math.cos(math.radians((y0 + y1) / 2))
    assert (x1 - x0) * k / (y1 - y0) == pytest.approx(8.8 / 8.0)
    tall = fill_extent((20.0, 50.0, 21.0, 55.0), 8.8, 8.0)
    assert tall[1] == 50.0 and tall[3] == 55.0 and tall[2] - tall[0] > 1.0


def test_fit_bounds_margin_and_fallback() -> None:
    pts = np.array([[23.0, 52.0], [24.0, 52.5]])
    x0, y0, x1, y1 = fit_bounds(pts, ["POL"])
    assert x0 == pytest.approx(23.0 - 0.2) and x1 == pytest.approx(24.2)
    assert y0 == pytest.approx(51.8) and y1 == pytest.approx(52.7)
    est = fit_bounds(np.empty((0, 2)), ["EST"])
    assert est[0] < 21.4 < 28.2 < est[2] and est[1] < 57.5 < 59.9 < est[3]


def test_pick_places_biggest_first_and_spaced() -> None:
    extent = (14.0, 49.0, 24.2, 55.0)
    k = math.cos(math.radians(52.0))
    places = pick_places(extent, k, n=8)
    assert places[0].name == "Katowice"  # the largest pop_max in view
    assert "Warsaw" in [p.name for p in places]
    pops = [p.pop for p in places]
    assert pops == sorted(pops, reverse=True) and len(pops) == 8
    for i, p in enumerate(places):
        for q in places[:i]:
            assert math.hypot((p.lon - q.lon) * k, p.lat - q.lat) > 0.07 * 6.0
    near_warsaw = pick_places(extent, k, avoid=[(21.01, 52.23)], n=8)
    assert "Warsaw" not in [p.name for p in near_warsaw]
