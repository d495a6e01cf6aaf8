"""The sampled maximum of each stage, to set beside the kernel's exact peak.

A stage covers a window: a mark's runs from the previous cut, a block's from its own begin. A
sample counts for a window only if its whole read lies inside it: it started (t0) after the
window opened (the reset) and ended (t1) before the closing cut began. Samples wait in a short
tail until they are older than MARGIN_S, because the event that closes a window arrives through
another thread a little after the samples do; older ones are folded into every open window.
A reading that is its interval's maximum (`high`, since `since`) counts with that maximum where
the whole interval lies inside the window, else with its RSS at the reading.
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

    def take(self, reading: _Reading) -> None:
        value = reading.value_in(self.start)
        if value is not None and (self.best is None or value > self.best):
            self.best = value


@dataclass(frozen=True)
class _Reading:
    t0: float
    t1: float
    rss: int
    high: int
    since: float  # the interval `high` covers starts here (t0 for a point sample)

    def value_in(self, start: float) -> int | None:
        """What it says of a window opened at `start`: None if it was read before."""
        if self.t0 <= start:
            return None
        return self.high if self.since >= start else self.rss


class SampledPeak:
    def __init__(self) -> None:
        self._windows: dict[int, _Window] = {_MARK: _Window(float("-inf"))}
        self._tail: deque[_Reading] = deque()

    def add(self, t0: float, t1: float, rss: int, high: int | None = None,
            since: float | None = None) -> None:
        """A reading of RSS at [t0, t1], and the highest since `since` where known."""
        self._tail.append(_Reading(t0, t1, rss, rss if high is None else high,
                                   t0 if since is None else since))
        while self._tail and self._tail[0].t1 < t1 - MARGIN_S:
            reading = self._tail.popleft()
            for window in self._windows.values():
                window.take(reading)

    def _cut(self, end: float) -> None:
        self._windows[_MARK] = _Window(end)
        self._tail = deque(s for s in self._tail if s.t0 > min(w.start for w in
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
            for reading in self._tail:
                value = reading.value_in(window.start) if reading.t1 < start else None
                if value is not None and (best is None or value > best):
                    best = value
        self._cut(end)
        return best
