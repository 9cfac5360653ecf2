"""Start a real picture server for tests (Python or browser tests), on 127.0.0.1 and a
free port, in a background thread, with known tokens.

    from dronewall.api.testing import start_server
    url, tokens, stop = start_server(scenario="romania-2025-09-13", speed=600)
    ...  # tokens == {"viewer": ..., "operator": ..., "commander": ...}
    stop()

or from a shell (one JSON line on stdout, then serves until SIGTERM or SIGINT):

    python -m dronewall.api.testing --scenario romania-2025-09-13 --speed 600
    python -m dronewall.api.testing --store RUN.sqlite --speed 60

``recommend=True`` adds :class:`FixtureEngagement`, a stand-in engagement stage *for
tests only*: it recommends one engagement per incursion so that approval flows can be
exercised before the real engagement stage is wired. It evaluates nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from dronewall.api.auth import Tokens
from dronewall.api.server import PictureServer, live_hub, replay_hub
from dronewall.model import Decision, Event, Recommendation, Track
from dronewall.sim.scenario import Scenario

FIXED_TOKENS = {
    "viewer-token-for-tests-0001": "viewer",
    "operator-token-for-tests-0001": "operator",
    "commander-token-for-tests-0001": "commander",
}


class FixtureEngagement:
    """Test stand-in for the engagement stage: one pending recommendation per
    ``incursion_start`` event (effector ``test-effector``, verdict needs_approval), and
    ``decide`` records the decisions it is handed."""

    def __init__(self) -> None:
        self.decided: list[Decision] = []
        self._n = 0

    def process(self, tracks: Sequence[Track], events: Sequence[Event]) -> list[Recommendation]:
        out = []
        for e in events:
            if e.kind == "incursion_start" and e.track_id:
                self._n += 1
                out.append(Recommendation(
                    id=f"REC-{self._n:04d}", time=e.time, track_id=e.track_id,
                    effector_id="test-effector", effector_type="test", verdict="needs_approval",
                    reason="test fixture: every incursion gets a recommendation",
                    rule="fixture", window_s=(e.time, e.time + 600.0)))
        return out

    def decide(self, decision: Decision) -> None:
        self.decided.append(decision)


def start_server(*, scenario: str | Scenario | None = None, store: str | Path | None = None,
                 speed: float = 600.0, tokens: dict[str, str] | None = None,
                 cycle_s: float = 0.2, recommend: bool = False, out_dir: Path | None = None,
                 static_dir: Path | None = None, paused: bool = False,
                 engagement: Any = None, timeout_s: float = 60.0,
                 doctrine: str | None = "layered",
                 ) -> tuple[str, dict[str, str], Callable[[], None]]:
    """Serve a scenario (name, YAML file or Scenario) played at ``speed`` (live; its run
    is stored in ``out_dir``/live.sqlite, a temporary folder by default) or a stored run
    (``store``) replayed at ``speed``. ``tokens``: {token: role}; default :data:`FIXED_TOKENS`.
    ``doctrine``: the live run's engagement doctrine (name or YAML file; None: none).

    Returns (base URL, {role: token}, stop). ``stop()`` ends the run (the live store is
    then closed and complete) and the server."""
    from dronewall.live import ServeConfig
    from dronewall.sim.loader import find_scenario, load_scenario

    if (scenario is None) == (store is None):
        raise ValueError("give exactly one of scenario or store")
    toks = Tokens.from_mapping(tokens or FIXED_TOKENS)
    tmp: tempfile.TemporaryDirectory[str] | None = None
    if store is not None:
        hub = replay_hub(Path(store), toks, speed=speed, cycle_s=cycle_s, paused=paused)
    else:
        assert scenario is not None
        if out_dir is None:
            tmp = tempfile.TemporaryDirectory(prefix="dronewall-api-")
            out_dir = Path(tmp.name)
        scn = scenario if isinstance(scenario, Scenario) else load_scenario(
            find_scenario(scenario))
        config = ServeConfig(store_path=Path(out_dir) / "live.sqlite", scenario=scn, speed=speed,
                             tick_s=0.05, doctrine=doctrine)
        eng = engagement if engagement is not None else (
            FixtureEngagement() if recommend else None)
        hub = live_hub(config, toks, cycle_s=cycle_s, engagement=eng)
    server = PictureServer(hub, "127.0.0.1", 0, static_dir=static_dir)
    started = threading.Event()
    failed: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(server.serve(on_started=lambda _s: started.set()))
        except BaseException as exc:
            failed.append(exc)
        finally:
            started.set()

    thread = threading.Thread(target=run, name="dronewall-api-test-server", daemon=True)
    thread.start()
    if not started.wait(timeout_s) or failed or not server.server.started:
        server.stop()
        raise RuntimeError(f"the test server did not start: {failed[0] if failed else 'timeout'}")

    def stop() -> None:
        server.stop()
        thread.join(timeout_s)
        if tmp is not None:
            tmp.cleanup()

    return server.url, toks.by_role(), stop


def main(argv: list[str] | None = None) -> None:
    """Shell entry: print {"url", "tokens", "store"} as one JSON line, serve until
    SIGTERM or SIGINT (or --max-seconds)."""
    ap = argparse.ArgumentParser(prog="python -m dronewall.api.testing",
                                 description=__doc__.split("\n\n")[0] if __doc__ else None)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--scenario", help="built-in scenario name or YAML file (live run)")
    src.add_argument("--store", help="a stored run (RunStore .sqlite) to replay")
    ap.add_argument("--speed", type=float, default=600.0)
    ap.add_argument("--cycle", type=float, default=0.2, help="update cycle, seconds")
    ap.add_argument("--recommend", action="store_true",
                    help="add the test fixture engagement stage (one recommendation per "
                         "incursion)")
    ap.add_argument("--out", type=Path, default=None, help="folder for the live run's store")
    ap.add_argument("--paused", action="store_true", help="replay: start paused")
    ap.add_argument("--max-seconds", type=float, default=1800.0,
                    help="stop by itself after this many seconds (a safety net)")
    args = ap.parse_args(argv)
    out = args.out
    if args.scenario and out is None:
        out = Path(tempfile.mkdtemp(prefix="dronewall-api-"))
    url, tokens, stop = start_server(scenario=args.scenario, store=args.store, speed=args.speed,
                                     cycle_s=args.cycle, recommend=args.recommend, out_dir=out,
                                     paused=args.paused)
    store = str(Path(out) / "live.sqlite") if args.scenario else args.store
    print(json.dumps({"url": url, "tokens": tokens, "store": store}), flush=True)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    with contextlib.suppress(KeyboardInterrupt):
        done.wait(args.max_seconds)
    stop()


if __name__ == "__main__":
    main()
