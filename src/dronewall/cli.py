"""``dronewall``: the command line.

    dronewall demo [--scenario NAME|FILE] [--out DIR] [--headless] [--json]
    dronewall scenarios
    dronewall validate FILE                      (scenario YAML or message .jsonl)
    dronewall export RUN.sqlite [--topic T] [-o FILE.jsonl]
    dronewall convert --from FMT --to FMT IN OUT
    dronewall serve [--scenario NAME --speed X | --sapient HOST:PORT] [--cot URL]
    dronewall track -i DETECTIONS.jsonl -o TRACKS.jsonl
    dronewall score --truth TRUTH.jsonl --tracks TRACKS.jsonl
    dronewall bench tracker [--targets 10,100,500] [--json]
    dronewall replay RUN.sqlite [--speed X] [--verify/--no-verify]
    dronewall report RUN.sqlite [--json] [--out DIR]

Bad input (a scenario or store that cannot be read) ends with one line naming the
file, line and field, and exit status 2; nothing is written.
"""

from __future__ import annotations

import json
import logging
import sys
import time as wallclock
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from dronewall import __version__
from dronewall.errors import BadInput, err_console

DEFAULT_SCENARIO = "poland-2025-09-10"


def _load(spec: str) -> Any:
    from dronewall.sim.loader import ScenarioError, find_scenario, load_scenario

    try:
        return load_scenario(find_scenario(spec))
    except ScenarioError as exc:
        raise BadInput(str(exc)) from None
    except FileNotFoundError as exc:
        raise BadInput(str(exc)) from None


def _open_store(path: Path) -> Any:
    from dronewall.store import RunStore, StoreError

    try:
        return RunStore.open(path)
    except StoreError as exc:
        raise BadInput(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dronewall")
@click.option(
    "--log-level",
    default="WARNING",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Logging threshold (logs go to stderr).",
)
def main(log_level: str) -> None:
    """dronewall: air surveillance and counter-drone C2, from sensors to decisions.

    Start with `dronewall demo`: the night of 9-10 September 2025 over Poland, run end to
    end from simulated sensors, with an incident report in ./dronewall-out/."""
    logging.basicConfig(
        level=log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@main.command()
@click.option(
    "--scenario",
    "-s",
    default=DEFAULT_SCENARIO,
    show_default=True,
    help="A built-in scenario name (see `dronewall scenarios`) or a YAML file.",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    default=None,
    help="Output folder [default: ./dronewall-out/SCENARIO].",
)
@click.option("--headless", is_flag=True,
              help="No interactive picture: the scenario at full speed, terminal and files only.")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the report as one JSON object on stdout (progress goes to stderr); "
    "implies --headless.",
)
@click.option(
    "--map/--no-map",
    "with_map",
    default=True,
    show_default=True,
    help="Render the map picture (map.png).",
)
@click.option("--speed", type=float, default=60.0, show_default=True,
              help="With the picture: scenario seconds per wall second.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="With the picture: the address to listen on (loopback by default).")
@click.option("--port", type=int, default=8080, show_default=True,
              help="With the picture: the port to listen on.")
@click.option("--tokens", "tokens_file", type=click.Path(path_type=Path), default=None,
              help="Tokens file (YAML: tokens: [{token, user, role}]) [default: one fresh "
              "token per role, printed and written to OUT/tokens.yaml].")
@click.option("--browser/--no-browser", default=True, show_default=True,
              help="With the picture: open it in a browser, if one is available.")
@click.option("--engage", "with_engage", is_flag=True,
              help="Also run the engagement stage over the tracks (threat evaluation, "
              "weapon-target assignment, debris risk, rules of engagement, a simulated "
              "commander who approves what the rules allow) and report the outcome against "
              "the truth: the JSON's `engagement` and `identities`.")
@click.option("--doctrine", default="layered", show_default=True,
              help="Engagement doctrine: layered, fighters-only, romania-ladder, or a YAML file.")
@click.option("--tracker-config", "tracker_file", type=click.Path(path_type=Path), default=None,
              help="Tracker parameters, YAML (e.g. motion: imm, association: jpda; see "
              "docs/tracker.md) [default: the built-in defaults].")
def demo(scenario: str, out: Path | None, headless: bool, as_json: bool, with_map: bool,
         speed: float, host: str, port: int, tokens_file: Path | None, browser: bool,
         with_engage: bool, doctrine: str, tracker_file: Path | None) -> None:
    """Run a scenario end to end and report its airspace incursions.

    Simulates the sensors, tracks, watches the national airspace, stores every message
    in OUT/run.sqlite, and writes report.json, report.md, report.html and map.png.

    Without --headless the scenario plays at --speed into the operator's picture at
    http://127.0.0.1:8080 (the address is printed with a commander token), with live
    engagement recommendations under --doctrine for a commander to approve; when it
    ends, the report is written and the stored run stays there for replay until Ctrl-C.

    With --headless --engage the report also says what the doctrine would have spent
    and defeated (the `engagement` object), and each track's chain of identities."""
    from dronewall.pipeline import run_scenario
    from dronewall.report.build import build_report
    from dronewall.report.output import write_outputs
    from dronewall.report.render import print_report

    t0 = wallclock.perf_counter()
    scn = _load(scenario)
    tracker_config = _tracker_config(tracker_file)
    out_dir = out or Path("dronewall-out") / scn.name
    store_path = out_dir / "run.sqlite"
    if not (headless or as_json):
        from dronewall.api.run import demo_picture

        if not speed > 0:
            raise BadInput(f"--speed {speed}: must be positive")
        _check_doctrine(doctrine)
        demo_picture(scn, out_dir, speed=speed, host=host, port=port, tokens_file=tokens_file,
                     browser=browser, with_map=with_map, say=click.echo, doctrine=doctrine,
                     tracker=tracker_config)
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}% of scenario time"),
        TimeElapsedColumn(),
        console=err_console,
        transient=as_json,
    ) as bar:
        task = bar.add_task(f"{scn.name}", total=1.0)
        run = run_scenario(
            scn, store_path, progress=lambda done, total: bar.update(task, completed=done / total),
            tracker_config=tracker_config,
        )
    report = build_report(run)
    if with_engage:
        _add_engagement(report, run, doctrine, as_json)
    files = write_outputs(report, run, out_dir, with_map=with_map)
    if as_json:
        click.echo(json.dumps(report))
        return
    print_report(report)
    if with_engage:
        _print_engagement(report["engagement"])
    click.echo(
        f"\nFiles in {out_dir}/: "
        + ", ".join(p.name for p in files.values())
        + f", {store_path.name}"
    )
    click.echo(
        f"Replay it: dronewall replay {store_path}    Report again: dronewall report {store_path}"
    )
    logging.getLogger(__name__).info("demo took %.1f s", wallclock.perf_counter() - t0)


def _tracker_config(path: Path | None) -> Any:
    """The tracker's parameters from ``--tracker-config`` (None: the defaults)."""
    if path is None:
        return None
    from dronewall.fusion.config_file import TrackerConfigError, load_tracker_config

    try:
        return load_tracker_config(path)
    except TrackerConfigError as exc:
        raise BadInput(str(exc)) from None


def _check_doctrine(doctrine: str) -> None:
    from dronewall.engage.catalog import CatalogError, load_doctrine

    try:
        load_doctrine(doctrine)
    except (CatalogError, FileNotFoundError) as exc:
        raise BadInput(f"--doctrine {doctrine}: {exc}") from None


def _add_engagement(report: dict[str, Any], run: Any, doctrine: str, quiet: bool) -> None:
    """The `engagement` summary (the doctrine replayed over the run's tracks, outcomes
    drawn against the truth) and the `identities` chains, into the report."""
    from dronewall.airspace.identity import identity_chains
    from dronewall.eval.engagement import engage_run

    _check_doctrine(doctrine)
    if not quiet:
        err_console.print(f"engagement: replaying the tracks under the {doctrine} doctrine")
    summary = engage_run(run, doctrine)
    summary.pop("stage_stats", None)
    report["engagement"] = summary
    report["identities"] = identity_chains(run.events, run.tracks)


def _print_engagement(e: dict[str, Any]) -> None:
    per = e.get("cost_per_defeated_usd")
    click.echo(
        f"\nEngagement ({e['doctrine']}): {e['defeated']}/{e['threats']} threats defeated, "
        f"{e['leakers']} leakers; shots {e['shots_by_effector']}; "
        f"cost ${e['cost_total_usd']:,.0f}"
        + (f" (${per:,.0f} per defeated)" if per is not None else "")
        + f"; max Ec per shot {e['ec_max_per_shot']:.1e}; "
        f"decoys engaged by >$100k effectors: {e['decoys_engaged_by_costly']}")


@main.command()
def scenarios() -> None:
    """List the built-in scenarios."""
    from dronewall.sim.loader import find_scenario, list_scenarios, load_scenario

    for name in list_scenarios():
        scn = load_scenario(find_scenario(name))
        click.echo(f"{name:24s} {scn.title}")


@main.command()
@click.argument("file")
def validate(file: str) -> None:
    """Check a scenario (YAML file or built-in name) or a message file (.jsonl).

    A message file holds one JSON message per line (see `dronewall export`); its times must
    not go backwards."""
    if file.endswith((".jsonl", ".ndjson")):
        from collections import Counter

        from dronewall.model.jsonl import MessageFileError, read_messages

        try:
            counts = Counter(type(m).__struct_config__.tag for m in read_messages(
                file, time_ordered=True))
        except MessageFileError as exc:
            raise BadInput(str(exc)) from None
        click.echo(f"{file}: valid. " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
        return
    scn = _load(file)
    kinds: dict[str, int] = {}
    for s in scn.sensors:
        tag = str(type(s).__struct_config__.tag)
        kinds[tag] = kinds.get(tag, 0) + 1
    click.echo(
        f"{scn.name}: valid. {len(scn.targets)} targets, sensors "
        + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        + f", watching {', '.join(scn.watch)}, {scn.start} to {scn.end}"
    )


@main.command()
@click.argument("store_file", type=click.Path(path_type=Path))
@click.option("--topic", "-t", "topics", multiple=True,
              help="Only these topics (repeatable): detections, tracks, events, sensors, "
                   "zones, truth.states, truth.events. Default: all.")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
              help="Write here instead of stdout.")
def export(store_file: Path, topics: tuple[str, ...], output: Path | None) -> None:
    """Write a stored run's messages as JSON Lines (one message per line), in order."""
    from dronewall.model.jsonl import write_messages

    store = _open_store(store_file)
    try:
        msgs = (m for _seq, _topic, m in store.messages(list(topics) or None))
        if output:
            tmp = output.with_name(output.name + ".tmp")
            with tmp.open("wb") as fh:
                n = write_messages(msgs, fh)
            tmp.replace(output)
            err_console.print(f"{n} messages written to {output}")
        else:
            write_messages(msgs, sys.stdout.buffer)
    finally:
        store.close()


@main.command()
@click.option("--input", "-i", "src", required=True, type=click.Path(path_type=Path),
              help="Detections, one JSON message per line, in any time order.")
@click.option("--output", "-o", "dst", required=True, type=click.Path(path_type=Path),
              help="Track states, one JSON message per line (`-` for stdout).")
@click.option("--origin", default=None, metavar="LAT,LON",
              help="The tracker's frame origin (default: the centre of the detections).")
@click.option("--config", "tracker_file", type=click.Path(path_type=Path), default=None,
              help="Tracker parameters, YAML (e.g. motion: imm, association: jpda; see "
              "docs/tracker.md) [default: the built-in defaults].")
def track(src: Path, dst: Path, origin: str | None, tracker_file: Path | None) -> None:
    """Track a detections file (JSON Lines) and write the track states (JSON Lines)."""
    from dronewall.batch import track_file
    from dronewall.model.jsonl import MessageFileError

    org = _lat_lon(origin) if origin else None
    config = _tracker_config(tracker_file)
    try:
        if str(dst) == "-":
            result = track_file(src, sys.stdout.buffer, origin=org, config=config)
        else:
            tmp = dst.with_name(dst.name + ".tmp")
            with tmp.open("wb") as fh:
                result = track_file(src, fh, origin=org, config=config)
            tmp.replace(dst)
    except MessageFileError as exc:
        raise BadInput(str(exc)) from None
    err_console.print(f"{result.detections} detections -> {result.tracks} tracks, "
                      f"{result.track_states} track states")


@main.command()
@click.option("--truth", required=True, type=click.Path(path_type=Path),
              help="Ground truth: TruthState messages, one per line.")
@click.option("--tracks", required=True, type=click.Path(path_type=Path),
              help="Track states, one per line (e.g. from `dronewall track`).")
@click.option("--c", "c", type=float, default=2000.0, show_default=True,
              help="GOSPA cut-off distance, metres.")
@click.option("--p", "p", type=float, default=1.0, show_default=True, help="GOSPA order.")
@click.option("--step", type=float, default=10.0, show_default=True,
              help="Evaluate every this many seconds.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def score(truth: Path, tracks: Path, c: float, p: float, step: float, as_json: bool) -> None:
    """GOSPA (alpha 2, horizontal) of tracks against truth over time, and its parts."""
    from dronewall.batch import score_files
    from dronewall.model.jsonl import MessageFileError

    try:
        result = score_files(truth, tracks, c=c, p=p, step_s=step)
    except MessageFileError as exc:
        raise BadInput(str(exc)) from None
    if as_json:
        click.echo(json.dumps(result))
        return
    g = result["gospa"]
    click.echo(f"GOSPA (c={c:.0f} m, p={p:g}, alpha=2, every {step:g} s, horizontal) over "
               f"{result['steps']} steps: mean {g['gospa_mean']:.1f} m = localisation "
               f"{g['localisation']:.1f} + missed {g['missed']:.1f} + false {g['false']:.1f}; "
               f"tracks {g.get('tracks_mean', 0):.2f} vs targets {g.get('truth_mean', 0):.2f}")


def _lat_lon(text: str) -> tuple[float, float]:
    try:
        lat, lon = (float(x) for x in text.split(","))
    except ValueError:
        raise BadInput(f"{text!r}: expected LAT,LON") from None
    return lat, lon


def _host_port(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise BadInput(f"{text!r}: expected HOST:PORT, e.g. 127.0.0.1:6050")
    return host or "127.0.0.1", int(port)


@main.command()
@click.option("--scenario", "-s", default=None,
              help="Play a scenario (name or YAML) against the clock.")
@click.option("--speed", type=float, default=1.0, show_default=True,
              help="Scenario (or replayed run) time per wall second.")
@click.option("--sapient", "sapient", default=None, metavar="HOST:PORT",
              help="Accept SAPIENT (BSI Flex 335) nodes on this address, e.g. 127.0.0.1:6050.")
@click.option("--replay", "replay_file", type=click.Path(path_type=Path), default=None,
              help="Serve a stored run (RUN.sqlite) for replay in the picture instead.")
@click.option("--origin", default=None, metavar="LAT,LON",
              help="The tracker's frame origin for live inputs (default: the sensors' centre).")
@click.option("--watch", default=None, metavar="ISO3[,ISO3]",
              help="Countries whose airspace to guard (default: the scenario's).")
@click.option("--cot", "cot_url", default=None, metavar="URL",
              help="Stream tracks and alerts as Cursor-on-Target: tcp://, udp:// or tls://.")
@click.option("--cot-proto", is_flag=True, help="TAK protocol v1 (protobuf) instead of XML.")
@click.option("--store", "store_path", type=click.Path(path_type=Path),
              default=Path("dronewall-out/live/run.sqlite"), show_default=True)
@click.option("--duration", type=float, default=None,
              help="Stop after this many wall seconds (default: the scenario's end, or Ctrl-C).")
@click.option("--headless", is_flag=True,
              help="No picture server: store and CoT only, ending with the run.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The picture's address to listen on (loopback by default).")
@click.option("--port", type=int, default=8080, show_default=True,
              help="The picture's port.")
@click.option("--tokens", "tokens_file", type=click.Path(path_type=Path), default=None,
              help="Tokens file (YAML: tokens: [{token, user, role}]) [default: one fresh "
              "token per role, printed and written next to the store as tokens.yaml].")
@click.option("--browser/--no-browser", default=True, show_default=True,
              help="Open the picture in a browser, if one is available.")
@click.option("--tracker-config", "tracker_file", type=click.Path(path_type=Path), default=None,
              help="Tracker parameters, YAML (e.g. motion: imm, association: jpda; see "
              "docs/tracker.md) [default: the built-in defaults].")
def serve(scenario: str | None, speed: float, sapient: str | None, replay_file: Path | None,
          origin: str | None, watch: str | None, cot_url: str | None, cot_proto: bool,
          store_path: Path, duration: float | None, headless: bool, host: str, port: int,
          tokens_file: Path | None, browser: bool, tracker_file: Path | None) -> None:
    """Run the picture live: the operator's map at http://127.0.0.1:8080 (REST, WebSocket)
    and, with --cot, TAK devices.

    One time base at a time: a scenario played at --speed, or SAPIENT nodes reporting
    live; or --replay a stored run. Every message (decisions too) is stored in --store for
    `dronewall replay`. When a live scenario ends, the picture serves its stored run for
    replay until Ctrl-C; --headless ends with the run instead."""
    import asyncio

    from dronewall.live import ServeConfig, ServeError
    from dronewall.live import serve as run_serve

    if not speed > 0:
        raise BadInput(f"--speed {speed}: must be positive")
    if replay_file is not None:
        if scenario or sapient or headless:
            raise BadInput("--replay serves a stored run: no --scenario, --sapient or --headless")
        from dronewall.api.run import serve_hub, tokens_for
        from dronewall.api.server import replay_hub
        from dronewall.store import StoreError

        tokens = tokens_for(tokens_file, replay_file.parent, click.echo)
        try:
            hub = replay_hub(replay_file, tokens, speed=speed)
        except StoreError as exc:
            raise BadInput(str(exc)) from None
        serve_hub(hub, host, port, browser=browser, say=click.echo)
        return
    org = _lat_lon(origin) if origin else None
    config = ServeConfig(
        store_path=store_path, scenario=_load(scenario) if scenario else None, speed=speed,
        sapient=_host_port(sapient) if sapient else None, origin=org,
        watch=[w.strip().upper() for w in watch.split(",")] if watch else (),
        cot_url=cot_url, cot_proto=cot_proto, duration_s=duration,
        tracker=_tracker_config(tracker_file),
    )
    try:
        config.check()
    except ServeError as exc:
        raise BadInput(str(exc)) from None
    if not headless:
        from dronewall.api.run import serve_hub, tokens_for
        from dronewall.api.server import live_hub

        tokens = tokens_for(tokens_file, store_path.parent, click.echo)
        if sapient:
            click.echo(f"SAPIENT nodes: listening on {sapient}")
        if cot_url:
            click.echo(f"Cursor-on-Target to {cot_url}")
        serve_hub(live_hub(config, tokens), host, port, browser=browser, say=click.echo)
        return

    def ready(stats: Any) -> None:
        if stats.sapient_port:
            err_console.print(f"SAPIENT nodes: listening on port {stats.sapient_port}")
        if cot_url:
            err_console.print(f"Cursor-on-Target to {cot_url}")

    try:
        stats = asyncio.run(run_serve(config, ready=ready))
    except ServeError as exc:
        raise BadInput(str(exc)) from None
    except KeyboardInterrupt:
        err_console.print("stopped")
        return
    click.echo(f"{stats.detections} detections, {stats.tracks} track updates, {stats.events} "
               f"events, {stats.cot_sent} CoT sent; stored in {store_path}")


@main.command()
@click.option("--from", "src_format", required=True, help="Input format (see below).")
@click.option("--to", "dst_format", required=True, help="Output format (see below).")
@click.option("--sensor-id", default="convert", show_default=True,
              help="Sensor id given to decoded detections.")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE",
              help="A format option (repeatable), e.g. --set sac_sic=0/1.")
@click.argument("src", required=False)
@click.argument("dst", required=False)
def convert(src_format: str, dst_format: str, sensor_id: str, settings: tuple[str, ...],
            src: str | None, dst: str | None) -> None:
    """Convert SRC into DST between formats (`-` for stdin/stdout).

    `dronewall convert --from list --to list` lists the formats."""
    from dronewall.interop.convert import READERS, WRITERS, ConvertError, ConvertOptions
    from dronewall.interop.convert import convert as run_convert

    if src_format == "list" or dst_format == "list":
        click.echo("from: " + ", ".join(sorted(READERS)))
        click.echo("to:   " + ", ".join(sorted(WRITERS)))
        return
    if src is None or dst is None:
        raise click.UsageError("give SRC and DST (`-` for stdin/stdout)")
    values = {}
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep:
            raise BadInput(f"--set {item!r}: expected KEY=VALUE")
        values[key] = value
    options = ConvertOptions(sensor_id=sensor_id, values=values)
    try:
        n = run_convert(src_format, dst_format, src, dst, options)
    except ConvertError as exc:
        raise BadInput(f"{src}: {exc}") from None
    counts = ", ".join(f"{v} {k}" for k, v in sorted(options.counters.items()))
    err_console.print(f"{n} messages written" + (f" ({counts})" if counts else ""))
    for note in dict.fromkeys(options.notes):  # each distinct reason once
        err_console.print(f"[yellow]skipped:[/yellow] {note}", highlight=False)


@main.command()
@click.argument("store_file", type=click.Path(path_type=Path))
@click.option(
    "--speed",
    type=float,
    default=0.0,
    show_default=True,
    help="Pace the playback at this many times real time (0 = as fast as possible).",
)
@click.option(
    "--verify/--no-verify",
    default=True,
    show_default=True,
    help="Check the store's hash chain and re-derive the events from the stored tracks.",
)
@click.option("--quiet", "-q", is_flag=True, help="Only the summary, not every event.")
def replay(store_file: Path, speed: float, verify: bool, quiet: bool) -> None:
    """Play a stored run back: its events in order, and a check that replaying the stored
    tracks through the airspace monitor yields the same events."""
    from dronewall.replay import replay_store

    store = _open_store(store_file)
    try:
        result = replay_store(
            store,
            speed=speed,
            verify=verify,
            on_event=None if quiet else lambda line: click.echo(line),
        )
    finally:
        store.close()
    for line in result.summary_lines():
        click.echo(line)
    if not result.ok:
        raise click.exceptions.Exit(1)


@main.command()
@click.argument("store_file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as one JSON object.")
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write report files (json, md, html, map) into this folder.",
)
@click.option("--map/--no-map", "with_map", default=True, show_default=True)
@click.option("--engage", "with_engage", is_flag=True,
              help="Add the engagement outcome under --doctrine (see `dronewall demo`).")
@click.option("--doctrine", default="layered", show_default=True, help="Engagement doctrine.")
def report(store_file: Path, as_json: bool, out: Path | None, with_map: bool,
           with_engage: bool, doctrine: str) -> None:
    """Build the incident report of a stored run (the same as the live one)."""
    from dronewall.pipeline import RunData
    from dronewall.report.build import build_report
    from dronewall.report.output import write_outputs
    from dronewall.report.render import print_report
    from dronewall.store import StoreError

    store = _open_store(store_file)
    try:
        run = RunData.from_store(store)
    except StoreError as exc:
        raise BadInput(str(exc)) from None
    finally:
        store.close()
    if "frame_origin" not in run.meta:
        raise BadInput(
            f"{store_file}: unfinished run (status {run.meta.get('status')!r}): "
            "no report can be made; `dronewall replay` still plays what it holds"
        )
    rep = build_report(run)
    if with_engage:
        _add_engagement(rep, run, doctrine, as_json)
    if out:
        write_outputs(rep, run, out, with_map=with_map)
    if as_json:
        click.echo(json.dumps(rep))
    else:
        print_report(rep)
        if with_engage:
            _print_engagement(rep["engagement"])


@main.group()
def bench() -> None:
    """Benchmarks against peer libraries (need the 'bench' extra)."""


@bench.command("tracker")
@click.option("--targets", default="10,100,500", show_default=True,
              help="Comma-separated target counts.")
@click.option("--scans", type=int, default=300, show_default=True, help="1 s scans per run.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--only", type=click.Choice(["dronewall", "stonesoup"]), default=None,
              help="Run one tracker only.")
@click.option("--json", "as_json", is_flag=True, help="End with one JSON object.")
def bench_tracker(targets: str, scans: int, seed: int, only: str | None, as_json: bool) -> None:
    """dronewall's tracker against Stone Soup's on the same generated detections."""
    from dronewall.bench.tracker import main as run_bench

    argv = ["--targets", targets, "--scans", str(scans), "--seed", str(seed)]
    if only:
        argv += ["--only", only]
    if as_json:
        argv.append("--json")
    run_bench(argv)


if __name__ == "__main__":
    main()


# Commands that live with their package.
from dronewall.acoustic.cli import acoustic as _acoustic  # noqa: E402
from dronewall.acoustic.node_cli import node as _node  # noqa: E402
from dronewall.acoustic.train_cli import evaluate as _acoustic_evaluate  # noqa: E402
from dronewall.acoustic.train_cli import train as _acoustic_train  # noqa: E402
from dronewall.bench.scale import scale as _bench_scale  # noqa: E402

_acoustic.add_command(_acoustic_train)
_acoustic.add_command(_acoustic_evaluate)
main.add_command(_acoustic)
main.add_command(_node)
bench.add_command(_bench_scale)
