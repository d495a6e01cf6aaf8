"""The processes tab's table, like top's: PID, user, CPU %, RSS and command, sorted by a key
(c CPU, m memory, p PID) or by a click on a column's header; a filter keeps matching rows."""

from __future__ import annotations

import time
from collections.abc import Sequence

from textual.widgets import DataTable

from memtop.engine.probes.processes import ProcessInfo, cpu_percent
from memtop.engine.units import fmt_mib

from ..render import data

COLUMNS = ("PID", "User", "CPU %", "RSS MiB", "Command")
SORT_OF_COLUMN = {"PID": "pid", "CPU %": "cpu", "RSS MiB": "rss"}
LARGEST_FIRST = {"pid": False, "cpu": True, "rss": True}


class ProcessList(DataTable):
    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.sort_by = "rss"
        self.pids: list[int] = []
        self.processes: list[ProcessInfo] = []
        self.cpu: dict[int, float | None] = {}
        self._scanned_at: float | None = None
        self._filter = ""

    def on_mount(self) -> None:
        for header in COLUMNS:
            self.add_column(self._header(header), key=header)

    def _header(self, header: str) -> str:
        if SORT_OF_COLUMN.get(header) != self.sort_by:
            return header
        return f"{header} {'▼' if LARGEST_FIRST[self.sort_by] else '▲'}"

    def update_processes(self, processes: Sequence[ProcessInfo], draw: bool = True) -> None:
        """A new scan: CPU % from the time each process used since the last one. Filling the
        table costs the event loop about a millisecond a row, so a hidden list is drawn only
        when it is shown (`show`)."""
        now = time.monotonic()
        seconds = now - self._scanned_at if self._scanned_at is not None else 0.0
        before = {p.pid: p for p in self.processes}
        self.cpu = {p.pid: cpu_percent(before.get(p.pid), p, seconds) for p in processes}
        self.processes = list(processes)
        self._scanned_at = now
        if draw:
            self.show()

    def sort_processes(self, by: str) -> None:
        self.sort_by = by
        for header in COLUMNS:
            self.columns[header].label = self._header(header)  # type: ignore[index]
        self.show()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        by = SORT_OF_COLUMN.get(str(event.column_key.value))
        if by is not None:
            event.stop()
            self.sort_processes(by)

    def show(self, filter: str | None = None) -> None:
        """Redraws the rows (keeping the selected process selected)."""
        if filter is not None:
            self._filter = filter.strip().lower()
        selected = self.pids[self.cursor_row] if self.pids and \
            self.cursor_row < len(self.pids) else None
        rows = [p for p in self.processes
                if not self._filter or self._filter in
                f"{p.pid} {p.user} {p.name} {p.command}".lower()]
        key = {"pid": lambda p: p.pid, "rss": lambda p: p.rss,
               "cpu": lambda p: self.cpu.get(p.pid) or 0.0}[self.sort_by]
        rows.sort(key=key, reverse=LARGEST_FIRST[self.sort_by])
        self.clear()
        self.pids = []
        for proc in rows:
            cpu = self.cpu.get(proc.pid)
            self.add_row(str(proc.pid), data(proc.user, 20),
                         "-" if cpu is None else f"{cpu:.1f}", fmt_mib(proc.rss),
                         data(proc.command, 200))  # a command line is anyone's text
            self.pids.append(proc.pid)
        if selected in self.pids:
            self.move_cursor(row=self.pids.index(selected))

    def selected_pid(self) -> int | None:
        if self.pids and self.cursor_row < len(self.pids):
            return self.pids[self.cursor_row]
        return None
