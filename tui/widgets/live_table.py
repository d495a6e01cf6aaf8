"""The seeds' comparison table, live, under the dashboard's cards: a row per run with the
columns of the table `memtop bench` prints at its end (engine/report/comparison.py), cells
filling in as stages complete, the best value of each figure in bold (and marked * in ASCII).
Like the printed table, it leaves out its least important columns where the screen is narrow."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.widgets import DataTable

from memtop.engine.client import RunState
from memtop.engine.report.comparison import (
    COMPARISON,
    TEXT_KEYS,
    best_columns,
    comparison_cells,
    comparison_row,
)
from memtop.engine.report.fit import FittedTable
from memtop.engine.report.tables import COMPARISON_COLUMNS
from memtop.engine.text import shown

REDRAW_EVERY_S = 1.0


class LiveTable(DataTable):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"live-table--best"}
    DEFAULT_CSS = """
    LiveTable { height: auto; max-height: 12; }
    LiveTable > .live-table--best { color: $success; text-style: bold; }
    """

    def __init__(self, ascii: bool = False, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="none", zebra_stripes=True, show_cursor=False)
        self.ascii = ascii
        self.shown_keys: list[str] = []
        self._drawn: tuple = ()
        self._drawn_at = 0.0

    def on_resize(self) -> None:
        self._drawn = ()  # another width may show other columns

    def show_runs(self, runs: Sequence[RunState]) -> None:
        """Redraws the rows when a run has changed since the last time: at once when a stage
        ended or a run started or ended (its figures are the table's), else at most once a
        second (only the sampled maximum moves between stages)."""
        milestones = (self.size.width, *((id(r), r.status, len(r.stages)) for r in runs))
        drawn = (milestones, *(r.version for r in runs))
        now = time.monotonic()
        if drawn == self._drawn or (self._drawn and milestones == self._drawn[0] and
                                    now - self._drawn_at < REDRAW_EVERY_S):
            return
        self._drawn, self._drawn_at = drawn, now
        rows = [comparison_row(r.title_name, r.weights, r.summary, r.sampled_max or None,
                               r.foreign) for r in runs]
        best = best_columns(rows)
        style = self.get_component_rich_style("live-table--best")
        cells = []
        for row in rows:
            line = []
            for (_, key, _, _), text in zip(COMPARISON, comparison_cells(row), strict=True):
                is_best = key in best and row.get(key) == best[key]
                line.append(Text(shown(text, 60) + ("*" if is_best and self.ascii else ""),
                                 style=style if is_best else "",
                                 justify="left" if key in TEXT_KEYS else "right"))
            cells.append(line)
        fitted = FittedTable(COMPARISON_COLUMNS)
        for line in cells:
            fitted.add_row(*line)
        columns = fitted.layout(self.size.width or 80, pack=False)[0]
        keys = [COMPARISON[i][1] for i in columns]
        if keys != self.shown_keys:
            self.shown_keys = keys
            self.clear(columns=True)
            for i in columns:
                self.add_column(COMPARISON[i][0], key=COMPARISON[i][1])
        else:
            self.clear()
        for line in cells:
            self.add_row(*(line[i] for i in columns))
