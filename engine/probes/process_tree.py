"""A process's descendants, listed again and again (the sampler's, twice a second).

A child is its forking thread's: it is in /proc/PID/task/TID/children of that thread only, so a
full listing reads the file of every thread of every process of the tree. ML programs run dozens
of threads (intra-op pools, data loaders) and fork from their main thread nearly always, so most
listings read each process's main thread alone and take its other threads' children as the last
full listing found them (`every_thread`); the sampler lists every thread's every few listings.
Files are read through kept descriptors (procfs.KeptFile), the first KEPT_CHILDREN_FILES.
"""

from __future__ import annotations

import os

from .procfs import KeptFile


class TreeLister:
    KEPT_CHILDREN_FILES = 256

    def __init__(self) -> None:
        self._kept: dict[str, KeptFile] = {}
        self._by_others: dict[int, list[int]] = {}  # pid -> children of its other threads

    def descendants(self, pid: int, every_thread: bool = True) -> list[int]:
        """All descendants of pid, depth first (pid itself excluded). `every_thread` False:
        each process's main thread read again, its other threads' children as the last full
        listing found them."""
        out: list[int] = []
        listed: set[str] = set()
        todo = [pid]
        while todo:
            kids = self.children(todo.pop(), listed, every_thread)
            out.extend(kids)
            todo.extend(kids)
        if every_thread:  # threads and processes gone: their files closed
            for path in set(self._kept) - listed:
                self._kept.pop(path).close()
            tree = {pid, *out}
            self._by_others = {p: kids for p, kids in self._by_others.items() if p in tree}
        return out

    def children(self, pid: int, listed: set[str], every_thread: bool = True) -> list[int]:
        """Direct children of pid; `listed` gains the files read."""
        if not every_thread:
            found = self._read(f"/proc/{pid}/task/{pid}/children", listed)
            return found + [c for c in self._by_others.get(pid, ()) if c not in found]
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            return []
        found, by_others = [], []
        for tid in tasks:
            kids = self._read(f"/proc/{pid}/task/{tid}/children", listed)
            found.extend(kids)
            if tid != str(pid):
                by_others.extend(kids)
        self._by_others[pid] = by_others
        return found

    def _read(self, path: str, listed: set[str]) -> list[int]:
        listed.add(path)
        try:
            kept = self._kept.get(path)
            if kept is None and len(self._kept) < self.KEPT_CHILDREN_FILES:
                kept = self._kept[path] = KeptFile(path)
            if kept is not None:
                raw = kept.read()
            else:
                with open(path, "rb") as f:
                    raw = f.read()
        except OSError:
            return []
        return [int(c) for c in raw.split()]

    def close(self) -> None:
        for kept in self._kept.values():
            kept.close()
        self._kept.clear()


def children(pid: int) -> list[int]:
    """Direct children of pid, once."""
    lister = TreeLister()
    try:
        return lister.children(pid, set())
    finally:
        lister.close()


def descendants(pid: int) -> list[int]:
    """All descendants of pid, once."""
    lister = TreeLister()
    try:
        return lister.descendants(pid)
    finally:
        lister.close()
