"""Leak detection over repeated iterations (seed 002): least squares of RSS against iteration.

Verdicts (docs/metrics.md):
- fewer than MIN_ITERATIONS: "too few iterations";
- slope <= NEGLIGIBLE_MB per iteration: "no significant leak" (seed 002's 0.045 MB/iteration
  is here: under 1 GB over 10,000 iterations);
- above it with r² >= STEADY_R2 (memory grows steadily with each iteration): "leak";
- above it with a lower r² (growth, but not in step with iterations): "possible leak";
- either of those, where glibc's heap says the growth is not live data (memory in use grows by
  a negligible slope while memory malloc holds free grows by at least RETAINED_SHARE of the RSS
  slope): "allocator retention" — freed memory the allocator keeps (`--trim` gives it back).
  Memory malloc does not see (Python's small-object arenas) never reads as retention.
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
RETAINED_SHARE = 0.5


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
    elif _retained(iterations, slope, result):
        result["verdict"] = "allocator retention"
    elif r2 >= STEADY_R2:
        result["verdict"] = "leak"
    else:
        result["verdict"] = "possible leak"
    return result


def _retained(iterations: Sequence[dict[str, Any]], rss_slope: float,
              result: dict[str, Any]) -> bool:
    """Whether RSS grows because glibc keeps freed memory, not because live data grows (the
    heap's slopes go into `result`); False where the iterations carry no heap figures."""
    if not all("heap_in_use" in it and "heap_free" in it for it in iterations):
        return False
    xs = [float(i) for i in range(1, len(iterations) + 1)]
    in_use, _, _ = least_squares(xs, [it["heap_in_use"] / MIB for it in iterations])
    held, _, _ = least_squares(xs, [it["heap_free"] / MIB for it in iterations])
    result.update(heap_in_use_slope_mb_per_iter=in_use, heap_free_slope_mb_per_iter=held)
    return in_use <= NEGLIGIBLE_MB and held >= RETAINED_SHARE * rss_slope
