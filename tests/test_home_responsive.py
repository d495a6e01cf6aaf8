"""The home screen reads run files in a thread worker: keys work while 200 files are listed."""

import asyncio
import os
import time

from textual import events
from textual.widgets import DataTable, TabbedContent

from memtop.engine.store import RunWriter
from memtop.tui.app import MemtopApp

from conftest import MIB

FILES = 200


def hour_like_run(path: str) -> None:
    """A finished run file of some size (40,000 samples), so that reading 200 takes a while."""
    writer = RunWriter(path, {"run_id": "big", "backend": "torch", "model": "m",
                              "status": "running", "started_wall": time.time()})
    writer.add_samples([(i * 0.005, (500 + i % 97) * MIB) for i in range(40_000)])
    writer.add_proc([(i * 0.05, 500 * MIB, 600 * MIB, 0, 400 * MIB, 100 * MIB, 1)
                     for i in range(4_000)])
    writer.set_meta({"status": "done"})
    writer.close()


async def test_keys_work_while_200_run_files_are_listed(tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    hour_like_run(str(tmp_path / "big.db"))
    for i in range(FILES):  # hard links: 200 files to read, one file's worth of disk
        os.link(tmp_path / "big.db", runs / f"run-{i:03d}.db")
    app = MemtopApp(start="home", runs_dir=str(runs))
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.screen.query_one("#home-runs", DataTable)
        while table.row_count == 0:  # the first rows arrived: the list is loading
            await pilot.pause(0.005)
        loaded_at_press = table.row_count
        # As a terminal sends it (pilot.press would wait for the whole process to go idle).
        start = time.monotonic()
        app.post_message(events.Key("2", "2"))
        while app.screen.query_one(TabbedContent).active != "processes":
            await asyncio.sleep(0.002)
        answered, loaded_at_answer = time.monotonic() - start, table.row_count
        assert loaded_at_press < FILES, "the list was read before the first frame: no worker"
        print(f"key answered in {answered * 1000:.1f} ms with {loaded_at_answer} of {FILES} rows")
        # Answered while the list was still coming in: not after it (a loop blocked on reading
        # would answer only once every row was there). No time limit: CI's load varies.
        assert loaded_at_answer < FILES, f"the key waited for the list ({answered:.2f} s)"
        deadline = time.monotonic() + 60
        while table.row_count < FILES and time.monotonic() < deadline:
            await pilot.pause(0.05)
        assert table.row_count == FILES
        assert all(path for path in table.paths)  # every file read, none unreadable
