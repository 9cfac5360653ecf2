"""``dronewall acoustic ...``: the acoustic command group (physics commands live here).

``acoustic`` is shared: the node helper's commands (``train``, ...) are added to this group
in their own module; the top-level CLI registers the group. Commands here:

* ``coverage``  -- Pd map and border coverage of a node layout (PNG + JSON summary);
* ``synth``     -- render a target's sound at a node to a calibrated WAV file;
* ``calibrate`` -- full-physics sweep that writes the fast mode's calibration table;
* ``validate``  -- fast mode against fresh full-physics runs (max |Pd difference|).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from dronewall.errors import BadInput

AMBIENTS = ("quiet", "rural_night", "rural_day", "suburban", "urban_night", "urban")
LABELS = ("shahed", "gerbera", "jet", "helicopter", "multicopter", "propeller_aircraft",
          "bird", "background")


@contextmanager
def _progress(what: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr for a long full-physics run: yields ``update(done, total)``."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True)) as bar:
        task = bar.add_task(what, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


@click.group(help="Acoustic sensing: propagation physics, synthesis, coverage, node tools.")
def acoustic() -> None:
    """The acoustic command group."""


@acoustic.command("coverage")
@click.argument("layout", metavar="LAYOUT")
@click.option("--target", "label", type=click.Choice(LABELS), default="shahed",
              show_default=True, help="acoustic class of the target")
@click.option("--height", "height_m", type=click.FloatRange(min=0), default=300.0,
              show_default=True, help="target height above the nodes, m")
@click.option("--source-level", "source_level_db", type=float, default=None,
              help="override the class's source level, dB SPL at 1 m")
@click.option("--wind", "wind_m_s", type=click.FloatRange(min=0), default=2.0,
              show_default=True, help="wind at the microphones, m/s")
@click.option("--temperature", "temperature_c", type=click.FloatRange(-60, 60), default=15.0,
              show_default=True, help="air temperature, degC")
@click.option("--humidity", "humidity_pct", type=click.FloatRange(1, 100), default=70.0,
              show_default=True, help="relative humidity, %")
@click.option("-k", "k", type=click.IntRange(min=1), default=3, show_default=True,
              help="nodes needed for a border point to count as covered")
@click.option("--pd-min", type=click.FloatRange(0, 1), default=0.5, show_default=True,
              help="a node covers a point where its Pd per 1-s decision is at least this")
@click.option("--border", default=None,
              help="comma-separated ISO alpha-3 codes of the border (default: the layout's watch)")
@click.option("--resolution", "resolution_m", type=click.FloatRange(min=10), default=250.0,
              show_default=True, help="map grid step, m")
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("coverage.png"), show_default=True, help="PNG to write")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="also write the summary figures as JSON here")
def coverage_cmd(layout: str, label: str, height_m: float, source_level_db: float | None,
                 wind_m_s: float, temperature_c: float, humidity_pct: float, k: int,
                 pd_min: float, border: str | None, resolution_m: float, out: Path,
                 json_out: Path | None) -> None:
    """Probability-of-detection map of LAYOUT's acoustic nodes and the border length
    covered by at least K of them.

    LAYOUT is a layout YAML (nodes: [{id, lat, lon, ambient}], watch: [ISO3]), a scenario
    file, or a built-in scenario name (its type: acoustic sensors). Pd per node comes from
    the fast mode (calibrated full physics when the table is shipped)."""
    from dronewall.acoustic.coverage import coverage, load_layout, plot_coverage

    lay = load_layout(layout)
    overrides: dict[str, Any] = {}
    if source_level_db is not None:
        overrides["source_level_db"] = source_level_db
    codes = tuple(c.strip().upper() for c in border.split(",") if c.strip()) if border else None
    res = coverage(lay, label, height_m=height_m, wind_m_s=wind_m_s,
                   temperature_c=temperature_c, humidity_pct=humidity_pct, k=k,
                   pd_min=pd_min, resolution_m=resolution_m, border=codes, **overrides)
    try:
        plot_coverage(res, out)
    except OSError as exc:
        raise BadInput(f"{out}: cannot write ({exc.strerror})") from None
    summary = res.summary() | {"layout": lay.source, "png": str(out)}
    if json_out is not None:
        json_out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    click.echo(json.dumps(summary, indent=1))


@acoustic.command("synth")
@click.option("--target", "label", type=click.Choice(LABELS), default="shahed",
              show_default=True, help="acoustic class of the source")
@click.option("--variant", default=None,
              help="signature variant (jet: jet_drone, cruise_missile; background: "
                   "road_traffic, generator, wind)")
@click.option("--start", "start", default="-2000,500,300", show_default=True,
              help="source start position east,north,up relative to the node, m")
@click.option("--velocity", default="50,0,0", show_default=True,
              help="source velocity east,north,up, m/s")
@click.option("--duration", "duration_s", type=click.FloatRange(min=0.1), default=10.0,
              show_default=True, help="seconds of audio")
@click.option("--t0", type=float, default=0.0, show_default=True,
              help="time of the first sample on the trajectory's clock, s")
@click.option("--array", "array_file", default=None,
              help="array YAML (mics in m, node ENU); default one microphone; 'square' = 10 cm")
@click.option("--ambient", type=click.Choice(AMBIENTS), default="rural_night",
              show_default=True)
@click.option("--wind", "wind_m_s", type=click.FloatRange(min=0), default=2.0,
              show_default=True, help="wind at the microphones, m/s")
@click.option("--ground/--no-ground", default=False, show_default=True,
              help="add the ground-reflected path")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--rate", "fs", type=click.IntRange(8000, 96000), default=16000,
              show_default=True, help="sample rate, Hz")
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("synth.wav"), show_default=True,
              help="WAV to write (0 dBFS full-scale sine = 120 dB SPL)")
def synth_cmd(label: str, variant: str | None, start: str, velocity: str, duration_s: float,
              t0: float, array_file: str | None, ambient: str, wind_m_s: float, ground: bool,
              seed: int, fs: int, out: Path) -> None:
    """Render a target flying a straight line past a node to a calibrated WAV file."""
    from dronewall.acoustic.synthesis import (
        ArrayGeometry,
        Environment,
        Signature,
        Trajectory,
        spl_db,
        synthesize,
        write_wav,
    )

    def vec(text: str, name: str) -> tuple[float, float, float]:
        try:
            parts = [float(v) for v in text.split(",")]
        except ValueError:
            parts = []
        if len(parts) != 3:
            raise BadInput(f"--{name}: expected three numbers east,north,up, got {text!r}")
        return parts[0], parts[1], parts[2]

    try:
        sig = Signature.for_label(label, variant)
    except ValueError as exc:
        raise BadInput(f"--variant: {exc}") from None
    if array_file is None:
        arr = ArrayGeometry.single()
    elif array_file == "square":
        arr = ArrayGeometry.square(0.1)
    else:
        arr = ArrayGeometry.from_yaml(array_file)
    traj = Trajectory.line(vec(start, "start"), vec(velocity, "velocity"),
                           max(duration_s + t0 + 60.0, 1.0))
    env = Environment(ambient=ambient, wind_m_s=wind_m_s, ground_reflection=ground)
    audio = synthesize(sig, traj, arr, fs=fs, duration_s=duration_s, t0=t0, env=env, seed=seed)
    try:
        write_wav(out, audio, fs)
    except (OSError, RuntimeError) as exc:
        raise BadInput(f"{out}: cannot write ({exc})") from None
    click.echo(f"{out}: {arr.n_channels} channel(s), {duration_s:g} s at {fs} Hz, "
               f"{spl_db(audio):.1f} dB SPL")


@acoustic.command("calibrate")
@click.option("--classes", default=",".join(("shahed", "gerbera", "helicopter", "multicopter",
                                             "propeller_aircraft", "jet")),
              show_default=True, help="comma-separated acoustic labels")
@click.option("--ambients", default="rural_night,suburban,urban", show_default=True,
              help="comma-separated ambient presets")
@click.option("--seconds", type=click.IntRange(5, 3600), default=120, show_default=True,
              help="1-s frames per range across the detection transition")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="processes (one per class x ambient)")
@click.option("-o", "--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="table to write (default: the shipped data/calibration.json)")
@click.option("--refit", "refit_from", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="no new audio: re-judge this table's recorded frames at the "
                                 "node's current threshold (or --threshold) and refit")
@click.option("--threshold", type=float, default=None,
              help="with --refit: harmonic detector threshold to judge at")
@click.option("--bb-threshold", type=float, default=None,
              help="with --refit: broadband detector threshold to judge at")
@click.option("--bearings", "rerun_bearings", is_flag=True,
              help="with --refit: re-run the array (bearing) points through the current DOA")
def calibrate_cmd(classes: str, ambients: str, seconds: int, seed: int, workers: int,
                  out: Path | None, refit_from: Path | None, threshold: float | None,
                  bb_threshold: float | None, rerun_bearings: bool) -> None:
    """Calibrate the fast mode: synthesise targets over range, run the node pipeline,
    fit Pd(SNR) and bearing sigma(SNR), write the table."""
    from dronewall.acoustic.fastmode import CALIBRATION_PATH
    from dronewall.acoustic.fullphysics import calibrate, refit

    cls = _split(classes, LABELS, "--classes")
    amb = _split(ambients, AMBIENTS, "--ambients")
    target = out or CALIBRATION_PATH
    if refit_from is not None:
        if not refit_from.is_file():
            raise BadInput(f"{refit_from}: no such calibration table")
        with _progress("array runs") as update:
            table = refit(refit_from, threshold, target, rerun_bearings=rerun_bearings,
                          workers=workers, bb_threshold=bb_threshold, progress=update)
    else:
        with _progress("class x ambient") as update:
            table = calibrate(classes=cls, ambients=amb, seconds=seconds, seed=seed,
                              workers=workers, out=target, progress=update)
    click.echo(f"{target}: {len(table['points'])} range points, threshold "
               f"{table['threshold']:g}, broadband threshold {table.get('bb_threshold')}")
    for label, c in table["classes"].items():
        kinds = ", ".join(f"{a} {cv.get('kind', '?')}" for a, cv in c.get("curves", {}).items())
        click.echo(f"  {label}: s50 {c['pooled']['s50']:.2f} dB, width "
                   f"{c['pooled']['width']:.2f} dB, Pd tables: {kinds}; "
                   f"bearing {c.get('bearing')}")


@acoustic.command("validate")
@click.option("--classes",
              default="shahed,gerbera,helicopter,multicopter,propeller_aircraft,jet",
              show_default=True, help="comma-separated acoustic labels")
@click.option("--ambients", default="rural_night,suburban,urban", show_default=True)
@click.option("--seconds", type=click.IntRange(5, 3600), default=200, show_default=True,
              help="1-s frames per range")
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="processes (one per class x ambient)")
@click.option("--table", "table", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=None, help="calibration table to check (default: the shipped one)")
@click.option("--rejudge", "rejudge_from", type=click.Path(dir_okay=False, exists=True,
                                                         path_type=Path),
              default=None, help="no new audio: re-judge the rows of an earlier --json output "
                                 "at the table's threshold and against its fast mode")
@click.option("--json", "json_out", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="write the rows as JSON here")
def validate_cmd(classes: str, ambients: str, seconds: int, seed: int, workers: int,
                 table: Path | None, rejudge_from: Path | None, json_out: Path | None) -> None:
    """Fast mode against fresh full-physics runs: Pd at the ranges where the fast mode
    predicts Pd 0.95 .. 0.05 (and twice the last range), max |difference| and its sampling
    error."""
    from dronewall.acoustic.fullphysics import rejudge, validate, write_records

    if rejudge_from is not None:
        rows = rejudge(json.loads(rejudge_from.read_text(encoding="utf-8")), table)
    else:
        with _progress("class x ambient") as update:
            rows = validate(table, classes=_split(classes, LABELS, "--classes"),
                            ambients=_split(ambients, AMBIENTS, "--ambients"),
                            seconds=seconds, seed=seed, workers=workers, progress=update)
    for r in rows:
        click.echo(f"{r['label']:>18} {r['ambient']:>11} {r['range_m']:>8.0f} m  "
                   f"full {r['pd_full']:.3f} (+-{r['stderr']:.3f})  fast {r['pd_fast']:.3f}  "
                   f"|d| {r['abs_diff']:.3f}")
    worst = max(rows, key=lambda r: r["abs_diff"])
    within = sum(r["abs_diff"] <= 0.05 for r in rows)
    within_se = sum(r["abs_diff"] <= 0.05 + 2 * r["stderr"] for r in rows)
    mean = sum(r["abs_diff"] for r in rows) / len(rows)
    click.echo(f"max |Pd_fast - Pd_full| = {worst['abs_diff']:.3f} "
               f"({worst['label']}, {worst['ambient']}, {worst['range_m']:.0f} m); "
               f"mean {mean:.3f}; {within}/{len(rows)} points within 0.05, "
               f"{within_se}/{len(rows)} within 0.05 + 2 standard errors")
    if json_out is not None:
        write_records(json_out, rows)


@acoustic.command("ranges")
@click.option("--classes", default="shahed,gerbera,jet,helicopter,multicopter,propeller_aircraft",
              show_default=True, help="comma-separated acoustic labels")
@click.option("--ambients", default="rural_night,rural_day,suburban,urban", show_default=True)
@click.option("--pd", "pd", type=click.FloatRange(0.01, 0.99), default=0.5, show_default=True,
              help="Pd per 1-s decision that defines the range")
@click.option("--wind", "wind_m_s", type=click.FloatRange(min=0), default=2.0,
              show_default=True, help="wind at the microphones, m/s")
@click.option("--height", "height_m", type=click.FloatRange(min=0), default=0.0,
              show_default=True, help="target height (matters with --ground only)")
@click.option("--ground/--no-ground", default=False, show_default=True)
@click.option("--source-level", "source_level_db", type=float, default=None,
              help="override every listed class's source level, dB SPL at 1 m")
def ranges_cmd(classes: str, ambients: str, pd: float, wind_m_s: float, height_m: float,
               ground: bool, source_level_db: float | None) -> None:
    """Detection range (slant, km) of each class's default signature per ambient, from the
    fast mode (calibrated when the table is shipped)."""
    from dronewall.acoustic.fastmode import FastAcousticModel
    from dronewall.acoustic.propagation import Environment

    model = FastAcousticModel.load()
    amb = _split(ambients, AMBIENTS, "--ambients")
    click.echo(f"range at Pd = {pd:g} (km); Pd model: {model.source}")
    click.echo(f"{'class':>18} " + " ".join(f"{a:>11}" for a in amb))
    for label in _split(classes, LABELS, "--classes"):
        row = []
        for a in amb:
            env = Environment(ambient=a, wind_m_s=wind_m_s, ground_reflection=ground)
            kw: dict[str, Any] = {"source_height_m": height_m or None}
            if source_level_db is not None:
                kw["source_level_db"] = source_level_db
            r = model.range_at_pd(label, pd, env, **kw)
            row.append(f"{r / 1000.0:>11.2f}")
        click.echo(f"{label:>18} " + " ".join(row))


def _split(text: str, allowed: tuple[str, ...], name: str) -> list[str]:
    items = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in items if t not in allowed]
    if bad or not items:
        raise BadInput(f"{name}: unknown {', '.join(bad) or '(empty)'} "
                       f"(one of {', '.join(allowed)})")
    return items


if __name__ == "__main__":  # `python -m dronewall.acoustic.cli ...` before it is registered
    acoustic()
