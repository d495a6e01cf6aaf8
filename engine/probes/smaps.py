"""Where a process's resident memory lives, by what it is: each shared library and each mapped
data file (weights) by file name, `[heap]`, `[stack]`, anonymous mappings by size class, shared
memory. Read from /proc/PID/smaps at stage boundaries only (never on the sampling path: tens of
milliseconds for a process with thousands of mappings; docs/BENCHMARKS.md). Standard library
only: it runs in the measured process.

Names come from the measured program's mappings: they are data, shown through `text.shown`."""

from __future__ import annotations

import os

from ..units import MIB

KEEP = 60  # groups kept per reading, the largest first; the rest summed as OTHERS
OTHERS = "(other mappings)"
# Anonymous mappings by their size: glibc's small-allocation arenas and thread stacks are below
# 1 MiB or one 64 MiB arena; tensors and framework pools are single large mappings.
ANON_CLASSES = ((1 * MIB, "anonymous < 1 MiB"), (64 * MIB, "anonymous 1-64 MiB"),
                (1 << 62, "anonymous ≥ 64 MiB"))


def group_of(path: str, size: int) -> str:
    """The group of one mapping, from its path (smaps' last field) and virtual size."""
    if not path:
        return next(name for limit, name in ANON_CLASSES if size < limit)
    if path.startswith("[stack"):
        return "[stack]"
    if path.startswith("["):  # [heap], [vdso], [anon:name] ...
        return path
    if path.startswith(("/dev/shm/", "/memfd:", "/SYSV")):
        return "shared memory"
    return os.path.basename(path.removesuffix(" (deleted)")) or path


def parse_smaps(raw: bytes) -> dict[str, int]:
    """Resident bytes per group; groups with nothing resident are left out."""
    groups: dict[str, int] = {}
    group = ""
    for line in raw.split(b"\n"):
        if not line:
            continue
        first = line.split(None, 1)[0]
        if first.endswith(b":"):
            if first == b"Rss:" and group:
                rss = int(line.split()[1]) * 1024
                if rss:
                    groups[group] = groups.get(group, 0) + rss
            continue
        fields = line.split(None, 5)  # a mapping's header: range perms offset dev inode [path]
        start, _, end = fields[0].partition(b"-")
        try:
            size = int(end, 16) - int(start, 16)
        except ValueError:
            group = ""
            continue
        path = fields[5].decode("utf-8", "replace").strip() if len(fields) > 5 else ""
        group = group_of(path, size)
    return groups


def kept(groups: dict[str, int], keep: int = KEEP) -> dict[str, int]:
    """The `keep` largest groups, and the rest summed as OTHERS: a bounded event whatever the
    process maps."""
    ordered = sorted(groups.items(), key=lambda item: item[1], reverse=True)
    out = dict(ordered[:keep])
    rest = sum(size for _, size in ordered[keep:])
    if rest:
        out[OTHERS] = out.get(OTHERS, 0) + rest
    return out


def mapping_groups(pid: int | str = "self") -> dict[str, int] | None:
    """The process's resident memory by group (the KEEP largest); None if smaps cannot be
    read (a kernel without it, or a process that has gone)."""
    try:
        with open(f"/proc/{pid}/smaps", "rb") as f:
            return kept(parse_smaps(f.read()))
    except OSError:
        return None
