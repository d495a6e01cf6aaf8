"""Bounded histories for live views: a max envelope that never averages a spike away.

Values land in time buckets; when there are more buckets than `capacity`, neighbours merge two by
two (keeping the larger value) and buckets get twice as wide. Memory stays bounded however long
the run, and the highest value of any stretch of time survives every merge.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


class MaxEnvelope:
    def __init__(self, capacity: int = 2048, span: float = 0.005) -> None:
        self.capacity = capacity
        self.span = span  # seconds one bucket covers
        self.times: list[float] = []  # bucket start times
        self.values: list[float] = []  # bucket maxima
        self.last: float | None = None

    def __len__(self) -> int:
        return len(self.values)

    def add(self, t: float, value: float) -> None:
        self.last = value
        if self.times and t < self.times[-1] + self.span:
            if value > self.values[-1]:
                self.values[-1] = value
            return
        self.times.append(t)
        self.values.append(value)
        if len(self.values) > self.capacity:
            self._halve()

    def extend(self, times: Iterable[float], values: Iterable[float]) -> None:
        for t, v in zip(times, values, strict=True):
            self.add(t, v)

    def _halve(self) -> None:
        self.span *= 2
        times, values = self.times, self.values
        self.times = times[::2]
        self.values = [max(values[i:i + 2]) for i in range(0, len(values), 2)]

    def max(self) -> float | None:
        return max(self.values) if self.values else None


def resample_max(times: Sequence[float], values: Sequence[float], start: float, end: float,
                 width: int) -> list[float | None]:
    """`width` columns over [start, end]: each the maximum of the values that fall in it."""
    columns: list[float | None] = [None] * width
    if width <= 0 or end <= start:
        return columns
    scale = width / (end - start)
    for t, v in zip(times, values, strict=True):
        i = int((t - start) * scale)
        if i == width:
            i -= 1
        if 0 <= i < width:
            current = columns[i]
            if current is None or v > current:
                columns[i] = v
    return columns
