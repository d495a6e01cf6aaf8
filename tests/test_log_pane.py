"""The log pane (`l`): a run's output, in time with its samples in a replay, searchable."""

from __future__ import annotations

import sys

from textual.widgets import Log

from memtop.engine.client import ReplaySource
from memtop.engine.store import list_run_files, read_run
from memtop.tui.app import MemtopApp
from memtop.tui.screens.log import LogScreen

from conftest import run_memtop
from tui_support import wait_until

PROGRAM = ("import time\n"
           "for i in range(300):\n"
           "    print(f'line {i}', flush=True)\n"
           "    if i == 150: time.sleep(1.5)\n"
           "print('\\x1b]52;c;ZXZpbA==\\x07 done')\n")


def recorded(runs_dir) -> str:
    result = run_memtop("run", "--no-tui", "--runs-dir", str(runs_dir), "--", sys.executable,
                        "-c", PROGRAM)
    assert result.returncode == 0, result.stderr[-2000:]
    return list_run_files(str(runs_dir))[0]


async def test_the_log_pane_replays_the_output_in_time_and_finds_a_line(runs_dir):
    source = ReplaySource([read_run(recorded(runs_dir))], at_end=False)
    source.toggle_pause()  # at the start, still
    app = MemtopApp(start="dashboard", source=source)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("l")
        assert isinstance(app.screen, LogScreen)
        log = app.screen.query_one(Log)
        await pilot.pause(0.3)
        assert len(log.lines) < 300  # the replay has not reached the output yet
        source.seek(source.duration)  # to the end: the rest of the output arrives
        await wait_until(pilot, lambda: len(log.lines) == 301)
        assert log.lines[:300] == [f"line {i}" for i in range(300)]
        assert "\x1b" not in log.lines[300] and "\\x1b]52" in log.lines[300]  # shown as data
        await pilot.press("slash", *"line 42", "enter")
        await pilot.pause()
        assert any("line 43: match 1 of 1" in n.message for n in app._notifications)
        await pilot.press("escape")
        assert not isinstance(app.screen, LogScreen)
