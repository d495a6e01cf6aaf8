"""One process's high-water mark, shared by everyone who resets it, so that no reset loses a
maximum.

The kernel keeps one peak RSS per process (VmHWM), and writing 5 to /proc/PID/clear_refs sets
it back to the current RSS. Three parties reset it in a run memtop started: the engine's sampler
(every reading is the exact maximum since its previous one), the program's own stage cuts
(`memtop.stage`, `mark`, the protocol: each stage's exact peak) and the engine's cuts from
outside. Each *take* holds a lock on a small file that all of them open, reads VmHWM, resets
it, and hands what it read to the other parties through the file: each party has a slot, the
highest peak the others read since its own last take. A take's maximum is its own reading and
its slot together, so it covers exactly the time since the same party's previous take, whoever
reset in between (docs/metrics.md, "Interval maxima").

The file is one per process, `<pid>` in the run's peaks folder, which the engine names in
MEMTOP_PEAKS_DIR; a process without it (pytest, a notebook, `memtop attach`) is the only
resetter of its own mark and takes without a lock. Standard library only (ctypes included):
this runs in every session.

Nobody waits on a lock held by a stopped process (a program stopped by ctrl-z or a debugger in
the middle of its take): the sampler that finds the lock held reads the RSS alone for that
reading (`Taken` None: the maximum stays in the mark, or in its slot, for its next take); the
program waits up to PROGRAM_WAIT_S, then takes without the lock (the one way a maximum could be
missed: memory both allocated and freed within the other party's read-and-reset, microseconds).

A take's read and its reset are two system calls, and what rises and falls between them is lost
to every party: they run back to back through libc with the GIL held (ctypes.PyDLL), so no other
thread of the process runs between them (with `os`'s calls, which let the GIL go, another thread
held it for up to a switch interval, 5 ms: a 2 ms spike was lost about 1 run in 6 on a busy
machine; tests/test_interval_maxima.py, with a long switch interval, lost 6 or more of 40).
"""

from __future__ import annotations

import ctypes
import fcntl
import mmap
import os
import struct
import time
from typing import NamedTuple

from .procfs import ProcessGone, StatusMemory, parse_status

PEAKS_DIR_ENV = "MEMTOP_PEAKS_DIR"
SAMPLER, PROGRAM, ENGINE = 0, 1, 2  # the parties, each a slot in the file
_PARTIES = 3
PROGRAM_WAIT_S = 0.01  # what the program waits for the lock at most
_RETRY_S = 0.0005
_SLOT = struct.Struct("<3Q")  # the highest peak the others read since each party's last take


_STATUS_BYTES = 4096


def _libc_holding_the_gil() -> ctypes.PyDLL | None:
    """libc's pread and write called without letting the GIL go (PyDLL), or None (then
    `os`'s, which do)."""
    try:
        libc = ctypes.PyDLL(None, use_errno=True)
        libc.pread.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_long]
        libc.pread.restype = ctypes.c_ssize_t
        libc.write.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
        libc.write.restype = ctypes.c_ssize_t
        return libc
    except (OSError, AttributeError):
        return None


_LIBC = _libc_holding_the_gil()


def _write_reset(fd: int) -> bool:
    try:
        return os.write(fd, b"5") == 1
    except OSError:
        return False


class Taken(NamedTuple):
    status: StatusMemory  # as read, before the reset
    peak: int  # the highest RSS since this party's previous take (or the process's start)
    exact: bool  # whether the reset before this take worked (else `peak` may be older)
    reset: bool  # whether this take's reset worked


class PeakMark:
    """Takes of process `pid`'s high-water mark as `party`, through kept-open descriptors."""

    def __init__(self, pid: int | str, party: int, peaks_dir: str | None = None) -> None:
        self.pid, self.party = pid, party
        self._last_reset = True  # the first take runs from the process's start: exact
        try:
            self._status = os.open(f"/proc/{pid}/status", os.O_RDONLY)
        except (FileNotFoundError, ProcessLookupError) as exc:
            raise ProcessGone(pid) from exc
        try:
            self._clear: int | None = os.open(f"/proc/{pid}/clear_refs", os.O_WRONLY)
        except OSError:  # refused (another user's process, a locked-down kernel)
            self._clear = None
        self._share: mmap.mmap | None = None
        self._buffer = ctypes.create_string_buffer(_STATUS_BYTES)
        self._lock = -1
        if peaks_dir:
            self._open_share(peaks_dir, pid if pid != "self" else os.getpid())

    @property
    def can_reset(self) -> bool:
        return self._clear is not None

    def _open_share(self, peaks_dir: str, pid: int) -> None:
        # O_NOFOLLOW: the folder is the engine's own (0700), but a planted link is never
        # followed into a file that is not a slot file.
        fd = os.open(os.path.join(peaks_dir, str(pid)),
                     os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            if os.fstat(fd).st_size < _SLOT.size:
                os.ftruncate(fd, _SLOT.size)  # zeros: every party starts with nothing owed
            self._share = mmap.mmap(fd, _SLOT.size)
        except BaseException:
            os.close(fd)
            raise
        self._lock = fd

    def take(self) -> Taken:
        """Reads the mark and resets it, waiting for the lock up to PROGRAM_WAIT_S, then
        without it; raises ProcessGone if the process has exited."""
        taken = self._take(PROGRAM_WAIT_S, or_without=True)
        assert taken is not None
        return taken

    def try_take(self) -> Taken | None:
        """As `take`, where the lock is free now (the sampler's: None, and the maximum stays
        for its next take, where another party holds it)."""
        return self._take(0.0, or_without=False)

    def _take(self, wait_s: float, or_without: bool) -> Taken | None:
        locked = self._lock >= 0 and self._acquire(wait_s)
        if self._lock >= 0 and not locked and not or_without:
            return None
        try:
            raw, reset = self._read_and_reset()
            status = parse_status(raw)
            peak = max(status.hwm, status.rss)
            if self._share is not None:
                peak = self._exchange(peak)
        finally:
            if locked:
                fcntl.flock(self._lock, fcntl.LOCK_UN)
        exact, self._last_reset = self._last_reset, reset
        return Taken(status, peak, exact, reset)

    def _acquire(self, wait_s: float) -> bool:
        """The lock, waiting at most `wait_s`; never blocks on a holder that does not let go."""
        deadline = time.monotonic() + wait_s
        while True:
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(_RETRY_S)

    def _read_and_reset(self) -> tuple[bytes, bool]:
        """The status as read, and whether the reset after it worked: back to back with the
        GIL held where libc can be called so (the module's docstring says why)."""
        if _LIBC is not None:
            size = _LIBC.pread(self._status, self._buffer, _STATUS_BYTES, 0)
            reset = self._clear is not None and _LIBC.write(self._clear, b"5", 1) == 1
            raw = ctypes.string_at(self._buffer, max(size, 0))
        else:
            try:
                raw = os.pread(self._status, _STATUS_BYTES, 0)
            except OSError:
                raw = b""
            reset = self._clear is not None and _write_reset(self._clear)
        if not raw:  # gone (an error), or an exited process's empty file
            raise ProcessGone(self.pid)
        return raw, reset

    def _exchange(self, peak: int) -> int:
        """This take's reading goes to every other party's slot; this party's own slot (what
        the others read since its last take) joins its peak and starts again from nothing."""
        assert self._share is not None
        slots = list(_SLOT.unpack_from(self._share))
        owed = slots[self.party]
        for party in range(_PARTIES):
            slots[party] = 0 if party == self.party else max(slots[party], peak)
        _SLOT.pack_into(self._share, 0, *slots)
        return max(peak, owed)

    def close(self) -> None:
        if self._share is not None:
            self._share.close()
            self._share = None
        for fd in (self._status, self._clear, self._lock):
            if fd is not None and fd >= 0:
                os.close(fd)
        self._status, self._clear, self._lock = -1, None, -1


def peaks_dir_of_environment() -> str | None:
    """The run's peaks folder, where memtop started this process (or its parent) and set it."""
    found = os.environ.get(PEAKS_DIR_ENV)
    return found if found and os.path.isdir(found) else None
