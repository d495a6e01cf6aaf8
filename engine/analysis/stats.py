"""Seed 003's statistics of RSS: mean, max, min, standard deviation and median, over each stage
and over the whole run, from the sampler's readings."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from ..units import MIB
from .stage_tree import stage_keys


class Values:
    """The values of a window as counts of each value: RSS takes far fewer distinct values than
    it has samples (pages), so a days-long run is described in bounded memory, exactly."""

    def __init__(self) -> None:
        self.counts: Counter[int] = Counter()

    def describe(self) -> dict[str, float] | None:
        """In MiB; the standard deviation is the population one (numpy's default)."""
        n = self.counts.total()
        if not n:
            return None
        ordered = sorted(self.counts.items())
        mean = math.fsum(v * c for v, c in ordered) / n
        variance = math.fsum(c * (v - mean) ** 2 for v, c in ordered) / n
        return {"mean_mb": mean / MIB, "max_mb": ordered[-1][0] / MIB,
                "min_mb": ordered[0][0] / MIB, "std_mb": math.sqrt(variance) / MIB,
                "median_mb": _median(ordered, n) / MIB, "samples": n}


def _median(ordered: list[tuple[int, int]], n: int) -> float:
    def at(k: int) -> int:  # the k-th smallest value, from 0
        seen = 0
        for value, count in ordered:
            seen += count
            if seen > k:
                return value
        return ordered[-1][0]

    middle = n // 2
    return at(middle) if n % 2 else (at(middle - 1) + at(middle)) / 2


def stage_windows(stages: Sequence[dict[str, Any]], start: float) -> list[tuple[float, float]]:
    """(from, to) per stage: a block from its own start, a mark from the previous stage's end."""
    windows = []
    previous_end = start
    for stage in stages:
        windows.append((stage.get("t_start", previous_end), stage["t"]))
        previous_end = stage["t_end"]
    return windows


def rss_statistics(samples: Iterable[tuple], stages: Sequence[dict[str, Any]],
                   start: float) -> dict[str, Any]:
    """Over the run and each stage's window (from < t < to), in one pass over `samples` (in
    time order, read as they come: a days-long run is never held whole)."""
    windows = stage_windows(stages, start)
    order = sorted(range(len(windows)), key=lambda i: windows[i][0])
    values = [Values() for _ in windows]
    whole = Values()
    active: list[int] = []
    upcoming = 0
    for t, v, *_ in samples:  # (t, rss, high): statistics of RSS at each reading
        while upcoming < len(order) and windows[order[upcoming]][0] < t:
            active.append(order[upcoming])
            upcoming += 1
        if active:
            active = [i for i in active if t < windows[i][1]]
        whole.counts[v] += 1
        for i in active:
            values[i].counts[v] += 1
    return {"run": whole.describe(),
            "stages": {key: values[i].describe()
                       for i, key in enumerate(stage_keys(list(stages)))}}
