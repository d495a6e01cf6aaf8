"""Where the dashboard's messages come from. Live, replayed and followed runs share one interface:
`poll()` returns the engine messages that are due, and the app applies them to one RunBoard, so a
replay goes through exactly the code path of a live run.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

from memtop.engine.alarms import Thresholds
from memtop.engine.follow import RunFollower
from memtop.engine.replay import RunStream
from memtop.engine.runspec import RunSpec
from memtop.engine.store import Run

Message = dict[str, Any]


class Source:
    """The interface: messages due now, and (for replays) a clock the user controls."""

    live = False
    seekable = False
    title = ""

    def poll(self) -> list[Message]:
        raise NotImplementedError

    def close(self) -> None:
        """Ends whatever the source started (the engine and its sessions)."""


class LiveSource(Source):
    """A benchmark run by a fresh engine. A thread receives; the app's timer drains."""

    live = True

    def __init__(self, specs: Sequence[RunSpec], parallel: int = 1) -> None:
        from memtop.engine.client import EngineClient

        self.title = "live: " + ", ".join(s.backend for s in specs)
        self.paths: list[str] = []  # run files, as the engine starts them
        self._inbox: deque[Message] = deque()
        self._client = EngineClient()
        self._client.submit(specs, parallel=parallel)
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._receive, name="engine-reader", daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        while not self._closing.is_set():
            message = self._client.receive(0.1)
            if message is None:
                continue
            self._inbox.append(message)
            if message["type"] == "exited":
                return

    def poll(self) -> list[Message]:
        out = []
        while self._inbox:
            message = self._inbox.popleft()
            if message["type"] == "started":
                self.paths.append(message["path"])
            out.append(message)
        return out

    def stop_runs(self) -> None:
        self._client.stop()

    def mark(self, run_id: str, name: str) -> None:
        self._client.mark(run_id, name)

    def close(self) -> None:
        self._closing.set()
        self._thread.join(timeout=1.0)
        self._client.close()


class ReplaySource(Source):
    """Saved runs played back on a clock: every run starts at 0; pause, speed, seek."""

    seekable = True

    def __init__(self, runs: Sequence[Run], speed: float = 1.0, at_end: bool = False,
                 thresholds: Thresholds | None = None) -> None:
        self.title = "replay: " + ", ".join(r.run_id for r in runs)
        self._streams = [RunStream(run, thresholds) for run in runs]
        self.duration = max((s.duration for s in self._streams), default=0.0)
        self.speed = speed
        self.paused = False
        self._position = self.duration if at_end else 0.0
        self._sent_upto = -1.0  # below zero: nothing sent yet, not even the opening
        self._last_tick = time.monotonic()
        self.reset = False  # True after a backward seek: the app must rebuild its state

    @property
    def position(self) -> float:
        return self._position

    def poll(self) -> list[Message]:
        now = time.monotonic()
        if not self.paused:
            self._position = min(self.duration, self._position + (now - self._last_tick)
                                 * self.speed)
        self._last_tick = now
        if self._position <= self._sent_upto:
            return []
        out = [m for stream in self._streams
               for m in stream.between(self._sent_upto, self._position)]
        self._sent_upto = self._position
        return out

    def seek(self, position: float) -> None:
        position = max(0.0, min(self.duration, position))
        if position < self._position:
            self._sent_upto = -1.0
            self.reset = True
        self._position = position
        self._last_tick = time.monotonic()

    def toggle_pause(self) -> None:
        self.paused = not self.paused
        self._last_tick = time.monotonic()

    def faster(self) -> None:
        self.speed = min(self.speed * 2, 256.0)

    def slower(self) -> None:
        self.speed = max(self.speed / 2, 1 / 16)


class FollowSource(Source):
    """A run file another memtop is still writing, read as it grows (after an SSH drop)."""

    def __init__(self, path: str) -> None:
        self.title = f"following {path}"
        self._follower = RunFollower(path)

    def poll(self) -> list[Message]:
        return self._follower.poll()

    def close(self) -> None:
        self._follower.close()
