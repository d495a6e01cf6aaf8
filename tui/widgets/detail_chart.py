"""The detail screen's chart: RSS (and the anonymous, file-backed and swapped memory under it)
over time, stage ends as lines, markers as crosses.

The whole run is drawn from the view's own histories, in memory. A zoomed window is read from
the run file at the chart's resolution (each column its largest value, so a spike of a sample
shows) by a thread worker, which posts what it found as a frozen snapshot (`ChartRead`); the
chart draws the latest snapshot of its window. SQLite and decompression never run on the event
loop, however large the file or slow the disk: keys are answered while a window is read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import work
from textual.message import Message
from textual_plotext import PlotextPlot

from memtop.engine.client import RunState, TimeWindow, window_maxima
from memtop.engine.errors import UserError
from memtop.engine.store import Run, read_run
from memtop.engine.units import MIB

# The chart's lines from the run file: (label, table, column). Each column of the chart is the
# highest of its window, so RSS is drawn from the samples' `high` (every reading the maximum since
# the one before: no spike between readings is missed). RSS is anonymous + file-backed (+ shared)
# memory: the two lines under it say which grew.
SERIES = (("RSS MiB", "samples", 2), ("anon MiB", "proc", 4), ("file MiB", "proc", 5),
          ("swap MiB", "proc", 3))

Series = tuple[tuple[str, tuple[float, ...], tuple[float, ...]], ...]  # (label, seconds, MiB)


@dataclass(frozen=True)
class ChartRequest:
    """A window to read: the version of the run's state it was asked at (a live run grows)."""

    window: TimeWindow | None  # None: only the file's latest sample time
    start: float
    columns: int
    version: int


@dataclass
class ChartRead(Message):
    """What the reader found for `request`: the window's series, and the run file's latest
    sample time (None: no file, or it could not be read)."""

    request: ChartRequest
    series: Series
    file_end: float | None

    def can_replace(self, message: Message) -> bool:  # only the latest read matters
        return isinstance(message, ChartRead)


class DetailChart(PlotextPlot):
    def __init__(self, state: RunState, ascii: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state = state
        self.ascii = ascii
        self.window = TimeWindow(0.0, 0.0)  # whole: follows the run
        self.markers: list[dict[str, Any]] = []  # the markers (`m`) it shows
        self.read: ChartRead | None = None  # the latest snapshot from the run file
        self._asked: ChartRequest | None = None
        self._run: Run | None = None  # opened and read in the worker only
        self._file_end: float | None = None

    def on_mount(self) -> None:
        self._ask(ChartRequest(None, 0.0, 0, -1))  # the file's extent, for zooming into it

    def span(self) -> tuple[float, float]:
        """The run's span so far: its start and its latest sample (in memory or in the file)."""
        start = self.state.t_start or 0.0
        history = self.state.rss_history
        end = history.times[-1] if len(history) else start
        return start, max(end, self._file_end or end)

    def show(self, window: TimeWindow) -> None:
        self.window = window
        self.draw()

    def draw(self) -> None:
        state = self.state
        start, end = self.span()
        window = self.window.over(start, end)
        series = self._series(window, start)
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if self.ascii:
            plt.theme("clear")
        marker = "dot" if self.ascii else "braille"
        for label, times, values in series:
            if values and max(values):
                plt.plot(list(times), list(values), label=label, marker=marker)
        for stage in state.stages:
            if window.start <= stage["t"] <= window.end:
                plt.vline(stage["t"] - start)
        marks = self.markers = [m for m in state.markers
                                if window.start <= m["t"] <= window.end]
        if marks:  # instants marked from outside (`m`): at their RSS, never stage lines
            plt.scatter([m["t"] - start for m in marks], [m["rss"] / MIB for m in marks],
                        label="markers (m)", marker="x")
        reading = "" if window.whole or self._read_for(window) else " · reading…"
        plt.title(f"MiB, {window.label(start)} · lines: stage ends{reading}")  # keys: footer
        plt.xlabel("seconds")
        self.refresh()

    def _series(self, window: TimeWindow, start: float) -> Series:
        """The whole run from the view's history; a zoomed window from the latest read of it
        (asked for if the run has grown since, or never read)."""
        state = self.state
        if window.whole or not state.path:
            return tuple((label, tuple(t - start for t in history.times),
                          tuple(v / MIB for v in history.values))
                         for label, history in (("RSS MiB", state.rss_history),
                                                ("anon MiB", state.anon_history),
                                                ("file MiB", state.file_history),
                                                ("swap MiB", state.swap_history)))
        columns = max(20, 2 * self.size.width - 20)  # braille: two dots a cell, less the axis
        wanted = ChartRequest(window, start, columns, state.version)
        read = self._read_for(window)
        if (read is None or read.request != wanted) and self._asked != wanted:
            self._ask(wanted)
        return read.series if read is not None else ()

    def _read_for(self, window: TimeWindow) -> ChartRead | None:
        read = self.read
        return read if read is not None and read.request.window == window else None

    def _ask(self, request: ChartRequest) -> None:
        self._asked = request
        self._read_window(request)

    @work(thread=True, exclusive=True, group="chart", exit_on_error=False,
          description="reading a window of the run file")
    def _read_window(self, request: ChartRequest) -> None:
        run = self._opened()
        series: Series = ()
        if run is not None and request.window is not None:
            window, start, columns = request.window, request.start, request.columns
            step = window.width / columns
            found = []
            for label, table, column in SERIES:
                maxima = window_maxima(run, table, column, window, columns)
                points = [(window.start + (i + 0.5) * step - start, v / MIB)
                          for i, v in enumerate(maxima) if v is not None]
                found.append((label, tuple(t for t, _ in points), tuple(v for _, v in points)))
            series = tuple(found)
        end = run.last_sample_time() if run is not None else None
        self.post_message(ChartRead(request, series, end))

    def _opened(self) -> Run | None:
        if self._run is None and self.state.path:
            try:
                self._run = read_run(self.state.path)
            except UserError:
                return None  # the chart keeps to the view's history
        return self._run

    def on_chart_read(self, read: ChartRead) -> None:
        read.stop()
        self._file_end = read.file_end if read.file_end is not None else self._file_end
        if read.request.window is not None:
            self.read = read
        self.draw()
