"""The `memtop` command line. Bad input: one line on stderr and exit code 2, never a traceback.

- `parser`: the grammar; `live`: commands that run or replay (the engine, the TUI);
- `reports`: commands that read run files and print; `headless`: `--no-tui` progress and tables;
- `output`: where tables go (the terminal at its width, or a pipe).
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from collections.abc import Sequence

from memtop.engine.errors import UserError

from . import engines, fit, reports
from .live import cmd_attach, cmd_bench, cmd_diff, cmd_home, cmd_replay, cmd_run
from .parser import EXIT_USAGE, build_parser, fail

COMMANDS = {"bench": cmd_bench, "show": reports.cmd_show, "ls": reports.cmd_ls,
            "replay": cmd_replay, "diff": cmd_diff, "run": cmd_run, "attach": cmd_attach,
            "export": reports.cmd_export, "check": reports.cmd_check, "ps": engines.cmd_ps,
            "attach-engine": engines.cmd_attach_engine, "stop": engines.cmd_stop,
            "fit": fit.cmd_fit}


def main(argv: Sequence[str] | None = None) -> int:
    code = _main(argv)
    _never_held_at_exit(code)
    return code


def _never_held_at_exit(code: int, wait_s: float = 2.0) -> None:
    """A terminal that went away (a dropped SSH connection) can leave a UI thread waiting for
    ever on it, and Python would wait for that thread before exiting: memtop would run on with
    no terminal. Its work is done and its files are closed by now, so it exits all the same."""
    deadline = time.monotonic() + wait_s
    for thread in threading.enumerate():
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join(max(0.0, deadline - time.monotonic()))
    if any(t.is_alive() and not t.daemon for t in threading.enumerate()
           if t is not threading.main_thread()):
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            return cmd_home(args)
        return COMMANDS[args.command](args)
    except UserError as exc:
        return fail(str(exc))
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `memtop show … | head`
        return 0
