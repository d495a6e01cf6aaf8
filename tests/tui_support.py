"""Helpers for the TUI tests: the recorded fixture runs and an app that replays them."""

from __future__ import annotations

from pathlib import Path

from memtop.engine.client import ReplaySource
from memtop.engine.store import Run, read_run
from memtop.tui.app import MemtopApp

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "runs"
BENCH_RUNS = sorted(p for p in FIXTURES.glob("*.db") if "gpt2_medium_en" in p.name)
SWAP_RUN = FIXTURES / "swap-synthetic.db"


def fixture_runs() -> list[Run]:
    return [read_run(str(p)) for p in BENCH_RUNS]


def run_path(backend: str) -> str:
    return str(next(p for p in BENCH_RUNS if f"-{backend}-" in p.name))


def replay_app(runs: list[Run] | None = None, at_end: bool = True, **kwargs) -> MemtopApp:
    source = ReplaySource(runs if runs is not None else fixture_runs(), at_end=at_end)
    return MemtopApp(start="dashboard", source=source, theme="memtop-dark", **kwargs)


async def open_detail(pilot, app) -> None:
    """From the dashboard, the focused run's detail screen, drawn."""
    from memtop.tui.screens.detail import DetailScreen

    await runs_shown(pilot, app)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen))
    await pilot.pause(0.3)


async def runs_shown(pilot, app, timeout: float = 30.0) -> None:
    """Until the dashboard shows its runs (a replay reads its files in a thread of its own)."""
    await wait_until(pilot, lambda: bool(getattr(app.screen, "board", None) and
                                         app.screen.board.runs), timeout)
    await pilot.pause(0.3)


async def wait_until(pilot, predicate, timeout: float = 10.0) -> None:
    """Pauses until `predicate()` holds: for what thread workers deliver (file reads)."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting for the app"
        await pilot.pause(0.02)


def card_lines(card) -> list[str]:
    """A card (a run's, or a fit's) as the text of its parts: title, chart, timeline, …"""
    return [line.plain if hasattr(line, "plain") else str(line)
            for line in card.render().renderables]
