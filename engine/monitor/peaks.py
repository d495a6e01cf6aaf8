"""The sampled maximum of each stage, to set beside the kernel's exact peak.

A stage covers a window: a mark's runs from the previous cut, a block's from its own begin. A
sample counts for a window only if its whole read lies inside it: it started (t0) after the
window opened (the reset) and ended (t1) before the closing cut began. Samples wait in a short
tail until they are older than MARGIN_S, because the event that closes a window arrives through
another thread a little after the samples do; older ones are folded into every open window.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

MARGIN_S = 0.5
_MARK = 0  # the window of the next mark: since the last cut of any kind


@dataclass
class _Window:
    start: float
    best: int | None = None

    def take(self, t0: float, value: int) -> None:
        if t0 > self.start and (self.best is None or value > self.best):
            self.best = value


class SampledPeak:
    def __init__(self) -> None:
        self._windows: dict[int, _Window] = {_MARK: _Window(float("-inf"))}
        self._tail: deque[tuple[float, float, int]] = deque()

    def add(self, t0: float, t1: float, rss: int) -> None:
        self._tail.append((t0, t1, rss))
        while self._tail and self._tail[0][1] < t1 - MARGIN_S:
            s0, _, value = self._tail.popleft()
            for window in self._windows.values():
                window.take(s0, value)

    def _cut(self, end: float) -> None:
        self._windows[_MARK] = _Window(end)
        self._tail = deque(s for s in self._tail if s[0] > min(w.start for w in
                                                                self._windows.values()))

    def open_block(self, block: int, end: float) -> None:
        """A block began with a cut spanning [.., end]."""
        self._windows[block] = _Window(end)
        self._cut(end)

    def close_stage(self, start: float, end: float, block: int | None = None) -> int | None:
        """The maximum over the stage whose closing cut spans [start, end]."""
        window = self._windows.pop(block if block is not None else _MARK, None)
        best = None
        if window is not None:
            best = window.best
            for t0, t1, value in self._tail:
                if t0 > window.start and t1 < start and (best is None or value > best):
                    best = value
        self._cut(end)
        return best
