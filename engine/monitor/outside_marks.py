"""What memtop marks from outside the measured program: a key in the TUI (`m`), or a line of its
output (`memtop run --stages-from-output`).

From outside memtop never cuts the program's own stages (nor the protocol's): a mark there is a
*marker*, an instant with the program's RSS, shown beside the stages and never one of them. Only
where memtop alone sets a program's boundaries (an attached process, or stages from output
until the program sends stages of its own) does a mark from outside end a stage: at the top of
the tree, from the previous such cut to this one, with the kernel's exact peak of that interval.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from .. import messages
from ..messages import Message
from ..probes.peak_mark import ENGINE, PeakMark
from ..probes.procfs import ProcessGone, read_status

MAX_MARKERS = 10_000  # markers a run keeps (a program's output may match many lines)


def marker(pid: int, name: str) -> dict[str, Any] | None:
    """An instant on process `pid` now (None if it has gone): its name, time, RSS and swap."""
    try:
        status = read_status(pid)
    except ProcessGone:
        return None
    return {"name": name, "t": time.monotonic(), "wall": time.time(), "rss": status.rss,
            "swap": status.swap}


class OutsideStages:
    """Stages ended from outside on one process, each from the previous one's end."""

    def __init__(self, pid: int, peaks_dir: str | None = None) -> None:
        self.pid, self.peaks_dir = pid, peaks_dir
        self._mark: PeakMark | None = None  # opened at the first cut (most runs have none)
        self._edge: dict[str, Any] = {}  # where the next one starts (none before the first)

    def cut(self, name: str) -> dict[str, Any] | None:
        """The stage event that ends now (None if the process has gone). The program's
        high-water mark is reset here, so each stage's kernel peak is exact once the previous
        reset worked."""
        try:
            t = time.monotonic()
            if self._mark is None:
                self._mark = PeakMark(self.pid, ENGINE, self.peaks_dir)
            taken = self._mark.take()
        except (ProcessGone, OSError):
            return None
        status, t_end = taken.status, time.monotonic()
        event = {"type": "stage", "name": name, "parent": None, **self._edge, "t": t,
                 "t_end": t_end, "wall": time.time(), "rss": status.rss, "swap": status.swap,
                 "peak": taken.peak, "peak_exact": taken.exact, "manual": True,
                 **status.kinds()}
        self._edge = status.start_of_stage(t_end)
        return event

    def close(self) -> None:
        if self._mark is not None:
            self._mark.close()


class OutsideMarks:
    """Marks from outside on one run: a stage where memtop alone sets its boundaries, else a
    marker, stored as an event and sent to the clients."""

    def __init__(self, pid: int, run_id: str, writer: Any, send: Callable[[Message], None],
                 peaks_dir: str | None = None) -> None:
        self.pid, self.run_id, self.writer, self.send = pid, run_id, writer, send
        self._stages = OutsideStages(pid, peaks_dir)
        self.markers = 0

    def close(self) -> None:
        self._stages.close()

    def mark(self, name: str, as_stage: bool) -> dict[str, Any] | None:
        """The stage event to apply (`as_stage`), else None once the marker is recorded."""
        if as_stage:
            return self._stages.cut(name)
        found = marker(self.pid, name[:200])
        if found is not None and self.markers < MAX_MARKERS:
            self.markers += 1
            self.writer.add_event(found["t"], "marker", "info", found["name"], found)
            self.send(messages.marker(self.run_id, found))
        return None
