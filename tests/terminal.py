"""A command run in a pseudo-terminal: what a terminal would receive, and keys typed at it."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
import time
from pathlib import Path


def in_terminal(argv: list[str], cwd: Path | None = None, timeout: float = 30,
                columns: int = 250, answer: tuple[bytes, bytes] | None = None,
                env: dict[str, str] | None = None) -> tuple[int, bytes]:
    """(exit code, every byte written to the terminal). With `answer` = (prompt, reply), the
    reply is typed once the prompt has appeared."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    environment = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns),
                   "LINES": "50", **(env or {})}
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd,
                               env=environment, close_fds=True)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # EIO: the other side closed
                    break
                if not chunk:
                    break
                out += chunk
            if answer is not None and answer[0] in out:
                os.write(master, answer[1])
                answer = None
            if process.poll() is not None and not ready:
                break
        else:
            process.kill()
            raise AssertionError(f"{' '.join(argv)} ran past {timeout} s")
        return process.wait(timeout=10), out
    finally:
        os.close(master)
