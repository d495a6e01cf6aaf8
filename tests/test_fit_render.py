"""`memtop fit` live, as text: each size tried is a bar of its peak against the budget's line."""

from memtop.tui.fit_render import bar, card_subtitle, mark_of, trial_rows


def trial(size: int, peak: float, fits: bool, verdict: str = "") -> dict:
    return {"size": size, "peak_mib": peak, "fits": fits,
            "verdict": verdict or ("fits" if fits else f"does not fit (peak {peak:.0f} MiB)")}


def test_a_bar_fills_its_share_of_the_scale_and_the_budget_line_shows_past_it():
    assert bar(50, 100, 10, budget_at=8) == "█████   │ "
    assert bar(100, 100, 10, budget_at=8) == "█" * 10  # over the budget: through its line
    assert bar(0.1, 100, 10, budget_at=8) == "▏       │ "  # any peak at all shows
    assert bar(52, 100, 10, budget_at=8, ascii=True) == "#####.  | "


def test_rows_are_sizes_in_order_with_bars_against_one_budget_column():
    trials = [trial(4, 1200, True), trial(1, 900, True), trial(8, 2100, False),
              trial(16, 2000, False, "does not fit (OOM)")]
    rows = [r.plain for r in trial_rows(trials, budget_mib=1600, width=30, rows=8)]
    assert [r.split()[0] for r in rows] == ["1", "4", "8", "16"]
    assert [r.split()[-1] for r in rows] == ["✓", "✓", "✗", "OOM"]
    assert all(len(r) == 30 for r in rows)
    budget_columns = {r.index("│") for r in rows if "│" in r}
    assert len(budget_columns) == 1  # one line, where the fitting bars stop short of it
    [column] = budget_columns
    assert rows[2][column] == "█"  # the peak over the budget runs through it
    assert rows[0].count("█") < rows[1].count("█") < rows[2].count("█")


def test_with_more_sizes_than_rows_the_largest_stay_and_the_rest_are_counted():
    trials = [trial(size, 800 + size, size <= 300) for size in (1, 2, 4, 8, 16, 32, 64, 128,
                                                                256, 512, 384, 320)]
    rows = [r.plain for r in trial_rows(trials, budget_mib=1100, width=40, rows=5)]
    assert len(rows) == 5
    assert rows[0] == "… 8 smaller"
    assert [r.split()[0] for r in rows[1:]] == ["256", "320", "384", "512"]


def test_marks_and_subtitles_say_the_verdict():
    assert mark_of(trial(1, 1, True), ascii=True) == "ok"
    assert mark_of({"fits": False, "verdict": "failed: no such layer"}) == "!"
    assert card_subtitle({"largest": 12}, "batch", searching=True) == "trying… ≤ 12 so far"
    assert card_subtitle({"largest": 12}, "batch", searching=False) == "largest batch 12"
    assert card_subtitle({"largest": None}, "batch", searching=False) == "not even 1 fits"
    stopped = card_subtitle({"largest": None, "stopped": "\x1b]52;c;QQ==\x07x"}, "batch", False)
    assert "\x1b" not in stopped and "\x07" not in stopped


def test_a_wide_card_also_says_each_peak():
    trials = [trial(1, 900, True), trial(8, 2100, False)]
    narrow, wide = (trial_rows(trials, budget_mib=1600, width=w, rows=8) for w in (24, 50))
    assert "2,100" not in narrow[1].plain and "2,100" in wide[1].plain
    assert len(wide[1].plain) == 50
