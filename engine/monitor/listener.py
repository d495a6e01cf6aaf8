"""The engine's door: a Unix socket that only its own user may open.

Two locks, as OpenSSH's agent socket has: the socket is made 0600 in a 0700 folder
(runtime_dir.py), and every caller's uid is read from the kernel (SO_PEERCRED) and compared
with the engine's, so a caller of another user is refused even if the modes were loosened.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct

_UCRED = struct.Struct("3i")  # pid, uid, gid


class Listener:
    def __init__(self, path: str) -> None:
        self.path = path
        self.refused = 0  # callers of another user, turned away
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)  # a socket of an engine with this PID that died without cleaning up
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_mask = os.umask(0o177)  # created 0600: no window in which others could connect
        try:
            self.sock.bind(path)
        finally:
            os.umask(old_mask)
        os.chmod(path, 0o600)
        self.sock.listen(8)
        self.sock.setblocking(False)
        self._inode = os.stat(path).st_ino

    def fileno(self) -> int:
        return self.sock.fileno()

    def accept(self) -> socket.socket | None:
        """The next caller of this user; None if there is none, or it was refused."""
        try:
            caller, _ = self.sock.accept()
        except (BlockingIOError, InterruptedError):
            return None
        if peer_uid(caller) != os.getuid():
            self.refused += 1
            caller.close()
            return None
        return caller

    def close(self) -> None:
        self.sock.close()
        with contextlib.suppress(OSError):
            if os.stat(self.path).st_ino == self._inode:  # ours, not a later engine's
                os.unlink(self.path)


def peer_uid(sock: socket.socket) -> int:
    _, uid, _ = _UCRED.unpack(sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                              _UCRED.size))
    return uid
