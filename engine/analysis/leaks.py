"""Leak detection over repeated iterations (seed 002): least squares of RSS against iteration.

Verdicts (docs/metrics.md):
- fewer than MIN_ITERATIONS: "too few iterations";
- slope <= NEGLIGIBLE_MB per iteration: "no significant leak" (seed 002's 0.045 MB/iteration
  is here: under 1 GB over 10,000 iterations);
- above it with r² >= STEADY_R2 (memory grows steadily with each iteration): "leak";
- above it with a lower r² (growth, but not in step with iterations): "possible leak".
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from ..units import MIB

MIN_ITERATIONS = 3
NEGLIGIBLE_MB = 0.1
STEADY_R2 = 0.8
EXTRAPOLATE_TO = (100, 1_000, 10_000)


def least_squares(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float]:
    """(slope, intercept, r²) of the line through the points; r² is 0 for a flat series."""
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    syy = sum((y - mean_y) ** 2 for y in ys)
    slope = sxy / sxx if sxx else 0.0
    r2 = (sxy * sxy) / (sxx * syy) if sxx and syy else 0.0
    return slope, mean_y - slope * mean_x, r2


def analyze(iterations: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """From `iteration` events (RSS in bytes after each iteration)."""
    rss = [it["rss"] / MIB for it in iterations]
    result: dict[str, Any] = {
        "iterations": len(rss), "rss_mb": rss,
        "deltas_mb": [b - a for a, b in itertools.pairwise(rss)],
        "slope_mb_per_iter": None, "r2": None, "extrapolated_mb": {},
        "thresholds": {"negligible_mb_per_iter": NEGLIGIBLE_MB, "steady_r2": STEADY_R2},
    }
    if len(rss) < MIN_ITERATIONS:
        result["verdict"] = "too few iterations"
        return result
    slope, _, r2 = least_squares([float(i) for i in range(1, len(rss) + 1)], rss)
    result.update(slope_mb_per_iter=slope, r2=r2,
                  total_growth_mb=rss[-1] - rss[0],
                  extrapolated_mb={str(n): slope * n for n in EXTRAPOLATE_TO})
    if slope <= NEGLIGIBLE_MB:
        result["verdict"] = "no significant leak"
    elif r2 >= STEADY_R2:
        result["verdict"] = "leak"
    else:
        result["verdict"] = "possible leak"
    return result
