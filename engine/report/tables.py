"""A run's numbers as Rich tables for the terminal: the seeds' stage table and summary, the
comparison of a bench, batch sizes, statistics, leaks, diffs, and the run list. Columns come
from columns.py, which the TUI shares."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from ..analysis.diff import diff_stages
from ..analysis.summary import stage_rows, table_rows
from ..store.reader import Run
from ..text import shown
from ..units import fmt
from .columns import (
    DIFF_COLUMNS,
    OTHER_PROGRAM_LINES,
    STAGE_COLUMNS,
    STAT_KEYS,
    SUMMARY_LINES,
    cell,
    shared_pages_note,
)

HEALTH_STYLE = {"good": "green", "acceptable": "yellow", "high": "dark_orange",
                "critical": "bold red"}
STATUS_STYLE = {"done": "green", "running": "cyan", "queued": "dim", "failed": "red",
                "killed": "bold red", "cancelled": "dim", "detached": "cyan",
                "interrupted": "bold red", "damaged": "bold red"}


def plain(value: object, style: str = "") -> Text:
    """A cell or title from data: shown as text (engine/text.py), never parsed as markup."""
    return value if isinstance(value, Text) else Text(shown(value), style=style)


def add_row(table: Table, *cells: object) -> None:
    table.add_row(*(plain(cell) for cell in cells))


def status_text(status: object) -> Text:
    return plain(status, STATUS_STYLE.get(str(status), ""))


def stage_table(run: Run) -> Table:
    table = Table(title=plain(f"{run.run_id}: memory by stage"), title_justify="left")
    for header, key, _ in STAGE_COLUMNS:
        table.add_column(header, justify="left" if key == "name" else "right")
    for row in table_rows(run.stages):
        add_row(table, *(cell(row, key, spec) for _, key, spec in STAGE_COLUMNS))
    return table


def diff_table(a: Run, b: Run) -> Table:
    table = Table(title=plain(f"A: {a.run_id}  B: {b.run_id}  (Δ = B - A)"),
                  title_justify="left")
    for header, key, _ in DIFF_COLUMNS:
        table.add_column(header, justify="left" if key == "name" else "right")
    for row in diff_stages(a.stages, b.stages):
        cells = []
        for _, key, spec in DIFF_COLUMNS:
            value = row.get(key)
            style = ""
            if key.startswith("d_") and isinstance(value, int | float) and value:
                style = "red" if value > 0 else "green"
            cells.append(plain(cell(row, key, spec), style))
        add_row(table, *cells)
    return table


def statistics_table(run: Run) -> Table:
    """Seed 003's statistics of sampled RSS (MB) per stage and for the whole run."""
    stats = run.statistics()
    table = Table(title="RSS statistics (MB, from samples)", title_justify="left")
    table.add_column("Over")
    for header, _ in STAT_KEYS:
        table.add_column(header, justify="right")
    table.add_column("Samples", justify="right")
    rows = [*stats.get("stages", {}).items(), ("whole run", stats.get("run"))]
    for name, values in rows:
        if values:
            add_row(table, name, *(fmt(values[k]) for _, k in STAT_KEYS), values["samples"])
        else:
            add_row(table, name, *("-" for _ in STAT_KEYS), "0")
    return table


def leak_table(leak: dict[str, Any]) -> Table:
    table = Table(title=plain(f"Leak check over {leak['iterations']} iterations: "
                              f"{leak['verdict']}"), title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    add_row(table, "Slope (MB/iteration)", fmt(leak.get("slope_mb_per_iter"), "+.4f"))
    add_row(table, "r²", fmt(leak.get("r2"), ".3f"))
    for n, value in (leak.get("extrapolated_mb") or {}).items():
        add_row(table, f"Extrapolated to {int(n):,} iterations (MB)", fmt(value, "+,.1f"))
    deltas = leak.get("deltas_mb") or []
    if deltas:
        add_row(table, "Per-iteration change (MB)", " ".join(f"{d:+.2f}" for d in deltas[:20]) +
                      (" …" if len(deltas) > 20 else ""))
    return table


def summary_table(run: Run) -> Table:
    summary = run.summary()
    meta = run.meta
    table = Table(title="Summary", title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    bench = meta.get("kind", "bench") == "bench"
    for key, label, spec in SUMMARY_LINES:
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
        foreign = meta.get("foreign_frameworks") or []
        add_row(table, "Foreign frameworks", ", ".join(map(str, foreign)) if foreign else "none")
    else:
        command = " ".join(map(str, meta.get("command") or []))
        add_row(table, "Command", command or f"pid {meta.get('pid')}")
    return table


def _health(value: object) -> Text:
    style = HEALTH_STYLE.get(str(value))
    return plain(value, style) if style else plain("-")


# Short headers; docs/metrics.md explains each. Below WIDE_COLUMNS of terminal the columns marked
# False are left out, so that the table stays readable at 80 columns.
COMPARISON_COLUMNS = (("Backend", True), ("Weights", False), ("Load MB", True),
                      ("Compile MB", True), ("Peak MB", True), ("Sampled MB", True),
                      ("Swap MB", True), ("Growth MB", False), ("1st s", True), ("2nd s", True),
                      ("Speedup", False), ("tok/s", True), ("Health", True), ("Foreign", False))
WIDE_COLUMNS = 120


def _variant(run: Run) -> str:
    """What sets a run apart from its backend's others in one table: batch size, training."""
    spec = run.spec
    parts = []
    if spec.get("batch_size", 1) != 1:
        parts.append(f"b{spec['batch_size']}")
    if spec.get("mode") == "training":
        parts.append("train")
    if spec.get("dtype", "float32") != "float32":
        parts.append(spec["dtype"])
    return (" " + " ".join(parts)) if parts else ""


def comparison_table(runs: Sequence[Run], title: str = "memtop bench",
                     width: int = WIDE_COLUMNS) -> Table:
    """A row per run with the seeds' columns, kernel and sampled peaks side by side."""
    wide = width >= WIDE_COLUMNS
    keep = [wide or always for _, always in COMPARISON_COLUMNS]
    table = Table(title=title, title_justify="left", padding=(0, 1) if wide else (0, 0),
                  box=box.HEAVY_HEAD if wide else box.SIMPLE_HEAD, show_edge=wide)
    for (name, _), kept in zip(COMPARISON_COLUMNS, keep, strict=True):
        if kept:
            text = name in ("Backend", "Weights", "Health", "Foreign")
            table.add_column(name, justify="left" if text else "right", no_wrap=text)
    for run in runs:
        s = run.summary()
        sampled = [r["sampled_peak_mb"] for r in stage_rows(run.stages)
                   if r["sampled_peak_mb"] is not None]
        status = run.meta.get("status")
        backend = plain(f"{run.meta.get('backend', '?')}{_variant(run)}")
        if status != "done":
            backend = Text.assemble(backend, " ", status_text(f"({status})"))
        cells = (
            backend, run.meta.get("weights") or "-", fmt(s["model_loading_mb"], ",.0f"),
            fmt(s["compilation_mb"], ",.0f"), fmt(s["peak_mb"], ",.0f"),
            fmt(max(sampled) if sampled else None, ",.0f"), fmt(s["swap_peak_mb"], ",.0f"),
            fmt(s["growth_mb"], ",.0f"), fmt(s["latency_first_s"], ".2f"),
            fmt(s["latency_second_s"], ".2f"), fmt(s["speedup"], ".1f"),
            fmt(s["tokens_per_s"], ".2f"), _health(s.get("health")),
            ", ".join(map(str, run.meta.get("foreign_frameworks") or [])) or "-")
        add_row(table, *(c for c, kept in zip(cells, keep, strict=True) if kept))
    return table


def batch_table(runs: Sequence[Run]) -> Table:
    """Seed 003: peak and compilation memory against batch size, per backend, with the growth
    factor against the backend's smallest batch."""
    table = Table(title="by batch size", title_justify="left")
    for name in ("Backend", "Batch", "Peak MB", "Compile MB", "Peak growth", "tok/s"):
        table.add_column(name, justify="left" if name == "Backend" else "right")
    by_backend: dict[str, list[Run]] = {}
    for run in runs:
        by_backend.setdefault(run.meta.get("backend", "?"), []).append(run)
    for backend, group in by_backend.items():
        group.sort(key=lambda r: r.spec.get("batch_size", 1))
        base = group[0].summary().get("peak_mb")
        for run in group:
            s = run.summary()
            factor = s["peak_mb"] / base if base and s.get("peak_mb") else None
            add_row(table, backend, run.spec.get("batch_size", 1),
                          fmt(s.get("peak_mb"), ",.0f"), fmt(s.get("compilation_mb"), ",.0f"),
                          fmt(factor, ".2f"), fmt(s.get("tokens_per_s"), ".2f"))
    return table


def runs_list_table(runs: Iterable[Run], broken: Sequence[tuple[str, str]]) -> Table:
    """The run list; `broken` is read after `runs` is exhausted (it may fill meanwhile)."""
    table = Table(title="runs, newest first", title_justify="left")
    for name in ("Run id", "Started", "Backend", "Model", "Weights", "Status", "Peak (MB)"):
        table.add_column(name, justify="right" if name == "Peak (MB)" else "left")
    for run in runs:
        started = run.meta.get("started_wall")
        when = datetime.datetime.fromtimestamp(started).strftime("%Y-%m-%d %H:%M:%S") \
            if started else "-"
        status = run.meta.get("status", "?")
        add_row(table, run.run_id, when, run.meta.get("backend", "?"),
                run.meta.get("model", "?"), run.meta.get("weights", "?"), status_text(status),
                fmt(run.summary().get("peak_mb"), ",.0f"))
    for path, reason in broken:
        add_row(table, path, "-", "-", "-", "-",
                Text.assemble(("unreadable", "red"), plain(f": {reason}")), "-")
    return table
