"""Quitting a live dashboard (issue #14): `q` asks whether to stop the runs or leave them running
while any are going, `D` leaves them running at once, and a terminal that goes away leaves them
running only when asked to (--keep-on-hangup). Real engines and sessions; the real app."""

from __future__ import annotations

import os
import signal
import sys

import pytest
from test_engine_detach import address_of, wait_gone

from memtop.engine.client import EngineClient, LiveSource, stop_engine
from memtop.engine.spec import RunSpec
from memtop.engine.store import list_run_files, read_run
from memtop.tui.app import MemtopApp
from memtop.tui.screens.leave import LeaveScreen
from memtop.tui.widgets.run_card import RunCard

from tui_support import wait_until

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


def sleeping_source(runs_dir) -> LiveSource:
    return LiveSource([RunSpec(backend="", model="sleeper", command=SLEEPER,
                               runs_dir=str(runs_dir))])


async def running_dashboard(pilot, app) -> None:
    await wait_until(pilot, lambda: len(app.screen.query(RunCard)) == 1)
    card = app.screen.query_one(RunCard)
    await wait_until(pilot, lambda: card.state.status == "running", timeout=20)


async def test_q_asks_escape_stays_and_l_leaves_the_runs_running(runs_dir):
    source = sleeping_source(runs_dir)
    app = MemtopApp(start="dashboard", source=source)
    async with app.run_test(size=(80, 24)) as pilot:
        await running_dashboard(pilot, app)
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, LeaveScreen))
        text = " ".join(str(s.render()) for s in app.screen.query("Static"))
        assert f"memtop attach-engine {source.engine_pid}" in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, LeaveScreen))
        assert app.is_running
        await pilot.press("q", "l")
        await wait_until(pilot, lambda: not app.is_running)
    pid = source.engine_pid
    assert source.detached and not wait_gone(pid, timeout=1.0)
    assert stop_engine(address_of(pid))
    assert wait_gone(pid)


async def test_q_then_s_stops_the_runs(runs_dir):
    source = sleeping_source(runs_dir)
    app = MemtopApp(start="dashboard", source=source)
    async with app.run_test(size=(80, 24)) as pilot:
        await running_dashboard(pilot, app)
        await pilot.press("q", "s")
        await wait_until(pilot, lambda: not app.is_running, timeout=20)
    assert not source.detached and wait_gone(source.engine_pid)
    assert read_run(list_run_files(str(runs_dir))[0]).meta["status"] == "killed"


async def test_D_leaves_at_once_and_q_with_nothing_going_does_not_ask(runs_dir):
    source = sleeping_source(runs_dir)
    app = MemtopApp(start="dashboard", source=source)
    async with app.run_test(size=(80, 24)) as pilot:
        await running_dashboard(pilot, app)
        await pilot.press("D")
        await wait_until(pilot, lambda: not app.is_running)
    pid = source.engine_pid
    assert source.detached and not wait_gone(pid, timeout=1.0)
    watcher = LiveSource(client=EngineClient.attach(address_of(pid)))
    app = MemtopApp(start="dashboard", source=watcher)
    async with app.run_test(size=(80, 24)) as pilot:
        await running_dashboard(pilot, app)  # the run, from its file and then live
        await pilot.press("s")
        await wait_until(pilot, lambda: app.screen.query_one(RunCard).state.status == "killed",
                         timeout=20)
        await pilot.press("q")  # nothing going: no question
        await wait_until(pilot, lambda: not app.is_running)
    assert wait_gone(pid)


@pytest.mark.parametrize("keep", [False, True])
async def test_a_hang_up_leaves_the_runs_running_only_when_asked(runs_dir, keep):
    source = sleeping_source(runs_dir)
    app = MemtopApp(start="dashboard", source=source, keep_on_hangup=keep)
    async with app.run_test(size=(80, 24)) as pilot:
        await running_dashboard(pilot, app)
        app.leave_running_if_kept()  # what SIGHUP does, before it exits (and arms a watchdog
        app.exit()  # that would end this test process: not called here)
        await wait_until(pilot, lambda: not app.is_running, timeout=20)
    pid = source.engine_pid
    if keep:
        assert source.detached and not wait_gone(pid, timeout=1.0)
        os.kill(pid, signal.SIGTERM)  # `kill ENGINE` stops its runs too
    assert wait_gone(pid, timeout=20)


async def test_the_home_screen_lists_engines_and_enter_watches_one(runs_dir, tmp_path):
    from test_engine_detach import receive_until, waiting_specs

    from memtop.tui.widgets.engine_list import EngineList

    owner = EngineClient()  # another terminal's memtop
    owner.submit(waiting_specs(runs_dir, tmp_path / "release"))
    receive_until(owner, "stage")
    try:
        app = MemtopApp(start="home", runs_dir=str(runs_dir))
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("4")
            engines = app.screen.query_one(EngineList)
            await wait_until(pilot, lambda: engines.pids == [owner.pid])
            assert "run: waiter-0" in str(engines.get_row_at(0))
            await pilot.press("enter")
            await running_dashboard(pilot, app)
            card = app.screen.query_one(RunCard)
            assert [s["name"] for s in card.state.stages] == ["waiting"]  # from its file
            (tmp_path / "release").touch()
            await wait_until(pilot, lambda: card.state.status == "done", timeout=20)  # live
            assert [s["name"] for s in card.state.stages] == ["waiting", "released"]
    finally:
        owner.close()
