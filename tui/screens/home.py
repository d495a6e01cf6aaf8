"""The home screen: recorded runs (replay, mark two and diff), running processes (attach, like
top), a form for a new benchmark, and the running engines (watch one), on four tabs."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import (
    DataTable,
    Header,
    Input,
    Static,
    TabbedContent,
    TabPane,
)

from memtop.engine.client import engine_line, running_engines
from memtop.engine.probes.processes import list_processes

from ..messages import (
    Attach,
    AttachEngine,
    EnginesListed,
    OpenDiff,
    OpenReplay,
    ProcessesListed,
)
from ..widgets.bench_form import BenchForm
from ..widgets.engine_list import EngineList
from ..widgets.footer import KeyFooter
from ..widgets.process_list import ProcessList
from ..widgets.run_list import RunList

PROCESSES_EVERY_S = 2.0


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
        self.listed_once = False

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="runs"):
            with TabPane("1 Runs", id="runs"):
                yield Static(f"Runs in {self.runs_dir}: enter replay · space mark · d compare "
                             "the marked (the first marked is the baseline) · r reload",
                             classes="section-title")
                yield RunList(self.runs_dir, id="home-runs")
            with TabPane("2 Processes", id="processes"):
                yield Input(placeholder="/ filter by name, command or user", id="proc-filter")
                yield ProcessList(id="home-processes")
            with TabPane("3 New benchmark", id="new"):
                yield BenchForm(id="new-bench")
            with TabPane("4 Engines", id="engines"):
                yield Static("Engines running runs, here or left running: enter watches one "
                             "(as memtop attach-engine)", classes="section-title")
                yield EngineList(id="home-engines")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "memtop"
        self.refresh_processes()
        self.set_interval(PROCESSES_EVERY_S, self.refresh_processes)
        self.query_one(RunList).focus()

    # ---- runs (widgets/run_list.py) ------------------------------------------------------

    @property
    def marked(self) -> list[str]:
        return self.query_one(RunList).marked

    def action_reload(self) -> None:
        self.query_one(RunList).reload()

    def action_mark(self) -> None:
        if self._tab() == "runs":
            self.query_one(RunList).toggle_mark()

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
            path = self.query_one(RunList).selected()
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
