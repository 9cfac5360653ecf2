"""Run the picture server: a hub over a live run or a stored run, served by uvicorn.

Binds 127.0.0.1 by default: another address must be asked for.
"""

from __future__ import annotations

import asyncio
import os
import sys
import webbrowser
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import uvicorn

from dronewall.api.app import create_app
from dronewall.api.auth import Tokens
from dronewall.api.hub import Hub
from dronewall.api.sources import LiveSource, ReplaySource
from dronewall.api.state import PictureState

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080


def live_hub(config: Any, tokens: Tokens, *, cycle_s: float = 1.0,
             replay_after_live: bool = True, track_stages: Sequence[Any] | None = None,
             engagement: Any = None) -> Hub:
    """A hub over a live run (``dronewall.live.ServeConfig``)."""
    state = PictureState()
    source = LiveSource(state, config, track_stages=track_stages, engagement=engagement)
    return Hub(state, source, tokens, cycle_s=cycle_s, replay_after_live=replay_after_live)


def replay_hub(store_path: Path, tokens: Tokens, *, speed: float = 1.0, cycle_s: float = 1.0,
               paused: bool = False, at: float | None = None) -> Hub:
    """A hub replaying a stored run (RunStore file)."""
    state = PictureState()
    source = ReplaySource(state, store_path, speed=speed, paused=paused, at=at)
    return Hub(state, source, tokens, cycle_s=cycle_s, replay_speed=speed)


class PictureServer:
    """uvicorn serving ``create_app(hub)`` on ``host:port`` (port 0: any free port)."""

    def __init__(self, hub: Hub, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
                 static_dir: Path | None = None) -> None:
        self.hub = hub
        self.app = create_app(hub, static_dir=static_dir)
        config = uvicorn.Config(self.app, host=host, port=port, log_level="warning",
                                lifespan="on", ws="websockets-sansio", ws_max_size=1 << 20)
        self.server = uvicorn.Server(config)
        self.host = host

    @property
    def port(self) -> int:
        servers = getattr(self.server, "servers", [])
        for srv in servers:
            for sock in srv.sockets:
                return int(sock.getsockname()[1])
        return int(self.server.config.port)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def serve(self, on_started: Callable[[PictureServer], None] | None = None) -> None:
        """Serve until stopped (``stop()`` or Ctrl-C)."""
        task = asyncio.create_task(self.server.serve())
        while not self.server.started and not task.done():
            await asyncio.sleep(0.02)
        if self.server.started and on_started:
            on_started(self)
        await task

    def stop(self) -> None:
        self.server.should_exit = True


CONSOLE_BROWSERS = ("www-browser", "links", "elinks", "lynx", "w3m", "links2")


def open_browser(url: str) -> bool:
    """Open ``url`` in a graphical browser if one is available; never fails, and never
    starts a text browser in the terminal the server prints to."""
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY")
                                                 or os.environ.get("WAYLAND_DISPLAY")):
        return False
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    if getattr(browser, "name", "") in CONSOLE_BROWSERS:
        return False
    try:
        return bool(browser.open(url))
    except Exception:
        return False
