"""The memory cgroup a process belongs to: usage and limit, v2 or v1, where present."""

from __future__ import annotations

import os
from dataclasses import dataclass

_ROOT = "/sys/fs/cgroup"
_UNLIMITED = 1 << 60  # v1 reports "no limit" as a huge number near 2**63


@dataclass(frozen=True)
class CgroupMemory:
    usage: int
    limit: int | None  # None: no limit
    oom_kills: int | None  # kills by the OOM killer in this cgroup, where the kernel says


def _read_int(path: str) -> int | None:
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return None
    if text == "max":
        return None
    value = int(text)
    return None if value >= _UNLIMITED else value


def _read_key(path: str, key: str) -> int | None:
    try:
        with open(path) as f:
            for line in f:
                name, _, value = line.partition(" ")
                if name == key:
                    return int(value)
    except OSError:
        pass
    return None


class CgroupReader:
    """Finds the memory cgroup directory of pid once, then reads it cheaply."""

    def __init__(self, pid: int) -> None:
        self.directory: str | None = None
        self.version = 0
        try:
            with open(f"/proc/{pid}/cgroup") as f:
                lines = f.read().splitlines()
        except OSError:
            return
        for line in lines:
            _, controllers, path = line.split(":", 2)
            if "memory" in controllers.split(","):
                self._pick(f"{_ROOT}/memory", path, "memory.usage_in_bytes", 1)
            elif controllers == "" and self.directory is None:
                self._pick(_ROOT, path, "memory.current", 2)
                if self.directory is None:
                    self._pick(f"{_ROOT}/unified", path, "memory.current", 2)

    def _pick(self, base: str, path: str, probe: str, version: int) -> None:
        # Inside a cgroup namespace the listed path may not exist below the mount: use the mount.
        for directory in (base + path, base):
            if os.path.exists(os.path.join(directory, probe)):
                self.directory, self.version = directory, version
                return

    def read(self) -> CgroupMemory | None:
        if self.directory is None:
            return None
        return read_directory(self.directory, self.version)


def read_directory(d: str, version: int) -> CgroupMemory | None:
    """Usage, limit and OOM kills of one memory cgroup directory (v2 or v1)."""
    if version == 2:
        usage = _read_int(f"{d}/memory.current")
        limit = _read_int(f"{d}/memory.max")
        kills = _read_key(f"{d}/memory.events", "oom_kill")
    else:
        usage = _read_int(f"{d}/memory.usage_in_bytes")
        limit = _read_int(f"{d}/memory.limit_in_bytes")
        kills = _read_key(f"{d}/memory.oom_control", "oom_kill")
    if usage is None:
        return None
    return CgroupMemory(usage=usage, limit=limit, oom_kills=kills)
