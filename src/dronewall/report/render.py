"""The incident report for people: a terminal table, a Markdown file, an HTML page.

All three render the object of :func:`dronewall.report.build.build_report`, so they
say the same thing; the HTML embeds the map picture so it travels as one file.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from dronewall.timeutil import hms

COLUMNS = (
    "Track",
    "Class",
    "Country",
    "Entry (UTC)",
    "Entry point",
    "From",
    "Exit",
    "Inside",
    "Depth km",
    "Truth",
    "Entry err s",
    "Inside err s",
    "Verdict",
)


def _t(text: str | None) -> str:
    return "-" if text is None else text[11:19] if len(text) >= 19 else text


def _exit(row: dict[str, Any]) -> str:
    if row["exit_time"]:
        return _t(row["exit_time"])
    if row["end_reason"] == "track_lost":
        fate = row.get("truth_fate")
        return f"lost {_t(row['end_time'])}" + (f" ({fate})" if fate else "")
    return "still inside"


def _num(x: float | None, fmt: str = "{:+.1f}") -> str:
    return "-" if x is None else fmt.format(x)


def table_rows(report: dict[str, Any]) -> list[list[str]]:
    rows = []
    for r in report["incursions"]:
        rows.append(
            [
                r["track_id"],
                r["classification"] or "unclassified",
                r["country"],
                _t(r["entry_time"]),
                f"{r['entry_lat']:.3f}, {r['entry_lon']:.3f}"
                + ("" if r["entry_observed"] else " *"),
                r["entry_from"] or "-",
                _exit(r),
                hms(r["seconds_inside"]),
                _num(r["max_depth_km"], "{:.1f}"),
                r["truth_id"] or "-",
                _num(r["entry_error_s"]),
                _num(r["inside_error_s"]),
                r["verdict"],
            ]
        )
    return rows


def summary_lines(report: dict[str, Any]) -> list[str]:
    s = report["summary"]
    med = s["median_entry_error_s"]
    lines = [
        f"Scenario {report['scenario']}: {report['title']}",
        f"{report['start']} to {report['end']}; watching {', '.join(report['watch'])}; "
        f"run took {report['wall_seconds']} s wall",
        f"Incursions: truth {s['truth_incursions']}, detected {s['detected']}, missed "
        f"{s['missed']}, false {s['false']}, duplicate tracks {s['duplicates']}",
        f"Entry time error: median {_num(med, '{:.1f}')} s, max "
        f"{_num(s['max_entry_error_s'], '{:.1f}')} s",
        f"GOSPA (c={report['gospa']['c_m']:.0f} m, p={report['gospa']['p']:.0f}, "
        f"horizontal): mean {s['gospa_mean']} m (localisation {s['gospa_localisation_mean']}, "
        f"missed {s['gospa_missed_mean']}, false {s['gospa_false_mean']}); tracks "
        f"{s['tracks_mean']} vs targets {s['truth_mean']} on average",
        f"ADIZ entries needing identification: {s['adiz_events']} "
        f"(truth {s['truth_adiz_entries']})",
    ]
    return lines


TERMINAL_COLUMNS = ("Track", "Class", "Ctry", "Entry", "From", "Exit", "Inside", "Depth",
                    "Truth", "dEntry", "Verdict")  # fmt: skip
SHORT_CLASS = {
    "shahed": "Shahed",
    "gerbera": "Gerbera",
    "jet_shahed": "jetShahed",
    "cruise_missile": "cr.missile",
    "fighter": "fighter",
    "bomber": "bomber",
    "airliner": "airliner",
    "light_aircraft": "light a/c",
    "helicopter": "heli",
    "multicopter": "multicopt",
    "bird": "bird",
    "unknown": "unknown",
}
SHORT_ORIGIN = {"international": "intl", None: "-"}
SHORT_VERDICT = {"detected": "ok", "duplicate": "dup", "false": "FALSE"}


def _short_class(label: str | None) -> str:
    return SHORT_CLASS.get(label or "", "?")


def terminal_rows(report: dict[str, Any]) -> list[list[str]]:
    """The table's essential columns, narrow enough for an 80-column terminal."""
    rows = []
    for r in report["incursions"]:
        if r["exit_time"]:
            exit_ = _t(r["exit_time"])
        elif r["end_reason"] == "track_lost":
            exit_ = "lost " + _t(r["end_time"])[:5]
        else:
            exit_ = "inside"
        rows.append([
            r["track_id"], _short_class(r["classification"]), r["country"],
            _t(r["entry_time"]), SHORT_ORIGIN.get(r["entry_from"], r["entry_from"]), exit_,
            hms(r["seconds_inside"]), _num(r["max_depth_km"], "{:.0f}"), r["truth_id"] or "-",
            _num(r["entry_error_s"]), SHORT_VERDICT.get(r["verdict"], r["verdict"]),
        ])  # fmt: skip
    return rows


def print_report(report: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    console.print(f"[bold]{report['title']}[/bold]")
    table = Table(
        title="Airspace incursions detected",
        header_style="bold",
        pad_edge=False,
        box=None,
        padding=(0, 1, 0, 0),
    )
    for c in TERMINAL_COLUMNS:
        table.add_column(c, no_wrap=True)
    for row in terminal_rows(report):
        style = "red" if row[-1] == "FALSE" else "yellow" if row[-1] == "dup" else None
        table.add_row(*row, style=style)
    console.print(table)
    console.print(
        "Times UTC; Inside h:mm:ss; Depth km from the border crossed; dEntry: entry "
        "time error (s) against the truth; 'lost': the track ended inside; Verdict: ok = a "
        "true incursion, dup = a second track of one, FALSE = none. Entry points, truth "
        "fates: report.md / report.html.",
        style="dim",
    )
    if report["missed_incursions"]:
        console.print(
            "[red]Missed (true incursions no track reported):[/red] "
            + ", ".join(
                f"{m['truth_id']} into {m['country']} at {_t(m['entry_time'])}"
                for m in report["missed_incursions"]
            )
        )
    if report["adiz_events"]:
        adiz = Table(
            title="ADIZ entries (identification required)",
            header_style="bold",
            box=None,
            padding=(0, 1, 0, 0),
        )
        for c in ("Track", "Class", "Zone", "Entry UTC", "Exit", "Inside", "Truth"):
            adiz.add_column(c, no_wrap=True)
        for a in report["adiz_events"]:
            adiz.add_row(
                a["track_id"],
                _short_class(a.get("classification")),
                a["zone"],
                _t(a["entry_time"]),
                _t(a["exit_time"]) if a["exit_time"] else "still inside",
                hms(a["seconds_inside"]),
                a["truth_id"] or "-",
            )
        console.print(adiz)
    console.print()
    for line in summary_lines(report):
        console.print(line, highlight=False)


def markdown(report: dict[str, Any], images: Sequence[str] = ("map.png", "timeline.png")) -> str:
    out = [f"# {report['title']}", ""]
    out += [f"- {line}" for line in summary_lines(report)] + [""]
    out += [f"![{Path(name).stem}]({name})" for name in images] + [""]
    out += [
        "## Incursions detected",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    out += ["| " + " | ".join(row) + " |" for row in table_rows(report)]
    out += ["", "`*` entry not observed: the track was first seen already inside.", ""]
    out += [
        "## Ground truth incursions",
        "",
        "| Target | Type | Country | Entry | Exit | Fate | Inside | Depth km |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in report["truth_incursions"]:
        out.append(
            f"| {t['truth_id']} | {t['truth_type']} | {t['country']} | "
            f"{_t(t['entry_time'])} | {_t(t['exit_time'])} | {t['fate']} | "
            f"{hms(t['seconds_inside'])} | {t['max_depth_km']} |"
        )
    if report["missed_incursions"]:
        out += ["", "## Missed", ""] + [
            f"- {m['truth_id']} into {m['country']} at {m['entry_time']}"
            for m in report["missed_incursions"]
        ]
    if report["adiz_events"]:
        out += [
            "",
            "## ADIZ entries (identification required)",
            "",
            "| Track | Zone | Entry | Exit | Inside | Truth |",
            "|---|---|---|---|---|---|",
        ]
        out += [
            f"| {a['track_id']} | {a['zone']} | {_t(a['entry_time'])} | "
            f"{_t(a['exit_time']) if a['exit_time'] else 'still inside'} | "
            f"{hms(a['seconds_inside'])} | {a['truth_id'] or '-'} |"
            for a in report["adiz_events"]
        ]
    out += ["", "## Messages stored", ""] + [f"- {k}: {v}" for k, v in report["counts"].items()]
    return "\n".join(out) + "\n"


def html_page(report: dict[str, Any], images: Sequence[Path] = ()) -> str:
    """One self-contained page: the pictures are embedded, nothing is fetched."""
    esc = html.escape
    img = "".join(
        f'<p><img alt="{esc(p.stem)}" style="max-width:100%" '
        f'src="data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}"></p>'
        for p in images
        if p.exists()
    )
    head = "".join(f"<th>{esc(c)}</th>" for c in COLUMNS)
    body = "".join(
        f'<tr class="{esc(r[-1])}">' + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>"
        for r in table_rows(report)
    )
    lines = "".join(f"<li>{esc(x)}</li>" for x in summary_lines(report))
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>{esc(report["title"])}</title><style>
body{{font-family:system-ui,sans-serif;margin:2em;color:#222}}
table{{border-collapse:collapse;font-size:13px}}td,th{{border:1px solid #ccc;padding:3px 6px}}
tr.false td{{background:#fdd}}tr.duplicate td{{background:#ffd}}th{{background:#eee}}
</style></head><body><h1>{esc(report["title"])}</h1><ul>{lines}</ul>{img}
<h2>Incursions detected</h2><table><tr>{head}</tr>{body}</table>
<p><small>Generated by dronewall from the run's store; times UTC.</small></p></body></html>
"""
