"""Write a run's report files into an output folder: JSON, Markdown, HTML and the map.

Files are written to temporary names and renamed into place, so a failed run never
leaves a half-written report beside a good one.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from dronewall.eval.gospa import gospa_timeline
from dronewall.geo.frames import LocalFrame
from dronewall.pipeline import RunData
from dronewall.report.map import render_map
from dronewall.report.render import html_page, markdown
from dronewall.report.timeline import render_timeline


def _atomic_write(path: Path, data: str | bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    if isinstance(data, str):
        tmp.write_text(data, encoding="utf-8")
    else:
        tmp.write_bytes(data)
    os.replace(tmp, path)


def paths_lonlat(run: RunData) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(track paths, truth paths) as (n, 2) lon/lat arrays for the map."""
    tracks: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for tr in run.tracks:
        tracks[tr.id].append((tr.time, tr.lon, tr.lat))
    truth: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for s in run.truth:
        truth[s.target_id].append((s.time, s.lon, s.lat))

    def arr(d: dict[str, list[tuple[float, float, float]]]) -> dict[str, np.ndarray]:
        return {k: np.array(sorted(v))[:, 1:] for k, v in d.items()}

    return arr(tracks), arr(truth)


def write_outputs(
    report: dict[str, Any], run: RunData, out_dir: Path, *, with_map: bool = True
) -> dict[str, Path]:
    """Write report.json, report.md, report.html, map.png and timeline.png; return their
    paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    map_path = out_dir / "map.png"
    if with_map:
        track_paths, truth_paths = paths_lonlat(run)
        incursion_tracks = {r["track_id"] for r in report["incursions"]}
        tmp = out_dir / "map.tmp.png"
        render_map(
            tmp,
            title=report["title"],
            watch=report["watch"],
            zones=[z for z in run.zones if z.kind != "national_airspace"],
            sensors=run.sensors,
            track_paths=track_paths,
            incursion_tracks=incursion_tracks,
            truth_paths=truth_paths,
            events=[
                e
                for e in run.events
                if e.kind in ("incursion_start", "incursion_end", "adiz_entry")
            ],
            assets=[tuple(a) for a in run.meta.get("assets", [])],
        )
        os.replace(tmp, map_path)
        written["map"] = map_path
        frame = LocalFrame(*run.meta["frame_origin"])
        timeline = gospa_timeline(run.truth, run.tracks, frame, run.meta["start"],
                                  run.meta["end"], step_s=report["gospa"]["step_s"])
        tmp = out_dir / "timeline.tmp.png"
        render_timeline(tmp, report, timeline)
        os.replace(tmp, out_dir / "timeline.png")
        written["timeline"] = out_dir / "timeline.png"
    files = {
        "json": ("report.json", json.dumps(report, indent=2, sort_keys=False) + "\n"),
        "markdown": ("report.md", markdown(report, [p.name for p in written.values()])),
        "html": ("report.html", html_page(report, list(written.values()))),
    }
    for key, (name, text) in files.items():
        _atomic_write(out_dir / name, text)
        written[key] = out_dir / name
    return written
