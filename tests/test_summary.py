"""The seeds' summary figures from stages, and the health classes."""

import pytest

from memtop.engine.analysis.stage_rows import stage_rows
from memtop.engine.analysis.summary import health, summarize

from conftest import MIB


def stage(name, t, rss, peak, swap=0, **extra):
    return {"name": name, "t": t, "t_end": t, "rss": rss * MIB, "swap": swap * MIB,
            "peak": peak * MIB, "peak_exact": True, **extra}


STAGES = [
    stage("initial", 0.0, 800, 810),
    stage("model_loaded", 5.0, 2200, 2600),
    stage("before_inference", 5.1, 2200, 2200),
    stage("first_inference", 12.0, 2450, 3100, latency=6.0, tokens_generated=9),
    stage("second_inference", 14.0, 2460, 2500, latency=1.5, tokens_generated=9, swap=40),
    stage("final", 14.2, 2400, 2460),
]


def test_summary_follows_the_seeds_definitions():
    s = summarize(STAGES, swap_peak=120 * MIB)
    assert s["model_loading_mb"] == 1400
    assert s["compilation_mb"] == 250  # after 1st minus before 1st
    assert s["peak_mb"] == 3100 and s["peak_above_initial_mb"] == 2300
    assert s["growth_mb"] == 1600
    assert s["swap_peak_mb"] == 120
    assert s["speedup"] == 4.0 and s["tokens_per_s"] == 6.0
    assert s["health"] == "high"


def test_a_run_that_stopped_early_has_no_made_up_figures():
    s = summarize(STAGES[:2])
    assert s["model_loading_mb"] == 1400
    assert s["compilation_mb"] is None and s["speedup"] is None and s["tokens_per_s"] is None


def test_sampled_peak_stands_in_where_the_kernel_peak_is_not_per_stage():
    stages = [stage("initial", 0, 100, 100), {**stage("model_loaded", 1, 200, 900),
                                              "peak_exact": False, "sampled_peak": 250 * MIB}]
    rows = stage_rows(stages)
    assert rows[1]["peak_mb"] == 250 and rows[1]["kernel_peak_mb"] == 900
    assert summarize(stages)["peak_mb"] == 250


@pytest.mark.parametrize(("peak", "expected"), [(500, "good"), (1023, "good"),
                                                (1024, "acceptable"), (3071, "acceptable"),
                                                (3072, "high"), (5120, "critical"),
                                                (None, None)])
def test_health_thresholds(peak, expected):
    assert health(peak) == expected


def test_stage_rows_changes_and_durations():
    rows = stage_rows(STAGES)
    assert rows[0]["rss_change_mb"] is None
    assert rows[1]["rss_change_mb"] == 1400 and rows[1]["duration_s"] == 5.0
    assert rows[4]["swap_change_mb"] == 40
