"""The engines tab's table: the memtop engines running now (in another terminal, or left
running), what they run and who watches; enter attaches to one, as `memtop attach-engine`."""

from __future__ import annotations

from collections.abc import Sequence

from textual.widgets import DataTable

from memtop.engine.client import EngineLine

from ..render import data

COLUMNS = ("Engine PID", "Up", "Runs", "Watching", "Now")


class EngineList(DataTable):
    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.pids: list[int] = []

    def on_mount(self) -> None:
        self.add_columns(*COLUMNS)

    def update_engines(self, lines: Sequence[EngineLine]) -> None:
        row = self.cursor_row
        self.clear()
        self.pids = [line.pid for line in lines]
        for line in lines:
            self.add_row(str(line.pid), line.up, line.runs, str(line.watching), data(line.now, 60))
        if self.pids:
            self.move_cursor(row=min(row, len(self.pids) - 1))

    def selected_pid(self) -> int | None:
        if not self.pids or self.cursor_row >= len(self.pids):
            return None
        return self.pids[self.cursor_row]
