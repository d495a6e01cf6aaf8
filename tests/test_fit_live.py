"""`memtop fit` live (issue #16): the dashboard drives the search — each trial a real session of
one engine, chosen when the last one's run file is closed — with a card per backend whose trials
stack as bars of their peaks against the budget; stopping mid-search keeps what was found."""

from __future__ import annotations

import pytest
from test_engine_detach import wait_gone
from test_fit import BACKEND

from memtop.engine.client import STOPPED, FitPlan, FitRequest, FitSource
from memtop.engine.store import list_run_files, read_run
from memtop.tui.app import MemtopApp
from memtop.tui.widgets.fit_cards import FitCard
from memtop.tui.widgets.run_card import RunCard

from conftest import HELPERS, MIB
from tui_support import card_lines, wait_until

pytestmark = pytest.mark.backend
TINY = f"{HELPERS / 'tiny_factory.py'}:build"


def plan_for(runs_dir, max_size: int) -> FitPlan:
    return FitPlan(FitRequest(model=TINY, backends=(BACKEND,), budget=3072 * MIB,
                              max_size=max_size, runs_dir=str(runs_dir)))


def card_rows(app) -> list[str]:
    card = app.screen.query_one(FitCard)
    return card_lines(card)


async def test_the_dashboard_runs_the_search_and_stacks_its_trials(runs_dir):
    source = FitSource(plan_for(runs_dir, max_size=4))
    app = MemtopApp(start="dashboard", source=source)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: source.fit_path is not None, timeout=240)
        await wait_until(pilot, lambda: len(card_rows(app)) == 3)
        rows = card_rows(app)
        assert [r.split()[0] for r in rows] == ["1", "2", "4"]
        assert all(r.rstrip().endswith("✓") and "█" in r for r in rows)
        assert "largest batch 4" in str(app.screen.query_one(FitCard).border_subtitle)
        assert len(app.screen.query(RunCard)) == 3  # every trial has its own card too
        # ... named by its size, not three cards of one title (#27, 7)
        titles = [str(card.border_title) for card in app.screen.query(RunCard)]
        assert titles == [f"{BACKEND} · batch {size}" for size in (1, 2, 4)], titles
        await pilot.press("q")
    fit = read_run(source.fit_path)
    assert fit.meta["kind"] == "fit" and fit.meta["status"] == "done"
    [result] = fit.meta["fit"]["results"]
    assert result["largest"] == 4 and [t["size"] for t in result["trials"]] == [1, 2, 4]
    assert len(list_run_files(str(runs_dir))) == 4  # the trials and the fit
    assert wait_gone(source.engine_pid)


async def test_stopping_mid_search_ends_it_and_keeps_the_trials_that_ran(runs_dir):
    plan = plan_for(runs_dir, max_size=4096)
    source = FitSource(plan)
    app = MemtopApp(start="dashboard", source=source)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: len(plan.backends[0].trials) >= 1, timeout=120)
        await pilot.press("s")
        await wait_until(pilot, lambda: plan.finished, timeout=60)  # a trial's end, under load
        await pilot.press("q")
    assert wait_gone(source.engine_pid)
    ran = len(plan.backends[0].trials)
    assert 1 <= ran < 13  # the search would have doubled up to 4,096
    assert source.fit_path is None  # the CLI stores it (memtop/cli/fit.py)
    fit = read_run(plan.store())
    assert fit.meta["status"] == "cancelled" and fit.meta["cause"] == STOPPED
    [result] = fit.meta["fit"]["results"]
    assert result["stopped"] == STOPPED and len(result["trials"]) == ran
