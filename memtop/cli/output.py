"""Where memtop's tables go: the terminal at its width, or a pipe/file wide enough not to wrap."""

from __future__ import annotations

from rich.console import Console

PIPE_WIDTH = 160


def console() -> Console:
    terminal = Console()
    return terminal if terminal.is_terminal else Console(width=PIPE_WIDTH)
