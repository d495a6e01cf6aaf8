"""Where a view's messages come from. Live, replayed (replay_source.py) and followed runs share
one interface: `poll()` returns the engine messages that are due, and the view folds them into
one RunBoard, so a replay goes through exactly the code path of a live run. `LiveSource` is the
one receive loop of every live view: the dashboard polls it, the headless printer and the
pass-through `wait` on it.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Sequence

from .. import messages
from ..errors import UserError
from ..messages import Message
from ..spec import RunSpec, kind_of, run_title
from ..store import BenchFollower
from .engine_client import EngineClient
from .runs_client import RunsClient

# The reader thread waits this long for a message before it looks again whether it is to stop
# (`_stop_receiving` interrupts the wait): no turn every tenth of a second while nothing comes.
RECEIVE_WAIT_S = 30.0
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
            message = self._client.receive(RECEIVE_WAIT_S)  # `_stop_receiving` interrupts it
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
        self._client.interrupt()
        self._thread.join(timeout=1.0)


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
