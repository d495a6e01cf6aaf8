"""Runs compared by stage against a baseline (two runs are the case of N), and the chart's
stage-aligned axis."""

import itertools

import pytest

from memtop.engine.analysis.diff import (
    compare_settings,
    compare_stages,
    compare_summary,
    stage_axis,
)

from conftest import MIB, run_memtop
from tui_support import BENCH_RUNS, replay_app, wait_until


def stage(name, t, rss, peak):
    return {"name": name, "t": t, "t_end": t, "rss": rss * MIB, "swap": 0, "peak": peak * MIB,
            "peak_exact": True}


A = [stage("initial", 1, 100, 100), stage("model_loaded", 3, 300, 350), stage("final", 4, 310, 320)]
B = [stage("initial", 10, 120, 120), stage("model_loaded", 20, 250, 400), stage("extra", 21, 1, 1)]
C = [stage("initial", 2, 90, 90)]


def test_rows_follow_stages_and_deltas_are_each_run_minus_the_baseline():
    rows = {r["name"]: r for r in compare_stages([A, B, C])}
    # A stage only a later run has comes after its predecessor there.
    assert list(rows) == ["initial", "model_loaded", "extra", "final"]
    loaded = rows["model_loaded"]
    assert loaded["rss_mb"] == [300, 250, None]
    assert loaded["d_rss_mb"] == [None, -50, None] and loaded["d_peak_mb"] == [None, 50, None]
    assert loaded["duration_s"] == [2, 10, None]
    assert rows["initial"]["d_rss_mb"] == [None, 20, -10]
    assert rows["final"]["rss_mb"][1] is None and rows["final"]["d_rss_mb"][1] is None
    against_b = {r["name"]: r for r in compare_stages([A, B, C], baseline=1)}
    assert against_b["initial"]["d_rss_mb"] == [-20, None, -30]


def test_summary_deltas_skip_text():
    rows = {r["key"]: r for r in compare_summary([{"peak_mb": 10.0, "health": "good"},
                                                  {"peak_mb": 12.5, "health": "high"}])}
    assert rows["peak_mb"]["deltas"] == [None, 2.5] and rows["health"]["deltas"] == [None, None]


def test_stage_axis_lines_runs_up_at_stage_starts():
    # Run A: stages end at 1 and 3 (start 0); run B: at 10 and 30 (start 0).
    a = stage_axis([0, 0.5, 1, 2, 3], [stage("s1", 1, 0, 0), stage("s2", 3, 0, 0)], 0)
    b = stage_axis([0, 5, 10, 20, 30], [stage("s1", 10, 0, 0), stage("s2", 30, 0, 0)], 0)
    assert a == b == [0, 0.5, 1, 1.5, 2]


def test_time_after_the_last_stage_takes_one_unit_not_the_last_stage_s_scale():
    # The last stage lasted 0.1 s; 3 s of readings followed. Before, they ran to x = 32.
    x = stage_axis([0, 1, 1.1, 2.6, 4.1], [stage("s1", 1, 0, 0), stage("s2", 1.1, 0, 0)], 0)
    assert x == [0, 1, 2, 2.5, 3]


def test_settings_that_differ_are_listed():
    a = {"spec": {"backend": "jax", "dtype": "float32", "env": {}}, "weights": "random",
         "allocator_settings": {"XLA_PYTHON_CLIENT_PREALLOCATE": "true"}}
    b = {"spec": {"backend": "jax", "dtype": "bfloat16",
                  "env": {"XLA_PYTHON_CLIENT_PREALLOCATE": "false"}}, "weights": "random",
         "allocator_settings": {"XLA_PYTHON_CLIENT_PREALLOCATE": "false"}}
    rows = {r["key"]: r["values"] for r in compare_settings([a, b, a])}
    assert rows == {"dtype": ["float32", "bfloat16", "float32"],
                    "env XLA_PYTHON_CLIENT_PREALLOCATE": ["true", "false", "true"]}


def test_diff_of_four_runs_prints_four_columns_and_the_delta_against_a():
    result = run_memtop("diff", *map(str, BENCH_RUNS), "--format", "markdown")
    assert result.returncode == 0, result.stderr
    header = next(line for line in result.stdout.splitlines() if line.startswith("| Stage"))
    cells = [c.strip() for c in header.strip("|").split("|")]
    assert len(cells) == 1 + 4 + 3  # stage, four runs, Δ of B, C and D against A
    assert cells[1].startswith("A ") and cells[2].startswith("B ") and cells[3] == "Δ B"
    assert "Δ = each run - A" in result.stdout
    assert run_memtop("diff", str(BENCH_RUNS[0])).returncode == 2  # one run: nothing to compare


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_compare_chart_aligns_every_run_on_one_stage_axis(size):
    from memtop.tui.screens.compare import CompareScreen, chart_series

    app = replay_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause(0.5)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))
        series, ticks, names = chart_series(app.screen.states)
        assert len(series) == 4
        end = ticks[-1]
        for _, x, _ in series:
            assert all(b >= a for a, b in itertools.pairwise(x))  # only left to right
            assert x[0] >= 0 and x[-1] <= end  # on the axis
        assert ticks == [float(k) for k in range(len(ticks))]  # a tick at every boundary
        assert names[:2] == ["start", "initial"] and len(names) == len(ticks)
        # Every run reaches the end of the axis: no run's line ends at half width.
        assert all(x[-1] >= end - 1 for _, x, _ in series)
        await pilot.press("b")
        assert app.screen.baseline == 1
