"""`memtop.stage()` and `memtop.mark()`: stage markers for any program.

Run under memtop (`memtop run -- python train.py`), they send stage events with the kernel's
exact per-stage peak; anywhere else they do nothing, at the cost of one check per call. Nothing
heavy is imported: the recorder loads on first use, and only under memtop.
"""

from __future__ import annotations

import atexit
import os
import sys
from contextlib import ContextDecorator
from typing import Any

_EVENT_FD_ENV = "MEMTOP_EVENT_FD"  # memtop.engine.spec.EVENT_FD_ENV (not imported: cost)
_recorder: Any = None
_looked = False


def _get_recorder() -> Any:
    """The process's StageRecorder under memtop, else None (decided once)."""
    global _recorder, _looked
    if not _looked:
        _looked = True
        if os.environ.get(_EVENT_FD_ENV):
            from memtop.engine.session.stagepoint import EventChannel, StageRecorder

            channel = EventChannel.from_env()
            if channel is not None:
                _recorder = StageRecorder(channel, collect=False)
                atexit.register(_close_open_blocks)
    return _recorder


class KeptEvents:
    """A channel that keeps a recorder's events in this process (the last KEPT of them): for
    the pytest plugin and the notebook magic, where no memtop engine reads them."""

    KEPT = 10_000

    def __init__(self) -> None:
        from collections import deque

        self.events: deque[dict[str, Any]] = deque(maxlen=self.KEPT)

    def send(self, event: dict[str, Any]) -> None:
        self.events.append(event)


def measuring() -> tuple[Any, KeptEvents | None]:
    """The process's one recorder, for in-process measurement (the pytest plugin, the notebook
    magic): memtop's own where the program runs under memtop (its stages then go to the run as
    well), else one made here whose events are kept in this process (returned beside it), which
    `memtop.stage` records into from now on. One recorder a process: the kernel keeps one peak
    mark a process, and two resetters would cut each other's peaks."""
    global _recorder, _looked, _kept
    recorder = _get_recorder()
    if recorder is None:
        from memtop.engine.session.stagepoint import StageRecorder

        _kept = KeptEvents()
        _recorder, _looked = StageRecorder(_kept, collect=False), True
        recorder = _recorder
    return recorder, _kept


_kept: KeptEvents | None = None


def _close_open_blocks() -> None:
    """At exit, blocks still open (an exception went through them, or the program left a
    `stage().__enter__()` unclosed) end here, marked failed with the exception that ended the
    program, where there was one."""
    uncaught = getattr(sys, "last_type", None)
    _recorder.close_all(uncaught.__name__ if uncaught is not None else "did not end")


def active() -> bool:
    """Whether this process runs under memtop (its markers go to a run). Measuring in-process
    (the pytest plugin, the notebook magic) records markers too, but is not running under
    memtop."""
    return _get_recorder() is not None and _kept is None


class stage(ContextDecorator):  # lower case: it reads like the function it replaces
    """A stage that is the block: `with memtop.stage("load"): ...` or `@memtop.stage("step")`.

    Its RSS change runs from the block's start, its peak is the exact peak inside the block
    (nested blocks included). `collect=True` runs gc.collect() at both ends, as the seeds'
    `record_stage` does.
    """

    def __init__(self, name: str, collect: bool = False, **extra: Any) -> None:
        self.name = name
        self.collect = collect
        self.extra = extra  # numbers or text stored with the stage (the epoch's number)
        self._block: Any = None

    def _recreate_cm(self) -> stage:
        # A fresh one per decorated call: thread-safe.
        return stage(self.name, self.collect, **self.extra)

    def __enter__(self) -> stage:
        recorder = _get_recorder()
        if recorder is not None:
            self._block = recorder.begin(self.name, collect=self.collect)
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        self._end({"error": kind.__name__} if kind is not None else {})

    def abandon(self, reason: str = "did not end") -> None:
        """Ends the block as failed, for what never reached its end (a call that raised)."""
        self._end({"error": reason})

    def _end(self, extra: dict[str, Any]) -> None:
        if self._block is not None:
            _get_recorder().end(self._block, collect=self.collect, **{**self.extra, **extra})
            self._block = None


def mark(name: str, collect: bool = False, **extra: Any) -> None:
    """A mark: the stage `name` is the interval since the last edge at its level, the previous
    mark or the nearest block edge inside the innermost open block (the seeds' `record_stage`);
    it never crosses a block's edge. Extra keyword values (numbers, text) are stored with it."""
    recorder = _get_recorder()
    if recorder is not None:
        recorder.boundary(name, collect=collect, **extra)


_iterations = 0


def iteration(**extra: Any) -> None:
    """One repetition of your workload (a training step, a request): memtop fits a line through
    RSS after each (after a garbage collection) and says whether memory leaks per iteration."""
    global _iterations
    recorder = _get_recorder()
    if recorder is not None:
        _iterations += 1
        recorder.iteration(_iterations, collect=True, **extra)
