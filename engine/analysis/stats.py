"""Seed 003's statistics of RSS: mean, max, min, standard deviation and median, over each stage
and over the whole run, from the sampler's readings."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Any

from ..units import MIB


def describe(values: Sequence[float]) -> dict[str, float] | None:
    """In MiB; the standard deviation is the population one (numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    n = len(ordered)
    mean = math.fsum(ordered) / n
    variance = math.fsum((v - mean) ** 2 for v in ordered) / n
    middle = n // 2
    median = ordered[middle] if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return {"mean_mb": mean / MIB, "max_mb": ordered[-1] / MIB, "min_mb": ordered[0] / MIB,
            "std_mb": math.sqrt(variance) / MIB, "median_mb": median / MIB, "samples": n}


def stage_windows(stages: Sequence[dict[str, Any]], start: float) -> list[tuple[float, float]]:
    """(from, to) per stage: a block from its own start, a mark from the previous stage's end."""
    windows = []
    previous_end = start
    for stage in stages:
        windows.append((stage.get("t_start", previous_end), stage["t"]))
        previous_end = stage["t_end"]
    return windows


def rss_statistics(samples: Sequence[tuple[float, int]], stages: Sequence[dict[str, Any]],
                   start: float) -> dict[str, Any]:
    times = [t for t, _ in samples]
    values = [v for _, v in samples]
    per_stage = {}
    for stage, (begin, end) in zip(stages, stage_windows(stages, start), strict=True):
        lo, hi = bisect.bisect_right(times, begin), bisect.bisect_left(times, end)
        per_stage[stage["name"]] = describe(values[lo:hi])
    return {"run": describe(values), "stages": per_stage}
