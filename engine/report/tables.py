"""A run's numbers as Rich tables for the terminal: the seeds' stage table and summary,
repeated stages, statistics, leaks, and the run list; and the styles and helpers every table
here uses. A bench's comparison is bench_tables.py's, a diff's diff_tables.py's. Columns come
from columns.py, which the TUI shares."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from rich.text import Text

from ..analysis.stage_fold import fold_rows, repeated
from ..analysis.stage_rows import table_rows
from ..analysis.stage_tree import has_repeats
from ..spec import is_program
from ..store.listing import Listed
from ..store.reader import Run
from ..text import shown
from ..units import fmt
from .columns import (
    OTHER_PROGRAM_LINES,
    STAGE_COLUMNS,
    STAT_KEYS,
    cell,
    program_lines,
    shared_pages_note,
    summary_lines,
    task_text,
)
from .comparison import program_figures
from .fitted_table import Column, FittedTable

HEALTH_STYLE = {"good": "green", "acceptable": "yellow", "high": "dark_orange",
                "critical": "bold red"}
STATUS_STYLE = {"done": "green", "running": "cyan", "queued": "dim", "failed": "red",
                "killed": "bold red", "cancelled": "dim", "detached": "cyan",
                "interrupted": "bold red", "damaged": "bold red"}
ENDED_EARLY = ("failed", "killed", "cancelled", "interrupted", "damaged")


def plain(value: object, style: str = "") -> Text:
    """A cell or title from data: shown as text (engine/text.py), never parsed as markup."""
    return value if isinstance(value, Text) else Text(shown(value), style=style)


def add_row(table: FittedTable, *cells: object) -> None:
    table.add_row(*(plain(cell) for cell in cells))


def status_text(status: object) -> Text:
    return plain(status, STATUS_STYLE.get(str(status), ""))


# Which columns of STAGE_COLUMNS go first on a narrow terminal (0: never).
STAGE_DROP = {"swap_mb": 3, "swap_change_mb": 4, "sampled_peak_mb": 2, "duration_s": 1,
              "file_change_mb": 5, "anon_change_mb": 6}


def _columns(spec: Sequence[tuple[str, str, str]], drop: dict[str, int]) -> list[Column]:
    return [Column(header, "left" if key == "name" else "right", drop=drop.get(key, 0))
            for header, key, _ in spec]


def stage_table(run: Run, unfold: bool = False) -> FittedTable:
    """The stage table; repeated stages one row each (the worst occurrence's figures) unless
    `unfold`."""
    rows = table_rows(run.stages)
    folded = not unfold and has_repeats(run.stages)
    title = f"{run.run_id}: memory by stage" + \
        (" (repeated stages folded: the worst of each; --unfold lists every one)"
         if folded else "")
    table = FittedTable(_columns(STAGE_COLUMNS, STAGE_DROP), title=plain(title))
    for row in fold_rows(rows) if folded else rows:
        add_row(table, *(cell(row, key, spec) for _, key, spec in STAGE_COLUMNS))
    return table


def repeated_table(run: Run) -> FittedTable | None:
    """Each repeated stage: how many times, the spread of its peaks and RSS changes, and its
    worst occurrence; None where nothing repeats."""
    rows = repeated(table_rows(run.stages))
    if not rows:
        return None
    table = FittedTable([Column("Stage"), *(Column(h, "right", drop=d) for h, d in (
        ("Count", 0), ("Peak min", 3), ("Peak median", 0), ("Peak max", 0), ("Change min", 4),
        ("Change median", 2), ("Change max", 1))), Column("Worst", drop=5)],
        title="Repeated stages (MiB): each path's occurrences")
    for row in rows:
        add_row(table, row["path"], f"{row['count']:,}",
                *(fmt(row[k], f) for k, f in (
                    ("peak_min_mb", ",.1f"), ("peak_median_mb", ",.1f"), ("peak_max_mb", ",.1f"),
                    ("rss_change_min_mb", "+,.1f"), ("rss_change_median_mb", "+,.1f"),
                    ("rss_change_max_mb", "+,.1f"))), row["worst"])
    return table


def statistics_table(run: Run) -> FittedTable:
    """Seed 003's statistics of sampled RSS (MiB) per stage and for the whole run."""
    stats = run.statistics()
    table = FittedTable([Column("Over"), *(Column(h, "right", drop=d) for (h, _), d
                                           in zip(STAT_KEYS, (0, 0, 2, 1, 3), strict=True)),
                         Column("Samples", "right", drop=4)],
                        title="RSS statistics (MiB, from samples)")
    rows = [*stats.get("stages", {}).items(), ("whole run", stats.get("run"))]
    for name, values in rows:
        if values:
            add_row(table, name, *(fmt(values[k]) for _, k in STAT_KEYS), values["samples"])
        else:
            add_row(table, name, *("-" for _ in STAT_KEYS), "0")
    return table


def _two_columns(title: object) -> FittedTable:
    """A label and a value per line; long values (notes, lists) wrap."""
    return FittedTable([Column("what"), Column("value", "right", whole=False)], title=title,
                       show_header=False)


def leak_table(leak: dict[str, Any]) -> FittedTable:
    table = _two_columns(plain(f"Leak check over {leak.get('iterations', '?')} iterations: "
                               f"{leak.get('verdict') or 'no verdict'}"))
    add_row(table, "Slope (MiB/iteration)", fmt(leak.get("slope_mb_per_iter"), "+.4f"))
    add_row(table, "r²", fmt(leak.get("r2"), ".3f"))
    for key, label in (("heap_in_use_slope_mb_per_iter", "glibc heap in use (MiB/iteration)"),
                       ("heap_free_slope_mb_per_iter", "glibc heap held free (MiB/iteration)")):
        if leak.get(key) is not None:  # what tells retention from a leak (analysis/leaks.py)
            add_row(table, label, fmt(leak[key], "+.4f"))
    for n, value in (leak.get("extrapolated_mb") or {}).items():
        add_row(table, f"Extrapolated to {int(n):,} iterations (MiB)", fmt(value, "+,.1f"))
    deltas = leak.get("deltas_mb") or []
    if deltas:
        add_row(table, "Per-iteration change (MiB)", " ".join(f"{d:+.2f}" for d in deltas[:20]) +
                      (" …" if len(deltas) > 20 else ""))
    return table


def summary_table(run: Run) -> FittedTable:
    summary = run.summary()
    meta = run.meta
    table = _two_columns("Summary")
    bench = meta.get("kind", "bench") == "bench"
    for key, label, spec in summary_lines(summary):
        if bench or key in OTHER_PROGRAM_LINES:
            add_row(table, label, fmt(summary.get(key), spec))
    add_row(table, "Health", health_text(summary.get("health")))
    add_row(table, "Status", Text.assemble(status_text(meta.get("status")),
                                           plain(f": {meta.get('cause', '')}")))
    note = shared_pages_note(run.max_processes())
    if note:
        add_row(table, "Note", note)
    if bench:
        add_row(table, "Weights", f"{meta.get('weights')} ({meta.get('weights_note', '')})")
        if meta.get("task"):
            add_row(table, "Task", task_text(meta))
        foreign = meta.get("foreign_frameworks") or []
        add_row(table, "Foreign frameworks", ", ".join(map(str, foreign)) if foreign else "none")
    else:
        for label, value in program_lines(run_program_figures(run) or {}):
            add_row(table, label, value)
        command = " ".join(map(str, meta.get("command") or []))
        add_row(table, "Command", command or f"pid {meta.get('pid')}")
    return table


def health_text(value: object) -> Text:
    style = HEALTH_STYLE.get(str(value))
    return plain(value, style) if style else plain("-")


def run_program_figures(run: Run) -> dict[str, Any] | None:
    """A program's run: its own figures for the comparison (None for a bench)."""
    meta = run.meta
    if not is_program(meta):
        return None
    first, last = run.end_rows("samples")
    return program_figures(run.start, meta.get("t_end") or run.last_sample_time(),
                           first and first[1], last and last[1], len(run.stages),
                           meta.get("returncode"), meta.get("status"))


def runs_list_table(runs: Iterable[Listed]) -> FittedTable:
    """The run list (store.listing), readable runs first, then those that are not. Narrow
    terminals lose what the run id already says (its start, backend and model), never the id."""
    table = FittedTable([Column("Run id"), Column("Started", drop=4),
                         Column("Backend / command", drop=2),
                         Column("Model", drop=3), Column("Weights", drop=5),
                         Column("Status", whole=False), Column("Peak (MiB)", "right")],
                        title="runs, newest first")
    broken = []
    for listed in runs:
        fields = listed.fields
        if fields is None:
            broken.append(listed)
            continue
        started = fields.get("started_wall")
        when = datetime.datetime.fromtimestamp(started).strftime("%Y-%m-%d %H:%M:%S") \
            if started else "-"
        program = is_program(fields)  # a command: no backend, model, weights
        add_row(table, fields["run_id"], when,
                fields["title"] if program else fields["backend"] or "?",
                "-" if program else fields["model"] or "?",
                "-" if program else fields["weights"] or "?", status_text(fields["status"]),
                fmt(fields.get("peak_mb"), ",.0f"))
    for listed in broken:
        add_row(table, listed.path, "-", "-", "-", "-",
                Text.assemble(("unreadable", "red"), plain(f": {listed.problem}")), "-")
    return table
