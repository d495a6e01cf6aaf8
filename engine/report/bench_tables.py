"""A benchmark's tables: the comparison of its runs (the seeds' columns, the best value of each
figure in bold, live on the dashboard too) and peak memory against batch size."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text

from ..store.reader import Run
from ..units import fmt
from .comparison import (
    DROP_ORDER,
    TEXT_KEYS,
    WRAPPING_KEYS,
    best_columns,
    comparison_cells,
    comparison_columns,
    comparison_row,
)
from .fitted_table import Column, FittedTable
from .run_names import row_names
from .tables import ENDED_EARLY, add_row, health_text, plain, run_program_figures, status_text


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
                cells.append(health_text(None if early else row.get("health")))
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
