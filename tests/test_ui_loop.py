"""The UI's loop never reads a file (#28): with the readers slowed on purpose (each read of the
run file, or the model check, takes seconds), the app still answers every key within 100 ms,
and what was read arrives later. Readers run in thread workers and the replay's own thread."""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections.abc import Callable

from textual import events
from textual.widgets import TabbedContent

from memtop.engine.client import ReplaySource
from memtop.engine.errors import UserError
from memtop.engine.store import RunStream, read_run
from memtop.tui.app import MemtopApp
from memtop.tui.messages import StartBench

from tui_support import open_detail, replay_app, run_path, wait_until

SLOW_S = 0.6
ANSWERED_S = 0.1


class Slowed:
    """Wraps a reader so that each call takes SLOW_S more, and says when one is under way."""

    def __init__(self, read) -> None:
        self.read, self.busy, self.calls = read, threading.Event(), 0

    def __call__(self, *args, **kwargs):
        self.busy.set()
        self.calls += 1
        try:
            time.sleep(SLOW_S)
            return self.read(*args, **kwargs)
        finally:
            self.busy.clear()


async def answer_times(app, keys: list[tuple[str, Callable[[], object]]],
                       busy: threading.Event) -> list[float]:
    """For each (key, what shows it was handled): the seconds from the key's event to its
    effect, all while a slowed read was under way. (Not `pilot.press`, which also waits for the
    screen to settle and repaint.)"""
    took = []
    for key, effect in keys:
        assert busy.is_set(), "the slowed reader was not reading: the test proves nothing"
        before = effect()
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(app)
        start = time.perf_counter()
        app._driver.send_message(event)
        while effect() == before:
            assert time.perf_counter() - start < 10 * SLOW_S, f"{key} was never handled"
            await asyncio.sleep(0.001)
        took.append(time.perf_counter() - start)
    return took


async def test_a_slow_replay_read_leaves_keys_answered(monkeypatch):
    slowed = Slowed(RunStream.between)
    monkeypatch.setattr(RunStream, "between", lambda self, *a: slowed(self, *a))
    source = ReplaySource([read_run(run_path("torch"))])  # playing: read as it goes
    app = MemtopApp(start="dashboard", source=source, theme="memtop-dark")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, slowed.busy.is_set)
        took = await answer_times(app, [("space", lambda: source.paused)] * 4, slowed.busy)
        assert statistics.median(took) < ANSWERED_S, took
        source.seek(source.duration)
        board = app.screen.board
        await wait_until(pilot, lambda: board.runs and board.runs[0].status == "done",
                         timeout=30)  # what was read arrives


async def test_a_slow_read_of_a_zoomed_window_leaves_keys_answered(monkeypatch):
    from memtop.tui.widgets import detail_chart

    slowed = Slowed(detail_chart.window_maxima)
    monkeypatch.setattr(detail_chart, "window_maxima", slowed)
    app = replay_app([read_run(run_path("jax"))])
    async with app.run_test(size=(100, 40)) as pilot:
        await open_detail(pilot, app)
        screen = app.screen
        await pilot.press("plus")  # a window of the file: read by a worker
        await wait_until(pilot, slowed.busy.is_set)
        table = screen.query_one("#stages")
        table.focus()
        table.move_cursor(row=0)
        await pilot.pause()
        moved = [(key, lambda: table.cursor_row) for key in ("down", "down", "up")]
        took = await answer_times(app, moved, slowed.busy)
        assert table.cursor_row == 1 and statistics.median(took) < ANSWERED_S, took
        chart = screen.chart
        await wait_until(pilot, lambda: chart.read is not None and
                         chart.read.request.window == screen.window, timeout=30)
        assert chart.read.series[0][2]  # the window's RSS, read from the file


async def test_a_slow_model_check_leaves_keys_answered(monkeypatch):
    from memtop.engine.models import catalog

    def unknown(model: str, weights: str) -> None:
        raise UserError(f"unknown preset '{model}'")

    slowed = Slowed(unknown)
    monkeypatch.setattr(catalog, "check_model_argument", slowed)
    app = MemtopApp(start="home", runs_dir="runs-that-are-not-made")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.post_message(StartBench(backends="torch", model="no_such_model", weights="random",
                                    isolate=False))
        await wait_until(pilot, slowed.busy.is_set)
        tab = app.screen.query_one(TabbedContent)
        took = await answer_times(app, [(key, lambda: tab.active) for key in "212"],
                                  slowed.busy)
        assert statistics.median(took) < ANSWERED_S, took
        await wait_until(pilot, lambda: any("unknown preset" in n.message
                                            for n in app._notifications), timeout=30)
