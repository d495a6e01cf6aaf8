"""The engine process: owns the run queue and the live runs; talks to its clients.

Its first client is the memtop that started it (a socket pair); others come through its socket
(listener.py): `memtop attach-engine` watching, `memtop ps` asking, `memtop stop` stopping. The
engine runs in its own session, so a terminal that goes away does not reach it: it stops its
runs when asked, or when the client that started them goes without leaving them running
(`detach`), and exits once it has no run and no client. Messages both ways are those of
engine/messages.py (msgpack bytes, never pickle).
"""

from __future__ import annotations

import os
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import recv_handle
from typing import Any

from .. import messages
from ..messages import Message
from ..spec import RunSpec, new_id, run_title
from .listener import Listener
from .live_run import LiveRun

PUMP_EVERY_S = 0.1  # the live view is a tenth of a second behind; each wake-up costs
IDLE_EXIT_S = 5.0  # no run and no client this long: the engine's work is done


@dataclass(eq=False)
class Client:
    conn: Connection
    owner: bool = False  # its going stops the runs (it started them and did not detach)
    live: bool = False  # it is sent every message
    every_s: float = 0.0  # readings at most this often (`pace`); 0: every turn
    held: list[Message] = field(default_factory=list)  # readings kept for the next send
    sent_at: float = 0.0


class Engine:
    def __init__(self, first: Connection, listener: Listener | None = None) -> None:
        self.clients = [Client(first, owner=True, live=True)]
        self.listener = listener
        self.started_wall = time.time()
        self.queue: deque[tuple[RunSpec, dict[str, Any], int | None]] = deque()
        self.active: list[LiveRun] = []
        self.runs: dict[str, dict[str, Any]] = {}  # run id -> what `ps` says of it
        self.parallel = 1
        self.stopping = False
        self.busy = False
        self._idle_since: float | None = None
        self._outbox: list[Message] = []  # sent to the live clients at the end of each turn

    # ---- to the clients --------------------------------------------------------------------

    def send(self, message: Message) -> None:
        self._note(message)
        self._outbox.append(message)

    def flush(self) -> None:
        """What this turn said, in one write to each live client."""
        if not self._outbox:
            return
        out, self._outbox = self._outbox, []
        data = messages.encode(out[0] if len(out) == 1 else messages.batch(out))
        now = time.monotonic()
        urgent = any(m["type"] not in messages.READING_KINDS for m in out)
        for client in [c for c in self.clients if c.live]:
            if not client.every_s:
                self._send_to(client, data)
                continue
            client.held.extend(out)  # readings wait; anything else takes them along at once
            if urgent or now - client.sent_at >= client.every_s:
                self._send_to(client, messages.encode(messages.batch(client.held)))
                client.held, client.sent_at = [], now

    def _send_to(self, client: Client, data: bytes) -> None:
        try:
            client.conn.send_bytes(data)
        except (OSError, EOFError, ValueError):
            # It went (keep recording: the run files must still be complete). What it said
            # before going (`detach`) is still to be read: its end is handled there, at EOF.
            client.live = False

    def _drop(self, client: Client) -> None:
        if client in self.clients:
            self.clients.remove(client)
            client.conn.close()
            if client.owner:
                self.stop()  # it started the runs and went without leaving them running

    def _note(self, message: Message) -> None:
        """Keeps what `engine` says of each run up to date."""
        kind = message["type"]
        if kind == "started":
            meta = message["meta"]
            self.runs[message["run"]] = {
                "id": message["id"], "run": message["run"], "path": message["path"],
                "status": "running", "title": run_title(meta.get("backend") or "",
                                                        meta.get("model") or "",
                                                        meta.get("kind") or "bench")}
        elif kind == "finished" and message.get("run") in self.runs:
            self.runs[message["run"]]["status"] = message.get("status")

    def info(self) -> Message:
        return messages.engine(
            os.getpid(), self.started_wall, self.listener.path if self.listener else None,
            sum(c.live for c in self.clients), list(self.runs.values()),
            [spec.to_dict() for spec, _, _ in self.queue])

    # ---- the runs --------------------------------------------------------------------------

    def stop(self) -> None:
        self.stopping = True
        for spec, _, stdin in self.queue:
            self.send(messages.cancelled(spec.to_dict()))
            if stdin is not None:
                os.close(stdin)
        self.queue.clear()
        for run in self.active:
            run.request_stop()

    def submit(self, runs: list[dict[str, Any]], parallel: int, stdin: int | None = None) -> None:
        """Queues a submission; its runs share a bench id and know each other's specs, so that
        a follower can find every run file of the bench. `stdin` (the client's, passed on) goes
        to the first run that asks for it."""
        self.parallel = max(1, int(parallel))
        bench_id = new_id()
        specs = [RunSpec.from_dict({**data, "bench": data.get("bench") or bench_id})
                 for data in runs]
        bench = {"id": bench_id, "started_wall": time.time(),
                 "specs": [spec.to_dict() for spec in specs]}
        for spec in specs:
            given = stdin if spec.pass_stdin else None
            stdin = None if given is not None else stdin
            self.queue.append((spec, bench, given))
            self.send(messages.queued(spec.to_dict()))
        if stdin is not None:
            os.close(stdin)
        self.busy = True

    # ---- from the clients ------------------------------------------------------------------

    def handle(self, client: Client, message: Message) -> None:
        kind = message["type"]
        if kind == "submit":
            # The client's stdin follows a submit that says so, as a descriptor on the socket.
            stdin = recv_handle(client.conn) if message.get("stdin") else None
            self.submit(list(message.get("runs") or []), message.get("parallel", 1), stdin)
        elif kind == "stop":
            self.stop()
        elif kind == "mark":
            for run in self.active:
                if run.run_id == message.get("run"):
                    run.external_mark(str(message.get("name") or "mark"))
        elif kind == "detach":
            client.owner = False
        elif kind == "attach":
            # Everything so far into the run files first: the client reads its history there,
            # and gets every message after this one live, none twice and none missed.
            now = time.monotonic()
            for run in self.active:
                run.pump(now)
                run.writer.commit()
            self.flush()
            client.live = True
            self._send_to(client, messages.encode(self.info()))
        elif kind == "info":
            self._send_to(client, messages.encode(self.info()))
        elif kind == "pace":
            every = message.get("every_s")
            client.every_s = min(float(every), messages.PACE_MAX_S) \
                if isinstance(every, int | float) and every > 0 else 0.0

    def _receive(self) -> None:
        waitables: list[Any] = [c.conn for c in self.clients]
        if self.listener is not None:
            waitables.append(self.listener.sock)
        try:
            ready = wait(waitables, PUMP_EVERY_S)
        except OSError:
            ready = []
        for item in ready:
            if self.listener is not None and item is self.listener.sock:
                conn = self.listener.accept()
                if conn is not None:
                    self.clients.append(Client(conn))
                continue
            client = next((c for c in self.clients if c.conn is item), None)
            if client is None:
                continue
            try:
                message = messages.decode(client.conn.recv_bytes())
            except ValueError:
                continue  # not one of memtop's messages: ignored
            except (EOFError, OSError):
                self._drop(client)
                continue
            self.handle(client, message)

    def _start_next(self) -> None:
        while not self.stopping and self.queue and len(self.active) < self.parallel:
            spec, bench, stdin = self.queue.popleft()
            try:
                self.active.append(LiveRun(spec, self.send, bench, stdin))
            except Exception as exc:
                self.send(messages.finished(spec.id, None, None, {
                    "status": "failed", "cause": f"could not start the session: {exc}"}))

    def _done(self, now: float) -> bool:
        if self.active:
            return False
        if self.stopping:
            return True
        if self.queue or self.clients:
            self._idle_since = None
            return False
        self._idle_since = self._idle_since or now
        return now - self._idle_since > IDLE_EXIT_S

    def loop(self) -> None:
        self.send(self.info())
        while True:
            self._receive()
            now = time.monotonic()
            for run in list(self.active):
                run.pump(now)
                run.enforce_stop(now)
                if run.finished():
                    run.finalize()
                    self.active.remove(run)
            self._start_next()
            if self.busy and not self.queue and not self.active:
                self.busy = False
                self.send(messages.idle())
            self.flush()
            if self._done(now):
                return

    def close(self) -> None:
        """The last word to every client, then the door shut."""
        self.send(messages.exited())
        self.flush()
        for client in list(self.clients):
            client.conn.close()
        self.clients.clear()
        if self.listener is not None:
            self.listener.close()
