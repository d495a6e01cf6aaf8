"""Cheap readers of /proc for one process and for the whole system.

Nothing here imports anything beyond the standard library: the session, the marker API and the
sampler all use it. The hot path is `StatmReader.rss_bytes` (one pread of an open descriptor);
`/proc/PID/status` is read at a lower rate, and `smaps_rollup` never.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import NamedTuple

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
# Since Linux 6.2 a process's RSS counters are per-CPU and read approximately: each reading
# (statm, VmRSS, VmHWM) may be off by up to one batch (32 pages, or 2 per CPU) on each CPU, either
# way, so two readings may disagree by twice that.
_CPUS = os.cpu_count() or 1
RSS_COUNTER_SLACK = 2 * max(32, 2 * _CPUS) * _CPUS * PAGE_SIZE
_KB = 1024


class ProcessGone(Exception):
    """The process exited (or its /proc entry vanished) while being read."""


class KeptFile:
    """A /proc or cgroup file read again and again through one kept-open descriptor: `pread` at
    offset 0 makes the kernel write it anew, one system call a reading (Python's `open` costs
    six, about 35 µs each on a VM: docs/BENCHMARKS.md, "Interval maxima"). Raises OSError where
    it cannot be opened."""

    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)

    def read(self, size: int = 16384) -> bytes:
        return os.pread(self._fd, size, 0)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def keep(path: str) -> KeptFile | None:
    """A KeptFile, or None where the file cannot be opened (no PSI, no cgroup file)."""
    try:
        return KeptFile(path)
    except OSError:
        return None


class StatmReader:
    """Re-reads /proc/PID/statm through one kept-open descriptor (about 9 µs a read)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        try:
            self._fd = os.open(f"/proc/{pid}/statm", os.O_RDONLY)
        except (FileNotFoundError, ProcessLookupError) as exc:
            raise ProcessGone(pid) from exc

    def rss_bytes(self) -> int:
        try:
            raw = os.pread(self._fd, 128, 0)
        except (ProcessLookupError, OSError) as exc:
            raise ProcessGone(self.pid) from exc
        fields = raw.split()
        resident = int(fields[1]) if len(fields) > 1 else 0
        if resident == 0:  # an exited (zombie) process reads as empty or all zeros
            raise ProcessGone(self.pid)
        return resident * PAGE_SIZE

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class StatusMemory(NamedTuple):
    """The memory lines of /proc/PID/status, in bytes (a NamedTuple: made at every reading)."""

    rss: int
    hwm: int
    swap: int
    anon: int  # RssAnon: the heap, stacks, anonymous mappings (what a framework allocates)
    file: int  # RssFile: mapped files (libraries, memory-mapped weights): the kernel can drop
    shmem: int = 0  # RssShmem: shared memory (tmpfs, /dev/shm, shared anonymous mappings)

    def kinds(self, suffix: str = "") -> dict[str, int]:
        """RSS by kind, as a stage event carries it (`anon`, `file`, `shmem`, + suffix)."""
        return {f"anon{suffix}": self.anon, f"file{suffix}": self.file,
                f"shmem{suffix}": self.shmem}

    def start_of_stage(self, t: float) -> dict[str, float]:
        """What a stage that starts at `t` from these figures carries: its `*_start` fields."""
        return {"t_start": t, "rss_start": self.rss, "swap_start": self.swap,
                **self.kinds("_start")}


# The memory lines of /proc/PID/status (`Key:  1234 kB`): since Linux 4.5 VmHWM, VmRSS, RssAnon,
# RssFile and RssShmem are neighbours and VmSwap comes later, so one search finds all six
# (2.4 µs; read at every reading, where a sampler's wake-up is dear). Any other layout: each
# key found on its own (4.7 µs), a missing one 0.
_STATUS_LINES = re.compile(rb"\nVmHWM:\s*(\d+) kB\nVmRSS:\s*(\d+) kB\nRssAnon:\s*(\d+) kB\n"
                           rb"RssFile:\s*(\d+) kB\nRssShmem:\s*(\d+) kB\n.*?\nVmSwap:\s*(\d+) kB",
                           re.DOTALL)
_STATUS_KEYS = ((b"\nVmRSS:", "rss"), (b"\nVmHWM:", "hwm"), (b"\nVmSwap:", "swap"),
                (b"\nRssAnon:", "anon"), (b"\nRssFile:", "file"), (b"\nRssShmem:", "shmem"))


def parse_status(raw: bytes) -> StatusMemory:
    found = _STATUS_LINES.search(raw)
    if found is not None:
        hwm, rss, anon, file, shmem, swap = found.groups()
        return StatusMemory(int(rss) * _KB, int(hwm) * _KB, int(swap) * _KB, int(anon) * _KB,
                            int(file) * _KB, int(shmem) * _KB)
    return StatusMemory(**_kb_values(raw, _STATUS_KEYS))


def _kb_values(raw: bytes, keys: tuple[tuple[bytes, str], ...]) -> dict[str, int]:
    """Each `Key:  1234 kB` line of a /proc file found by its key, in bytes (a missing one 0)."""
    values = {}
    for key, name in keys:
        at = raw.find(key)
        end = raw.find(b"kB", at) if at >= 0 else -1
        values[name] = int(raw[at + len(key):end]) * _KB if end > at else 0
    return values


def read_status(pid: int | str) -> StatusMemory:
    """Reads /proc/PID/status (about 16 µs); raises ProcessGone if it has exited."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            return parse_status(f.read())
    except (FileNotFoundError, ProcessLookupError) as exc:
        raise ProcessGone(pid) from exc


def reset_hwm(pid: int | str = "self") -> bool:
    """Resets the kernel's peak RSS (VmHWM) to the current RSS. False where it is refused."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


@dataclass(frozen=True)
class SystemMemory:
    """System-wide figures, in bytes; pressure as PSI averages (percent of time stalled)."""

    mem_total: int
    mem_available: int
    swap_total: int
    swap_free: int
    psi_some_avg10: float | None
    psi_full_avg10: float | None


def read_meminfo() -> dict[str, int]:
    out: dict[str, int] = {}
    with open("/proc/meminfo", "rb") as f:
        for line in f:
            key, _, rest = line.partition(b":")
            parts = rest.split()
            if parts:
                out[key.decode()] = int(parts[0]) * _KB
    return out


def parse_psi(text: str) -> tuple[float | None, float | None]:
    some = full = None
    for line in text.splitlines():
        kind, *fields = line.split()
        values = dict(f.split("=", 1) for f in fields)
        if kind == "some":
            some = float(values["avg10"])
        elif kind == "full":
            full = float(values["avg10"])
    return some, full


_MEMINFO_KEYS = ((b"MemTotal:", "mem_total"), (b"MemAvailable:", "mem_available"),
                 (b"SwapTotal:", "swap_total"), (b"SwapFree:", "swap_free"))


class SystemReader:
    """System memory and pressure, read twice a second by the sampler through kept
    descriptors."""

    def __init__(self) -> None:
        self._meminfo = KeptFile("/proc/meminfo")
        self._psi = keep("/proc/pressure/memory")  # None: a kernel without PSI

    def read(self) -> SystemMemory:
        values = _kb_values(self._meminfo.read(), _MEMINFO_KEYS)
        some = full = None
        if self._psi is not None:
            some, full = parse_psi(self._psi.read().decode("ascii", "replace"))
        return SystemMemory(**values, psi_some_avg10=some, psi_full_avg10=full)

    def close(self) -> None:
        for kept in (self._meminfo, self._psi):
            if kept is not None:
                kept.close()


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def boot_id() -> str:
    """This boot's id: a pid means the same process only within one boot."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as f:
            return f.read().strip()
    except OSError:
        return ""


_STAT_STATE = 0  # fields after the ")" that closes the command name
_STAT_EXIT_CODE = 49  # field 52 of /proc/PID/stat: the status waitpid() would report


def read_stat(pid: int) -> tuple[str, int | None] | None:
    """(state letter, exit status or None) from /proc/PID/stat; None once it is gone. While a
    process is a zombie (not yet collected by its parent), the exit status is still there."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    exit_code = int(fields[_STAT_EXIT_CODE]) if len(fields) > _STAT_EXIT_CODE else None
    return fields[_STAT_STATE], exit_code


def is_alive(pid: int) -> bool:
    """Whether pid is a live (not zombie) process on this machine now."""
    stat = read_stat(pid) if pid > 0 else None
    return stat is not None and stat[0] not in ("Z", "X")
