"""SVG snapshots of the dashboard (80x24, 120x40 and 200x50: cards sharing the height, and the
live table where there is room), the detail, the diff of two runs and the comparison of four.

Update after an intended change of look: pytest tests/test_snapshots.py --snapshot-update
"""

import pytest

from memtop.tui.app import MemtopApp
from memtop.tui.screens.compare import CompareScreen

from tui_support import BENCH_RUNS, replay_app, run_path, wait_until

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
ALL_SIZES = [*SIZES, pytest.param((200, 50), id="200x50")]


@pytest.mark.parametrize("size", ALL_SIZES)
def test_dashboard(snap_compare, size):
    assert snap_compare(replay_app(), terminal_size=size, run_before=_dashboard_settled)


async def _dashboard_settled(pilot) -> None:
    """Cards laid out at their shared height, and the live table drawn where it shows (a
    loaded machine takes a few frames for each)."""
    from memtop.tui.screens.dashboard import DashboardScreen
    from memtop.tui.widgets.live_table import LiveTable

    def settled() -> bool:
        screen = pilot.app.screen
        if not isinstance(screen, DashboardScreen) or not screen.cards.card_height:
            return False
        table = screen.query_one(LiveTable)
        return not table.display or table.settled

    await wait_until(pilot, settled)
    await _settle(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_detail(snap_compare, size):
    assert snap_compare(replay_app(), terminal_size=size, press=["down", "enter"],
                        run_before=_settle)


@pytest.mark.parametrize("size", SIZES)
def test_diff(snap_compare, size):
    app = MemtopApp(start="diff", diff_paths=[run_path("torch"), run_path("openvino")],
                    theme="memtop-dark")
    assert snap_compare(app, terminal_size=size, run_before=_diff_open)


@pytest.mark.parametrize("size", ALL_SIZES)
def test_compare_four_runs(snap_compare, size):
    app = MemtopApp(start="diff", diff_paths=[str(p) for p in BENCH_RUNS], theme="memtop-dark")
    assert snap_compare(app, terminal_size=size, run_before=_diff_open)


async def _diff_open(pilot) -> None:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, CompareScreen))
    await _settle(pilot)


async def _settle(pilot) -> None:
    await pilot.pause()
    await pilot.pause()
