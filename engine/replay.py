"""A run file turned back into the engine's message stream, so replays use the live code path.

`RunStream` hands out, by window of time since the run started, the same `started`, `samples`,
`proc`, `system`, `stage`, `alarm`, `iteration` and `finished` messages a live engine sends,
with the run's original timestamps inside.
"""

from __future__ import annotations

import bisect
from typing import Any

from .alarms import AlarmWatch, Thresholds
from .report import run_summary
from .run_state import RunBoard, RunState
from .store import Run

_PROC_KEYS = ("t", "rss", "hwm", "swap", "anon", "file", "nproc")
_SYSTEM_KEYS = ("t", "mem_available", "swap_total", "swap_free", "psi_some", "psi_full",
                "cgroup_usage", "cgroup_limit")
ALARM_KINDS = ("swap", "swap_growth", "pressure", "cgroup")


def run_start(run: Run) -> float:
    start = run.meta.get("t_start")
    if start is None:
        samples = run.samples()
        start = samples[0][0] if samples else 0.0
    return float(start)


def opening_messages(run: Run) -> list[dict[str, Any]]:
    meta = run.meta
    spec = {"backend": meta.get("backend", ""), "model": meta.get("model", ""),
            **(meta.get("spec") or {})}
    return [{"type": "queued", "spec": spec},
            {"type": "started", "run": run.run_id, "path": run.path, "pid": meta.get("pid"),
             "t": run_start(run), "meta": meta}]


class RunStream:
    """One run file as the engine's messages, handed out by time window.

    The many sample and status readings stay in arrays and become messages only for the window
    asked for (one `samples` message per window, as the live engine batches them); everything
    else (start, system readings, stages, alarms raised again with `thresholds`, iterations,
    the end) is built once. So opening a one-hour run costs one read, not 100,000 messages.
    """

    def __init__(self, run: Run, thresholds: Thresholds | None = None) -> None:
        self.run_id = run.run_id
        self.start = run_start(run)
        samples = run.samples()
        self._times = [t - self.start for t, _ in samples]
        self._values = [v for _, v in samples]
        self._proc = run.proc()
        self._proc_times = [row[0] - self.start for row in self._proc]
        self.opening = opening_messages(run)
        others: list[tuple[float, dict[str, Any]]] = []
        watch = AlarmWatch(thresholds)
        for row in self._proc:
            others.extend((a["t"] - self.start, alarm_message(run.run_id, a))
                          for a in watch.on_proc(row[0], row[3]))
        for row in run.system():
            others.append((row[0] - self.start, system_message(run.run_id, row)))
            others.extend((a["t"] - self.start, alarm_message(run.run_id, a))
                          for a in watch.on_system(row[0], row[4], row[6], row[7]))
        for t, used, device_used, device_total in run.gpu():
            others.append((t - self.start, {"type": "gpu", "run": run.run_id, "t": t,
                                            "used": used, "device_used": device_used,
                                            "device_total": device_total}))
        for stage in run.stages:
            others.append((stage["t_end"] - self.start,
                           {"type": "stage", "run": run.run_id, "stage": stage}))
        for event in run.events:
            if event["kind"] == "iteration" and event["data"]:
                others.append((event["t"] - self.start, {"type": "iteration",
                                                         "run": run.run_id,
                                                         "iteration": event["data"]}))
        if run.meta.get("status", "running") != "running":
            last = max([0.0, *self._times[-1:], *(t for t, _ in others)])
            end = run.meta.get("t_end") or last + self.start
            others.append((end - self.start, finished_message(run, end)))
        others.sort(key=lambda pair: pair[0])
        self._other_times = [t for t, _ in others]
        self._others = [m for _, m in others]
        self.duration = max([0.0, *self._times[-1:], *self._other_times[-1:]])

    def between(self, after: float, upto: float) -> list[dict[str, Any]]:
        """The messages of (after, upto], seconds since the run started; the opening ones when
        `after` is below zero."""
        out = list(self.opening) if after < 0 else []
        lo, hi = bisect.bisect_right(self._times, after), bisect.bisect_right(self._times, upto)
        if hi > lo:
            out.append(_samples(self.run_id, [t + self.start for t in self._times[lo:hi]],
                                self._values[lo:hi]))
        lo = bisect.bisect_right(self._proc_times, after)
        hi = bisect.bisect_right(self._proc_times, upto)
        out.extend(proc_message(self.run_id, row) for row in self._proc[lo:hi])
        lo = bisect.bisect_right(self._other_times, after)
        hi = bisect.bisect_right(self._other_times, upto)
        out.extend(self._others[lo:hi])
        return out


def _samples(run_id: str, times: list[float], values: list[int]) -> dict[str, Any]:
    return {"type": "samples", "run": run_id, "t": times, "rss": values}


def proc_message(run_id: str, row: tuple) -> dict[str, Any]:
    return {"type": "proc", "run": run_id, **dict(zip(_PROC_KEYS, row, strict=True))}


def system_message(run_id: str, row: tuple) -> dict[str, Any]:
    return {"type": "system", "run": run_id, **dict(zip(_SYSTEM_KEYS, row, strict=True))}


def alarm_message(run_id: str, event: dict[str, Any]) -> dict[str, Any]:
    return {"type": "alarm", "run": run_id, "t": event["t"], "kind": event["kind"],
            "level": event["level"], "message": event["message"]}


def finished_message(run: Run, end: float) -> dict[str, Any]:
    meta = run.meta
    return {"type": "finished", "run": run.run_id, "path": run.path,
            "status": meta.get("status"), "cause": meta.get("cause", ""),
            "user_error": meta.get("user_error", False), "t_end": end,
            "summary": run_summary(run)}


def replayed_state(run: Run, thresholds: Thresholds | None = None) -> RunState:
    """A finished run's whole state, as a live view would hold it at its end."""
    board = RunBoard()
    for message in RunStream(run, thresholds).between(-1.0, float("inf")):
        board.apply(message)
    return board.runs[0]
