"""The engine process: owns the run queue and the live runs; talks to its client over a Pipe.

Client -> engine: {"type": "submit", "runs": [spec, ...], "parallel": N} and {"type": "stop"}.
Engine -> client: queued, started, samples, proc, system, stage, meta, alarm, finished, idle,
fatal (see docs/architecture.md). Messages are msgpack bytes (wire.py), never pickle.
"""

from __future__ import annotations

import contextlib
import signal
import time
import traceback
from collections import deque
from multiprocessing.connection import Connection
from typing import Any

from .live_run import LiveRun
from .runspec import RunSpec
from .wire import decode, encode

PUMP_EVERY_S = 0.05


class Engine:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.queue: deque[RunSpec] = deque()
        self.active: list[LiveRun] = []
        self.parallel = 1
        self.stopping = False
        self.busy = False
        self.client_gone = False

    def send(self, message: dict[str, Any]) -> None:
        if self.client_gone:
            return
        try:
            self.conn.send_bytes(encode(message))
        except (OSError, EOFError, ValueError):
            self.client_gone = True  # keep recording: the run files must still be complete
            self.stop()

    def stop(self) -> None:
        self.stopping = True
        for spec in self.queue:
            self.send({"type": "cancelled", "spec": spec.to_dict()})
        self.queue.clear()
        for run in self.active:
            run.request_stop()

    def handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "submit":
            self.parallel = max(1, int(message.get("parallel", 1)))
            for data in message["runs"]:
                spec = RunSpec.from_dict(data)
                self.queue.append(spec)
                self.send({"type": "queued", "spec": spec.to_dict()})
            self.busy = True
        elif kind == "stop":
            self.stop()
        elif kind == "mark":
            for run in self.active:
                if run.run_id == message.get("run"):
                    run.external_mark(str(message.get("name") or "mark"))

    def _receive(self) -> None:
        try:
            if self.conn.poll(PUMP_EVERY_S):
                self.handle(decode(self.conn.recv_bytes()))
        except (EOFError, OSError):
            self.client_gone = True
            self.stop()
            time.sleep(PUMP_EVERY_S)

    def _start_next(self) -> None:
        while not self.stopping and self.queue and len(self.active) < self.parallel:
            spec = self.queue.popleft()
            try:
                self.active.append(LiveRun(spec, self.send))
            except Exception as exc:
                self.send({"type": "finished", "run": None, "path": None, "status": "failed",
                           "cause": f"could not start the session: {exc}", "user_error": False,
                           "spec": spec.to_dict()})

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
                self.send({"type": "idle"})
            if self.stopping and not self.active:
                return

    def abort(self) -> None:
        """After an engine error: stop the sessions and close every run file."""
        for run in self.active:
            run.request_stop()
            try:
                run.process.wait(timeout=5)
            except Exception:
                run._signal(signal.SIGKILL)
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
        engine.send({"type": "fatal", "message": traceback.format_exc(limit=5)})
        engine.abort()
    finally:
        engine.send({"type": "exited"})
