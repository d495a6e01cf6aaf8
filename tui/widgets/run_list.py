"""The home screen's list of recorded runs: read by a thread worker and shown as it comes (a
screenful at a time), marked with space in the order marked (the first is a diff's baseline)."""

from __future__ import annotations

import datetime
import os
from typing import Any

from textual import work
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.worker import get_current_worker

from memtop.engine.errors import UserError
from memtop.engine.spec import is_program
from memtop.engine.store import Listed, list_run_files, listed_runs
from memtop.engine.units import fmt

from ..messages import RunRow, RunsListed
from ..render import data

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


class RunList(DataTable):
    def __init__(self, runs_dir: str, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.runs_dir = runs_dir
        self.marked: list[str] = []
        self.paths: list[str] = []
        self._cursor_after_load = 0

    def on_mount(self) -> None:
        self.add_columns(*RUN_COLUMNS)
        self.reload()

    def reload(self) -> None:
        self._list_runs(list(self.marked))

    @work(thread=True, exclusive=True, group="runs", exit_on_error=False,
          description="reading the run files")
    def _list_runs(self, marked: list[str]) -> None:
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
        listed.stop()
        if listed.first:
            row = self.cursor_row
            self.clear()
            self.paths = []
            self._cursor_after_load = row
        for item in listed.rows:
            self.add_row(*(data(cell, 80) for cell in item.cells))
            self.paths.append(item.path)
        if listed.last and self._cursor_after_load:
            self.move_cursor(row=min(self._cursor_after_load, max(len(self.paths) - 1, 0)))

    def selected(self) -> str | None:
        if not self.paths or self.cursor_row >= len(self.paths):
            return None
        return self.paths[self.cursor_row] or None

    def toggle_mark(self) -> None:
        path = self.selected()
        if path is None:
            return
        if path in self.marked:
            self.marked.remove(path)
        else:
            self.marked = [*self.marked, path]  # in the order marked: the first is the baseline
        for row, other in enumerate(self.paths):
            if other:
                self.update_cell_at(Coordinate(row, 0), "*" if other in self.marked else " ")
