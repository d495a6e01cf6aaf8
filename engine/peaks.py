"""The sampled maximum of each stage, to set beside the kernel's exact peak.

A sample belongs to a stage only if its whole read lies inside the stage: it started (t0) after
the previous boundary's reset and ended (t1) before this boundary began. Samples are kept in a short
tail until they are older than MARGIN_S, because the stage event that splits them arrives through
another thread a little later than the samples do.
"""

from __future__ import annotations

from collections import deque

MARGIN_S = 0.5


class SampledPeak:
    def __init__(self) -> None:
        self._after = float("-inf")  # end (reset) of the previous boundary
        self._absorbed: int | None = None
        self._tail: deque[tuple[float, float, int]] = deque()

    def add(self, t0: float, t1: float, rss: int) -> None:
        self._tail.append((t0, t1, rss))
        while self._tail and self._tail[0][1] < t1 - MARGIN_S:
            s0, _, value = self._tail.popleft()
            if s0 > self._after and (self._absorbed is None or value > self._absorbed):
                self._absorbed = value

    def close_stage(self, start: float, end: float) -> int | None:
        """The maximum over the stage that ends at a boundary spanning [start, end]."""
        best = self._absorbed
        for t0, t1, value in self._tail:
            if t0 > self._after and t1 < start and (best is None or value > best):
                best = value
        self._tail = deque(s for s in self._tail if s[0] > end)
        self._after = end
        self._absorbed = None
        return best
