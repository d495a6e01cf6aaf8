"""The engine process's start and end: started by client/engine_client.py as
`python -c … main(FD)` in a session of its own, with the socket of its first client on FD.

It writes nothing to the terminal it was started from (which may be gone long before it ends):
what it would print goes to its log beside its socket, which is removed if it stays empty.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import traceback

from .. import messages
from ..errors import UserError
from .listener import Listener
from .loop import Engine
from .peer import Peer
from .runtime_dir import log_path, socket_path
from .thread_name import name_this_thread


def main(first_fd: int) -> None:
    log = _log_to_file()
    first = Peer(socket.socket(fileno=first_fd))
    listener = None
    try:
        listener = Listener(socket_path(os.getpid()))
    except (OSError, UserError) as exc:  # it still serves the memtop that started it
        print(f"memtop engine: no socket, so no re-attaching: {exc}", file=sys.stderr)
    engine = Engine(first, listener)
    name_this_thread("memtop-engine")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # ctrl-c is the client's: it sends "stop"
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # not from a terminal: it has none
    # `kill PID`: the runs end, their files close.
    signal.signal(signal.SIGTERM, lambda *_: engine.stop("terminated"))
    try:
        engine.loop()
    except Exception:
        problem = traceback.format_exc(limit=5)
        print(problem, file=sys.stderr)
        engine.send(messages.fatal(problem))
        abort(engine)
    finally:
        engine.close()
        _drop_empty(log)


def abort(engine: Engine) -> None:
    """After an engine error: stop the sessions and close every run file."""
    for run in engine.active:
        run.request_stop()
        try:
            run.process.wait(timeout=5)
        except Exception:
            run.signal(signal.SIGKILL)
        with contextlib.suppress(Exception):
            run.finalize()


def _log_to_file() -> str | None:
    try:
        path = log_path(os.getpid())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except (OSError, UserError):
        return None
    for target in (1, 2):
        os.dup2(fd, target)
    os.close(fd)
    return path


def _drop_empty(path: str | None) -> None:
    with contextlib.suppress(OSError):
        sys.stderr.flush()
        if path and os.path.getsize(path) == 0:
            os.unlink(path)
