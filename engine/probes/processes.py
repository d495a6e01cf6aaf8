"""The processes on this machine, biggest first: for picking one to attach to (like top)."""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass

from .procfs import PAGE_SIZE

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    user: str
    rss: int
    name: str
    command: str
    cpu_s: float = 0.0  # CPU time used so far (user + system); CPU % is its rate between scans


def cpu_percent(before: ProcessInfo | None, now: ProcessInfo, seconds: float) -> float | None:
    """CPU % of one core between two scans of the same process (as top shows it); None for a
    process first seen now."""
    if before is None or seconds <= 0:
        return None
    return max(0.0, (now.cpu_s - before.cpu_s) / seconds * 100)


def _user(uid: int, cache: dict[int, str]) -> str:
    if uid not in cache:
        try:
            cache[uid] = pwd.getpwuid(uid).pw_name
        except KeyError:
            cache[uid] = str(uid)
    return cache[uid]


def list_processes(limit: int = 200) -> list[ProcessInfo]:
    """User processes by RSS, largest first (kernel threads, with no memory, left out)."""
    users: dict[int, str] = {}
    found = []
    me = os.getpid()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        pid = int(entry.name)
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                rss = int(f.read().split()[1]) * PAGE_SIZE
            if rss == 0:
                continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
            with open(f"/proc/{pid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
            cpu_s = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime
            uid = entry.stat().st_uid
        except (OSError, IndexError, ValueError):
            continue
        found.append(ProcessInfo(pid, _user(uid, users), rss, name, command or name, cpu_s))
    found.sort(key=lambda p: p.rss, reverse=True)
    return found[:limit]


def processes_marked(marker: str) -> list[tuple[int, str, int]]:
    """(pid, name, process group) of the live processes whose environment holds `marker`
    (`NAME=value`): a program's descendants keep the environment memtop gave it even after
    they leave its process tree (a daemon's double fork and setsid)."""
    wanted = marker.encode() + b"\0"
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            with open(f"/proc/{pid}/environ", "rb") as f:
                if wanted not in f.read() + b"\0":
                    continue
            with open(f"/proc/{pid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] not in ("Z", "X"):
            found.append((pid, name, int(fields[2])))
    return found
