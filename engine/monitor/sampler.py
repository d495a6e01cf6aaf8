"""The out-of-process sampler: a thread in the engine that reads a session's memory from /proc.

Every reading is the exact maximum of its interval where memtop may reset the session's
high-water marks (a run it started): each wake-up *takes* each process's mark (process_reader.py
and probes/peak_mark.py: VmHWM read and reset under the lock the program's own stage cuts share),
so no spike between two readings is lost, however short, and the sampler can wake far less
often (INTERVAL_MAXIMA_S). The tree's maximum is the sum of its processes' (the first
MARKED_PROCESSES; the others are point samples). Where the marks may not be touched (`attach`,
`--point-samples`) or the kernel refuses the reset, readings are point samples (statm) at
POINT_INTERVAL_S, and the run says so.

Besides, at lower rates:
- /proc/PID/status (VmHWM, VmSwap, RssAnon, RssFile) about 10 times a second, from each
  process's last take where it is taken;
- the tree's membership (probes/process_tree.py), the cgroup it is in, system
  MemAvailable, swap, /proc/pressure/memory and the cgroup's figures, about twice a second,
  each through a kept-open descriptor (one `pread`; Python's `open` costs six system calls).
Readings go into `out` (a deque: appends are thread-safe) as NamedTuples (readings.py).

Each wake-up costs more than its read (about 80 µs from asleep to awake on a VM, 250 µs with a
take: docs/BENCHMARKS.md, "Own CPU under 0.5%"): the loop sleeps with time.sleep, not an Event
(whose wait allocates and takes locks), and does nothing else between reads.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from ..probes.cgroup import CgroupReader, read_directory
from ..probes.process_tree import TreeLister
from ..probes.procfs import ProcessGone, SystemReader, keep
from ..spec import RunSpec
from .process_reader import ProcessReader
from .readings import ProcReading, Sample, SamplerError, SystemReading, WorkersReading
from .thread_name import name_this_thread
from .waker import Inbox

STATUS_EVERY_S = 0.1
SYSTEM_EVERY_S = 0.5
EVERY_THREAD_EVERY = 4  # tree listings (SYSTEM_EVERY_S apart): the others read main threads
WORKERS_EVERY_S = 1.0  # each process of a tree of several: a line per worker on the card
LONGEST_SLEEP_S = 0.1  # a stop is seen within this, whatever the interval
# Why a run's readings are point samples (the run file and the card say it).
ATTACHED = "memtop did not start this process, so leaves its high-water mark alone"
ASKED = "asked for (--point-samples)"
NO_FOLDER = "no private folder for the shared marks"
REFUSED = "the kernel refused to reset the high-water mark"
MARKED_PROCESSES = 16  # processes of a tree whose marks are taken; the rest: point samples
# Each reading the maximum since the last: 10 a second lose nothing, and on this VM each
# wake-up with a take costs about 250 µs of CPU whatever it reads (20 a second: memtop's own CPU
# over the 0.5% goal; docs/BENCHMARKS.md, "Interval maxima").
INTERVAL_MAXIMA_S = 0.1
POINT_INTERVAL_S = 0.005  # point samples (the mark may not be reset): 200 a second


def microsecond_after(t: float) -> float:
    """`t` rounded up to the microsecond: what run files keep of a reading's time (store/blocks.py
    stores microseconds), and never earlier than the read ended (a sample stays in its stage)."""
    return math.ceil(t * 1e6) / 1e6

class Sampler(threading.Thread):
    def __init__(self, pid: int, interval_s: float | None, out: deque,
                 peaks_dir: str | None = None, why_no_dir: str = ATTACHED,
                 wake: Callable[[], None] | None = None) -> None:
        """`peaks_dir`: the run's folder of shared marks (None: point samples, for the reason
        `why_no_dir`); `interval_s` None: the default for what the readings are; `wake`: called
        when the sampler ends (the process has gone, or an error), which the engine's loop
        must see at once (monitor/waker.py)."""
        super().__init__(name=f"sampler-{pid}", daemon=True)
        self.pid = pid
        self.out = out
        self._wake = wake
        self.peaks_dir = peaks_dir
        try:
            self._root: ProcessReader | None = ProcessReader(pid, peaks_dir)
        except ProcessGone:  # gone already: the run ends with nothing read
            self._root = None
        self.maxima = self._root is not None and self._root.maxima  # each its interval's max
        self.point_why: str | None = None if self.maxima else \
            REFUSED if self._root is not None and self._root.refused else why_no_dir
        self.interval_s = interval_s or (INTERVAL_MAXIMA_S if self.maxima else POINT_INTERVAL_S)
        self.maxima_lost_at: float | None = None  # when the kernel began to refuse resets
        self._halted = False
        self._readers: dict[int, ProcessReader] = {pid: self._root} if self._root else {}
        self.tree: frozenset[int] = frozenset({pid})  # the session's processes, for others
        # Twice a second, through kept descriptors (each open costs a VM several system calls).
        self._lister = TreeLister()
        self._listings = 0
        self._system = SystemReader()
        self._cgroup = CgroupReader(pid)
        self._cgroup_file = keep(f"/proc/{pid}/cgroup")  # read again: has it moved?
        self._cgroup_listed = self._listed_cgroup()
        self._next_workers = 0.0
        # OOM kills per cgroup directory when the session was first seen in it: a process can
        # move between cgroups, and the OOM killer counts in the one whose limit was hit.
        self.oom_baselines: dict[str, tuple[int, int]] = {}
        self._note_cgroup()

    @classmethod
    def for_run(cls, pid: int, spec: RunSpec, out: Inbox, peaks_dir: str | None) -> Sampler:
        """The sampler of a run: interval maxima through `peaks_dir`, else point samples
        (attached or asked: memtop leaves the mark alone; else no folder could be made)."""
        why = ATTACHED if spec.attach_pid else ASKED if spec.point_samples else NO_FOLDER
        return cls(pid, spec.interval_ms and spec.interval_ms / 1000, out,
                   None if spec.point_samples else peaks_dir, why, out.wake)

    def stop(self) -> None:
        self._halted = True

    def _refresh_tree(self) -> None:
        # Each process's main thread at every listing, all its threads every few (a child
        # forked by another thread is found within EVERY_THREAD_EVERY listings: 2 s).
        self._listings += 1
        members = set(self._lister.descendants(
            self.pid, every_thread=self._listings % EVERY_THREAD_EVERY == 1))
        for pid in list(self._readers):
            if pid != self.pid and pid not in members:
                self._readers.pop(pid).close()
        # The first MARKED_PROCESSES take their marks; the others (200 forked workers) are point
        # samples: each take is a status read and three descriptors.
        marked = sum(reader.maxima for reader in self._readers.values())
        for pid in sorted(members - set(self._readers)):
            try:
                reader = ProcessReader(
                    pid, self.peaks_dir if self.maxima and marked < MARKED_PROCESSES else None)
            except ProcessGone:
                continue
            self._readers[pid] = reader
            marked += reader.maxima
        self.tree = frozenset(self._readers)  # replaced whole: safe to read from other threads

    def _read_tree(self) -> tuple[int, int, int, int]:
        """(RSS of the whole tree, of the session's own process, the tree's highest since the
        previous reading: the sum of its processes' (an upper bound where they peak apart),
        the root's exact one); raises ProcessGone if the root has gone."""
        assert self._root is not None
        main, main_high = self._root.read()
        if self.maxima and self._root.refused:  # from now on point samples: the run says so
            self.maxima, self.maxima_lost_at = False, time.monotonic()
        if len(self._readers) == 1:  # the usual case
            return main, main, main_high, main_high
        total, high = main, main_high
        for pid, reader in list(self._readers.items()):
            if pid == self.pid:
                continue
            try:
                rss, most = reader.read()
            except ProcessGone:
                self._readers.pop(pid).close()
                continue
            total, high = total + rss, high + most
        return total, main, high, main_high

    def _read_status(self, now: float) -> None:
        """Each process's status (from its last take where it is taken) and its peak since the
        previous status reading, and the tree's sums."""
        rss = hwm = swap = anon = file = 0
        each = []
        for pid, reader in list(self._readers.items()):
            try:
                status, peak = reader.status()
            except ProcessGone:
                if pid == self.pid:
                    raise
                continue
            rss, swap = rss + status.rss, swap + status.swap
            anon, file = anon + status.anon, file + status.file
            hwm = hwm or peak  # the root's (first)
            each.append((pid, status.rss, peak))
        self.out.append(ProcReading(now, rss, hwm, swap, anon, file, len(self._readers)))
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

    def _listed_cgroup(self) -> bytes:
        """/proc/PID/cgroup as it reads now (empty where it cannot be read)."""
        try:
            return self._cgroup_file.read() if self._cgroup_file is not None else b""
        except OSError:
            return b""

    def _follow_cgroup(self) -> None:
        """At the system rate: a session may move itself into another cgroup (a limit)."""
        listed = self._listed_cgroup()
        if not listed or listed == self._cgroup_listed:
            return
        self._cgroup_listed = listed
        moved = CgroupReader(self.pid)
        if moved.directory and moved.directory != self._cgroup.directory:
            self._cgroup.close()
            self._cgroup = moved
            self._note_cgroup()

    def _read_system(self, now: float) -> None:
        system = self._system.read()
        cgroup = self._cgroup.read()
        self.out.append(SystemReading(
            now, system.mem_available, system.swap_total, system.swap_free,
            system.psi_some_avg10, system.psi_full_avg10,
            cgroup.usage if cgroup else None, cgroup.limit if cgroup else None))

    def run(self) -> None:
        name_this_thread("memtop-sampler")
        try:
            if self._root is not None:  # else gone already: the run ends with nothing read
                self._sample()
        except ProcessGone:
            pass
        except Exception as exc:  # never the program's end: the run says what was lost
            self.out.append(SamplerError(f"{type(exc).__name__}: {exc}"[:300]))
        finally:
            for reader in self._readers.values():
                reader.close()
            for kept in (self._lister, self._system, self._cgroup, self._cgroup_file):
                if kept is not None:
                    kept.close()
            if self._wake is not None:
                self._wake()

    def _sample(self) -> None:
        """Readings until stopped; raises ProcessGone once the process has gone."""
        interval, out, monotonic, sleep = self.interval_s, self.out, time.monotonic, time.sleep
        next_status = next_system = next_tick = monotonic()
        since = float("-inf")  # the first maximum runs from the process's start
        while not self._halted:
            t0 = monotonic()
            total, main, high, main_high = self._read_tree()
            t1 = microsecond_after(monotonic())
            out.append(Sample(t0, t1, total, main, high, main_high,
                              since if self.maxima else t0))
            since = t0
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


def readings_meta(sampler: Sampler) -> dict[str, object]:
    """What a run file says of its readings: the interval, and whether each is its interval's
    maximum (else why not)."""
    kind = "interval maxima" if sampler.maxima else "point samples"
    return {"interval_ms": round(sampler.interval_s * 1000, 3),
            "readings": {"kind": kind, "why": sampler.point_why}}


def lost_maxima(t: float) -> dict[str, object]:
    """What the run file says where resets stopped working mid-run (`t`: from when)."""
    return {"kind": "point samples", "why": REFUSED, "from_t": t}
