"""The home screen: recorded runs (replay, mark two and diff), running processes (attach, like
top), a form for a new benchmark, and the running engines (watch one), on four tabs."""

from __future__ import annotations

import datetime
import os
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Header,
    Input,
    Label,
    Select,
    Static,
    TabbedContent,
    TabPane,
)
from textual.worker import get_current_worker

from memtop.engine.backends import installed_backends
from memtop.engine.client import engine_line, running_engines
from memtop.engine.errors import UserError
from memtop.engine.probes.processes import list_processes
from memtop.engine.spec import is_program
from memtop.engine.store import Listed, list_run_files, listed_runs
from memtop.engine.units import fmt

from ..messages import (
    Attach,
    AttachEngine,
    EnginesListed,
    OpenDiff,
    OpenReplay,
    ProcessesListed,
    RunRow,
    RunsListed,
    StartBench,
)
from ..render import data
from ..widgets.engine_list import EngineList
from ..widgets.footer import KeyFooter
from ..widgets.process_list import ProcessList

PROCESSES_EVERY_S = 2.0
RUNS_PER_MESSAGE = 20  # the list fills as it is read, a screenful at a time


RUN_COLUMNS = (" ", "Started", "Status", "Peak MiB", "Backend / name", "Kind", "Model",
               "Weights", "Run id")


def run_row(listed: Listed, marked: bool) -> RunRow:
    """A run file as a line of the list (store.listing); one that cannot be read says why."""
    fields = listed.fields
    if fields is None:
        return RunRow("", (" ", "-", "unreadable", "-", str(listed.problem)[-40:], "-", "-",
                           "-", os.path.basename(listed.path)))
    started = fields.get("started_wall")
    when = datetime.datetime.fromtimestamp(started).strftime("%m-%d %H:%M") if started else "-"
    program = is_program(fields)  # a command: named by it, no model
    # What a user scans for first (when, how it ended, its peak, what it was), then what they
    # know already: at 80 columns the first five fit (the rest: → scrolls).
    return RunRow(listed.path, ("*" if marked else " ", when, fields["status"],
                                fmt(fields.get("peak_mb"), ",.0f"),
                                fields["title"] if program else fields["backend"] or "-",
                                fields["kind"], "-" if program else fields["model"] or "?",
                                "-" if program else fields["weights"] or "?", fields["run_id"]))


class HomeScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "tab('runs')", "Runs"),
        Binding("2", "tab('processes')", "Processes"),
        Binding("3,n", "tab('new')", "New bench"),
        Binding("4", "tab('engines')", "Engines"),
        Binding("space", "mark", "Mark", show=False),
        Binding("c", "sort('cpu')", "Sort by CPU", show=False),
        Binding("m", "sort('rss')", "Sort by memory", show=False),
        Binding("p", "sort('pid')", "Sort by PID", show=False),
        Binding("d", "diff", "Diff marked", show=False),
        Binding("slash", "filter", "Filter", show=False),
        Binding("r", "reload", "Reload", show=False),
        Binding("escape", "leave", "Back", show=False),
    ]

    def __init__(self, runs_dir: str) -> None:
        super().__init__()
        self.runs_dir = runs_dir
        self.marked: list[str] = []
        self.paths: list[str] = []
        self.listed_once = False
        self._cursor_after_load = 0

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="runs"):
            with TabPane("1 Runs", id="runs"):
                yield Static(f"Runs in {self.runs_dir}: enter replay · space mark · d compare "
                             "the marked (the first marked is the baseline) · r reload",
                             classes="section-title")
                yield DataTable(id="home-runs", cursor_type="row", zebra_stripes=True)
            with TabPane("2 Processes", id="processes"):
                yield Input(placeholder="/ filter by name, command or user", id="proc-filter")
                yield ProcessList(id="home-processes")
            with TabPane("3 New benchmark", id="new"), Vertical(id="new-bench"):
                yield Static("esc: back to the runs · tab: next field", classes="form-hint")
                with Horizontal():
                    with Vertical():
                        yield Label("Backends (comma-separated)", classes="form-label")
                        yield Input(",".join(installed_backends()), id="bench-backends",
                                    placeholder="tensorflow,torch,jax,openvino")
                    with Vertical():
                        yield Label("Model: a keras-hub preset or a preset folder",
                                    classes="form-label")
                        yield Input("gpt2_medium_en", id="bench-model",
                                    placeholder="preset name or directory")
                with Horizontal():
                    with Vertical():
                        yield Label("Weights", classes="form-label")
                        yield Select([(w, w) for w in ("auto", "random", "preset")],
                                     value="auto", allow_blank=False, id="bench-weights")
                    yield Checkbox("isolate (keep other frameworks out)", id="bench-isolate")
                    yield Button("Start", id="bench-start", variant="primary")
            with TabPane("4 Engines", id="engines"):
                yield Static("Engines running runs, here or left running: enter watches one "
                             "(as memtop attach-engine)", classes="section-title")
                yield EngineList(id="home-engines")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "memtop"
        runs = self.query_one("#home-runs", DataTable)
        runs.add_columns(*RUN_COLUMNS)
        self.action_reload()
        self.refresh_processes()
        self.set_interval(PROCESSES_EVERY_S, self.refresh_processes)
        runs.focus()

    # ---- runs: read by a thread worker, shown as they come ----------------------------------

    def action_reload(self) -> None:
        self.list_runs(list(self.marked))

    @work(thread=True, exclusive=True, group="runs", exit_on_error=False,
          description="reading the run files")
    def list_runs(self, marked: list[str]) -> None:
        worker = get_current_worker()
        try:
            paths = list_run_files(self.runs_dir)
        except UserError:
            paths = []  # no runs yet: the list is empty (the new-bench tab makes the folder)
        rows: list[RunRow] = []
        first = True
        for listed in listed_runs(self.runs_dir, paths):
            if worker.is_cancelled:
                return
            rows.append(run_row(listed, listed.path in marked))
            if len(rows) == RUNS_PER_MESSAGE:
                self.post_message(RunsListed(rows, first=first, last=False))
                rows, first = [], False
        self.post_message(RunsListed(rows, first=first, last=True))

    def on_runs_listed(self, listed: RunsListed) -> None:
        table = self.query_one("#home-runs", DataTable)
        if listed.first:
            row = table.cursor_row
            table.clear()
            self.paths = []
            self._cursor_after_load = row
        for item in listed.rows:
            table.add_row(*(data(cell, 80) for cell in item.cells))
            self.paths.append(item.path)
        if listed.last and self._cursor_after_load:
            table.move_cursor(row=min(self._cursor_after_load, max(len(self.paths) - 1, 0)))

    def _selected_run(self) -> str | None:
        table = self.query_one("#home-runs", DataTable)
        if not self.paths or table.cursor_row >= len(self.paths):
            return None
        return self.paths[table.cursor_row] or None

    def action_mark(self) -> None:
        path = self._selected_run()
        if path is None or self._tab() != "runs":
            return
        if path in self.marked:
            self.marked.remove(path)
        else:
            self.marked = [*self.marked, path]  # in the order marked: the first is the baseline
        table = self.query_one("#home-runs", DataTable)
        for row, other in enumerate(self.paths):
            if other:
                table.update_cell_at(Coordinate(row, 0), "*" if other in self.marked else " ")

    def action_diff(self) -> None:
        if len(self.marked) < 2:
            self.notify("mark two runs or more with space, then press d", severity="warning")
            return
        self.post_message(OpenDiff(list(self.marked)))

    # ---- processes --------------------------------------------------------------------------

    def refresh_processes(self) -> None:
        if self._tab() == "engines":
            self.ask_engines()
        if self._tab() != "processes" and self.listed_once:
            return  # only the visible list is kept fresh
        self.scan_processes()

    @work(thread=True, exclusive=True, group="engines", exit_on_error=False,
          description="asking the running engines")
    def ask_engines(self) -> None:
        self.post_message(EnginesListed([engine_line(a, s) for a, s in running_engines()]))

    def on_engines_listed(self, listed: EnginesListed) -> None:
        self.query_one(EngineList).update_engines(listed.lines)

    @work(thread=True, exclusive=True, group="processes", exit_on_error=False,
          description="scanning /proc")
    def scan_processes(self) -> None:
        self.post_message(ProcessesListed(list_processes()))

    def on_processes_listed(self, listed: ProcessesListed) -> None:
        self.listed_once = True
        self.query_one(ProcessList).update_processes(listed.processes,
                                                     draw=self._tab() == "processes")

    def action_sort(self, by: str) -> None:
        if self._tab() == "processes":
            self.query_one(ProcessList).sort_processes(by)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "proc-filter":
            self.query_one(ProcessList).show(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "proc-filter":
            self.query_one("#home-processes", DataTable).focus()

    def action_filter(self) -> None:
        self.action_tab("processes")
        self.query_one("#proc-filter", Input).focus()

    # ---- shared -----------------------------------------------------------------------------

    def _tab(self) -> str:
        return self.query_one(TabbedContent).active

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        focus = {"runs": "#home-runs", "processes": "#home-processes",
                 "new": "#bench-backends", "engines": "#home-engines"}[tab]
        if tab == "engines":
            self.ask_engines()
        if tab == "processes":
            self.refresh_processes()
            # The last scan, drawn once the tab has switched: the key answers first.
            self.call_after_refresh(self.query_one(ProcessList).show)
        self.query_one(focus).focus()

    def action_leave(self) -> None:
        """esc: out of a field: the filter back to its list, the form back to the runs."""
        self.action_tab("processes" if self._tab() == "processes" else "runs")

    def action_open(self) -> None:
        tab = self._tab()
        if tab == "runs":
            path = self._selected_run()
            if path is not None:
                self.post_message(OpenReplay([path]))
        elif tab == "processes":
            pid = self.query_one(ProcessList).selected_pid()
            if pid is not None:
                self.post_message(Attach(pid))
        elif tab == "engines":
            pid = self.query_one(EngineList).selected_pid()
            if pid is not None:
                self.post_message(AttachEngine(pid))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.action_open()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "bench-start":
            return
        self.post_message(StartBench(
            backends=self.query_one("#bench-backends", Input).value,
            model=self.query_one("#bench-model", Input).value.strip(),
            weights=str(self.query_one("#bench-weights", Select).value),
            isolate=self.query_one("#bench-isolate", Checkbox).value))
