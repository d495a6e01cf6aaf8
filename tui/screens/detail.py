"""A run in full: RSS and swap over time with stage marks, stage table, summary, metadata."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from memtop.engine.analysis.stage_fold import fold_rows
from memtop.engine.analysis.stage_rows import table_rows
from memtop.engine.client import RunState, TimeWindow
from memtop.engine.errors import UserError
from memtop.engine.report.allocations import allocations_json
from memtop.engine.report.columns import (
    DETAIL_STAGE_COLUMNS,
    OTHER_PROGRAM_LINES,
    cell,
    program_lines,
    shared_pages_note,
    summary_lines,
    task_text,
)
from memtop.engine.report.groups import where_text
from memtop.engine.store import read_run
from memtop.engine.text import shown
from memtop.engine.units import MIB, fmt

from ..messages import LoadFailed, SitesRead
from ..render import data
from ..widgets.detail_chart import DetailChart
from ..widgets.footer import KeyFooter

REDRAW_EVERY_S = 0.5


def detail_rows(stages: list[dict[str, Any]],
                unfolded: frozenset[str] | set[str] = frozenset()) -> list[dict[str, Any]]:
    """The stage table's rows: repeated stages folded (their worst occurrence), but for the
    groups the user unfolded (`enter`)."""
    return fold_rows(table_rows(stages), unfolded)


def stage_table_rows(rows: list[dict[str, Any]]) -> list[tuple[Text, ...]]:
    return [tuple(data(cell(row, key, spec)) for _, key, spec in DETAIL_STAGE_COLUMNS)
            for row in rows]


def where_line(row: dict[str, Any]) -> str:
    """"first_inference +52.9 MiB: anonymous +19.9, file-backed +31.1 · libopenvino….so +19.3"."""
    if row.get("rss_change_mb") is None:
        return f"{row['name']}: the first reading (changes are from the stage before)"
    kinds = f"anonymous {fmt(row.get('anon_change_mb'), '+,.1f')}, file-backed " \
            f"{fmt(row.get('file_change_mb'), '+,.1f')}"
    where = where_text(row, count=5)
    heap = ""
    if row.get("heap_in_use_mb") is not None:
        heap = f" · glibc heap {row['heap_in_use_mb']:,.1f} in use, " \
               f"{row['heap_free_mb']:,.1f} held free"
        if row.get("trimmed_mb") is not None:
            heap += f", {row['trimmed_mb']:,.1f} trimmed"
    return f"{row['name']} {fmt(row.get('rss_change_mb'), '+,.1f')} MiB: {kinds}" + \
        (f" · {where}" if where != "-" else "") + heap


def summary_text(state: RunState) -> str:
    """The seeds' figures for a bench; for a program's run only what applies to a program:
    its peak, swap, wall time, RSS change, stages and exit code."""
    summary = state.summary
    lines = [f"{label:<26}{fmt(summary.get(key), spec):>12}"
             for key, label, spec in summary_lines(summary)
             if state.kind == "bench" or key in OTHER_PROGRAM_LINES]
    if state.program is not None:
        lines += [f"{label:<26}{shown(value):>12}" for label, value in program_lines(state.program)]
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
                ("engine host", meta.get("engine_host")), ("cluster node", _node(meta)),
                ("readings", readings_text(meta)),
                ("file", state.path), ("processes", shared_pages_note(state.max_nproc))]
        return "\n".join(f"{k:<20}{shown(v)}" for k, v in rows if v)
    versions = ", ".join(f"{k} {v}" for k, v in (meta.get("versions") or {}).items() if v)
    rows = [("run", state.run_id), ("status", f"{state.status}: {state.cause or ''}"),
            ("weights", f"{meta.get('weights', '?')} ({meta.get('weights_note', '')})"),
            ("task", task_text(meta) if meta.get("task") else None),
            ("versions", versions), ("devices", ", ".join(map(str, meta.get("devices") or []))),
            ("foreign frameworks", ", ".join(state.foreign) or "none"),
            ("host", f"{meta.get('host', '?')} · {meta.get('cpu', '?')} · "
                     f"{(meta.get('mem_total') or 0) / 1024**3:.1f} GiB"),
            ("cluster node", _node(meta)), ("python", meta.get("python")),
            ("readings", readings_text(meta)), ("file", state.path),
            ("processes", shared_pages_note(state.max_nproc))]
    return "\n".join(f"{k:<20}{shown(v)}" for k, v in rows if v)


def readings_text(meta: dict) -> str | None:
    """What each reading is: its interval's maximum, or (and why) the RSS at its moment."""
    readings, every = meta.get("readings"), meta.get("interval_ms")
    if not isinstance(readings, dict):
        return None  # a run from before schema 4: point samples, unsaid
    kind = "each the maximum since the one before" if readings.get("kind") == \
        "interval maxima" else f"point samples ({readings.get('why')})"
    return f"every {every} ms, {kind}" if every else kind


def _node(meta: dict) -> str | None:
    where = meta.get("cluster")
    if not isinstance(where, dict):
        return None
    return " · ".join(str(where.get(k, "?")) for k in ("ray_node_id", "node_ip", "accelerator"))


class DetailScreen(Screen):
    """The chart shows the whole run, or a window of it read from the run file at the
    resolution of the chart's columns: `+`/`-` zoom around the middle, `←`/`→` pan, `0` back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("plus,equals_sign", "zoom(1)", "Zoom in"),
        Binding("minus", "zoom(-1)", "Zoom out"),
        # Ahead of the stage table's own left/right, while zoomed only (check_action).
        Binding("left", "pan(-1)", "Earlier", priority=True),
        Binding("right", "pan(1)", "Later", priority=True),
        Binding("0", "whole", "Whole run"),
        Binding("a", "allocations", "Allocations"),  # a run made with --allocations
        # The highlighted stage, wherever the focus is (the stage table's own enter: the same).
        Binding("enter", "toggle_fold", "Unfold"),
    ]

    def __init__(self, state: RunState, ascii: bool = False) -> None:
        super().__init__()
        self.state = state
        self.ascii = ascii
        self._drawn = -1
        self._rows: list[dict[str, Any]] = []  # the stage table's rows, in its order
        self._unfolded: set[str] = set()  # repeated stages shown one row each (`enter`)
        self._sites: dict[str, dict[str, Any]] | None = None  # `a`: allocation sites by stage

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield DetailChart(self.state, self.ascii, id="detail-chart")
            yield Static("Stages", classes="section-title")
            yield DataTable(id="stages", cursor_type="row", zebra_stripes=True)
            yield Static(id="where")
            yield Static("Summary", classes="section-title")
            yield Static(id="summary")
            yield Static("Session", classes="section-title")
            yield Static(id="meta")
        yield KeyFooter()

    def on_mount(self) -> None:
        state = self.state  # a bench run: its backend (and node) and model; a program: its name
        self.title = shown(f"memtop · {state.title_name}"
                           + (f" · {state.model}" if state.kind == "bench" else ""), 200)
        self.query_one(DataTable).add_columns(*(header for header, _, _ in DETAIL_STAGE_COLUMNS))
        self.redraw()
        self.set_interval(REDRAW_EVERY_S, self.redraw)

    # ---- the window in time -------------------------------------------------------------

    @property
    def chart(self) -> DetailChart:
        return self.query_one(DetailChart)

    @property
    def window(self) -> TimeWindow:
        return self.chart.window

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "allocations":
            return bool(self.state.meta.get("allocations")) and self._sites is None
        if action in ("pan", "whole"):
            return not self.window.whole  # else the keys go on to the stage table
        if action == "zoom" and parameters and parameters[0] == -1:
            return not self.window.whole  # the whole run is as far out as it goes
        if action == "toggle_fold":  # only where something repeats
            return any(row.get("count", 1) > 1 or row.get("group") in self._unfolded
                       for row in self._rows)
        return True

    def move(self, window: TimeWindow) -> None:
        self.chart.show(window)
        self.refresh_bindings()

    def action_zoom(self, direction: int) -> None:
        start, end = self.chart.span()
        window = self.window.over(start, end)
        self.move(window.zoom_in(start, end) if direction > 0 else window.zoom_out(start, end))

    def action_pan(self, direction: int) -> None:
        start, end = self.chart.span()
        self.move(self.window.over(start, end).pan(direction, start, end))

    def action_whole(self) -> None:
        self.move(TimeWindow(0.0, 0.0))

    def redraw(self) -> None:
        state = self.state
        if state.version == self._drawn:
            return
        self._drawn = state.version
        self.chart.draw()
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        first = not self._rows
        repeats = any(row.get("count", 1) > 1 for row in self._rows)
        self._rows = detail_rows(state.stages, self._unfolded)
        table.add_rows(stage_table_rows(self._rows))
        if repeats != any(row.get("count", 1) > 1 for row in self._rows):
            self.refresh_bindings()  # `enter` Unfold in the footer where something repeats
        if first and self._rows:  # at first the stage that grew most: where did it go?
            row = max(range(len(self._rows)),
                      key=lambda i: abs(self._rows[i].get("rss_change_mb") or 0.0))
        if self._rows:
            table.move_cursor(row=min(row, len(self._rows) - 1))
        self._show_where(table.cursor_row)
        self.query_one("#summary", Static).update(data(summary_text(state), 4000, lines=True))
        self.query_one("#meta", Static).update(data(meta_text(state), 4000, lines=True))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_where(event.cursor_row)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self._toggle_fold(event.cursor_row)

    def action_toggle_fold(self) -> None:
        self._toggle_fold(self.query_one(DataTable).cursor_row)

    def _toggle_fold(self, index: int) -> None:
        """`enter` on a repeated stage: one row per occurrence, or folded again."""
        row = self._rows[index] if 0 <= index < len(self._rows) else None
        if row is None:
            return
        group = row.get("group", "")
        if group in self._unfolded:
            self._unfolded.discard(group)
        elif row.get("count", 1) > 1:
            self._unfolded.add(group)
        else:
            return
        self._drawn = -1
        self.redraw()

    def _show_where(self, index: int) -> None:
        """The highlighted stage: its change by kind and the mapping groups that changed most;
        after `a`, the functions that allocated it."""
        row = self._rows[index] if 0 <= index < len(self._rows) else None
        text = where_line(row) if row else ""
        found = (self._sites or {}).get(row["key"]) if row else None
        if found:
            text += "\nallocated here: " + " · ".join(
                f"{site['function']} {site['mib']:,.1f}" for site in found["sites"]) + \
                f" (memray's heap {found['tracked_mb']:,.1f} MiB)"
        self.query_one("#where", Static).update(data(text, 1200, lines=True))

    def action_allocations(self) -> None:
        self.notify("reading the allocation capture…", timeout=3)
        self._read_sites()

    @work(thread=True, exclusive=True, exit_on_error=False, description="reading allocations")
    def _read_sites(self) -> None:
        try:
            found = allocations_json(read_run(self.state.path))
        except UserError as exc:
            self.post_message(LoadFailed(str(exc)))
            return
        self.post_message(SitesRead({f["stage"]: f for f in found}))

    def on_sites_read(self, read: SitesRead) -> None:
        self._sites = read.sites
        self.refresh_bindings()
        self._show_where(self.query_one(DataTable).cursor_row)
