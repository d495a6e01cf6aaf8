"""Seed 003's RSS statistics kept while the run goes, so that its end costs the same after an
hour or three days (reading a 72-hour run back took a minute; issue #15).

Samples are counted by value (stats.py) in segments of time cut at every stage boundary: a
stage's window (stats.stage_windows: from a block's begin, or the previous stage's end, to its
own end) is then a run of whole segments. Boundaries are told a little after their time (the
session's events and the sampler's readings come by different roads), so the latest samples
stay as they came, RAW_TAIL_S of them, and a boundary cuts them where its time says. Memory: a
counter per stage boundary, not per sample.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .stage_tree import stage_keys
from .stats import Values, stage_windows

RAW_TAIL_S = 30.0  # a boundary told later than this after its time cuts at the nearest edge


@dataclass
class _Segment:
    first: float  # its earliest sample's time
    last: float  # its latest
    counts: Counter[int]
    closed: bool = False  # a boundary follows it: later samples start a new segment


class RunningStats:
    def __init__(self, start: float) -> None:
        """`start`: the run's, where its first stage's window begins."""
        self.whole: Counter[int] = Counter()
        self._segments: list[_Segment] = []  # sealed, in time order, cut at boundaries
        self._times: list[float] = []  # the raw tail, in time order
        self._values: list[int] = []
        self._cuts: list[float] = []  # boundary times not yet applied, in order
        self._sealed_upto = float("-inf")
        self.boundary(start)

    def add(self, times: Sequence[float], values: Sequence[int]) -> None:
        """Samples in time order (a pump's worth)."""
        self.whole.update(values)
        self._times.extend(times)
        self._values.extend(values)
        if self._times and self._times[-1] - self._times[0] > 2 * RAW_TAIL_S:
            self._seal(self._times[-1] - RAW_TAIL_S)

    def boundary(self, t: float) -> None:
        """A time at which some stage's window begins or ends."""
        if t > self._sealed_upto:  # else told too late: windows take the nearest sealed edge
            bisect.insort(self._cuts, t)

    def _seal(self, upto: float) -> None:
        """The raw samples up to `upto` into counters, cut at the boundaries among them."""
        end = bisect.bisect_right(self._times, upto)
        start = 0
        while self._cuts and self._cuts[0] <= upto:
            cut = self._cuts.pop(0)
            below = bisect.bisect_left(self._times, cut, start, end)
            at = bisect.bisect_right(self._times, cut, below, end)
            self._count(start, below)
            if self._segments:
                self._segments[-1].closed = True
            if at > below:  # samples at the very time of a boundary: in neither window
                self._segments.append(_Segment(cut, cut, Counter(self._values[below:at]),
                                               closed=True))
            start = at
        self._count(start, end)
        del self._times[:end], self._values[:end]
        self._sealed_upto = upto

    def _count(self, lo: int, hi: int) -> None:
        if lo >= hi:
            return
        tail = self._segments[-1] if self._segments else None
        if tail is not None and not tail.closed:
            tail.counts.update(self._values[lo:hi])
            tail.last = self._times[hi - 1]
        else:
            self._segments.append(_Segment(self._times[lo], self._times[hi - 1],
                                           Counter(self._values[lo:hi])))

    def result(self, stages: Sequence[dict[str, Any]], start: float) -> dict[str, Any]:
        """The figures of stats.rss_statistics for the samples given so far (and the last of
        them: what is raw is sealed)."""
        self._seal(float("inf"))
        stage_values = []
        for low, high in stage_windows(stages, start):
            values = Values()
            for segment in self._segments:
                if low < segment.first and segment.last < high:
                    values.counts.update(segment.counts)
            stage_values.append(values)
        whole = Values()
        whole.counts = self.whole
        return {"run": whole.describe(),
                "stages": {key: values.describe()
                           for key, values in zip(stage_keys(list(stages)), stage_values,
                                                  strict=True)}}
