"""Where memtop's tables go: the terminal at its width, or a pipe/file wide enough not to wrap."""

from __future__ import annotations

import os
import sys

from rich.console import Console

PIPE_WIDTH = 160


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """`memtop show … | head`: the reader has what it wanted; not an error (exit 0), as
        with `cat`, whose SIGPIPE death the shell does not report either."""
        self.quiet = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise BrokenPipeError  # main() turns it into exit code 0


def console(stderr: bool = False) -> Console:
    terminal = _Console(stderr=stderr)
    return terminal if terminal.is_terminal else _Console(stderr=stderr, width=PIPE_WIDTH)
