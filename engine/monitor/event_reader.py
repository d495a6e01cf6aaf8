"""A session's events (one JSON object a line on memtop's event pipe), read by a thread as they
come, and on demand by the engine's loop.

Why on demand: a stage from the program's output (`--stages-from-output`) must come after every
event the program wrote before that line. The program wrote them to the pipe before it printed,
so once the line is read they are in the pipe or already queued; `drain()` takes what is in the
pipe under the same lock the thread reads with, so nothing can be between the two. The thread
is still there so that a program writing many events never waits on a full pipe.
"""

from __future__ import annotations

import json
import os
import select
import threading
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

READ_BYTES = 65536


class EventReader:
    def __init__(self, fd: int, name: str, wake: Callable[[], None] | None = None) -> None:
        """`wake`: called from the thread when events came or the pipe closed (the engine's
        loop takes them at once: monitor/waker.py)."""
        os.set_blocking(fd, False)
        self._wake = wake
        self._fd = fd
        self._lock = threading.Lock()
        self._partial = b""
        self.queue: deque[Any] = deque()  # parsed events, None for a line that is not JSON
        self.closed = threading.Event()  # every holder of the pipe's write end closed it
        threading.Thread(target=self._run, daemon=True, name=name).start()

    def drain(self) -> None:
        """Queues every complete line now in the pipe."""
        with self._lock:
            if self.closed.is_set():
                return
            while True:
                try:
                    chunk = os.read(self._fd, READ_BYTES)
                except BlockingIOError:
                    return
                except OSError:
                    chunk = b""
                if not chunk:
                    self._end()
                    return
                lines = (self._partial + chunk).split(b"\n")
                self._partial = lines.pop()
                self.queue.extend(_parse(line) for line in lines if line.strip())

    def take(self, sent_before: float | None = None) -> Iterator[Any]:
        """The events in the pipe and the queue, in order; with `sent_before`, only up to the
        first one the program sent later (one that does not say when keeps its place)."""
        self.drain()
        while self.queue:
            sent = event_time(self.queue[0])
            if sent_before is not None and sent is not None and sent > sent_before:
                return
            yield self.queue.popleft()

    def _end(self) -> None:
        if self._partial.strip():
            self.queue.append(_parse(self._partial))
        self._partial = b""
        self.closed.set()

    def _run(self) -> None:
        poller = select.poll()
        poller.register(self._fd, select.POLLIN)
        while not self.closed.is_set():
            poller.poll()  # readable or hung up; drain() tells which
            self.drain()
            if self._wake is not None and (self.queue or self.closed.is_set()):
                self._wake()
        with self._lock:
            os.close(self._fd)  # only here: a descriptor this thread may be polling on


def _parse(line: bytes) -> Any:
    try:
        return json.loads(line)
    except ValueError:
        return None  # not JSON: counted as a bad event where the run is pumped


def event_time(event: Any) -> float | None:
    """When the program sent `event` (its end, for a stage), if it says so as a number."""
    if isinstance(event, dict):
        for key in ("t_end", "t"):
            value = event.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return float(value)
    return None
