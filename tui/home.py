"""The home screen: the runs browser (replay, mark two and diff) and a form for a new benchmark."""

from __future__ import annotations

import datetime
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Checkbox, DataTable, Footer, Header, Input, Select, Static

from memtop.engine.backends import installed_backends
from memtop.engine.errors import UserError
from memtop.engine.report import fmt, run_summary
from memtop.engine.store import list_run_files, read_run


class HomeScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "replay", "Replay"),
        Binding("space", "mark", "Mark"),
        Binding("d", "diff", "Diff marked"),
        Binding("n", "new_bench", "New bench"),
        Binding("r", "reload", "Reload"),
    ]

    def __init__(self, runs_dir: str) -> None:
        super().__init__()
        self.runs_dir = runs_dir
        self.marked: list[str] = []
        self.paths: list[str] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Static(f"Runs in {self.runs_dir}", classes="section-title")
            yield DataTable(id="home-runs", cursor_type="row", zebra_stripes=True)
            with Vertical(id="new-bench"):
                yield Static("New benchmark", classes="section-title")
                with Horizontal():
                    yield Input(",".join(installed_backends()), id="bench-backends",
                                placeholder="backends: tensorflow,torch,jax,openvino")
                    yield Input("gpt2_medium_en", id="bench-model",
                                placeholder="preset name or directory")
                with Horizontal():
                    yield Select([(w, w) for w in ("auto", "random", "preset")], value="auto",
                                 allow_blank=False, id="bench-weights")
                    yield Checkbox("isolate", id="bench-isolate")
                    yield Button("Start", id="bench-start", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "memtop"
        table = self.query_one(DataTable)
        table.add_columns(" ", "Run id", "Started", "Backend", "Model", "Weights", "Status",
                          "Peak MB")
        self.action_reload()
        table.focus()

    def action_reload(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self.paths = []
        for path in list_run_files(self.runs_dir):
            try:
                run = read_run(path)
            except UserError as exc:
                table.add_row(" ", path, "-", "-", "-", "-", "unreadable", str(exc)[-30:])
                self.paths.append("")
                continue
            meta = run.meta
            started = meta.get("started_wall")
            when = datetime.datetime.fromtimestamp(started).strftime("%m-%d %H:%M") \
                if started else "-"
            table.add_row("*" if path in self.marked else " ", run.run_id, when,
                          meta.get("backend", "?"), meta.get("model", "?"),
                          meta.get("weights", "?"), meta.get("status", "?"),
                          fmt(run_summary(run).get("peak_mb"), ",.0f"))
            self.paths.append(path)
            run.close()

    def _selected(self) -> str | None:
        table = self.query_one(DataTable)
        if not self.paths or table.cursor_row >= len(self.paths):
            return None
        return self.paths[table.cursor_row] or None

    def action_mark(self) -> None:
        path = self._selected()
        if path is None:
            return
        if path in self.marked:
            self.marked.remove(path)
        else:
            self.marked = [*self.marked[-1:], path]  # at most two marked: the last two
        row = self.query_one(DataTable).cursor_row
        self.action_reload()
        self.query_one(DataTable).move_cursor(row=row)

    def action_replay(self) -> None:
        path = self._selected()
        if path is not None:
            self.app.open_replay([path])

    def action_diff(self) -> None:
        if len(self.marked) != 2:
            self.notify("mark two runs with space, then press d", severity="warning")
            return
        self.app.open_diff(*self.marked)

    def action_new_bench(self) -> None:
        self.query_one("#bench-backends", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "bench-start":
            return
        self.app.start_bench(
            backends=self.query_one("#bench-backends", Input).value,
            model=self.query_one("#bench-model", Input).value.strip(),
            weights=str(self.query_one("#bench-weights", Select).value),
            isolate=self.query_one("#bench-isolate", Checkbox).value)
