"""A session's output: its stdout and stderr, each read from a pipe by a thread as it comes,
passed on to the client (`memtop run --no-tui` writes it through, as `time CMD` does), kept whole
in the run file up to a cap, and its tail kept for the end (the run's last words)."""

from __future__ import annotations

import os
import threading
import time

from .readings import OutputChunk
from .waker import Inbox

STDOUT, STDERR = 1, 2
TAIL_BYTES = 256 * 1024
DEFAULT_CAP = 512 * 1024 * 1024  # bytes of output kept in a run file: days of training logs


def start_readers(pipes: dict[int, int], inbox: Inbox, finished: threading.Event) -> None:
    """One thread per stream: an `OutputChunk` into `inbox` per read (urgent: written through to
    a terminal), until the pipe closes.
    After `finished`, what comes (from a process the program left behind) is read and dropped,
    so that the writer never blocks on a full pipe."""
    for stream, fd in pipes.items():
        threading.Thread(target=_read, args=(fd, stream, inbox, finished), daemon=True,
                         name=f"output-{stream}").start()


def _read(fd: int, stream: int, inbox: Inbox, finished: threading.Event) -> None:
    try:
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            if not finished.is_set():
                inbox.urgent(OutputChunk(time.monotonic(), stream, chunk))
    except OSError:
        return
    finally:
        os.close(fd)


class OutputKeeper:
    """What the run file keeps of the output: all of it up to `cap` bytes, then a note that it
    was cut; and the last TAIL_BYTES, for the run's end."""

    def __init__(self, cap: int = DEFAULT_CAP) -> None:
        self.cap = cap
        self.kept = 0
        self.cut = False
        self._tail = bytearray()

    def keep(self, data: bytes) -> tuple[bytes, bool]:
        """(the part of `data` to store: all, some, or none past the cap; whether this is
        where the output was first cut)."""
        self._tail += data
        del self._tail[:max(0, len(self._tail) - TAIL_BYTES)]
        room = max(0, self.cap - self.kept)
        newly_cut = len(data) > room and not self.cut
        if len(data) > room:
            self.cut = True
            data = data[:room]
        self.kept += len(data)
        return data, newly_cut

    def cut_note(self) -> str:
        return (f"output kept up to {self.cap:,} bytes; the rest was passed on but not stored "
                "(--max-output to keep more)")

    def tail(self) -> str:
        return self._tail.decode("utf-8", "replace")
