"""A window of time over a run, moved by keys as a chart's x axis is: zoom in and out around its
middle, pan by a quarter of its width, back to the whole run. Pure: the detail screen owns one,
and reads the readings of its window from the run file (store/windows.py: cost bounded by the
window's columns, not by the run's length).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .history import resample_max

SHORTEST_S = 0.02  # zoomed in to this, a column of a wide chart is a single 5 ms sample
ZOOM_STEP = 2.0
PAN_SHARE = 0.25


@dataclass(frozen=True)
class TimeWindow:
    """[start, end] in the run's own clock; `whole` when it is the run's span, which grows with
    a live run (the window follows it), while a zoomed window stays where it was put."""

    start: float
    end: float
    whole: bool = True

    @property
    def width(self) -> float:
        return self.end - self.start

    def over(self, run_start: float, run_end: float) -> TimeWindow:
        """This window for a run that now spans [run_start, run_end]."""
        run_end = max(run_end, run_start + SHORTEST_S)
        if self.whole:
            return TimeWindow(run_start, run_end)
        return _within(self.start, self.end, run_start, run_end)

    def zoom_in(self, run_start: float, run_end: float) -> TimeWindow:
        middle = (self.start + self.end) / 2
        half = max(self.width / ZOOM_STEP, SHORTEST_S) / 2
        return _within(middle - half, middle + half, run_start, run_end)

    def zoom_out(self, run_start: float, run_end: float) -> TimeWindow:
        middle = (self.start + self.end) / 2
        half = self.width * ZOOM_STEP / 2
        if 2 * half >= run_end - run_start:
            return TimeWindow(run_start, run_end)
        return _within(middle - half, middle + half, run_start, run_end)

    def pan(self, direction: int, run_start: float, run_end: float) -> TimeWindow:
        if self.whole:
            return self
        shift = direction * self.width * PAN_SHARE
        return _within(self.start + shift, self.end + shift, run_start, run_end)

    def zoom_around(self, t: float, width: float, run_start: float,
                    run_end: float) -> TimeWindow:
        """A window of `width` centred on `t` (a stage, a spike)."""
        half = max(width, SHORTEST_S) / 2
        return _within(t - half, t + half, run_start, run_end)

    def label(self, run_start: float) -> str:
        """What the chart's title says of the window: its place in the run, and the zoom."""
        scope = "whole run" if self.whole else "zoom"
        return (f"{scope} {_clock(self.start - run_start)}-{_clock(self.end - run_start)} "
                f"({_span(self.width)})")


def _within(start: float, end: float, run_start: float, run_end: float) -> TimeWindow:
    """A window of that width kept inside the run; the run itself if it is as wide."""
    width = end - start
    if width >= run_end - run_start:
        return TimeWindow(run_start, run_end)
    if start < run_start:
        start, end = run_start, run_start + width
    if end > run_end:
        start, end = run_end - width, run_end
    return TimeWindow(start, end, whole=False)


def _clock(seconds: float) -> str:
    """h:mm:ss.mmm from the run's start (hours past 99 as they come)."""
    seconds = max(0.0, seconds)
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}.{int(seconds % 1 * 1000):03d}"


def _span(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:.1f} min"
    if seconds >= 1:
        return f"{seconds:.1f} s"
    return f"{seconds * 1000:.0f} ms"


class WindowSource(Protocol):
    """What a chart reads of a run file (store.reader.Run)."""

    def window(self, table: str, after: float, upto: float,
               resolution: float | None = None) -> list[tuple]: ...


def window_maxima(run: WindowSource, table: str, column: int, window: TimeWindow,
                  width: int) -> list[float | None]:
    """`width` columns over the window, each the largest value of `column` in it (a spike shows
    in every zoom), read at the resolution the columns need."""
    rows = run.window(table, window.start, window.end, resolution=window.width / max(1, width))
    values = [row[column] for row in rows]
    return resample_max([row[0] for row in rows], values, window.start, window.end, width)
