"""The engine process: owns the run queue and the live runs; talks to its client over a Pipe.

The messages both ways are defined in engine/messages.py (msgpack bytes, never pickle).
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import traceback
from collections import deque
from multiprocessing.connection import Connection
from multiprocessing.reduction import recv_handle
from typing import Any

from .. import messages
from ..messages import Message
from ..spec import RunSpec, new_id
from .live_run import LiveRun

PUMP_EVERY_S = 0.05


class Engine:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.queue: deque[tuple[RunSpec, dict[str, Any], int | None]] = deque()
        self.active: list[LiveRun] = []
        self.parallel = 1
        self.stopping = False
        self.busy = False
        self.client_gone = False

    def send(self, message: Message) -> None:
        if self.client_gone:
            return
        try:
            self.conn.send_bytes(messages.encode(message))
        except (OSError, EOFError, ValueError):
            self.client_gone = True  # keep recording: the run files must still be complete
            self.stop()

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

    def handle(self, message: Message) -> None:
        kind = message["type"]
        if kind == "submit":
            # The client's stdin follows a submit that says so, as a descriptor on the socket.
            stdin = recv_handle(self.conn) if message.get("stdin") else None
            self.submit(list(message.get("runs") or []), message.get("parallel", 1), stdin)
        elif kind == "stop":
            self.stop()
        elif kind == "mark":
            for run in self.active:
                if run.run_id == message.get("run"):
                    run.external_mark(str(message.get("name") or "mark"))

    def _receive(self) -> None:
        try:
            if self.conn.poll(PUMP_EVERY_S):
                self.handle(messages.decode(self.conn.recv_bytes()))
        except ValueError:
            return  # not one of memtop's messages: ignored
        except (EOFError, OSError):
            self.client_gone = True
            self.stop()
            time.sleep(PUMP_EVERY_S)

    def _start_next(self) -> None:
        while not self.stopping and self.queue and len(self.active) < self.parallel:
            spec, bench, stdin = self.queue.popleft()
            try:
                self.active.append(LiveRun(spec, self.send, bench, stdin))
            except Exception as exc:
                self.send(messages.finished(spec.id, None, None, {
                    "status": "failed", "cause": f"could not start the session: {exc}"}))

    def loop(self) -> None:
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
            if self.stopping and not self.active:
                return

    def abort(self) -> None:
        """After an engine error: stop the sessions and close every run file."""
        for run in self.active:
            run.request_stop()
            try:
                run.process.wait(timeout=5)
            except Exception:
                run.signal(signal.SIGKILL)
            with contextlib.suppress(Exception):
                run.finalize()


def engine_main(conn: Connection) -> None:
    """Entry point of the engine process (multiprocessing, spawn)."""
    engine = Engine(conn)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ctrl-c is the client's: it sends "stop"
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda *_: engine.stop())
    try:
        engine.loop()
    except Exception:
        engine.send(messages.fatal(traceback.format_exc(limit=5)))
        engine.abort()
    finally:
        engine.send(messages.exited())
