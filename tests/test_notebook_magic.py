"""`%load_ext memtop` in a real IPython shell (InteractiveShell, as ipykernel runs cells): a
cell's exact peak (spikes shorter than any polling interval included), its stages, the session's
report, and the report saved as a run file that memtop's commands open."""

from __future__ import annotations

import pytest

from conftest import memtop_here

CELL = """%%memtop
import memtop
with memtop.stage("build"):
    block = bytearray(b"\\x01") * (96 * 2**20)
del block
brief = bytearray(b"\\x01") * (8 * 2**20)  # about a millisecond
del brief
"""


@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "memtop")
    yield shell
    InteractiveShell.clear_instance()


def test_a_cell_says_its_exact_peak_and_its_stages(shell, capsys):
    shell.run_cell(CELL, store_history=True)
    out = capsys.readouterr().out
    line = next(text for text in out.splitlines() if text.startswith("memtop: cell"))
    rise = float(line.split("peak +")[1].split(" MiB")[0].replace(",", ""))
    assert abs(rise - 96) <= 96 * 0.02 + 0.5, line  # the kernel's peak, within 2%
    build = next(text for text in out.splitlines() if text.strip().startswith("build"))
    assert abs(float(build.split()[1]) - 96) <= 2, build
    magics = shell.magics_manager.registry["MemtopMagics"]
    [cell] = magics.cells
    assert cell["first_line"] == "import memtop" and cell["stages"][0]["name"] == "build"


def test_a_line_and_the_report_saved_as_a_run_file(shell, capsys, tmp_path):
    shell.run_cell("%memtop grown = bytearray(b'\\x01') * (40 * 2**20)", store_history=True)
    shell.run_cell(CELL, store_history=True)
    path = tmp_path / "cells.db"
    shell.run_line_magic("memtop_report", f"--save {path}")
    out = capsys.readouterr().out
    rows = [text for text in out.splitlines() if text.strip()[:1].isdigit()]
    assert len(rows) == 2 and "grown = bytearray" in rows[0]
    change = float(rows[0].split()[3])
    assert abs(change - 40) <= 1, rows[0]  # the line kept its 40 MiB: its RSS change
    shown = memtop_here("show", str(path), "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert "build" in shown.stdout and "cell" in shown.stdout
    shell.run_line_magic("memtop_report", f"--save {path}")
    assert "exists already" in capsys.readouterr().out  # never overwritten


def test_importing_memtop_stays_light_until_the_extension_is_loaded():
    import subprocess
    import sys

    code = "import sys, memtop; print('IPython' in sys.modules, 'memtop.ipython' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.split() == ["False", "False"]


def test_names_from_a_cell_are_shown_as_data(shell, capsys):
    """A stage name (a library's, say) or a cell's first line that holds an escape sequence or
    markup reaches the notebook's output as visible text, never as a terminal action."""
    shell.run_cell('%%memtop\n"\\x1b]52;c;SGVsbG8=\\x07[/x]"\nimport memtop\n'
                   'with memtop.stage("\\x1b]52;c;SGVsbG8=\\x07[/x]evil"):\n    pass\n',
                   store_history=True)
    shell.run_line_magic("memtop_report", "")
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b]52;c;SGVsbG8=\\x07[/x]evil" in out  # the stage table
    assert '"\\x1b]52;c;SGVsbG8=\\x07[/x]"' in out  # the report's first line
