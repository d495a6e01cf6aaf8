"""The event log: every alarm and run end, every marker set from outside (`m`), and any problem
found at start (a broken theme), in time order."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Header

from memtop.engine.client import RunBoard
from memtop.engine.units import fmt_mib

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
        states = {state.run_id: state for state in self.board.runs if state.run_id}
        entries = [(alarm["t"], states.get(alarm.get("run")), alarm["level"], alarm["message"])
                   for alarm in self.alarms]
        for state in states.values():
            entries.extend((m["t"], state, "marker",
                            f"{m['name']}: RSS {fmt_mib(m['rss'])} MiB, swap "
                            f"{fmt_mib(m['swap'])} MiB") for m in state.markers)
        for t, state, level, message in sorted(entries, key=lambda entry: entry[0]):
            at = t - state.t_start if state and state.t_start is not None else 0.0
            table.add_row(f"{at:7.1f}s", data(state.title_name if state else "?", 40),
                          data(level, 10), data(message))
        if not self.startup and not entries:
            table.add_row("-", "-", "-", "no events")
