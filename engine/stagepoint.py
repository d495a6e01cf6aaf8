"""Stage boundaries measured inside the measured process, sent to the engine as JSON lines.

At a boundary the process optionally garbage-collects (as the seeds' `record_stage` does), reads
its kernel high-water mark (`VmHWM`: the exact peak RSS since the last reset, so the exact peak of
the stage that just ended), reads RSS and swap, then resets the mark by writing 5 to
/proc/self/clear_refs. Where the reset is refused, later peaks are not per stage: the event says
so (`peak_exact: false`) and the engine falls back to the sampled maximum.
Standard library only: this runs in every session and behind `memtop.stage`.
"""

from __future__ import annotations

import gc
import json
import os
import threading
import time
from typing import Any

from .procfs import read_status, reset_hwm

EVENT_FD_ENV = "MEMTOP_EVENT_FD"


class EventChannel:
    """Writes one JSON object per line to a descriptor the engine reads."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = threading.Lock()
        self.broken = False

    @classmethod
    def from_env(cls) -> EventChannel | None:
        value = os.environ.get(EVENT_FD_ENV)
        if not value:
            return None
        try:
            fd = int(value)
            os.fstat(fd)
        except (ValueError, OSError):
            return None
        return cls(fd)

    def send(self, event: dict[str, Any]) -> None:
        data = (json.dumps(event, separators=(",", ":"), default=str) + "\n").encode()
        with self._lock:
            if self.broken:
                return
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(self._fd, view):]
            except OSError:  # the engine is gone: measuring goes on, reporting stops
                self.broken = True


class StageRecorder:
    """Measures boundaries in this process and sends them as `stage` events."""

    def __init__(self, channel: EventChannel | None, collect: bool = True) -> None:
        self.channel = channel
        self.collect = collect
        self._last_reset_ok = True  # the first stage's peak runs from process start: exact
        self._lock = threading.Lock()

    def boundary(self, name: str, **extra: Any) -> dict[str, Any]:
        with self._lock:
            if self.collect:  # as the seeds' record_stage does; its cost belongs to the stage
                gc.collect()
            t = time.monotonic()
            peak = read_status("self").hwm
            now = read_status("self")
            peak_exact = self._last_reset_ok
            self._last_reset_ok = reset_hwm()
            event = {
                "type": "stage", "name": name, "t": t, "t_end": time.monotonic(),
                "wall": time.time(), "rss": now.rss, "swap": now.swap,
                "peak": max(peak, now.rss), "peak_exact": peak_exact, **extra,
            }
        if self.channel is not None:
            self.channel.send(event)
        return event

    def send(self, event: dict[str, Any]) -> None:
        if self.channel is not None:
            self.channel.send(event)
