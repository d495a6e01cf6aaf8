"""The memory cgroup a process belongs to: usage and limit, v2 or v1, where present."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .procfs import KeptFile, keep

_ROOT = "/sys/fs/cgroup"
_UNLIMITED = 1 << 60  # v1 reports "no limit" as a huge number near 2**63


@dataclass(frozen=True)
class CgroupMemory:
    usage: int
    limit: int | None  # None: no limit
    oom_kills: int | None  # kills by the OOM killer in this cgroup, where the kernel says


# The files of a memory cgroup directory, by version: usage, limit, and where OOM kills are counted.
_FILES = {2: ("memory.current", "memory.max", "memory.events"),
          1: ("memory.usage_in_bytes", "memory.limit_in_bytes", "memory.oom_control")}


def _int_of(raw: bytes | None) -> int | None:
    text = raw.strip() if raw is not None else b"max"
    if text == b"max":
        return None
    value = int(text)
    return None if value >= _UNLIMITED else value


def _key_of(raw: bytes | None, key: bytes) -> int | None:
    for line in (raw or b"").splitlines():
        name, _, value = line.partition(b" ")
        if name == key:
            return int(value)
    return None


def _memory(usage: bytes | None, limit: bytes | None, events: bytes | None
            ) -> CgroupMemory | None:
    used = _int_of(usage)
    if used is None:
        return None
    return CgroupMemory(usage=used, limit=_int_of(limit), oom_kills=_key_of(events, b"oom_kill"))


def _read_once(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _read_kept(kept: KeptFile | None) -> bytes | None:
    try:
        return kept.read() if kept is not None else None
    except OSError:
        return None


class CgroupReader:
    """Finds the memory cgroup directory of pid once, then reads it cheaply."""

    def __init__(self, pid: int) -> None:
        self.directory: str | None = None
        self.version = 0
        self._kept: list[KeptFile | None] | None = None
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
        """Usage, limit and OOM kills now, through descriptors kept from the first read."""
        if self.directory is None:
            return None
        if self._kept is None:
            self._kept = [keep(os.path.join(self.directory, name))
                          for name in _FILES[self.version]]
        usage, limit, events = (_read_kept(kept) for kept in self._kept)
        return _memory(usage, limit, events)

    def close(self) -> None:
        for kept in self._kept or ():
            if kept is not None:
                kept.close()
        self._kept = None


def read_directory(d: str, version: int) -> CgroupMemory | None:
    """Usage, limit and OOM kills of one memory cgroup directory (v2 or v1), read once."""
    usage, limit, events = (_read_once(os.path.join(d, name)) for name in _FILES[version])
    return _memory(usage, limit, events)
