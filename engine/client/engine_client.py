"""The client side of the engine: starts the engine process and exchanges messages with it.

Used by the CLI and the TUI alike. The engine is a spawned multiprocessing process; the pipe
carries msgpack bytes only.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
import time
from collections.abc import Iterable, Iterator
from multiprocessing.reduction import send_handle

from .. import messages
from ..messages import Message
from ..monitor.loop import engine_main
from ..spec import RunSpec


@contextlib.contextmanager
def _process_stdio() -> Iterator[None]:
    """The real stdout/stderr while starting a process: a running Textual app replaces them
    with objects whose fileno() multiprocessing cannot pass on."""
    saved = sys.stdout, sys.stderr
    sys.stdout = sys.__stdout__ or saved[0]
    sys.stderr = sys.__stderr__ or saved[1]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


class EngineClient:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child_conn = context.Pipe(duplex=True)
        self.process = context.Process(target=engine_main, args=(child_conn,),
                                       name="memtop-engine", daemon=True)
        with _process_stdio():
            self.process.start()
        child_conn.close()
        self.exited = False

    def submit(self, specs: Iterable[RunSpec], parallel: int = 1,
               stdin: int | None = None) -> None:
        """Queues runs; `stdin` (a descriptor, the terminal) is passed on to the run whose spec
        asks for it (`pass_stdin`), through the socket under the pipe."""
        self._send(messages.submit((s.to_dict() for s in specs), parallel, stdin is not None))
        if stdin is not None and not self.exited:
            send_handle(self.conn, stdin, self.process.pid)

    def stop(self) -> None:
        self._send(messages.stop())

    def mark(self, run_id: str, name: str) -> None:
        """A manual stage marker on a live run."""
        self._send(messages.mark(run_id, name))

    def _send(self, message: Message) -> None:
        try:
            self.conn.send_bytes(messages.encode(message))
        except (OSError, EOFError):
            self.exited = True

    def receive(self, timeout: float) -> Message | None:
        """The next message, or None after timeout; {"type": "exited"} once the engine is gone."""
        if self.exited:
            return messages.exited()
        try:
            if not self.conn.poll(timeout):
                return None
            message = messages.decode(self.conn.recv_bytes())
        except ValueError:
            return None  # not one of memtop's messages: ignored
        except (EOFError, OSError):
            message = messages.exited()
        if message["type"] == "exited":
            self.exited = True
        return message

    def close(self, timeout: float = 15.0) -> None:
        """Stops the engine and waits for it: its runs are finalized before it exits."""
        self.stop()
        deadline = time.monotonic() + timeout
        while not self.exited and time.monotonic() < deadline:
            self.receive(0.1)
        self.process.join(max(0.0, deadline - time.monotonic()))
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2)
        self.conn.close()
