"""The seeds' comparison table, live, under the dashboard's cards: the very table `memtop bench`
prints at its end (engine/report/tables.comparison_rows_table, columns from
engine/report/comparison.py), made from the dashboard's runs: cells fill in as stages complete,
the best value of each figure stands out (marked * in ASCII), and a narrow screen leaves out the
least important columns as the printed table does.

It is drawn as one renderable and repainted (not laid out again) when its figures change, at
most once a second between stages: a table that changed its height every time would make the
whole dashboard lay out again (measured: +3 to 5% of a core).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import ClassVar

from rich.console import Console
from textual.widget import Widget

from memtop.engine.client import RunState
from memtop.engine.report.bench_tables import comparison_rows_table
from memtop.engine.report.comparison import comparison_row
from memtop.engine.report.fitted_table import FittedTable
from memtop.engine.report.run_names import row_names

REDRAW_EVERY_S = 1.0


class LiveTable(Widget):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"live-table--best"}
    DEFAULT_CSS = """
    LiveTable { height: 1; padding: 0 1; }
    LiveTable > .live-table--best { color: $success; text-style: bold; }
    """

    def __init__(self, ascii: bool = False, id: str | None = None) -> None:
        super().__init__(id=id)
        self.ascii = ascii
        self.table: FittedTable | None = None  # what is shown (tests read it as data)
        self._drawn: tuple = ()
        self._drawn_at = 0.0
        self._shape: tuple = ()

    def on_resize(self) -> None:
        self._drawn = ()  # another width may show other columns: drawn again at the next tick
        self._fit_height()

    def render(self) -> FittedTable | str:
        return self.table if self.table is not None else ""

    def show_runs(self, runs: Sequence[RunState]) -> None:
        """Redraws when a run has changed: at once when a stage ended or a run started or
        ended (its figures are the table's), else at most once a second (between stages only
        the sampled maximum moves)."""
        milestones = (self.size.width, *((id(r), r.status, len(r.stages)) for r in runs))
        drawn = (milestones, *(r.version for r in runs))
        now = time.monotonic()
        if drawn == self._drawn or (self._drawn and milestones == self._drawn[0] and
                                    now - self._drawn_at < REDRAW_EVERY_S):
            return
        self._drawn, self._drawn_at = drawn, now
        names = row_names([r.meta for r in runs], [r.title_name for r in runs])  # as printed
        rows = [comparison_row(name, r.weights, r.summary, r.sampled_max or None, r.foreign,
                               r.program) for r, name in zip(runs, names, strict=True)]
        self.table = comparison_rows_table(
            rows, [r.status for r in runs],
            best_style=self.get_component_rich_style("live-table--best"), ascii=self.ascii,
            wrap=False)
        self._fit_height()
        self.refresh()

    def _fit_height(self) -> None:
        """Its height, measured again only when its shape may have changed (a new layout of
        the dashboard follows a new height, and only then)."""
        if self.table is None or not self.content_size.width:
            return
        width = self.content_size.width
        shape = (width, len(self.table.rows), tuple(self.table.layout(width)[0]))
        if shape != self._shape:
            self._shape = shape
            self.styles.height = self._lines(self.table)

    @property
    def settled(self) -> bool:
        """Drawn, and measured at the width it has (tests wait for this before a snapshot)."""
        return self.table is not None and bool(self._shape) and \
            self._shape[0] == self.content_size.width and \
            self.size.height == self.styles.height.value

    def _lines(self, table: FittedTable) -> int:
        width = self.content_size.width
        console = Console(width=width, file=None, color_system=None, legacy_windows=False)
        return len(console.render_lines(table, console.options.update(width=width),
                                        pad=False))

    def shown_keys(self) -> list[str]:
        """The keys of the columns that fit the width it has now."""
        if self.table is None:
            return []
        return [self.table.keys[i] for i in self.table.layout(self.content_size.width or 80)[0]]
