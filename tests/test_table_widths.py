"""Tables fit the terminal (issue #12): at 80, 120 and 200 columns no line is wider than the
terminal, and run ids, stage names and numbers are printed whole; what does not fit is a column
left out (the least important first), never a cut id or figure."""

from __future__ import annotations

import io
import re
import sys

import pytest
from rich.console import Console
from terminal import in_terminal

from memtop.engine.client import RunBoard
from memtop.engine.report.bench_tables import comparison_table
from memtop.engine.report.diff_tables import diff_tables
from memtop.engine.report.fitted_table import FittedTable
from memtop.engine.report.tables import (
    runs_list_table,
    stage_table,
    summary_table,
)
from memtop.engine.store import RunStream, listed_runs

from tui_support import BENCH_RUNS, FIXTURES, fixture_runs

WIDTHS = (80, 120, 200)


def printed(table: FittedTable, width: int) -> str:
    out = io.StringIO()
    Console(file=out, width=width, force_terminal=False, color_system=None).print(table)
    return out.getvalue()


def whole_cells(table: FittedTable, width: int) -> list[str]:
    shown, _, _ = table.layout(width)
    return [str(row[i]) for row in table.rows for i in shown if table.columns[i].whole]


def tables() -> dict[str, FittedTable]:
    from memtop.cli.headless import progress_table

    runs = fixture_runs()
    board = RunBoard()
    for message in RunStream(runs[0]).between(-1, 3.0):
        board.apply(message)
    listed = listed_runs(str(FIXTURES), [r.path for r in runs])
    return {"ls": runs_list_table(listed), "show": stage_table(runs[-1]),
            "summary": summary_table(runs[-1]), "diff": diff_tables(runs)[0],
            "diff_summary": diff_tables(runs)[-1],
            "bench": comparison_table(runs), "progress": progress_table(board)}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["ls", "show", "summary", "diff", "diff_summary", "bench",
                                  "progress"])
def test_every_table_fits_and_keeps_ids_and_numbers_whole(name, width):
    table = tables()[name]
    text = printed(table, width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert "…" not in text
    flat = re.sub(r"\s+", " ", text)
    for value in whole_cells(table, width):
        assert value in text or value in flat, f"{value!r} cut at {width} columns"


def test_narrow_terminals_lose_the_least_important_columns_first():
    bench = comparison_table(fixture_runs())
    headers = [bench.columns[i].header for i in bench.layout(80)[0]]
    assert "Foreign" not in headers and "Weights" not in headers
    assert {"Backend", "Load MiB", "Compile MiB", "Peak MiB (kernel)", "1st s", "2nd s",
            "tok/s"} <= set(headers)
    assert len(bench.layout(200)[0]) == len(bench.columns)  # all of it when there is room


def test_ls_in_an_80_column_terminal_prints_run_ids_whole():
    code, out = in_terminal([sys.executable, "-m", "memtop", "ls", "--runs-dir", str(FIXTURES)],
                            columns=80)
    assert code == 0
    text = out.decode()
    for path in BENCH_RUNS:
        assert path.stem in text
