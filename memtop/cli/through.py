"""`memtop run --no-tui`: the program's output written through as it comes, its stdin the user's,
as with `time CMD`; memtop's own lines go to stderr after the program's output, so a pipe after
`memtop run` gets exactly what the program printed."""

from __future__ import annotations

import os
import sys
from collections import deque

from memtop.engine.client import LiveSource, RunBoard, RunsClient
from memtop.engine.errors import UserError
from memtop.engine.messages import PACE_MAX_S, Message
from memtop.engine.report.tables import plain
from memtop.engine.spec import RunSpec
from memtop.engine.store import read_run
from memtop.engine.text import shown

from .headless import (
    HungUp,
    on_signals,
    print_run,
    print_unstarted,
    result_code,
    say_allocations,
    stop_reason,
)
from .output import console

OUT = {1: 1, 2: 2}  # the program's stream -> memtop's descriptor


def run_through(spec: RunSpec, paths: list[str], keep_on_hangup: bool = False,
                client: RunsClient | None = None, board: RunBoard | None = None) -> int:
    """Runs `spec` (on a fresh engine, or `client`), its output written through; then its stage
    table to stderr. `board`: where the run's state is folded (for a caller that reads it)."""
    board = RunBoard() if board is None else board
    on_signals(keep_on_hangup)
    stdin = sys.stdin.fileno() if spec.pass_stdin and sys.stdin is not None else None
    # Its readings are read from the run file at the end, not shown.
    source = LiveSource([spec], client=client, stdin=stdin, pace_s=PACE_MAX_S)
    interrupted = done = False
    batch: deque[Message] = deque()  # what a signal interrupted is handled after it
    try:
        while not done:
            try:
                batch.extend(source.wait(1.0))  # signals interrupt the wait: ctrl-c, hang-up
                while batch:
                    message = batch.popleft()
                    if message["type"] == "output":
                        _write(OUT.get(message["stream"], 2), message["data"])
                        continue
                    board.apply(message)
                    done = done or message["type"] in ("idle", "exited")
            except HungUp:  # the terminal is gone: the program goes on, recorded
                source.detach()
                return 0
            except KeyboardInterrupt as stop:  # ctrl-c, SIGTERM, SIGHUP: stop it, keep the run
                interrupted = True
                source.stop_runs(stop_reason(stop))
    finally:
        source.close()
    err = console(stderr=True)
    if board.fatal:
        err.print(plain(f"memtop: engine error: {shown(board.fatal, 4000)}"))
    print_unstarted(board.unstarted(), err)
    for state in board.runs:
        if not state.path:
            continue
        paths.append(state.path)
        try:
            run = read_run(state.path)
        except UserError as exc:  # moved or deleted while the run went: the run still ended
            err.print(plain(f"memtop: {state.status}: {state.cause}; {exc}"))
            continue
        print_run(run, err)
        say_allocations([run], err)
        run.close()
    return 130 if interrupted else result_code([spec], source.ends)


def _write(fd: int, data: bytes) -> None:
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except BrokenPipeError:  # `memtop run -- prog | head`: the reader is done; the run goes on
        pass
