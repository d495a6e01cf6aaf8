"""Watching a process memtop did not start (`memtop attach PID`).

It cannot be waited for, so its end is read from /proc: while it is a zombie (its parent has not
yet collected it), /proc/PID/stat still holds its exit status.
"""

from __future__ import annotations

import os

from ..errors import UserError
from .procfs import ProcessGone, StatmReader, read_stat


def _returncode(status: int) -> int:
    """A waitpid() status as subprocess reports it: the exit code, or minus the signal."""
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def check_attachable(pid: int) -> str:
    """The process's name, or a UserError saying why it cannot be watched."""
    if pid <= 0:
        raise UserError(f"not a process id: {pid}")
    if pid == os.getpid():
        raise UserError("memtop cannot watch itself")
    try:
        with open(f"/proc/{pid}/comm") as f:
            name = f.read().strip()
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read()
        with open(f"/proc/{pid}/status", "rb"):
            pass
        reader = StatmReader(pid)
        try:
            reader.rss_bytes()
        finally:
            reader.close()
    except (FileNotFoundError, ProcessLookupError):
        raise UserError(f"no process with PID {pid}") from None
    except PermissionError:
        raise UserError(f"cannot read the memory of PID {pid} (permission denied): it belongs "
                        "to another user; run memtop as that user or as root") from None
    except ProcessGone:
        stat = read_stat(pid)
        if stat is not None and stat[0] in ("Z", "X"):
            raise UserError(f"PID {pid} ({name}) has already exited (a zombie its parent has "
                            "not collected)") from None
        if not cmdline:
            raise UserError(f"PID {pid} ({name}) is a kernel thread: it has no user memory "
                            "to watch") from None
        raise UserError(f"PID {pid} ({name}) has already exited") from None
    return name


class AttachedProcess:
    """The part of subprocess.Popen that a run needs, for a process memtop did not start.
    It has no way to signal: memtop only watches it, and stopping the run means detaching."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self.status_known = True

    def poll(self) -> int | None:
        if self.returncode is not None:
            return self.returncode
        stat = read_stat(self.pid)
        if stat is None:  # collected by its parent before we could read how it ended
            self.returncode, self.status_known = 0, False
        elif stat[0] in ("Z", "X"):
            self.returncode = _returncode(stat[1] or 0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int | None:
        return self.poll()
