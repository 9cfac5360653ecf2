"""The error every command raises for bad input: one clear line and exit status 2.

It lives here, not in the CLI, so that command modules of every package can raise it."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console

err_console = Console(stderr=True)


class BadInput(click.ClickException):
    """One clear line naming the file, line or field, and exit status 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        err_console.print(f"[red]error:[/red] {self.message}", highlight=False, soft_wrap=True)
