"""The night at a glance: incursions as bars against the truth, and GOSPA over time.

Top panel: one row per intruder (true target), its true time inside as a grey bar and
each detected incursion of its tracks as a coloured bar on top (red: matched, orange:
duplicate), false incursions on rows of their own. Bottom panels: GOSPA and its parts
over time, and the number of confirmed tracks against the number of targets flying.
Drawn with a bare matplotlib Figure on the Agg canvas (no display needed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from dronewall.eval.gospa import GospaTimeline
from dronewall.timeutil import parse_iso

VERDICT_COLOUR = {"detected": "#d62728", "duplicate": "#ff9f1c", "false": "#7b2cbf"}


def _dt(t: float) -> float:
    """Matplotlib date number (days since 1970-01-01, its default epoch) of POSIX seconds."""
    return t / 86400.0


def _span(start: str, end: str | None, fallback: float) -> tuple[float, float]:
    a = parse_iso(start)
    return a, (parse_iso(end) if end else fallback)


def render_timeline(path: Path, report: dict[str, Any], timeline: GospaTimeline,
                    dpi: int = 110) -> Path:
    """Write the timeline PNG of a report; returns ``path``."""
    end = parse_iso(report["end"])
    rows: dict[str, int] = {}
    for t in report["truth_incursions"]:
        rows.setdefault(t["truth_id"], len(rows))
    for r in report["incursions"]:
        rows.setdefault(r["truth_id"] or f"{r['track_id']} (no target)", len(rows))
    n = max(len(rows), 1)
    fig = Figure(figsize=(12.0, 3.0 + 0.28 * n + 4.0))
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(3, 1, height_ratios=[0.28 * n + 1.0, 2.0, 1.6], hspace=0.35)
    ax = fig.add_subplot(grid[0])
    for t in report["truth_incursions"]:
        a, b = _span(t["entry_time"], t["exit_time"], parse_iso(report["end"]))
        if t["end_reason"] == "track_lost":  # the truth "track" ended: downed or crashed
            b = a + t["seconds_inside"]
        y = rows[t["truth_id"]]
        ax.barh(y, (b - a) / 86400.0, left=_dt(a), height=0.8, color="#d9d9d9",
                edgecolor="#999999", linewidth=0.5)
    for r in report["incursions"]:
        a = parse_iso(r["entry_time"])
        b = a + (r["seconds_inside"] or 0.0)
        y = rows[r["truth_id"] or f"{r['track_id']} (no target)"]
        ax.barh(y, (b - a) / 86400.0, left=_dt(a), height=0.42,
                color=VERDICT_COLOUR.get(r["verdict"], "#333333"))
        ax.text(_dt(b), y, f" {r['track_id']}", va="center", fontsize=7)
    ax.set_yticks(range(len(rows)), list(rows), fontsize=7)
    ax.invert_yaxis()
    ax.set_title(f"{report['title']}: incursions into {', '.join(report['watch'])}",
                 loc="left", fontsize=11, fontweight="bold")
    ax.legend(handles=[Patch(color="#d9d9d9", label="truth: time inside"),
                       *[Patch(color=c, label=f"track: {v}") for v, c in VERDICT_COLOUR.items()]],
              fontsize=7, loc="lower right", ncols=4)
    ax.grid(axis="x", alpha=0.3)

    times = timeline.times / 86400.0
    g = fig.add_subplot(grid[1], sharex=ax)
    g.stackplot(times, timeline.localisation, timeline.missed, timeline.false,
                labels=["localisation", "missed targets", "false tracks"],
                colors=["#4c78a8", "#f58518", "#b279a2"], alpha=0.85)
    g.set_ylabel("GOSPA (m)", fontsize=8)
    g.set_title(f"GOSPA over time (c = {timeline.c:.0f} m, p = {timeline.p:.0f}, "
                f"horizontal); mean {float(np.mean(timeline.total)):.0f} m",
                loc="left", fontsize=9)
    g.legend(fontsize=7, loc="upper right")
    g.grid(alpha=0.3)

    c = fig.add_subplot(grid[2], sharex=ax)
    c.step(times, timeline.n_truth, where="post", color="#555555", label="targets flying")
    c.step(times, timeline.n_tracks, where="post", color="#1f5fbf", label="confirmed tracks")
    c.set_ylabel("count", fontsize=8)
    c.legend(fontsize=7, loc="upper right")
    c.grid(alpha=0.3)
    c.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    c.set_xlabel("time (UTC)", fontsize=8)
    for axes in (ax, g, c):
        axes.tick_params(labelsize=7)
    ax.set_xlim(_dt(parse_iso(report["start"])), _dt(end))
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return path
