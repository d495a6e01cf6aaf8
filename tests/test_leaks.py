"""Leak detection: the regression itself, and a program that leaks on purpose."""

import sys

import numpy as np
import pytest

from memtop.engine.analysis.leaks import analyze, least_squares

from conftest import HELPERS, run_memtop, show_json

MIB = 1024 * 1024


def test_least_squares_matches_numpy():
    rng = np.random.default_rng(7)
    xs = np.arange(1, 31, dtype=float)
    ys = 3.5 * xs + 100 + rng.normal(0, 2, xs.size)
    slope, intercept, r2 = least_squares(list(xs), list(ys))
    np_slope, np_intercept = np.polyfit(xs, ys, 1)
    assert slope == pytest.approx(np_slope) and intercept == pytest.approx(np_intercept)
    assert r2 == pytest.approx(np.corrcoef(xs, ys)[0, 1] ** 2)


@pytest.mark.parametrize(("growth_mb", "noise_mb", "verdict"), [
    (0.0, 0.5, "no significant leak"),
    (0.045, 0.0, "no significant leak"),  # seed 002's rate
    (2.0, 0.1, "leak"),
    (0.5, 5.0, "possible leak"),
])
def test_verdicts(growth_mb, noise_mb, verdict):
    rng = np.random.default_rng(1)
    rss = [1000 + i * growth_mb + rng.normal(0, noise_mb) for i in range(20)]
    result = analyze([{"rss": v * MIB} for v in rss])
    assert result["verdict"] == verdict, result
    assert result["extrapolated_mb"]["1000"] == pytest.approx(result["slope_mb_per_iter"] * 1000)


def test_too_few_iterations():
    assert analyze([{"rss": 1}, {"rss": 2}])["verdict"] == "too few iterations"


def test_a_program_that_leaks_on_purpose_is_caught(runs_dir):
    result = run_memtop("run", "--no-tui", "--runs-dir", str(runs_dir), "--", sys.executable,
                        str(HELPERS / "leaky.py"))
    assert result.returncode == 0, result.stderr
    leak = show_json(runs_dir)["leak"]
    assert leak["iterations"] == 12 and leak["verdict"] == "leak"
    assert leak["slope_mb_per_iter"] == pytest.approx(2.0, rel=0.1)
    assert leak["r2"] > 0.95
    assert "Leak check over 12 iterations: leak" in run_memtop(
        "show", "latest", "--runs-dir", str(runs_dir)).stdout
