"""A run in full: RSS and swap over time with stage marks, stage table, summary, metadata."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static
from textual_plotext import PlotextPlot

from memtop.engine.analysis.summary import table_rows
from memtop.engine.client import RunState
from memtop.engine.report.columns import (
    STAGE_COLUMNS,
    SUMMARY_LINES,
    cell,
    shared_pages_note,
)
from memtop.engine.text import shown
from memtop.engine.units import MIB, fmt

from ..render import data
from ..widgets.footer import KeyFooter

REDRAW_EVERY_S = 0.5


def stage_table_rows(stages: list[dict[str, Any]]) -> list[tuple[Text, ...]]:
    return [tuple(data(cell(row, key, spec)) for _, key, spec in STAGE_COLUMNS)
            for row in table_rows(stages)]


def summary_text(state: RunState) -> str:
    summary = state.summary
    lines = [f"{label:<26}{fmt(summary.get(key), spec):>12}" for key, label, spec in SUMMARY_LINES]
    lines.append(f"{'Health':<26}{shown(summary.get('health') or '-'):>12}")
    leak = state.leak
    if leak:
        lines.append(f"{'Leak check':<26}{shown(leak['verdict']):>12} over {leak['iterations']} "
                     f"iterations, slope {fmt(leak.get('slope_mb_per_iter'), '+.3f')} MiB/it, "
                     f"r² {fmt(leak.get('r2'), '.2f')}")
    gpu = "n/a" if state.gpu_used is None else f"{state.gpu_used / MIB:,.0f} MiB (NVML)"
    lines.append(f"{'GPU memory':<26}{gpu:>12}")
    return "\n".join(lines)


def meta_text(state: RunState) -> str:
    """What applies to the run: a model's facts for a bench, the command for any program."""
    meta = state.meta
    if state.kind != "bench":
        command = " ".join(map(str, meta.get("command") or [])) or None
        rows = [("run", state.run_id), ("status", f"{state.status}: {state.cause or ''}"),
                ("command", command), ("pid", meta.get("pid")),
                ("last output", meta.get("last_output")),
                ("engine host", meta.get("engine_host")), ("file", state.path),
                ("processes", shared_pages_note(state.max_nproc))]
        return "\n".join(f"{k:<20}{shown(v)}" for k, v in rows if v)
    versions = ", ".join(f"{k} {v}" for k, v in (meta.get("versions") or {}).items() if v)
    rows = [("run", state.run_id), ("status", f"{state.status}: {state.cause or ''}"),
            ("weights", f"{meta.get('weights', '?')} ({meta.get('weights_note', '')})"),
            ("versions", versions), ("devices", ", ".join(map(str, meta.get("devices") or []))),
            ("foreign frameworks", ", ".join(state.foreign) or "none"),
            ("host", f"{meta.get('host', '?')} · {meta.get('cpu', '?')} · "
                     f"{(meta.get('mem_total') or 0) / 1024**3:.1f} GiB"),
            ("python", meta.get("python")), ("file", state.path),
            ("processes", shared_pages_note(state.max_nproc))]
    return "\n".join(f"{k:<20}{shown(v)}" for k, v in rows if v)


class DetailScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, state: RunState, ascii: bool = False) -> None:
        super().__init__()
        self.state = state
        self.ascii = ascii
        self._drawn = -1

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield PlotextPlot(id="detail-chart")
            yield Static("Stages", classes="section-title")
            yield DataTable(id="stages", cursor_type="row", zebra_stripes=True)
            yield Static("Summary", classes="section-title")
            yield Static(id="summary")
            yield Static("Session", classes="section-title")
            yield Static(id="meta")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = shown(f"memtop · {self.state.backend} · {self.state.model}", 200)
        self.query_one(DataTable).add_columns(*(header for header, _, _ in STAGE_COLUMNS))
        self.redraw()
        self.set_interval(REDRAW_EVERY_S, self.redraw)

    def redraw(self) -> None:
        state = self.state
        if state.version == self._drawn:
            return
        self._drawn = state.version
        self._draw_chart()
        table = self.query_one(DataTable)
        table.clear()
        table.add_rows(stage_table_rows(state.stages))
        self.query_one("#summary", Static).update(data(summary_text(state), 4000, lines=True))
        self.query_one("#meta", Static).update(data(meta_text(state), 4000, lines=True))

    def _draw_chart(self) -> None:
        state = self.state
        plot = self.query_one(PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        start = state.t_start or 0.0
        if self.ascii:
            plt.theme("clear")
        history = state.rss_history
        if len(history):
            plt.plot([t - start for t in history.times], [v / MIB for v in history.values],
                     label="RSS MiB", marker="dot" if self.ascii else "braille")
        swap = state.swap_history
        if len(swap) and swap.max():
            plt.plot([t - start for t in swap.times], [v / MIB for v in swap.values],
                     label="swap MiB", marker="dot" if self.ascii else "braille")
        for stage in state.stages:
            plt.vline(stage["t"] - start)
        plt.title("RSS over time (s); vertical lines: stage boundaries")
        plt.xlabel("seconds")
        plot.refresh()
