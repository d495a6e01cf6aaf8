"""The client side of the engine: starts an engine, or attaches to a running one, and exchanges
messages with it. Used by the CLI and the TUI alike.

A started engine is a process of its own (`python -c …`, in a session of its own, so that a
terminal that goes away does not take it along); its first client speaks to it over a socket
pair made here. Any later client comes through the engine's Unix socket (runtime_dir.py).
Either way the socket carries msgpack bytes only (engine/messages.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterable
from multiprocessing.connection import Connection
from multiprocessing.reduction import send_handle

from .. import messages
from ..errors import UserError
from ..messages import Message
from ..monitor.runtime_dir import EngineAddress, remove_stale
from ..spec import RunSpec
from ..store import RunStream, read_run

PATH_ENV = "MEMTOP_ENGINE_PATH"
# The engine sees the modules its client sees (as multiprocessing's spawn does), without a
# PYTHONPATH that its sessions, the user's programs, would inherit.
_ENGINE_MAIN = (f"import json, os, sys; sys.path[:] = json.loads(os.environ.pop({PATH_ENV!r})); "
                "from memtop.engine.monitor.daemon import main; main(int(sys.argv[1]))")
ANSWER_S = 10.0  # how long an engine may take to answer `attach` or `info`


class EngineClient:
    """One connection to an engine. `EngineClient()` starts one and owns its runs: closing
    stops them, unless it `detach`es. `EngineClient.attach(address)` watches one already
    running: it gets the runs' history from their files, then every message live."""

    can_detach = True  # its engine goes on without it

    def __init__(self, conn: Connection | None = None) -> None:
        self.process: subprocess.Popen | None = None
        self.info: Message | None = None  # the engine's latest `engine` message
        self._pending: deque[Message] = deque()  # history, handed out before live messages
        self._batched: deque[Message] = deque()  # the rest of a batch the engine sent
        self.exited = False
        self.detached = False
        self._awaiting_info = False
        self._paths: dict[str, str] = {}  # run id -> run file: where a `gap` is filled from
        # A byte here ends a `receive` waiting in another thread (`interrupt`): a reader thread
        # waits for messages without turning every tenth of a second (issue #29).
        self._interrupt_r, self._interrupt_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        if conn is not None:
            self.conn, self.owner = conn, False
            return
        ours, theirs = socket.socketpair()
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _ENGINE_MAIN, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                env={**os.environ, PATH_ENV: json.dumps(sys.path)})
        self.conn, self.owner = Connection(ours.detach()), True

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else (self.info or {}).get("pid")

    @classmethod
    def attach(cls, address: EngineAddress) -> EngineClient:
        """Watches a running engine: its runs so far (from their files), then live."""
        client = cls(connect(address))
        client._send(messages.attach())
        info = client.wait_for_info()
        for run in info["runs"]:
            client._paths[run["run"]] = run["path"]
            client._pending.extend(_history(run["path"]))
        client._pending.extend(messages.queued(spec) for spec in info["queued"])
        return client

    # ---- to the engine ---------------------------------------------------------------------

    def submit(self, specs: Iterable[RunSpec], parallel: int = 1,
               stdin: int | None = None) -> None:
        """Queues runs; `stdin` (a descriptor, the terminal) is passed on to the run whose spec
        asks for it (`pass_stdin`), through the socket."""
        self._send(messages.submit((s.to_dict() for s in specs), parallel, stdin is not None))
        if stdin is not None and not self.exited:
            send_handle(self.conn, stdin, self.pid or 0)

    def stop(self, why: str = "user") -> None:
        """Stops every run; `why` (messages.STOP_REASONS) becomes their cause."""
        self._send(messages.stop(why))

    def ask_info(self, timeout: float = ANSWER_S) -> Message:
        """The engine's state now (`info`), for a client that only asks."""
        self._send(messages.info())
        return self.wait_for_info(timeout)

    def pace(self, every_s: float) -> None:
        """Readings at most every `every_s` seconds (a client that draws no chart)."""
        self._send(messages.pace(every_s))

    def mark(self, run_id: str, name: str) -> None:
        """A marker on a live run: an instant with its RSS (a stage only on an attached
        process: monitor/outside_marks.py)."""
        self._send(messages.mark(run_id, name))

    def _send(self, message: Message) -> None:
        try:
            self.conn.send_bytes(messages.encode(message))
        except (OSError, EOFError):
            self.exited = True

    # ---- from the engine -------------------------------------------------------------------

    def receive(self, timeout: float) -> Message | None:
        """The next message, or None after timeout; {"type": "exited"} once the engine is gone.
        `engine` messages are kept in `info`, not handed out."""
        if self._pending:
            return self._pending.popleft()
        return self._read(timeout)

    def _read(self, timeout: float) -> Message | None:
        deadline = time.monotonic() + timeout
        while self._batched or not self.exited:
            message = self._batched.popleft() if self._batched else self._read_one(deadline)
            if message is None:
                return None
            if message["type"] == "batch":
                self._batched.extend(messages.unbatched(message))
                continue
            if message["type"] == "engine":
                self.info = message
                if self._awaiting_info:
                    return None
                continue
            if message["type"] == "started":
                self._paths[message["run"]] = message["path"]
            if message["type"] == "gap":  # what it fell behind on, from the run file
                self._batched.extendleft(reversed(_missed(self._paths.get(message["run"]),
                                                          message)))
                continue
            if message["type"] == "exited":
                self.exited = True
                self._reap()
            return message
        return messages.exited()

    def interrupt(self) -> None:
        """A `receive` waiting in another thread returns None now (or the next one)."""
        if self._interrupt_w >= 0:
            with contextlib.suppress(BlockingIOError):
                os.write(self._interrupt_w, b"!")

    def _readable(self, deadline: float) -> bool:
        """Whether the socket has a message (or its end) by the deadline; False at once
        where interrupted."""
        poller = select.poll()
        poller.register(self.conn.fileno(), select.POLLIN)
        poller.register(self._interrupt_r, select.POLLIN)
        ready = dict(poller.poll(max(0.0, deadline - time.monotonic()) * 1000))
        if self._interrupt_r in ready:
            with contextlib.suppress(BlockingIOError):
                os.read(self._interrupt_r, 4096)
            return False
        return bool(ready)

    def _read_one(self, deadline: float) -> Message | None:
        """One message off the socket (a batch whole), or None by the deadline."""
        while True:
            try:
                if not self._readable(deadline):
                    return None
                return messages.decode(self.conn.recv_bytes())
            except ValueError:
                continue  # not one of memtop's messages: ignored
            except (EOFError, OSError):
                return messages.exited()

    def wait_for_info(self, timeout: float = ANSWER_S) -> Message:
        """The engine's answer to `attach` or `info` (live messages before it are kept)."""
        deadline = time.monotonic() + timeout
        self.info, self._awaiting_info = None, True
        before: list[Message] = []
        try:
            while self.info is None:
                if self.exited or time.monotonic() > deadline:
                    raise UserError("the engine did not answer (refused, or it has ended)")
                message = self._read(0.1)
                if message is not None:
                    before.append(message)
        finally:
            self._awaiting_info = False
        self._pending.extend(before)
        return self.info

    # ---- the end ---------------------------------------------------------------------------

    def _reap(self, wait_s: float = 2.0) -> None:
        """An engine this client started is collected as soon as it says it is gone: never
        left `<defunct>` while memtop stays open after `s`."""
        if self.process is None:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):  # still closing: `close` waits
            self.process.wait(wait_s)

    def detach(self) -> None:
        """Goes, leaving the engine and its runs running."""
        self._send(messages.detach())
        self.exited = self.detached = True
        self.conn.close()
        self._close_interrupt()

    def _close_interrupt(self) -> None:
        for fd in (self._interrupt_r, self._interrupt_w):
            if fd >= 0:
                os.close(fd)
        self._interrupt_r = self._interrupt_w = -1

    def close(self, timeout: float = 15.0, why: str = "user") -> None:
        """The owner stops the engine's runs and waits for them to be finalized; a watcher
        only goes; after `detach`, nothing is left to do."""
        if self.detached:
            return
        if self.owner and not self.conn.closed:
            self.stop(why)
            deadline = time.monotonic() + timeout
            while not self.exited and time.monotonic() < deadline:
                self.receive(0.1)
        if not self.conn.closed:
            self.conn.close()
        self._close_interrupt()
        if self.process is not None and self.owner:
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(2)


def connect(address: EngineAddress, timeout: float = ANSWER_S) -> Connection:
    """A connection to the engine at `address`; its socket is removed if nobody listens."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(address.path)
    except (ConnectionRefusedError, FileNotFoundError):
        sock.close()
        remove_stale(address)
        raise UserError(f"engine {address.pid} is not running (any more)") from None
    except OSError as exc:
        sock.close()
        raise UserError(f"cannot reach engine {address.pid}: {exc.strerror or exc}") from None
    sock.settimeout(None)
    return Connection(sock.detach())


def _missed(path: str | None, gap: Message) -> list[Message]:
    """The readings and output of a `gap`, read from the run file (committed before the engine
    sent the gap)."""
    if not path:
        return []
    try:
        run = read_run(path)
    except UserError:
        return []
    try:
        stream = RunStream(run)
        after, upto = gap["t0"] - stream.start, gap["t1"] - stream.start
        return [m for m in stream.between(max(0.0, after - 1e-6), upto)
                if m["type"] in messages.SKIPPABLE_KINDS]
    finally:
        run.close()


def _history(path: str | None) -> list[Message]:
    """A run's messages so far, read from its file as replay reads it."""
    if not path:
        return []
    try:
        run = read_run(path)
    except UserError:
        return []  # moved or removed since: the live messages still come
    try:
        return RunStream(run).all()
    finally:
        run.close()
