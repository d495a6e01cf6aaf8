"""A hard memory limit for one session: a child memory cgroup of the engine's own, which the
session joins between fork and exec, so that every byte it ever maps is charged there and the
kernel's OOM killer ends it at the limit, as it would on a machine of that size.

Where the kernel will not have it (no writable cgroup: an unprivileged user, cgroup v2 without
delegation), `create` says why and memtop judges by the exact peak instead (memtop fit).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from dataclasses import dataclass

from .cgroup import CgroupReader


@dataclass(frozen=True)
class MemoryLimit:
    directory: str
    version: int  # 1 or 2
    limit: int  # bytes

    @property
    def method(self) -> str:
        return f"cgroup v{self.version} memory limit"

    def join_in_child(self) -> None:
        """In the session between fork and exec: move this process into the cgroup (only
        system calls: no allocation worth the name, no locks)."""
        fd = os.open(os.path.join(self.directory, "cgroup.procs"), os.O_WRONLY)
        try:
            os.write(fd, b"0")  # 0: the writing process
        finally:
            os.close(fd)

    def remove(self) -> None:
        """After the session and its children are gone (a cgroup with tasks stays)."""
        with contextlib.suppress(OSError):
            os.rmdir(self.directory)


def _write(path: str, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def create_limit(limit: int) -> tuple[MemoryLimit | None, str]:
    """(the limit, "") where a child cgroup could be made and limited; else (None, why)."""
    here = CgroupReader(os.getpid())
    if here.directory is None:
        return None, "no memory cgroup found"
    directory = os.path.join(here.directory, f"memtop-{os.getpid()}-{secrets.token_hex(3)}")
    try:
        os.mkdir(directory)
    except OSError as exc:
        return None, f"cannot make a memory cgroup ({exc.strerror})"
    try:
        if here.version == 2:
            _write(os.path.join(directory, "memory.max"), str(limit))
            with contextlib.suppress(OSError):  # no swap either: the budget is memory
                _write(os.path.join(directory, "memory.swap.max"), "0")
        else:
            _write(os.path.join(directory, "memory.limit_in_bytes"), str(limit))
            with contextlib.suppress(OSError):  # memory + swap: present only with swap
                _write(os.path.join(directory, "memory.memsw.limit_in_bytes"), str(limit))
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.rmdir(directory)
        return None, f"cannot limit a memory cgroup ({exc.strerror})"
    return MemoryLimit(directory, here.version, limit), ""
