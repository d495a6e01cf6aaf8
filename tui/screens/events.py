"""The event log: every alarm and run end, and any problem found at start (a broken theme)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Header

from memtop.engine.client import RunBoard

from ..render import data
from ..widgets.footer import KeyFooter


class EventsScreen(Screen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, alarms: list[dict], board: RunBoard, startup: list[str]) -> None:
        super().__init__()
        self.alarms, self.board, self.startup = alarms, board, startup

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="events", zebra_stripes=True, cursor_type="row")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "memtop · events"
        table = self.query_one(DataTable)
        table.add_columns("at", "run", "level", "what")
        for line in self.startup:
            table.add_row("start", "-", "error", data(line))
        for alarm in self.alarms:
            state = next((r for r in self.board.runs if r.run_id == alarm.get("run")), None)
            at = alarm["t"] - state.t_start if state and state.t_start is not None else 0.0
            table.add_row(f"{at:7.1f}s", data(state.title_name if state else "?", 40),
                          data(alarm["level"], 10), data(alarm["message"]))
        if not self.startup and not self.alarms:
            table.add_row("-", "-", "-", "no events")
