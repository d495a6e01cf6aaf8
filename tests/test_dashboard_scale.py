"""The dashboard is the comparison (issue #13): one memory scale for every card (`z`: each its
own), cards that share the screen's height with taller sparklines."""

from __future__ import annotations

from memtop.engine import messages
from memtop.engine.client import Source
from memtop.tui.app import MemtopApp
from memtop.tui.render import BLOCKS
from memtop.tui.widgets.run_card import RunCard

from tui_support import card_lines, wait_until

GIB = 2**30


class TwoRuns(Source):
    """Two finished runs: RSS climbs to 2 GiB in one and 4 GiB in the other, then stays."""

    title = "two runs"

    def __init__(self) -> None:
        self.sent = False

    def poll(self) -> list[dict]:
        if self.sent:
            return []
        self.sent = True
        out: list[dict] = []
        for i, peak in enumerate((2 * GIB, 4 * GIB)):
            spec = {"id": f"s{i}", "backend": f"b{i}", "model": "m"}
            out += [messages.queued(spec),
                    messages.started(spec["id"], f"r{i}", "/dev/null", None, 0.0, {})]
            times = [j / 10 for j in range(1, 101)]
            rss = [min(peak, int(peak * t / 2)) for t in times]
            out.append(messages.samples(f"r{i}", times, rss, rss))
        return out


def bar_heights(card: RunCard) -> list[int]:
    """Each sparkline column's height in eighths, read back from the card's rendered lines."""
    lines = card_lines(card)[1].split("\n")
    width = lines[-1].index(" 0-")  # the bars, then the scale's label
    heights = [0] * width
    for row, line in enumerate(reversed(lines)):
        for x in range(width):
            char = line[x] if x < len(line) else " "
            if char in BLOCKS and char != " ":
                heights[x] = max(heights[x], row * 8 + BLOCKS.index(char))
    return heights


async def test_one_scale_draws_peaks_in_their_ratio_and_z_gives_each_its_own():
    app = MemtopApp(start="dashboard", source=TwoRuns())
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: len(app.screen.query(RunCard)) == 2)
        await pilot.pause(0.5)
        small, large = app.screen.query(RunCard)
        assert max(bar_heights(large)) == 2 * max(bar_heights(small))  # 2 GiB : 4 GiB = 1 : 2
        assert "0-4,096 MiB shared" in card_lines(small)[1]
        await pilot.press("z")
        await pilot.pause(0.3)
        assert max(bar_heights(small)) == max(bar_heights(large))  # both full height
        assert "0-2,048 MiB own" in card_lines(small)[1]


async def test_cards_share_the_height_and_their_sparklines_grow():
    app = MemtopApp(start="dashboard", source=TwoRuns())
    async with app.run_test(size=(100, 39)) as pilot:  # below 40 rows: no live table
        await wait_until(pilot, lambda: len(app.screen.query(RunCard)) == 2)
        await pilot.pause(0.5)
        cards = list(app.screen.query(RunCard))
        assert all(card.size.height >= 15 for card in cards)  # not the 5 rows of a small screen
        rows = card_lines(cards[1])[1].count("\n") + 1
        assert rows >= 10
    app = MemtopApp(start="dashboard", source=TwoRuns())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: len(app.screen.query(RunCard)) == 2)
        await pilot.pause(0.5)
        assert all(card.size.height >= 5 for card in app.screen.query(RunCard))


async def test_the_live_table_is_the_printed_table_with_the_best_marked():
    from memtop.engine.report.bench_tables import comparison_table
    from memtop.engine.report.comparison import COMPARISON
    from memtop.tui.widgets.live_table import LiveTable

    from tui_support import fixture_runs, replay_app

    runs = fixture_runs()
    app = replay_app(runs)
    async with app.run_test(size=(200, 50)) as pilot:
        live = app.screen.query_one(LiveTable)
        await wait_until(pilot, lambda: live.table is not None and len(live.table.rows) == 4
                         and all(r.status == "done" for r in app.screen.board.runs))
        await pilot.pause(1.2)
        # All of it at 200 columns: every figure but samples/s, which GPT-2 runs do not have.
        assert live.display and live.shown_keys() == \
            [key for _, key, _, _ in COMPARISON if key != "samples_per_s"]
        printed = comparison_table(runs)  # the table memtop bench prints at its end
        assert [[c.plain for c in row] for row in live.table.rows] == \
            [[c.plain for c in row] for row in printed.rows]
        # The best value of a column is marked: the least compilation memory is torch's 26 MiB.
        best = [row[3] for row in live.table.rows if row[3].style]
        assert [cell.plain for cell in best] == ["26"]
        await pilot.press("c")  # the key hides it (and shows it again)
        await pilot.pause()
        assert not live.display
    app = replay_app(runs)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.5)
        assert not app.screen.query_one(LiveTable).display  # no room at 80x24: `c` shows it
        await pilot.press("c")
        await pilot.pause(1.2)
        keys = app.screen.query_one(LiveTable).shown_keys()
        assert "peak_mb" in keys and "foreign" not in keys


class OneThenAnother(TwoRuns):
    """The second run arrives after the first has been drawn (as a queued run starts)."""

    def __init__(self) -> None:
        super().__init__()
        self.batches = None

    def poll(self) -> list[dict]:
        if self.batches is None:
            everything = TwoRuns.poll(self)
            half = len(everything) // 2
            self.batches = [everything[:half], everything[half:]]
        return self.batches.pop(0) if self.batches and self.polls_left() else []

    def polls_left(self) -> bool:
        self.ticks = getattr(self, "ticks", 0) + 1
        return self.ticks == 1 or self.ticks > 5


async def test_a_card_that_comes_later_takes_the_same_height_as_the_others():
    # At 200 columns cards sit two to a row: a second card does not change the row height,
    # and must fill its cell all the same.
    app = MemtopApp(start="dashboard", source=OneThenAnother())
    async with app.run_test(size=(200, 39)) as pilot:
        await wait_until(pilot, lambda: len(app.screen.query(RunCard)) == 2)
        await pilot.pause(0.5)
        first, second = app.screen.query(RunCard)
        assert first.size.height > 5 and second.size.height == first.size.height
