"""Where memory went, as tables: per stage, the change by kind (anonymous, file-backed) and the
mapping groups that changed most (analysis/groups.py). `show` prints a run's; a bench prints the
two stages the seeds ask about (model loading and the first inference: compilation) for each
run side by side."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..analysis.groups import largest_changes
from ..analysis.stage_fold import fold_rows
from ..analysis.stage_rows import stage_rows, table_order, table_rows
from ..probes.ranks import rank_key
from ..store import Run
from ..units import fmt, mib
from .fitted_table import Column, FittedTable
from .run_names import row_names
from .tables import add_row, plain

SEED_STAGES = ("model_loaded", "first_inference")


def where_text(row: dict[str, Any], count: int = 3) -> str:
    """"anonymous ≥ 64 MiB +1,720.3 · libopenvino_intel_cpu_plugin.so +12.0" (names are the
    program's: the table shows them as text)."""
    found = largest_changes(row.get("groups_change_mb"), count)
    return " · ".join(f"{name} {mib:+,.1f}" for name, mib in found) or "-"


def _kinds(row: dict[str, Any]) -> list[str]:
    return [fmt(row.get(f"{kind}_change_mb"), "+,.1f") for kind in ("rss", "anon", "file")]


def _columns(first: list[Column]) -> list[Column]:
    return [*first, Column("RAM change", "right"), Column("Anon", "right", drop=2),
            Column("File", "right", drop=1), Column("Largest changes by mapping (MiB)",
                                                    whole=False)]


def groups_table(run: Run, unfold: bool = False) -> FittedTable | None:
    """Each stage whose mapping groups changed by a MiB or more (a repeated stage: its worst
    occurrence, unless `unfold`); None if none did (or the run was recorded without them)."""
    rows = [row for row in _rows(run, unfold) if largest_changes(row["groups_change_mb"])]
    if not rows:
        return None
    table = FittedTable(_columns([Column("Stage")]),
                        title=plain(f"{run.run_id}: where each stage's memory went"))
    for row in rows:
        add_row(table, row["name"], *_kinds(row), where_text(row))
    return table


def where_table(runs: Sequence[Run], stages: Sequence[str] = SEED_STAGES) -> FittedTable | None:
    """The runs side by side on the seeds' two stages; None if no run has mapping groups."""
    table = FittedTable(_columns([Column("Run"), Column("Stage")]),
                        title="Where loading and the first inference went (MiB)")
    shown_any = False
    names = row_names([run.meta for run in runs], [run.run_id for run in runs])
    for run, run_name in zip(runs, names, strict=True):
        rows = {row["key"]: row for row in table_rows(run.stages)}
        for name in stages:
            row = rows.get(name)
            if row is None or row["groups_change_mb"] is None:
                continue
            shown_any = True
            add_row(table, run_name, name, *_kinds(row), where_text(row))
    return table if shown_any else None


def _rows(run: Run, unfold: bool) -> list[dict[str, Any]]:
    rows = table_rows(run.stages)
    return rows if unfold else fold_rows(rows)


def heap_table(run: Run, unfold: bool = False) -> FittedTable | None:
    """glibc's heap at each stage's end: in use, held free (freed by the program, kept by
    malloc), and with --trim what malloc_trim(0) gave back; None without heap figures. A
    repeated stage: its worst occurrence, unless `unfold`."""
    rows = [row for row in _rows(run, unfold) if row["heap_in_use_mb"] is not None]
    if not rows:
        return None
    trimmed = any(row["trimmed_mb"] is not None for row in rows)
    columns = [Column("Stage"), Column("Heap in use", "right"), Column("Held free", "right"),
               *([Column("Trimmed", "right")] if trimmed else [])]
    table = FittedTable(columns, title=plain(f"{run.run_id}: glibc heap at each stage's end "
                                             "(MiB)"))
    for row in rows:
        add_row(table, row["name"], fmt(row["heap_in_use_mb"], ",.1f"),
                fmt(row["heap_free_mb"], ",.1f"),
                *([fmt(row["trimmed_mb"], ",.1f")] if trimmed else []))
    return table


def processes_table(run: Run) -> FittedTable | None:
    """Each process of a tree of several (ranks first), its peak over the run (VmHWM or sampled,
    whichever was higher), and its highest stage peak where it marked stages of its own; None
    for a run of one process."""
    processes = run.meta.get("workers")
    if not isinstance(processes, list) or len(processes) < 2:
        return None
    stage_peaks: dict[str, float] = {}
    for row in stage_rows(run.stages):
        if row.get("worker") and row.get("peak_mb") is not None:
            stage_peaks[row["worker"]] = max(stage_peaks.get(row["worker"], 0.0), row["peak_mb"])
    table = FittedTable([Column("Process"), Column("PID", "right"),
                         Column("Peak MiB", "right"), Column("Highest stage peak", "right")],
                        title="Processes (each counts the pages it shares with the others)")
    ranked = sorted(processes, key=lambda p: rank_key(str(p.get("name", ""))))
    for process in ranked:
        name = str(process.get("name", "?"))
        add_row(table, name, str(process.get("pid", "?")), fmt(mib(process["peak"]), ",.1f"),
                fmt(stage_peaks.get(name), ",.1f"))
    return table


MAX_PROCESS_COLUMNS = 6  # the largest; a table wider than a terminal helps nobody


def process_stages_table(run: Run) -> FittedTable | None:
    """Each other process's peak in each of the program's own stages (the engine read and reset
    every process's VmHWM at those boundaries), its largest processes as columns; None where
    no stage has them."""
    every_row = stage_rows(run.stages)
    rows = [(every_row[i], run.stages[i]) for i in table_order(run.stages)
            if run.stages[i].get("processes")]
    if not rows:
        return None
    peaks: dict[str, int] = {}
    for _, stage in rows:
        for process in stage["processes"]:
            name = str(process.get("name", "?"))
            peaks[name] = max(peaks.get(name, 0), int(process.get("peak") or 0))
    largest = sorted(peaks, key=lambda n: -peaks[n])[:MAX_PROCESS_COLUMNS]
    names = sorted(largest, key=rank_key)  # shown ranks first, in order
    table = FittedTable([Column("Stage"), *(Column(name, "right") for name in names)],
                        title="Peak of each process by stage (MiB; * not per stage: its reset "
                              "was refused)")
    for row, stage in rows:
        by_name = {str(p.get("name")): p for p in stage["processes"]}
        add_row(table, row["name"], *(_peak_cell(by_name.get(name)) for name in names))
    return table


def _peak_cell(process: dict[str, Any] | None) -> str:
    if process is None:
        return "-"
    return fmt(mib(int(process.get("peak") or 0)), ",.1f") + \
        ("" if process.get("exact", True) else "*")
