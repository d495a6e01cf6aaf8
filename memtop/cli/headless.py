"""`memtop bench --no-tui`: a Rich progress line per run, then the comparison table."""

from __future__ import annotations

import signal
import sys
from collections import deque
from collections.abc import Sequence

from rich.console import Console, Group
from rich.live import Live
from rich.text import Text

from memtop.engine.client import LiveSource, RunBoard, RunState
from memtop.engine.errors import UserError
from memtop.engine.messages import Message
from memtop.engine.report.bench_tables import batch_table, comparison_table
from memtop.engine.report.fitted_table import Column, FittedTable
from memtop.engine.report.groups import process_stages_table, processes_table, where_table
from memtop.engine.report.tables import (
    STATUS_STYLE,
    add_row,
    plain,
    repeated_table,
    stage_table,
    status_text,
    summary_table,
)
from memtop.engine.spec import RunSpec
from memtop.engine.store import Run, read_run
from memtop.engine.text import shown
from memtop.engine.units import fmt_mib

from .output import console

REFRESH_PER_S = 4


PROGRESS_COLUMNS = [Column("run"), Column("status"), Column("stage", whole=False, drop=2),
                    Column("elapsed", "right"), Column("RSS MiB", "right"),
                    Column("peak MiB", "right"), Column("swap MiB", "right", drop=1),
                    Column("weights", drop=3)]


def progress_table(board: RunBoard) -> FittedTable:
    table = FittedTable(PROGRESS_COLUMNS)
    for run in board.runs:
        now = run.in_progress
        stage = " > ".join(now[0]) if now else run.stage or "-"
        add_row(table, run.title_name, status_text(run.status), stage,
                f"{run.elapsed:6.1f}s", fmt_mib(run.rss), fmt_mib(run.peak), fmt_mib(run.swap),
                run.weights or "-")
    return table


def _finished_line(run: RunState) -> Text:
    return Text.assemble(plain(f"{run.title_name}: {run.status}", STATUS_STYLE.get(run.status, "")),
                         plain(f" ({run.cause}) -> {run.path}"))


def _readable_runs(paths: Sequence[str], out: Console) -> list[Run]:
    """The runs at `paths`; a file that cannot be read is said in one line and left out."""
    runs = []
    for path in paths:
        try:
            runs.append(read_run(path))
        except UserError as exc:
            out.print(plain(exc, "red"))
    return runs


def say_allocations(runs: Sequence[Run], out: Console) -> None:
    tracked = [run for run in runs if run.meta.get("allocations")]
    if tracked:
        out.print(plain("allocations tracked by memray (its cost is in these timings): "
                        f"memtop show {tracked[0].run_id} --allocations", "yellow"))


def print_comparison(paths: Sequence[str]) -> None:
    """The comparison table of the runs at `paths`, then where their files are."""
    out = console()
    runs = _readable_runs(paths, out)
    if runs:
        out.print(comparison_table(runs))
        if len({r.spec.get("batch_size", 1) for r in runs}) > 1:
            out.print(batch_table(runs))
        if (where := where_table(runs)) is not None:
            out.print(where)
        say_allocations(runs, out)
        out.print("run files:")
        for run in runs:
            out.print(plain(f"  {run.path}"))


class HungUp(KeyboardInterrupt):
    """SIGHUP with --keep-on-hangup: memtop goes, its runs go on."""


class Stopped(KeyboardInterrupt):
    """SIGTERM, or SIGHUP without --keep-on-hangup: the runs stop, and their files say why
    (`why`: messages.STOP_REASONS). ctrl-c is a plain KeyboardInterrupt: the user's stop."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


def stop_reason(interrupt: KeyboardInterrupt) -> str:
    return interrupt.why if isinstance(interrupt, Stopped) else "user"


def on_signals(keep_on_hangup: bool) -> None:
    """SIGTERM and SIGHUP end a headless run as ctrl-c does: the runs are stopped and kept.
    With `keep_on_hangup`, SIGHUP (the terminal went away) leaves them running instead."""
    def interrupt(signum: int, _: object) -> None:
        if signum == signal.SIGHUP and keep_on_hangup:
            raise HungUp
        raise Stopped("hangup" if signum == signal.SIGHUP else "terminated")

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)


def print_stage_tables(paths: Sequence[str]) -> None:
    """For runs of any program: each run's stage table and summary."""
    out = console()
    runs = _readable_runs(paths, out)
    for run in runs:
        print_run(run, out)
    say_allocations(runs, out)


def print_run(run: Run, out: Console) -> None:
    """A program's run: its stages (by rank where it had ranks), its processes, its summary."""
    out.print(stage_table(run))
    for table in (repeated_table(run), processes_table(run), process_stages_table(run)):
        if table is not None:
            out.print(table)
    out.print(summary_table(run))
    out.print(plain(f"run file: {run.path}"))


def print_unstarted(runs: Sequence[tuple[str, str, str | None]],
                    out: Console | None = None) -> None:
    """Runs stopped before they started (cancelled, or failed to start) with why: said after
    the table, not dropped from it, since they have no run file to be a row of."""
    out = out or console()
    for name, status, cause in runs:
        why = f": {shown(cause, 500)}" if cause else ""
        out.print(plain(f"{name}: {status} (never started){why}"))


def print_results(specs: Sequence[RunSpec], paths: Sequence[str]) -> None:
    """After the runs: a benchmark's comparison table, or each other run's stage table."""
    if all(spec.kind == "bench" for spec in specs):
        print_comparison(paths)
    else:
        print_stage_tables(paths)


def result_code(specs: Sequence[RunSpec], ends: Sequence[Message]) -> int:
    """For `memtop run`, the command's own exit code (128 + N after signal N); else 0 when
    every run is done (or detached), 1 when any is not. From the engine's `finished` messages,
    not the run files: a file may have been moved or deleted while the run went."""
    if len(specs) == 1 and specs[0].kind == "run" and ends:
        code = ends[0].get("returncode")
        if isinstance(code, int):
            return code if code >= 0 else 128 - code
    ok = len(ends) == len(specs) and all(m.get("status") in ("done", "detached") for m in ends)
    return 0 if ok else 1


def run_headless(source: LiveSource, specs: Sequence[RunSpec], paths: list[str] | None = None,
                 keep_on_hangup: bool = False, tables: bool = True,
                 stop_on_user_error: bool = True, board: RunBoard | None = None) -> int:
    """Prints `source`'s runs (`specs`) with a progress line each, then (with `tables`) their
    tables; `paths` (if given) receives their run files. With `stop_on_user_error`, a run that
    fails for the user's reason (a model the backend cannot load) stops the rest, which would
    fail alike, and is raised as that UserError at the end. `board`: where the runs' state is
    folded (for a caller that reads it after)."""
    out = console()
    board = RunBoard() if board is None else board
    on_signals(keep_on_hangup)
    interrupted = done = False
    user_error: str | None = None
    batch: deque[Message] = deque()  # what a signal interrupted is folded after it
    try:
        with Live(progress_table(board), console=out, refresh_per_second=REFRESH_PER_S,
                  transient=False) as live:
            while not done:
                try:
                    batch.extend(source.wait(0.2))
                    while batch:
                        message = batch.popleft()
                        state = board.apply(message)
                        if message["type"] == "finished" and state is not None:
                            live.console.print(_finished_line(state))
                            if state.user_error and stop_on_user_error and user_error is None:
                                user_error = state.cause  # the next runs would fail alike
                                source.stop_runs()
                        done = done or message["type"] == "exited" or (
                            message["type"] == "idle" and not source.more_to_come())
                    for note in source.notes():
                        live.console.print(plain(note))
                    live.update(Group(progress_table(board)))
                except HungUp:  # the terminal is gone: nothing more to print on it
                    if not source.detach():  # a cluster's runs end with memtop
                        interrupted = True
                        source.stop_runs("hangup")
                        continue
                    return 0
                except KeyboardInterrupt as stop:  # ctrl-c, SIGTERM, SIGHUP: stop, keep them
                    interrupted = True
                    source.stop_runs(stop_reason(stop))
        if not out.is_terminal:
            out.line()  # Live ends its last frame with a newline only on a terminal
    finally:
        source.close()
    if board.fatal:
        print(f"memtop: engine error:\n{shown(board.fatal, 4000, lines=True)}", file=sys.stderr)
    if user_error:
        raise UserError(user_error)
    written = [state.path for state in board.runs if state.path]
    if paths is not None:
        paths.extend(written)
    if tables:
        print_results(specs, written)
    print_unstarted(board.unstarted())
    return 130 if interrupted else result_code(specs, source.ends)
