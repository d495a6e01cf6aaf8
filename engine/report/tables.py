"""A run's numbers as Rich tables for the terminal: the seeds' stage table and summary, the
comparison of a bench, batch sizes, statistics, leaks, diffs, and the run list. Columns come
from columns.py, which the TUI shares."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from rich.text import Text

from ..analysis.diff import compare_settings, compare_stages, compare_summary, setting_text
from ..analysis.stage_fold import fold_rows, repeated
from ..analysis.stage_rows import table_rows
from ..analysis.stage_tree import has_repeats
from ..spec import is_program
from ..store.listing import Listed
from ..store.reader import Run
from ..text import shown
from ..units import fmt
from .columns import (
    COMPARE_METRICS,
    OTHER_PROGRAM_LINES,
    STAGE_COLUMNS,
    STAT_KEYS,
    SUMMARY_LABELS,
    cell,
    compare_cells,
    compare_headers,
    compare_name,
    delta_sign,
    letter,
    program_lines,
    shared_pages_note,
    stage_name,
    summary_lines,
    summary_spec,
    task_text,
)
from .comparison import (
    DROP_ORDER,
    TEXT_KEYS,
    WRAPPING_KEYS,
    best_columns,
    comparison_cells,
    comparison_columns,
    comparison_row,
    program_figures,
)
from .fitted_table import Column, FittedTable
from .run_names import row_names, run_labels

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


def diff_tables(runs: Sequence[Run], baseline: int = 0,
                unfold: bool = False) -> list[FittedTable]:
    """The runs side by side, one table per figure (peak, RAM, duration) and the summary: each
    run's value, and after each but the baseline its Δ (red: more than the baseline). Stages
    are matched by their place in the tree; repeated ones fold into a row per path (each run's
    worst occurrence) unless `unfold`."""
    headers = compare_headers([compare_name(r.meta.get("backend"), r.meta.get("model"))
                               for r in runs], baseline)
    columns = [Column("Stage"), *(Column(h, "right", drop=1 if h.startswith("Δ") else 0)
                                  for h in headers)]
    tables = []
    rows = compare_stages([run.stages for run in runs], baseline, fold=not unfold)
    for heading, key, spec in COMPARE_METRICS:
        table = FittedTable(columns, title=Text(heading))
        for row in rows:
            add_row(table, stage_name(row), *_signed(compare_cells(row[key], row[f"d_{key}"], spec,
                                                                baseline), headers))
        tables.append(table)
    summary = FittedTable([Column("Summary"), *columns[1:]])
    for row in compare_summary([run.summary() for run in runs], baseline):
        add_row(summary, SUMMARY_LABELS.get(row["key"], row["key"]),
                *_signed(compare_cells(row["values"], row["deltas"], summary_spec(row["key"]),
                                       baseline), headers))
    tables.append(summary)
    settings = compare_settings([run.meta for run in runs])
    if settings:  # what differs besides the figures: where each ran, its settings
        table = FittedTable([Column("Setting"), *(Column(letter(i)) for i in range(len(runs)))],
                            title="Settings that differ")
        for row in settings:
            add_row(table, row["key"], *map(setting_text, row["values"]))
        tables.append(table)
    return tables


def diff_heading(runs: Sequence[Run], baseline: int = 0, unfold: bool = False) -> Text:
    """What `diff_tables` compare, printed above them at the terminal's width: each run by its
    title, id and start (two runs of one script told apart), and how repeats are shown."""
    labels = run_labels([run.meta for run in runs], [run.run_id for run in runs])
    lines = [plain(f"{letter(i)}: {label}") for i, label in enumerate(labels)]
    lines.append(Text(f"(Δ = each run - {letter(baseline)})"))
    if not unfold and any(has_repeats(run.stages) for run in runs):
        lines.append(Text("(repeated stages folded: each run's worst occurrence; --unfold "
                          "lists every one)"))
    return Text("\n").join(lines)


def _signed(cells: list[str], headers: list[str]) -> list[Text]:
    """Δ cells red where a run has more than the baseline, green where less."""
    colours = {1: "red", -1: "green", 0: ""}
    return [plain(text, colours[delta_sign(text)] if header.startswith("Δ") else "")
            for text, header in zip(cells, headers, strict=True)]


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
    add_row(table, "Health", _health(summary.get("health")))
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


def _health(value: object) -> Text:
    style = HEALTH_STYLE.get(str(value))
    return plain(value, style) if style else plain("-")


def _comparison_column(header: str, key: str, wrap: bool = True) -> Column:
    return Column(header, "left" if key in TEXT_KEYS else "right",
                  whole=not wrap or key not in WRAPPING_KEYS, drop=DROP_ORDER.get(key, 0))


def comparison_table(runs: Sequence[Run], title: str = "memtop bench") -> FittedTable:
    """A row per run with the seeds' columns, kernel and sampled peaks side by side; the best
    value of each figure in bold."""
    names = row_names([run.meta for run in runs], [run.run_id for run in runs])
    rows = [comparison_row(name, run.meta.get("weights"), run.summary(), run.sampled_max(),
                           run.meta.get("foreign_frameworks") or [], run_program_figures(run))
            for run, name in zip(runs, names, strict=True)]
    return comparison_rows_table(rows, [run.meta.get("status") for run in runs], title)


def run_program_figures(run: Run) -> dict[str, Any] | None:
    """A program's run: its own figures for the comparison (None for a bench)."""
    meta = run.meta
    if not is_program(meta):
        return None
    first, last = run.end_rows("samples")
    return program_figures(run.start, meta.get("t_end") or run.last_sample_time(),
                           first and first[1], last and last[1], len(run.stages),
                           meta.get("returncode"), meta.get("status"))


def comparison_rows_table(rows: Sequence[dict[str, Any]], statuses: Sequence[Any],
                          title: str | None = None, best_style: Any = "bold",
                          ascii: bool = False, wrap: bool = True) -> FittedTable:
    """The comparison table of rows made by `comparison_row` (from run files, or from the live
    runs of a dashboard): a run not done says so after its name; the best value of each figure
    is in `best_style` (and, with `ascii`, marked with a *). Without `wrap` every row is one
    line (a narrow screen drops columns instead): the dashboard's table never loses a row."""
    columns = comparison_columns(rows)
    table = FittedTable([_comparison_column(header, key, wrap) for header, key, _, _ in columns],
                        title=title, keys=[key for _, key, _, _ in columns])
    # A run that ended early has partial figures: never the best, no health class.
    cut = [status in ENDED_EARLY for status in statuses]
    best = best_columns([row for row, early in zip(rows, cut, strict=True) if not early])
    for row, status, early in zip(rows, statuses, cut, strict=True):
        cells: list[Text] = []
        for (_, key, _, _), text in zip(columns, comparison_cells(row, columns), strict=True):
            if key == "health":
                cells.append(_health(None if early else row.get("health")))
            elif key == "name" and status != "done":
                cells.append(Text.assemble(plain(text), " ", status_text(f"({status})")))
            elif key in best and not early and row[key] == best[key]:
                cells.append(plain(text + ("*" if ascii else ""), best_style))
            else:
                cells.append(plain(text))
        add_row(table, *cells)
    return table


def batch_table(runs: Sequence[Run]) -> FittedTable:
    """Seed 003: peak and compilation memory against batch size, per backend, with the growth
    factor against the backend's smallest batch."""
    # A summary each, once: an unfinished run's is read back from its samples.
    summaries = [(run, run.summary()) for run in runs]
    samples = any(s.get("samples_per_s") is not None for _, s in summaries)
    speed = "samples_per_s" if samples else "tokens_per_s"
    table = FittedTable([Column("Backend"), *(Column(name, "right") for name in (
        "Batch", "Peak MiB", "Compile MiB", "Peak growth", "samples/s" if samples else "tok/s"))],
        title="by batch size")
    by_backend: dict[str, list[tuple[Run, dict[str, Any]]]] = {}
    for run, summary in summaries:
        by_backend.setdefault(run.meta.get("backend", "?"), []).append((run, summary))
    for backend, group in by_backend.items():
        group.sort(key=lambda pair: pair[0].spec.get("batch_size", 1))
        base = group[0][1].get("peak_mb")
        for run, s in group:
            factor = s["peak_mb"] / base if base and s.get("peak_mb") else None
            add_row(table, backend, run.spec.get("batch_size", 1),
                          fmt(s.get("peak_mb"), ",.0f"), fmt(s.get("compilation_mb"), ",.0f"),
                          fmt(factor, ".2f"), fmt(s.get(speed), ".2f"))
    return table


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
