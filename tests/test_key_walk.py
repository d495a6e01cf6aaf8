"""Every key a footer offers does something on that screen (issue #27): a Pilot walk over the
screens a user meets (home, the dashboard of a replay, a run's detail, the comparison), pressing
each offered key in turn. "Does something": the screen, its picture, the theme or a notification
changes. Keys that leave (q, ctrl+c) are walked by the quitting tests."""

from __future__ import annotations

import shutil

import pytest

from memtop.tui.app import MemtopApp
from memtop.tui.screens.compare import CompareScreen
from memtop.tui.screens.dashboard import DashboardScreen
from memtop.tui.screens.detail import DetailScreen

from tui_support import replay_app, run_path, wait_until

LEAVING = {"q", "ctrl+c", "D"}


def offered(app) -> list[str]:
    return [b.binding.key.split(",")[0] for b in app.screen.active_bindings.values()
            if b.binding.show and b.enabled and b.binding.key not in LEAVING]


def fingerprint(app) -> tuple:
    # Notifications counted as they are made (a toast that expires meanwhile would hide one).
    return (type(app.screen), id(app.screen), app.theme, app.said, app.export_screenshot())


def count_notifications(app) -> None:
    app.said = 0
    notify = app.notify

    def counted(*args, **kwargs):
        app.said += 1
        return notify(*args, **kwargs)

    app.notify = counted


async def walk(app, pilot, reach) -> dict[str, bool]:
    """Each key offered on the screen `reach` opens: pressed, then the screen opened again."""
    count_notifications(app)
    await reach("")
    keys = offered(app)
    assert keys, "no key offered"
    did = {}
    for key in keys:
        await reach(key)
        before = fingerprint(app)
        await pilot.press(key)
        await pilot.pause(0.3)
        did[key] = fingerprint(app) != before
    return did


@pytest.mark.parametrize("where", ["dashboard", "detail", "compare"])
async def test_every_key_the_footer_offers_does_something(where):
    app = replay_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()

        async def reach(_: str) -> None:
            while not isinstance(app.screen, DashboardScreen):
                app.pop_screen()
                await pilot.pause()
            if where == "detail":
                await pilot.press("enter")
                await wait_until(pilot, lambda: isinstance(app.screen, DetailScreen))
            elif where == "compare":
                await pilot.press("d")
                await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))
            await pilot.pause(0.3)

        did = await walk(app, pilot, reach)
    assert all(did.values()), {key: done for key, done in did.items() if not done}


async def test_every_key_the_home_screen_offers_does_something(tmp_path):
    for backend in ("torch", "jax"):
        shutil.copy(run_path(backend), tmp_path)
    app = MemtopApp(start="home", runs_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.5)
        home = app.screen

        async def reach(key: str) -> None:
            while app.screen is not home:
                app.pop_screen()
                await pilot.pause()
            await pilot.press("2" if key == "1" else "1")  # another tab than the key's own
            await pilot.pause(0.3)

        did = await walk(app, pilot, reach)
    assert all(did.values()), {key: done for key, done in did.items() if not done}


async def test_the_live_dashboard_at_120x40_mid_run_shows_every_run_in_its_table():
    from memtop.tui.widgets.live_table import LiveTable

    app = replay_app(at_end=False)
    source = app.initial_source
    async with app.run_test(size=(120, 40)) as pilot:
        source.seek(source.duration * 0.5)  # mid-run: some runs going, figures filling in
        table = app.screen.query_one(LiveTable)
        await wait_until(pilot, lambda: table.settled and len(table.table.rows) == 4)
        text = "\n".join(strip.text for strip in
                         table.render_lines(table.region.reset_offset))
        for name in ("tensorflow", "torch", "jax", "openvino"):
            assert name in text, text
        assert table.size.height == len(table.table.rows) + 3  # title-less: 2 header lines,
        # the rule, a line a run: no run wraps onto a second line, none is cut off
