"""One client of the engine, on a non-blocking socket: requests in, bytes out, never a wait.

The engine's loop also runs the sampler's pump and the run files' commits, so nothing here may
block it: a client that stops reading (a ctrl-Z'd or frozen terminal, a slow SSH link) only
makes its own outgoing bytes pile up (`pending`: the engine bounds it, engine/monitor/delivery.py),
and a client that sends half a message leaves it in `_in` until it completes or times out.

The bytes are multiprocessing.connection's framing (a 4-byte big-endian length, or -1 and an
8-byte one), so clients keep using `Connection`; a client's stdin is passed as
multiprocessing.reduction.send_handle passes it: one byte carrying the descriptor, right after
the `submit` that announces it.
"""

from __future__ import annotations

import array
import os
import socket
import struct
from collections import deque
from dataclasses import dataclass

from .. import messages
from ..messages import Message

MAX_REQUEST = 8 * 1024 * 1024  # a submit of hundreds of specs fits; a "2 GB" header does not
PARTIAL_S = 5.0  # a message begun must be finished within this
READ_CHUNK = 256 * 1024
READS_PER_TURN = 16  # a client that floods the socket gets 4 MiB a turn, then the others
MAX_FDS = 2  # descriptors held for submits yet to be read; any more are closed
_LENGTH = struct.Struct("!i")
_LONG_LENGTH = struct.Struct("!Q")


class PeerBroken(Exception):
    """The client broke the framing: nothing after this can be read. Says how."""


@dataclass
class Request:
    """One message from a client: decoded, or why not; `stdin` is the descriptor a submit
    passed (the engine owns it from here)."""
    message: Message | None
    problem: str | None = None
    stdin: int | None = None


class Peer:
    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(False)
        self.sock = sock
        self.eof = False  # the client closed its end (what it sent before is still read)
        self.partial_since: float | None = None  # when the unfinished message began
        self.pending = 0  # bytes queued for the client, not yet taken by the kernel
        self._in = bytearray()
        self._out: deque[memoryview] = deque()
        self._fds: deque[int] = deque()

    def fileno(self) -> int:
        return self.sock.fileno()

    # ---- in --------------------------------------------------------------------------------

    def receive(self, now: float) -> list[Request]:
        """What the client sent since the last call, as requests; PeerBroken if it broke the
        framing (it is to be dropped)."""
        for _ in range(READS_PER_TURN):
            try:
                data, ancillary, _, _ = self.sock.recvmsg(
                    READ_CHUNK, socket.CMSG_SPACE(MAX_FDS * 4), socket.MSG_CMSG_CLOEXEC)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                self.eof = True
                break
            self._hold_fds(ancillary)
            if not data:
                self.eof = True
                break
            self._in += data
            if len(data) < READ_CHUNK:
                break
        requests = self._parse()
        self.partial_since = (self.partial_since or now) if self._in else None
        return requests

    def stale(self, now: float) -> bool:
        """A message begun more than PARTIAL_S ago and not finished."""
        return self.partial_since is not None and now - self.partial_since > PARTIAL_S

    def _hold_fds(self, ancillary: list[tuple[int, int, bytes]]) -> None:
        for level, kind, data in ancillary:
            if level != socket.SOL_SOCKET or kind != socket.SCM_RIGHTS:
                continue
            fds = array.array("i")
            fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
            for fd in fds:
                if len(self._fds) < MAX_FDS:
                    self._fds.append(fd)
                else:
                    os.close(fd)

    def _parse(self) -> list[Request]:
        requests: list[Request] = []
        while True:
            framed = self._frame()
            if framed is None:
                return requests
            body, used = framed
            try:
                message = messages.decode(body)
            except ValueError as exc:
                del self._in[:used]
                requests.append(Request(None, str(exc)))
                continue
            stdin = None
            if message.get("type") == "submit" and message.get("stdin") is True:
                if len(self._in) <= used:
                    return requests  # its descriptor's byte is yet to come
                used += 1
                stdin = self._fds.popleft() if self._fds else None
                if stdin is None:
                    raise PeerBroken("a submit said a descriptor follows; none came")
            del self._in[:used]
            requests.append(Request(message, stdin=stdin))

    def _frame(self) -> tuple[bytes, int] | None:
        """The next whole frame's body and the bytes it takes, or None if it is not all here."""
        if len(self._in) < _LENGTH.size:
            return None
        (size,) = _LENGTH.unpack_from(self._in)
        start = _LENGTH.size
        if size == -1:
            if len(self._in) < start + _LONG_LENGTH.size:
                return None
            (size,) = _LONG_LENGTH.unpack_from(self._in, start)
            start += _LONG_LENGTH.size
        if size < 0 or size > MAX_REQUEST:
            raise PeerBroken(f"a message of {size} bytes (at most {MAX_REQUEST} are read)")
        if len(self._in) < start + size:
            return None
        return bytes(self._in[start:start + size]), start + size

    # ---- out -------------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Queues one message's bytes and gives the kernel what it takes now."""
        if self.eof:
            return
        header = _LENGTH.pack(len(data)) if len(data) <= 0x7FFFFFFF else \
            _LENGTH.pack(-1) + _LONG_LENGTH.pack(len(data))
        for part in (header, data):
            self._out.append(memoryview(part))
            self.pending += len(part)
        self.flush()

    def flush(self) -> None:
        """As much of what is queued as the kernel takes without waiting."""
        while self._out:
            try:
                sent = self.sock.send(self._out[0])
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self.eof = True  # gone: what it sent before is still handled
                self._out.clear()
                self.pending = 0
                return
            self.pending -= sent
            if sent == len(self._out[0]):
                self._out.popleft()
            else:
                self._out[0] = self._out[0][sent:]

    @property
    def wants_write(self) -> bool:
        return bool(self._out)

    def close(self) -> None:
        while self._fds:
            os.close(self._fds.popleft())
        self.sock.close()

