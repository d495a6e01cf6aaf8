"""The out-of-process sampler: a thread in the engine that reads a session's memory from /proc.

Three rates, each costing what it must:
- RSS of every process in the session's tree from /proc/PID/statm through kept-open descriptors
  (about 9 µs a read), every `interval` (default 5 ms);
- /proc/PID/status (VmHWM, VmSwap, RssAnon, RssFile, about 16 µs) about 20 times a second;
- the tree's membership (a file per thread of each process), the cgroup it is in, system
  MemAvailable, swap, /proc/pressure/memory and the cgroup's figures, about twice a second.
Readings go into `out` (a deque: appends are thread-safe) as tuples tagged by kind.

Each wake-up costs more than its read (about 35 µs of kernel time on a VM, docs/BENCHMARKS.md):
the loop sleeps with time.sleep, not an Event (whose wait allocates and takes locks), and does
nothing else between reads.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

from ..probes.cgroup import CgroupReader, read_directory
from ..probes.procfs import ProcessGone, StatmReader, descendants, read_status, read_system
from .readings import ProcReading, Sample, SamplerError, SystemReading, WorkersReading

STATUS_EVERY_S = 0.05
SYSTEM_EVERY_S = 0.5
WORKERS_EVERY_S = 1.0  # each process of a tree of several: a line per worker on the card
LONGEST_SLEEP_S = 0.05  # a stop is seen within this, whatever the interval



def microsecond_after(t: float) -> float:
    """`t` rounded up to the microsecond: what run files keep of a reading's time (store/blocks.py
    stores microseconds), and never earlier than the read ended (a sample stays in its stage)."""
    return math.ceil(t * 1e6) / 1e6

class Sampler(threading.Thread):
    def __init__(self, pid: int, interval_s: float, out: deque) -> None:
        super().__init__(name=f"sampler-{pid}", daemon=True)
        self.pid = pid
        self.interval_s = interval_s
        self.out = out
        self._halted = False
        self._readers: dict[int, StatmReader] = {}
        self.tree: frozenset[int] = frozenset({pid})  # the session's processes, for others
        self._cgroup = CgroupReader(pid)
        self._next_workers = 0.0
        # OOM kills per cgroup directory when the session was first seen in it: a process can
        # move between cgroups, and the OOM killer counts in the one whose limit was hit.
        self.oom_baselines: dict[str, tuple[int, int]] = {}
        self._note_cgroup()

    def stop(self) -> None:
        self._halted = True

    def _refresh_tree(self) -> None:
        members = set(descendants(self.pid))
        for pid in list(self._readers):
            if pid != self.pid and pid not in members:
                self._readers.pop(pid).close()
        for pid in members - set(self._readers):
            try:
                self._readers[pid] = StatmReader(pid)
            except ProcessGone:
                continue
        self.tree = frozenset(self._readers)  # replaced whole: safe to read from other threads

    def _read_tree(self) -> tuple[int, int]:
        """(RSS of the whole tree, RSS of the session's own process); raises if it is gone."""
        main = self._readers[self.pid].rss_bytes()
        if len(self._readers) == 1:  # the usual case, read 200 to 1,000 times a second
            return main, main
        total = main
        for pid, reader in list(self._readers.items()):
            if pid == self.pid:
                continue
            try:
                total += reader.rss_bytes()
            except ProcessGone:
                self._readers.pop(pid).close()
        return total, main

    def _read_status(self, now: float) -> None:
        main = read_status(self.pid)
        rss, swap, anon, file = main.rss, main.swap, main.anon, main.file
        each = [(self.pid, main.rss, main.hwm)]
        for pid in list(self._readers):
            if pid == self.pid:
                continue
            try:
                child = read_status(pid)
            except ProcessGone:
                continue
            rss, swap = rss + child.rss, swap + child.swap
            anon, file = anon + child.anon, file + child.file
            each.append((pid, child.rss, child.hwm))
        self.out.append(ProcReading(now, rss, main.hwm, swap, anon, file, len(self._readers)))
        if len(each) > 1 and now >= self._next_workers:  # the processes one by one
            self._next_workers = now + WORKERS_EVERY_S
            self.out.append(WorkersReading(now, each))

    def _note_cgroup(self) -> None:
        current = self._cgroup.read()
        directory = self._cgroup.directory
        if directory and current and current.oom_kills is not None and \
                directory not in self.oom_baselines:
            self.oom_baselines[directory] = (self._cgroup.version, current.oom_kills)

    def oom_killed(self) -> bool:
        """Whether the OOM killer struck in any cgroup the session was in (after it ended)."""
        for directory, (version, before) in self.oom_baselines.items():
            now = read_directory(directory, version)
            if now is not None and now.oom_kills is not None and now.oom_kills > before:
                return True
        return False

    def _follow_cgroup(self) -> None:
        """At the status rate: a session may move itself into another cgroup (a limit)."""
        moved = CgroupReader(self.pid)
        if moved.directory and moved.directory != self._cgroup.directory:
            self._cgroup = moved
            self._note_cgroup()

    def _read_system(self, now: float) -> None:
        system = read_system()
        cgroup = self._cgroup.read()
        self.out.append(SystemReading(
            now, system.mem_available, system.swap_total, system.swap_free,
            system.psi_some_avg10, system.psi_full_avg10,
            cgroup.usage if cgroup else None, cgroup.limit if cgroup else None))

    def run(self) -> None:
        try:
            self._readers[self.pid] = StatmReader(self.pid)
        except ProcessGone:
            return
        interval, out, monotonic, sleep = self.interval_s, self.out, time.monotonic, time.sleep
        next_status = next_system = next_tick = monotonic()
        try:
            while not self._halted:
                t0 = monotonic()
                total, main = self._read_tree()
                t1 = microsecond_after(monotonic())
                out.append(Sample(t0, t1, total, main))
                if t1 >= next_status:
                    if t1 >= next_system:
                        self._refresh_tree()
                        self._follow_cgroup()
                        self._read_system(t1)
                        next_system = t1 + SYSTEM_EVERY_S
                    self._read_status(t1)
                    next_status = t1 + STATUS_EVERY_S
                next_tick += interval
                delay = next_tick - monotonic()
                if delay < -interval:  # fell behind (descheduled): do not burst
                    next_tick = monotonic()
                while delay > 0 and not self._halted:  # a long interval wakes to see a stop
                    sleep(min(delay, LONGEST_SLEEP_S))
                    delay = next_tick - monotonic()
        except ProcessGone:
            pass
        except Exception as exc:  # never the program's end: the run says what was lost
            self.out.append(SamplerError(f"{type(exc).__name__}: {exc}"[:300]))
        finally:
            for reader in self._readers.values():
                reader.close()
