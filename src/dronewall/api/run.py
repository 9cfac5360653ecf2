"""What ``dronewall serve`` and ``dronewall demo`` do with the picture server: choose the
tokens, start the server, print where the picture is, open a browser if there is one,
serve until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dronewall.api.auth import Tokens
from dronewall.api.hub import Hub
from dronewall.api.server import PictureServer, open_browser
from dronewall.errors import BadInput


def tokens_for(path: Path | None, run_dir: Path, say: Callable[[str], None]) -> Tokens:
    """Tokens from ``path``; else one fresh token per role, written to
    ``run_dir``/tokens.yaml (owner-only) and printed."""
    if path is not None:
        return Tokens.load(path)
    tokens = Tokens.generate()
    where = run_dir / "tokens.yaml"
    tokens.write(where)
    roles = tokens.by_role()
    say("Tokens (also in " + str(where) + "): "
        + ", ".join(f"{role} {tok}" for role, tok in roles.items()))
    return tokens


def check_address(host: str, port: int, say: Callable[[str], None]) -> None:
    """Fail early and clearly if the address cannot be listened on; warn off loopback."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        say(f"warning: listening on {host}, not loopback: the picture is reachable from "
            "the network; keep the tokens secret")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise BadInput(f"--host {host} --port {port}: cannot listen there "
                           f"({exc.strerror})") from None


def serve_hub(hub: Hub, host: str, port: int, *, browser: bool,
              say: Callable[[str], None]) -> None:
    """Serve ``hub`` until Ctrl-C; print the picture's URL with the commander's (or the
    highest) token, open it in a browser if asked and one is available."""
    check_address(host, port, say)
    server = PictureServer(hub, host, port)
    roles = hub.tokens.by_role()
    token = roles.get("commander") or roles.get("operator") or roles.get("viewer", "")

    def started(srv: PictureServer) -> None:
        url = f"{srv.url}/?token={token}"
        say(f"The picture: {url}   (API docs: {srv.url}/docs; Ctrl-C to stop)")
        if browser and not open_browser(url):
            say("(no browser found here: open the address above yourself)")

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(server.serve(on_started=started))
    say("stopped")


def demo_picture(scenario: object, out_dir: Path, *, speed: float, host: str, port: int,
                 tokens_file: Path | None, browser: bool, with_map: bool,
                 say: Callable[[str], None], doctrine: str | None = "layered",
                 tracker: Any = None) -> None:
    """``dronewall demo`` with the picture: the scenario played at ``speed`` into the
    picture (and stored in OUT/run.sqlite with its ground truth); when it ends, the
    incident report is written and the stored run stays served for replay until Ctrl-C."""
    import threading

    from dronewall.api.server import live_hub
    from dronewall.live import ServeConfig

    store_path = out_dir / "run.sqlite"
    config = ServeConfig(store_path=store_path, scenario=scenario,  # type: ignore[arg-type]
                         speed=speed, truth=True, doctrine=doctrine, tracker=tracker)
    tokens = tokens_for(tokens_file, out_dir, say)
    hub = live_hub(config, tokens)
    name = getattr(scenario, "name", "scenario")
    say(f"Playing {name} at {speed:g}x real time into the picture; stored in {store_path}")

    def report() -> None:
        from dronewall.pipeline import RunData
        from dronewall.report.build import build_report
        from dronewall.report.output import write_outputs
        from dronewall.store import RunStore

        try:
            with RunStore.open(store_path) as store:
                run = RunData.from_store(store)
            rep = build_report(run)
            files = write_outputs(rep, run, out_dir, with_map=with_map)
            summary = rep.get("summary", {})
            say(f"Run complete: {summary.get('detected', '?')} incursions detected of "
                f"{summary.get('truth_incursions', '?')}. Files in {out_dir}/: "
                + ", ".join(p.name for p in files.values()))
        except Exception as exc:  # the picture goes on even if the report fails
            say(f"Run complete; the report could not be made: {exc}")
        say("The stored run is served for replay (time slider, speed) until Ctrl-C.")

    hub.on_replay = lambda _replay: threading.Thread(target=report, daemon=True).start()
    serve_hub(hub, host, port, browser=browser, say=say)
