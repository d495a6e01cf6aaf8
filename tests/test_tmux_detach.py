"""Issue #14 end to end in real terminals: a benchmark left running when its terminal goes away
(`--keep-on-hangup`), then watched from another terminal with `memtop attach-engine` at 80x24,
and nothing of memtop's left once the engine is done and has no client."""

from __future__ import annotations

import shutil
import sys
import time
import uuid

import pytest
from test_tmux import Tmux, wait_until_gone

from memtop.engine.store import list_run_files, read_run

from conftest import HELPERS, needs_backend, run_memtop

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux not installed")
MEMTOP = f"{sys.executable} -m memtop"


def engine_listed(timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listing = run_memtop("ps").stdout
        if listing.startswith("engine "):
            return listing
        time.sleep(0.3)
    raise AssertionError("no engine listed by memtop ps")


def test_a_run_left_by_a_dropped_terminal_is_watched_from_another(runs_dir, tmp_path):
    release = tmp_path / "release"
    tag = uuid.uuid4().hex
    first = Tmux(f"{MEMTOP} run --keep-on-hangup --runs-dir {runs_dir} -- {sys.executable} "
                 f"{HELPERS / 'until_released.py'} {release}", tag)
    try:
        first.wait_for("waiting", timeout=30)
    finally:
        first.hang_up()  # the terminal goes away: SIGHUP
    listing = engine_listed()
    assert "running" in listing and "until_released.py" in listing
    second = Tmux(f"{MEMTOP} attach-engine; echo MEMTOP-EXIT=$?; sleep 30", tag)
    try:
        second.wait_for("waiting", timeout=30)  # its history, from the run file
        release.touch()
        screen = second.wait_for("done", timeout=30)  # then live
        assert "released" in screen
        second.keys("q")
        second.wait_for("MEMTOP-EXIT=0", timeout=20)
        assert wait_until_gone(tag, timeout=20) == []  # the engine, alone and idle, ended
    finally:
        second.hang_up()
    assert read_run(list_run_files(str(runs_dir))[0]).meta["status"] == "done"


@pytest.mark.backend
@needs_backend("torch")
def test_a_bench_survives_its_tmux_session_and_is_attached_to(runs_dir):
    tag = uuid.uuid4().hex
    first = Tmux(f"{MEMTOP} bench --backend torch --model gpt2_tiny --batch-size 1,2 "
                 f"--keep-on-hangup --runs-dir {runs_dir}", tag)
    try:
        first.wait_for("now ", timeout=60)  # the first run is going
    finally:
        first.hang_up()  # kills the tmux session: the TUI gets SIGHUP
    assert "running" in engine_listed()
    second = Tmux(f"{MEMTOP} attach-engine; echo MEMTOP-EXIT=$?; sleep 30", tag)
    try:
        deadline = time.monotonic() + 240
        screen = ""
        while time.monotonic() < deadline and screen.count("done") < 2:
            time.sleep(0.5)
            screen = second.screen()
        assert screen.count("done") >= 2, screen
        assert "stage final" in screen
        second.keys("q")
        second.wait_for("MEMTOP-EXIT=0", timeout=20)
        assert wait_until_gone(tag, timeout=20) == []
    finally:
        second.hang_up()
    runs = [read_run(p) for p in list_run_files(str(runs_dir))]
    assert [r.meta["status"] for r in runs] == ["done", "done"]
    assert all(r.stages for r in runs)
