"""Tables that fit the terminal they are printed on, without cutting what people copy.

Run ids, stage names and numbers are what `show`, `diff`, `check` and scripts take back, so their
columns are never cut ("whole"). When a table is wider than the console, it first packs tighter
(no padding, no outer edge), then leaves out its least important columns (the highest `drop`)
one at a time; free text (weights notes, foreign frameworks) wraps. Headers wrap at spaces. The
layout is decided when the table is printed, at the console's width (`__rich_console__`), so the
same table fits 80 columns, 200 columns and a pipe.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions
from rich.table import Table
from rich.text import Text

from ..text import shown


@dataclass(frozen=True)
class Column:
    header: str
    justify: str = "left"  # "right" for numbers
    whole: bool = True  # never cut or wrapped: ids, names, numbers
    drop: int = 0  # 0: always shown; otherwise left out on narrow terminals, highest first

    def __post_init__(self) -> None:
        # A header may name a run or a backend from a file: text that cannot act on a terminal.
        object.__setattr__(self, "header", shown(self.header))


def _width(value: Any) -> int:
    return value.cell_len if isinstance(value, Text) else cell_len(str(value))


class FittedTable:
    """A Rich renderable: collects rows, and lays them out for the console's width."""

    def __init__(self, columns: list[Column], title: Text | str | None = None,
                 show_header: bool = True, keys: list[str] | None = None) -> None:
        self.columns = columns
        if isinstance(title, str):  # a title may hold a file's words too: text, never markup
            title = Text(shown(title))
        self.keys = keys or [c.header for c in columns]  # what each column shows, by name
        self.title = title
        self.show_header = show_header
        self.rows: list[tuple[Any, ...]] = []

    def add_row(self, *cells: Any) -> None:
        self.rows.append(cells)

    def needs(self, column: int, wrap: bool = True) -> int:
        """Cells a column needs: its widest cell, and its header (its longest word if headers
        wrap)."""
        header = self.columns[column].header if self.show_header else ""
        words = header.split() if wrap else [header]
        return max([1, *(cell_len(w) for w in words),
                    *(_width(row[column]) for row in self.rows)])

    def layout(self, width: int, pack: bool = True) -> tuple[list[int], bool, bool]:
        """(the columns shown, whether headers wrap, whether packed tight) for a console
        `width` cells wide: the first of these that fits, else the last with columns left out.
        Without `pack` (a widget that neither wraps headers nor packs), only columns go."""
        shown = list(range(len(self.columns)))
        styles = ((False, False), (True, False), (True, True)) if pack else ((False, False),)
        for wrap, tight in styles:
            if self._total(shown, wrap, tight) <= width:
                return shown, wrap, tight
        while self._total(shown, wrap, tight) > width:  # the last style, less its columns
            droppable = [i for i in shown if self.columns[i].drop > 0]
            if not droppable:
                break
            shown.remove(max(droppable, key=lambda i: (self.columns[i].drop, i)))
        return shown, wrap, tight

    def _total(self, shown: list[int], wrap: bool, tight: bool) -> int:
        """The width the `shown` columns take: cells, padding and rules."""
        wanted = sum(self.needs(i, wrap) if self.columns[i].whole else 8 for i in shown)
        return wanted + (len(shown) + 1 if tight else 3 * len(shown) + 1)

    def table(self, width: int) -> Table:
        shown, wrap, tight = self.layout(width)
        table = Table(title=self.title, title_justify="left", show_header=self.show_header,
                      padding=(0, 0) if tight else (0, 1), show_edge=not tight,
                      box=box.SIMPLE_HEAD if tight else box.HEAVY_HEAD)
        for i in shown:
            column = self.columns[i]
            header = column.header
            if column.whole and wrap:  # its cells never wrap, so its header wraps at spaces
                header = "\n".join(textwrap.wrap(header, self.needs(i), break_long_words=False))
            table.add_column(Text(header), justify=column.justify,  # type: ignore[arg-type]
                             no_wrap=column.whole,
                             min_width=self.needs(i, wrap) if column.whole else None)
        for row in self.rows:
            table.add_row(*(row[i] for i in shown))
        return table

    def plain_lines(self, width: int) -> Iterator[str]:
        """The table as plain aligned columns (no box, no styles), for lists too long for Rich
        to lay out quickly; cells are the same (already shown as data)."""
        shown, _, _ = self.layout(width, pack=False)
        widths = [self.needs(i, wrap=False) for i in shown]

        def line(cells: list[str]) -> str:
            return "  ".join(
                c.rjust(w) if self.columns[i].justify == "right" else c.ljust(w)
                for i, c, w in zip(shown, cells, widths, strict=True)).rstrip()

        if self.title is not None:
            yield str(self.title)
        yield line([self.columns[i].header for i in shown])
        for row in self.rows:
            yield line([row[i].plain if isinstance(row[i], Text) else str(row[i])
                        for i in shown])

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> Iterator[Table]:
        yield self.table(options.max_width)
