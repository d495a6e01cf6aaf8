"""A run file turned back into the engine's messages, so replays take the live code path.

`RunStream` hands out, by window of time since the run started, the same `queued`, `started`,
`samples`, `proc`, `system`, `gpu`, `begin`, `stage`, `iteration`, `meta`, `alarm` and `finished`
messages a live engine sends, with the run's original timestamps inside. The functions below it
turn stored rows into messages; the follower (follow.py) uses the same ones, so live, replay and
follow cannot drift apart (tests/test_parity.py).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import Any

from .. import messages
from ..analysis.alarms import AlarmWatch, Thresholds
from ..events import is_block, is_marker
from ..messages import ALARM_KINDS, Message
from .reader import Run
from .run_schema import is_iteration, meta_problem
from .schema import READINGS
from .windows import SeriesWindows

READING_MESSAGES: dict[str, Callable[[str, Sequence[Any]], Message]] = {
    "proc": messages.proc, "system": messages.system, "gpu": messages.gpu}
# A view keeps the program's last lines (client/run_state.LOG_LINES): a replay is handed the last
# this many bytes of output, read from the end, whatever the file holds.
REPLAY_OUTPUT_BYTES = 16 * 1024 * 1024
EARLIER = b"[memtop: earlier output is not replayed: `memtop show --log RUN` prints it all]\n"


def opening_messages(run: Run, queued: bool = True) -> list[Message]:
    """`queued` (unless the caller announced the run already) and `started`."""
    meta = run.meta
    spec = {"backend": meta.get("backend", ""), "model": meta.get("model", ""),
            "command": meta.get("command"), **(meta.get("spec") or {})}
    spec.setdefault("id", run.run_id)  # files from before specs had ids
    opening: list[Message] = [messages.started(spec["id"], run.run_id, run.path,
                                               meta.get("pid"), run.start, meta)]
    return [messages.queued(spec), *opening] if queued else opening


def event_message(run_id: str, event: dict[str, Any]) -> Message | None:
    """The message a stored event was sent as: an iteration, session facts, a block that
    opened, a marker, or an alarm."""
    kind, data = event["kind"], event.get("data")
    if kind == "begin":
        return messages.begin(run_id, data) if is_block(data) else None
    if kind == "marker":
        return messages.marker(run_id, data) if is_marker(data) else None
    if kind == "iteration" and data:
        return messages.iteration(run_id, data) if is_iteration(data) else None
    if kind == "meta" and data:
        return messages.meta(run_id, data) if meta_problem(data) is None else None
    if kind in ALARM_KINDS:
        return messages.alarm(run_id, event["t"], kind, event["level"], event["message"])
    return None


def finished_message(run: Run, end: float) -> Message:
    meta = run.meta
    spec_id = (meta.get("spec") or {}).get("id", run.run_id)
    return messages.finished(spec_id, run.run_id, run.path,
                             {**meta, "t_end": end, "summary": run.summary()})


def is_finished(meta: dict[str, Any]) -> bool:
    return meta.get("status", "running") != "running"


class RunStream:
    """One run file as the engine's messages, handed out by time window.

    The many sample and status readings stay in arrays and become messages only for the window
    asked for (one `samples` message per window, as the live engine batches them); everything
    else is built once. Alarms are the ones the run raised, or raised again from its readings
    with `thresholds` when given (`memtop replay --swap-info-mb …`).
    """

    def __init__(self, run: Run, thresholds: Thresholds | None = None) -> None:
        self.run_id = run.run_id
        self.start = run.start
        # Files in blocks are read a window at a time (windows.py); older ones are read whole.
        self._windows = {t: SeriesWindows(run, t) for t in READINGS} if run.in_blocks else None
        samples = [] if self._windows else run.samples()
        self._times = [row[0] - self.start for row in samples]
        self._samples = samples
        self._proc = [] if self._windows else run.proc()
        self._proc_times = [row[0] - self.start for row in self._proc]
        self.opening = opening_messages(run)
        others: list[tuple[float, Message]] = []
        for table in () if self._windows else ("system", "gpu"):
            build = READING_MESSAGES[table]
            others.extend((row[0], build(run.run_id, row)) for row in getattr(run, table)())
        others.extend((stage["t_end"], messages.stage(run.run_id, stage)) for stage in run.stages)
        tail, cut = run.output_tail(REPLAY_OUTPUT_BYTES)
        if cut and tail:
            others.append((tail[0][0], messages.output(run.run_id, tail[0][0], 2, EARLIER)))
        others.extend((t, messages.output(run.run_id, t, stream, data))
                      for t, stream, data in tail)
        for event in run.events:
            message = event_message(run.run_id, event)
            if message is not None and (thresholds is None or message["type"] != "alarm"):
                others.append((event["t"], message))
        if thresholds is not None:
            others.extend(_alarms_again(run, thresholds))
        ends = [t for t in (run.series_end(s) for s in self._windows or ()) if t is not None]
        if is_finished(run.meta):
            last = max([self.start, *(t + self.start for t in self._times[-1:]),
                        *(t for t, _ in others), *ends])
            end = run.meta.get("t_end") or last
            others.append((end, finished_message(run, end)))
        others.sort(key=lambda pair: pair[0])
        self._other_times = [t - self.start for t, _ in others]
        self._others = [m for _, m in others]
        self.duration = max([0.0, *self._times[-1:], *self._other_times[-1:],
                             *(t - self.start for t in ends)])

    def between(self, after: float, upto: float) -> list[Message]:
        """The messages of (after, upto], seconds since the run started; the opening ones when
        `after` is below zero."""
        out = list(self.opening) if after < 0 else []
        if self._windows:
            out.extend(self._readings(self.start + after, self.start + upto))
        lo, hi = bisect.bisect_right(self._times, after), bisect.bisect_right(self._times, upto)
        if hi > lo:
            out.append(messages.samples_of(self.run_id, self._samples[lo:hi]))
        lo = bisect.bisect_right(self._proc_times, after)
        hi = bisect.bisect_right(self._proc_times, upto)
        out.extend(messages.proc(self.run_id, row) for row in self._proc[lo:hi])
        lo = bisect.bisect_right(self._other_times, after)
        hi = bisect.bisect_right(self._other_times, upto)
        out.extend(self._others[lo:hi])
        return out

    def all(self) -> list[Message]:
        return self.between(-1.0, float("inf"))

    def _readings(self, after: float, upto: float) -> list[Message]:
        assert self._windows is not None
        out: list[Message] = []
        rows = self._windows["samples"].rows(after, upto)
        if rows:
            out.append(messages.samples_of(self.run_id, rows))
        for table, build in READING_MESSAGES.items():
            out.extend(build(self.run_id, row) for row in self._windows[table].rows(after, upto))
        return out


def _alarms_again(run: Run, thresholds: Thresholds) -> list[tuple[float, Message]]:
    """The run's readings through the live alarm rules with other thresholds."""
    found: list[tuple[float, dict[str, Any]]] = []
    watch = AlarmWatch(thresholds)
    readings = sorted([("proc", row) for row in run.proc()] +
                      [("system", row) for row in run.system()], key=lambda r: r[1][0])
    for table, row in readings:
        proc_or_system = messages.proc(run.run_id, row) if table == "proc" \
            else messages.system(run.run_id, row)
        found.extend((a["t"], a) for a in watch.on_message(proc_or_system))
    return [(t, messages.alarm(run.run_id, **alarm)) for t, alarm in found]
