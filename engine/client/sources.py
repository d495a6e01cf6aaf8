"""Where the dashboard's messages come from. Live, replayed and followed runs share one interface:
`poll()` returns the engine messages that are due, and the dashboard folds them into one
RunBoard, so a replay goes through exactly the code path of a live run.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Sequence

from .. import messages
from ..analysis.alarms import Thresholds
from ..errors import UserError
from ..messages import Message
from ..spec import RunSpec, kind_of, run_title
from ..store import BenchFollower, Run, RunStream
from .engine_client import EngineClient
from .runs_client import RunsClient

FOLLOW_EVERY_S = 0.1  # the follower itself reads the files at most four times a second


class Source(ABC):
    """Messages due now; live sources can also stop their runs and mark them."""

    live = False
    title = ""

    @property
    def engine_pid(self) -> int | None:
        """The engine's process, where the source runs one on this machine."""
        return None

    @abstractmethod
    def poll(self) -> list[Message]:
        """The messages that are due; never blocks."""

    def stop_runs(self, why: str = "user") -> bool:
        """Stops the runs, where the source runs any; False where it cannot."""
        return False

    def mark(self, run_id: str, name: str) -> bool:
        """A marker (an instant, never a stage) on a live run; False where the source cannot."""
        return False

    def close(self, why: str = "user") -> None:  # noqa: B027  (most sources start nothing)
        """Ends whatever the source started (the engine and its sessions)."""

    def going(self) -> int:
        """How many of its runs are queued or running (where the source runs any)."""
        return 0

    def detach(self) -> bool:
        """Goes, leaving the runs running; False where the source runs none."""
        return False

    def notes(self) -> list[str]:
        """Lines the source has to say since it was last asked (a fit's verdict on each trial):
        the headless printer prints them; the dashboard's cards show the same."""
        return []

    def more_to_come(self) -> bool:
        """Whether runs not yet on the board will follow (a fit's next trial): `s` stops them
        even between two runs."""
        return False


class LiveSource(Source):
    """Runs of an engine (or a cluster's driver): a fresh one given `specs`, or a running one's
    `client` (attached). The one receive loop every live view consumes: a thread receives, and
    the dashboard's timer (`poll`), the headless printer and the pass-through (`wait`) drain.
    `stdin`: a descriptor passed on to the run that asks for it; `pace_s`: readings at most
    this often (a view that draws no chart)."""

    live = True

    def __init__(self, specs: Sequence[RunSpec] = (), parallel: int = 1,
                 client: RunsClient | None = None, stdin: int | None = None,
                 pace_s: float | None = None) -> None:
        if client is None or specs:  # a fresh engine, or another kind given runs (a cluster)
            self.title = "live: " + ", ".join(s.backend or s.model for s in specs)
            client = client or EngineClient()
            if specs:
                client.submit(specs, parallel=parallel, stdin=stdin)
        else:
            self.title = f"engine {client.pid} (attached)"
        if pace_s is not None:
            client.pace(pace_s)
        self.paths: list[str] = []  # run files, as the engine starts them
        self.ends: list[Message] = []  # the `finished` messages: how each run ended
        # (name, status, why) of runs that never started
        self.unstarted: list[tuple[str, str, str | None]] = []
        self.detached = False
        self._titles: dict[str, str] = {}  # spec id -> run title
        self._going: set[str] = set()  # spec ids queued or running
        self._inbox: deque[Message] = deque()
        self._arrived = threading.Event()
        self._client = client
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._receive, name="engine-reader", daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        while not self._closing.is_set():
            message = self._client.receive(0.1)
            if message is None:
                continue
            self._received(message)
            self._inbox.append(message)
            self._arrived.set()
            if message["type"] == "exited":
                return

    def wait(self, timeout: float) -> list[Message]:
        """`poll`, waiting up to `timeout` seconds for a first message (a signal interrupts the
        wait: ctrl-c, a hang-up)."""
        self._arrived.wait(timeout)
        self._arrived.clear()  # before draining: a message that comes meanwhile sets it again
        return self.poll()

    def _received(self, message: Message) -> None:  # most sources only queue it
        """Called in the reader thread with each message, before the dashboard sees it."""

    def poll(self) -> list[Message]:
        out = []
        while self._inbox:
            message = self._inbox.popleft()
            if message["type"] == "started":
                self.paths.append(message["path"])
            elif message["type"] == "finished":
                self.ends.append(message)
            if message["type"] in ("queued", "started"):
                self._going.add(message["id"])
            elif message["type"] in ("finished", "cancelled"):
                self._going.discard(message["id"])
            elif message["type"] == "exited":
                self._going.clear()
            if message["type"] == "queued":
                spec = message["spec"]
                self._titles[message["id"]] = run_title(spec.get("backend", ""),
                                                        spec.get("model", ""), kind_of(spec))
            elif message["type"] == "cancelled" or (message["type"] == "finished" and
                                                    message.get("run") is None):
                self.unstarted.append((self._titles.get(message["id"], "?"),
                                       message.get("status") or "cancelled",
                                       message.get("cause")))
            out.append(message)
        return out

    def stop_runs(self, why: str = "user") -> bool:
        """Stops every run; `why` (messages.STOP_REASONS) becomes their cause."""
        self._client.stop(why)
        return True

    def mark(self, run_id: str, name: str) -> bool:
        self._client.mark(run_id, name)
        return True

    @property
    def engine_pid(self) -> int | None:
        return self._client.pid

    def going(self) -> int:
        return len(self._going)

    def detach(self) -> bool:
        if not self._client.can_detach:  # a cluster's runs end with memtop
            return False
        self._stop_receiving()
        self._client.detach()
        self.detached = True
        return True

    def close(self, why: str = "user") -> None:
        """Stops the runs (unless detached); `why` becomes their cause (messages.STOP_REASONS)."""
        self._stop_receiving()
        if not self.detached:
            self._client.close(why=why)

    def _stop_receiving(self) -> None:
        """The reader thread out of the socket before the client closes or leaves it."""
        self._closing.set()
        self._thread.join(timeout=1.0)


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
        self._read = (0, -1.0)  # (pass, position) it has read up to; below 0: not even opened
        self._ready: deque[tuple[int, list[Message]]] = deque()
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


class FollowSource(Source):
    """Run files another memtop is still writing, read as they grow (after an SSH drop): every
    run of the benchmark the given file belongs to. A thread reads the files; `poll` drains."""

    def __init__(self, path: str) -> None:
        self.title = f"following {path}"
        self._follower = BenchFollower(path)  # raises UserError here, for a bad file
        self._inbox: deque[Message] = deque()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._read, name="follower", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._closing.wait(FOLLOW_EVERY_S):
            try:
                self._inbox.extend(self._follower.poll())
            except UserError as exc:  # the file was damaged while being followed
                self._inbox.append(messages.fatal(str(exc)))
                return

    def poll(self) -> list[Message]:
        out = []
        while self._inbox:
            out.append(self._inbox.popleft())
        return out

    def close(self, why: str = "user") -> None:
        self._closing.set()
        self._thread.join(timeout=2.0)
        self._follower.close()
