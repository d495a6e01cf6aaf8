"""Memory against size as a line (fixed MiB + MiB per unit), fitted to the trials that ran, and
what it predicts for other budgets. Least squares: the peaks of a real model are not exactly on
a line (allocators round, compilers pick other kernels for other shapes); the fit says how far
they were (its largest miss)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class MemoryLine:
    fixed_mib: float
    per_unit_mib: float
    worst_miss_mib: float  # the largest distance of a trial's peak from the line

    def largest_within(self, budget_mib: float) -> int | None:
        """The largest size the line keeps within `budget_mib` (None if memory does not grow
        with the size: the line cannot tell)."""
        if self.per_unit_mib <= 0:
            return None
        return max(0, math.floor((budget_mib - self.fixed_mib) / self.per_unit_mib))


def fit_line(points: list[tuple[int, float]]) -> MemoryLine | None:
    """(size, peak MiB) pairs of trials that ran to their end; None with fewer than 2 sizes."""
    sizes = {s for s, _ in points}
    if len(sizes) < 2:
        return None
    n = len(points)
    mean_x = sum(s for s, _ in points) / n
    mean_y = sum(p for _, p in points) / n
    slope = sum((s - mean_x) * (p - mean_y) for s, p in points) / \
        sum((s - mean_x) ** 2 for s, _ in points)
    fixed = mean_y - slope * mean_x
    miss = max(abs(p - (fixed + slope * s)) for s, p in points)
    return MemoryLine(fixed, slope, miss)
