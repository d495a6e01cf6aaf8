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
import select
import sys
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from .. import messages
from ..messages import Message
from ..spec import RunSpec, new_id, run_title
from ..store.writer import COMMIT_EVERY_S
from .delivery import Client, deliver, refuse, send_to
from .listener import Listener
from .live_run import LiveRun
from .peer import PARTIAL_S, Peer, PeerBroken, Request
from .requests import problem_of
from .waker import Waker

# A turn of the loop moves the threads' readings into the run files and out to the clients.
# While a client draws readings as they come (the dashboard), it turns every PUMP_EVERY_S: the
# view is a tenth of a second behind. Otherwise (`memtop run --no-tui`, a detached run) it
# turns when a commit is due (store/writer.py), or when woken for what cannot wait (output,
# events, a run's end, a request: waker.py), at most every MIN_TURN_S: each wake-up costs.
PUMP_EVERY_S = 0.1
QUIET_TURN_S = COMMIT_EVERY_S
MIN_TURN_S = 0.01
IDLE_EXIT_S = 5.0  # no run and no client this long: the engine's work is done


class Engine:
    def __init__(self, first: Peer, listener: Listener | None = None) -> None:
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
        self.waker = Waker()
        self._last_turn = 0.0

    # ---- to the clients --------------------------------------------------------------------

    def send(self, message: Message) -> None:
        self._note(message)
        self._outbox.append(message)

    def flush(self) -> None:
        """What this turn said, in one write to each live client."""
        if not self._outbox:
            return
        out, self._outbox = self._outbox, []
        now = time.monotonic()
        urgent = any(m["type"] not in messages.READING_KINDS for m in out)
        for client in [c for c in self.clients if c.live]:
            if client.every_s:
                client.held.extend(out)  # readings wait; anything else takes them at once
                if not urgent and now - client.sent_at < client.every_s:
                    continue
                sent, client.held, client.sent_at = client.held, [], now
            else:
                sent = out
            if not deliver(client, sent, self._commit):
                print(f"memtop engine: a client {client.peer.pending >> 20} MiB behind was "
                      "let go", file=sys.stderr)
                self._drop(client, stops_runs=False)

    def _commit(self, run_ids: Iterable[str]) -> None:
        """The named runs' readings into their files (a client is to read them there)."""
        wanted = set(run_ids)
        for run in self.active:
            if run.run_id in wanted:
                run.writer.commit()

    def _drop(self, client: Client, stops_runs: bool = True) -> None:
        if client in self.clients:
            self.clients.remove(client)
            client.peer.flush()  # a last refusal, if the kernel takes it
            client.peer.close()
            if client.owner and stops_runs:
                self.stop("client gone")  # it started the runs and went without leaving them

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

    def stop(self, why: str = "user") -> None:
        """Every run stopped (`why` becomes its cause: messages.STOP_REASONS), the queue
        dropped."""
        self.stopping = True
        self.waker.wake()  # from a signal handler too: the loop turns at once
        for spec, _, stdin in self.queue:
            self.send(messages.cancelled(spec.to_dict()))
            if stdin is not None:
                os.close(stdin)
        self.queue.clear()
        for run in self.active:
            run.request_stop(why)

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

    def handle(self, client: Client, request: Request) -> None:
        message = request.message
        if message is None:
            refuse(client, "?", request.problem or "not a memtop message")
            return
        kind = message.get("type")
        problem = problem_of(message)
        if problem is not None:
            if request.stdin is not None:
                os.close(request.stdin)
            refuse(client, str(kind)[:40], problem)
            return
        if kind == "submit":
            self.submit(message["runs"], message.get("parallel", 1), request.stdin)
        elif kind == "stop":
            self.stop(message.get("why", "user"))
        elif kind == "mark":
            for run in self.active:
                if run.run_id == message["run"]:
                    run.external_mark(message["name"] or "mark")
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
            send_to(client, messages.encode(self.info()))
        elif kind == "info":
            send_to(client, messages.encode(self.info()))
        elif kind == "pace":
            client.every_s = float(message["every_s"])

    def _wait_s(self, now: float) -> float:
        """How long this turn may wait for a request or a wake-up (PUMP_EVERY_S)."""
        if self.stopping or any(c.live and not c.every_s for c in self.clients) or \
                any(run.stop_requested_at is not None for run in self.active):
            return PUMP_EVERY_S
        due = min((run.writer.commit_due for run in self.active), default=now + QUIET_TURN_S)
        return min(QUIET_TURN_S, max(0.0, due - now) + 0.001)

    def _receive(self) -> None:
        """A wait for any client's request (or room to write to one that was behind), or a
        wake-up from a run's threads, or the turn's time (`_wait_s`); then what each client
        sent, handled."""
        poller = select.poll()
        poller.register(self.waker, select.POLLIN)
        for client in self.clients:
            poller.register(client.peer, select.POLLIN | (select.POLLOUT
                                                          if client.peer.wants_write else 0))
        if self.listener is not None:
            poller.register(self.listener.sock, select.POLLIN)
        try:
            ready = {fd for fd, _ in poller.poll(self._wait_s(time.monotonic()) * 1000)}
        except OSError:
            ready = set()
        if self.waker.fileno() in ready:  # what the runs' threads hand over is taken this turn
            soon = self._last_turn + MIN_TURN_S - time.monotonic()
            if soon > 0:  # a program printing without pause: a turn takes many lines
                time.sleep(soon)
            self.waker.clear()
        self._last_turn = time.monotonic()
        if self.listener is not None and self.listener.sock.fileno() in ready:
            sock = self.listener.accept()
            if sock is not None:
                self.clients.append(Client(Peer(sock)))
        now = time.monotonic()
        for client in list(self.clients):
            peer = client.peer
            if peer.fileno() not in ready:
                if peer.stale(now):
                    refuse(client, "?", f"a message begun and not finished within "
                                 f"{PARTIAL_S:g} s")
                    self._drop(client)
                continue
            peer.flush()
            try:
                requests = peer.receive(now)
            except PeerBroken as exc:
                refuse(client, "?", str(exc))
                self._drop(client)
                continue
            for request in requests:
                try:
                    self.handle(client, request)
                except Exception as exc:  # a request that passed its checks and still failed
                    refuse(client, "?", f"{type(exc).__name__}: {exc}")
            if peer.eof:
                self._drop(client)

    def _start_next(self) -> None:
        while not self.stopping and self.queue and len(self.active) < self.parallel:
            spec, bench, stdin = self.queue.popleft()
            try:
                self.active.append(LiveRun(spec, self.send, bench, stdin, self.waker.wake))
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
            client.peer.close()
        self.clients.clear()
        if self.listener is not None:
            self.listener.close()
        self.waker.close()
