"""Stage boundaries measured inside the measured process, sent to the engine as JSON lines.

Every *cut* reads the kernel's high-water mark (`VmHWM`: the exact peak RSS since the last reset)
and resets it by writing 5 to /proc/self/clear_refs. Two kinds of stage use cuts:
- a **mark** (`boundary`): the stage is the interval since the previous cut, like the seeds'
  `record_stage`; the protocol's six stages are marks;
- a **block** (`begin` ... `end`, behind `memtop.stage()`): the stage is the block itself. Blocks
  nest: every cut folds the peak it read into each open block, so an outer block's peak stays
  exact across the resets of inner ones.
Where the reset is refused, later peaks are not per stage: the event says so (`peak_exact:
false`) and the engine falls back to the sampled maximum. Optionally each cut first runs
`gc.collect()`, as `record_stage` does. Standard library only: this runs in every session and
behind `memtop.stage`.
"""

from __future__ import annotations

import gc
import itertools
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..probes.procfs import StatusMemory, read_status, reset_hwm
from ..probes.ranks import ancestors_pipe, is_event_pipe, rank_name
from ..spec import EVENT_FD_ENV, EVENT_PIPE_ENV
from .cut_extras import CutExtras


class EventChannel:
    """Writes one JSON object per line to a descriptor the engine reads."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = threading.Lock()
        self.broken = False
        self.worker = rank_name(os.environ)  # "rank 1": this process is one of several

    @classmethod
    def from_env(cls) -> EventChannel | None:
        """The pipe the engine gave the session; in a worker whose launcher closed it (torchrun),
        the same pipe reopened through the nearest ancestor of the run that holds it."""
        value, pipe = os.environ.get(EVENT_FD_ENV), os.environ.get(EVENT_PIPE_ENV, "")
        try:
            fd, inode = int(value or ""), int(pipe) if pipe else None
        except ValueError:
            return None
        if is_event_pipe(fd, inode):
            return cls(fd)
        reopened = ancestors_pipe(fd, inode)
        return None if reopened is None else cls(reopened)

    def send(self, event: dict[str, Any]) -> None:
        worker = self.worker
        if worker is not None:  # one of several ranks: its stages are its own (docs/metrics.md)
            event = {**event, "worker": worker, "pid": os.getpid()}
        data = _encoded(event)
        if worker is not None and len(data) > PIPE_BUF:
            # Ranks share the pipe: only writes up to PIPE_BUF are never interleaved with
            # another's, so a rank's event goes without its mapping groups.
            data = _encoded({k: v for k, v in event.items() if not k.startswith("groups")})
        with self._lock:
            if self.broken:
                return
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(self._fd, view):]
            except OSError:  # the engine is gone: measuring goes on, reporting stops
                self.broken = True


PIPE_BUF = 4096  # Linux: a pipe write this long or shorter is never split


def _encoded(event: dict[str, Any]) -> bytes:
    return (json.dumps(event, separators=(",", ":"), default=str) + "\n").encode()


@dataclass
class Block:
    """An open `memtop.stage()` block."""

    id: int
    name: str
    t_start: float  # when its reset happened
    rss_start: int
    swap_start: int
    peak: int
    exact: bool
    kinds_start: dict[str, int]  # RSS by kind at its start (anon_start, file_start, ...)
    groups_start: dict[str, int] | None  # where its memory lived at its start (probes/smaps)


@dataclass(frozen=True)
class _Cut:
    t: float  # before reading
    t_end: float  # after the reset
    status: StatusMemory
    peak: int  # the exact peak since the previous cut
    exact: bool  # whether that previous cut's reset worked
    probed: dict[str, Any] | None = None
    groups: dict[str, int] | None = None  # resident memory by mapping group, where read
    groups_us: int | None = None  # what reading them cost (docs/BENCHMARKS.md)
    heap: dict[str, Any] = field(default_factory=dict)  # glibc's heap; --trim: what came back
    starts: StatusMemory | None = None  # what the next stage starts from (after a trim)


class StageRecorder:
    """Measures cuts in this process and sends `begin` and `stage` events."""

    def __init__(self, channel: EventChannel | None, collect: bool = True,
                 probe: Callable[[], dict[str, Any] | None] | None = None,
                 extras: CutExtras | None = None) -> None:
        self.channel = channel
        self.collect = collect
        self.probe = probe  # extra figures at each cut (a framework's GPU allocator)
        self.extras = extras or CutExtras()
        self._last_reset_ok = True  # the first peak runs from process start: exact
        self._open: list[Block] = []
        # Ranks share the run's block ids: each numbers its own above its pid's range.
        first = (os.getpid() << 20) + 1 if rank_name(os.environ) is not None else 1
        self._ids = itertools.count(first)
        self._lock = threading.Lock()

    def _cut(self, collect: bool | None, stage: bool = True) -> _Cut:
        """Reads and resets the high-water mark; the caller holds the lock."""
        if self.collect if collect is None else collect:
            # As the seeds' record_stage does; its cost belongs to the stage that ends.
            gc.collect()
        t = time.monotonic()
        status = read_status("self")
        peak = max(status.hwm, status.rss)
        exact = self._last_reset_ok
        for block in self._open:
            block.peak = max(block.peak, peak)
            block.exact = block.exact and exact
        fields, starts = self.extras.before_reset(status, trim_now=stage)
        self._last_reset_ok = reset_hwm()
        extra = self.probe() if self.probe is not None else None
        # After the reset: what reading smaps costs is not in the next stage's peak.
        found, cost = self.extras.groups(t) if stage else (None, None)
        return _Cut(t, time.monotonic(), status, peak, exact, extra, found, cost, fields, starts)

    def boundary(self, name: str, collect: bool | None = None, **extra: Any) -> dict[str, Any]:
        """A mark: the stage `name` is the interval since the previous cut."""
        with self._lock:
            cut = self._cut(collect)
        event = {"type": "stage", "name": name, "t": cut.t, "t_end": cut.t_end,
                 "wall": time.time(), "rss": cut.status.rss, "swap": cut.status.swap,
                 "peak": cut.peak, "peak_exact": cut.exact, **cut.status.kinds(), **_probed(cut),
                 **extra}
        self.send(event)
        return event

    def iteration(self, index: int, collect: bool | None = None,
                  **extra: Any) -> dict[str, Any]:
        """One repetition of a workload (leak detection): a cut sent as an `iteration` event,
        so that it folds into open blocks without becoming a stage of its own."""
        with self._lock:
            cut = self._cut(collect, stage=False)
        event = {"type": "iteration", "i": index, "t": cut.t, "t_end": cut.t_end,
                 "rss": cut.status.rss, "swap": cut.status.swap, "peak": cut.peak,
                 "peak_exact": cut.exact, **cut.heap, **extra}
        self.send(event)
        return event

    def begin(self, name: str, collect: bool | None = None) -> Block:
        with self._lock:
            cut = self._cut(collect)
            start = cut.starts or cut.status
            block = Block(next(self._ids), name, cut.t_end, start.rss, start.swap, start.rss,
                          self._last_reset_ok, start.kinds("_start"), cut.groups)
            self._open.append(block)
        self.send({"type": "begin", "id": block.id, "name": name, "t": cut.t,
                   "t_end": cut.t_end})
        return block

    def end(self, block: Block, collect: bool | None = None, **extra: Any) -> dict[str, Any]:
        """Closes a block: the stage is the block, its peak exact even across inner blocks."""
        with self._lock:
            cut = self._cut(collect)  # folds this cut's peak into the block too
            if block in self._open:
                self._open.remove(block)
        event = {"type": "stage", "name": block.name, "block": block.id, "t": cut.t,
                 "t_end": cut.t_end, "t_start": block.t_start, "rss_start": block.rss_start,
                 "swap_start": block.swap_start, "wall": time.time(), "rss": cut.status.rss,
                 "swap": cut.status.swap, "peak": block.peak, "peak_exact": block.exact,
                 **cut.status.kinds(), **block.kinds_start, **_probed(cut), **extra}
        if block.groups_start is None:  # its change is from its own start, or not known
            event.pop("groups", None)
            event.pop("groups_us", None)
        elif "groups" in event:
            event["groups_start"] = block.groups_start
        self.send(event)
        return event

    def send(self, event: dict[str, Any]) -> None:
        if self.channel is not None:
            self.channel.send(event)


def _probed(cut: _Cut) -> dict[str, Any]:
    found: dict[str, Any] = {"allocator": cut.probed} if cut.probed else {}
    found.update(cut.heap)
    if cut.groups is not None:
        found.update(groups=cut.groups, groups_us=cut.groups_us)
    return found
