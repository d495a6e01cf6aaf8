"""The processes of a run's tree, one by one, where there are several (a torchrun job, a data
loader's workers): each named by its rank where its launcher set one, else by pid and command;
its RSS now and the highest seen (VmHWM or sampled, whichever is higher); rank drift alarms.
Live only, once a second; at the end each one's peak goes into the run file's metadata."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .. import messages
from ..analysis.alarms import AlarmWatch
from ..messages import Message
from ..probes.peak_mark import ENGINE, PeakMark
from ..probes.procfs import ProcessGone
from ..probes.ranks import environ_of, process_name, rank_name

MAX_KEPT = 64  # a tree of hundreds of forked workers keeps its 64 largest at the end


class WorkerWatch:
    def __init__(self, run_id: str, alarms: AlarmWatch, peaks_dir: str | None = None) -> None:
        """`peaks_dir`: the run's shared marks (peak_mark.py), None where it has none."""
        self._run_id = run_id
        self._alarms = alarms
        self._names: dict[int, str] = {}
        self._peaks: dict[int, int] = {}
        self._marking: set[int] = set()  # ranks that send stages of their own
        self._reset_ok: dict[int, bool] = {}  # whether each one's last VmHWM reset worked
        self.peaks_dir = peaks_dir

    def name(self, pid: int) -> str:
        if pid not in self._names:
            self._names[pid] = rank_name(environ_of(pid)) or \
                f"pid {pid} {process_name(pid) or '?'}"
        return self._names[pid]

    def reading(self, t: float, rows: list[tuple[int, int, int]],
                send: Callable[[Message], None]) -> list[dict[str, Any]]:
        """Sends the processes' lines from (pid, rss, hwm) rows; returns the alarms raised."""
        lines = []
        for pid, rss, hwm in rows:
            self._peaks[pid] = max(self._peaks.get(pid, 0), rss, hwm)
            lines.append({"pid": pid, "name": self.name(pid), "rss": rss,
                          "peak": self._peaks[pid]})
        send(messages.workers(self._run_id, t, lines))
        return self._alarms.on_workers(t, lines)

    def on_begin(self, event: dict[str, Any]) -> None:
        """A rank that opens a block marks stages of its own from now: the program's stages
        must not reset its VmHWM while the block is open (its peak would be cut)."""
        if event.get("worker") and isinstance(event.get("pid"), int):
            self._marking.add(event["pid"])

    def on_stage(self, event: dict[str, Any], tree: Iterable[int], root: int) -> bool:
        """Whether a stage is a rank's own (its exact peak counts in that process's peak: the
        rank's cuts reset its VmHWM, so a reading between them may not see it). A stage of the
        program's own process gets `processes`: each other process's peak since the previous
        such stage, its VmHWM read and reset here (those marking stages of their own keep
        theirs untouched)."""
        pid = event.get("pid")
        if event.get("worker") and isinstance(pid, int):
            self._peaks[pid] = max(self._peaks.get(pid, 0), int(event.get("peak") or 0))
            self._names.setdefault(pid, str(event["worker"]))
            self._marking.add(pid)
            return True
        found = []
        for other in sorted(set(tree) - {root} - self._marking):
            try:
                mark = PeakMark(other, ENGINE, self.peaks_dir)
            except (ProcessGone, OSError):
                continue
            try:
                taken = mark.take()
            except ProcessGone:
                continue
            finally:
                mark.close()
            self._peaks[other] = max(self._peaks.get(other, 0), taken.peak)
            found.append({"pid": other, "name": self.name(other), "peak": taken.peak,
                          "exact": self._reset_ok.get(other, True)})
            self._reset_ok[other] = taken.reset
        if found:
            event["processes"] = found
        return False

    def final(self) -> list[dict[str, Any]]:
        """Each process seen and its peak, largest first (the run file keeps these)."""
        kept = sorted(self._peaks.items(), key=lambda item: -item[1])[:MAX_KEPT]
        return [{"pid": pid, "name": self._names.get(pid, f"pid {pid}"), "peak": peak}
                for pid, peak in kept]
