"""Saved runs played back: the source behind `memtop replay` and a run opened from the home
screen (sources.py has the others)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence

from ..analysis.alarms import Thresholds
from ..messages import Message
from ..store import Run, RunStream
from .sources import Source


class ReplaySource(Source):
    """Saved runs played back on a clock: every run starts at 0; pause, speed, seek.

    The clock is the caller's (`poll` moves it); the run files are read by a thread of the
    source's own, up to wherever the clock has got to, so a view's loop never waits on SQLite
    or decompression: `poll` hands out what the reader has read so far (a tick behind at most).
    A backward seek starts a new pass (`reset`: the view rebuilds its state); what the reader
    read for an earlier pass is dropped. `wait` polls once the reader has caught up (scripts)."""

    def __init__(self, runs: Sequence[Run], speed: float = 1.0, at_end: bool = False,
                 thresholds: Thresholds | None = None) -> None:
        self.title = "replay: " + ", ".join(r.run_id for r in runs)
        self._streams = [RunStream(run, thresholds) for run in runs]
        self.duration = max((s.duration for s in self._streams), default=0.0)
        self.speed = speed
        self.paused = False
        self._position = self.duration if at_end else 0.0
        self._last_tick = time.monotonic()
        self.reset = False  # True after a backward seek: the view must rebuild its state
        self._pass = 0  # grows with every backward seek
        self._lock = threading.Condition()
        self._wanted = (0, self._position)  # (pass, position) the reader reads up to
        # Up to the start position here, where the source is made (a worker, or the CLI before
        # the app starts: never the UI's loop), so a view's first poll shows it all.
        first = [m for stream in self._streams for m in stream.between(-1.0, self._position)]
        self._read = (0, self._position)  # (pass, position) read up to so far
        self._ready: deque[tuple[int, list[Message]]] = deque([(0, first)])
        self._closing = False
        self._thread = threading.Thread(target=self._reader, name="replay-reader", daemon=True)
        self._thread.start()

    @property
    def position(self) -> float:
        return self._position

    def poll(self) -> list[Message]:
        now = time.monotonic()
        if not self.paused:
            self._position = min(self.duration, self._position + (now - self._last_tick)
                                 * self.speed)
        self._last_tick = now
        self._want()
        out = []
        while self._ready:
            which, found = self._ready.popleft()
            if which == self._pass:
                out.extend(found)
        return out

    def wait(self, timeout: float = 60.0) -> list[Message]:
        """`poll`, once the reader has read up to the position (or after `timeout` s)."""
        self._want()
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._read < self._wanted and not self._closing:
                if not self._lock.wait(max(0.0, deadline - time.monotonic())):
                    break
        return self.poll()

    def _want(self) -> None:
        with self._lock:
            self._wanted = (self._pass, self._position)
            self._lock.notify_all()

    def _reader(self) -> None:
        while True:
            with self._lock:
                while self._read >= self._wanted and not self._closing:
                    self._lock.wait()
                if self._closing:
                    return
                (which, upto), (read_pass, after) = self._wanted, self._read
            if which != read_pass:
                after = -1.0  # a new pass: from the opening messages on
            found = [m for stream in self._streams for m in stream.between(after, upto)]
            with self._lock:
                self._ready.append((which, found))
                self._read = (which, upto)
                self._lock.notify_all()

    def seek(self, position: float) -> None:
        position = max(0.0, min(self.duration, position))
        if position < self._position:
            self._pass += 1
            self.reset = True
        self._position = position
        self._last_tick = time.monotonic()
        self._want()

    def toggle_pause(self) -> None:
        self.paused = not self.paused
        self._last_tick = time.monotonic()

    def faster(self) -> None:
        self.speed = min(self.speed * 2, 256.0)

    def slower(self) -> None:
        self.speed = max(self.speed / 2, 1 / 16)

    def close(self, why: str = "user") -> None:
        with self._lock:
            self._closing = True
            self._lock.notify_all()
