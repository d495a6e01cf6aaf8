"""The pipe from a measured process to the engine: one JSON object per line.

Standard library only: it runs in every session and behind `memtop.stage`.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from ..probes.ranks import ancestors_pipe, is_event_pipe, rank_name
from ..spec import EVENT_FD_ENV, EVENT_PIPE_ENV


class EventChannel:
    """Writes one JSON object per line to a descriptor the engine reads."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = threading.Lock()
        self.broken = False
        self.worker = rank_name(os.environ)  # "rank 1": this process is one of several

    @classmethod
    def from_env(cls) -> EventChannel | None:
        """The pipe the engine gave the session; in a worker whose launcher closed it (torchrun),
        the same pipe reopened through the nearest ancestor of the run that holds it."""
        value, pipe = os.environ.get(EVENT_FD_ENV), os.environ.get(EVENT_PIPE_ENV, "")
        try:
            fd, inode = int(value or ""), int(pipe) if pipe else None
        except ValueError:
            return None
        if is_event_pipe(fd, inode):
            return cls(fd)
        reopened = ancestors_pipe(fd, inode)
        return None if reopened is None else cls(reopened)

    def send(self, event: dict[str, Any]) -> None:
        worker = self.worker
        if worker is not None:  # one of several ranks: its stages are its own (docs/metrics.md)
            event = {**event, "worker": worker, "pid": os.getpid()}
        data = _encoded(event)
        if worker is not None and len(data) > PIPE_BUF:
            # Ranks share the pipe: only writes up to PIPE_BUF are never interleaved with
            # another's, so a rank's event goes without its mapping groups.
            data = _encoded({k: v for k, v in event.items() if not k.startswith("groups")})
        with self._lock:
            if self.broken:
                return
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(self._fd, view):]
            except OSError:  # the engine is gone: measuring goes on, reporting stops
                self.broken = True


PIPE_BUF = 4096  # Linux: a pipe write this long or shorter is never split


def _encoded(event: dict[str, Any]) -> bytes:
    return (json.dumps(event, separators=(",", ":"), default=str) + "\n").encode()
