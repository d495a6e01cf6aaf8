"""Stage boundaries measured inside the measured process, sent to the engine as JSON lines.

Every *cut* reads the kernel's high-water mark (`VmHWM`: the exact peak RSS since the last reset)
and resets it by writing 5 to /proc/self/clear_refs. Stages form a tree (docs/metrics.md):
- a **block** (`begin` ... `end`, behind `memtop.stage()`) is the stage between its two edges;
  its parent is the innermost block open when it began;
- a **mark** (`boundary`: the protocol's six stages, `memtop.mark()`) is the interval since the
  last edge *at its own level*: the previous mark there, the end of the sibling block before it,
  or the begin of its enclosing block, whichever is latest. A mark never crosses a block edge.
Every cut folds the peak it read into each level still open, so a block's peak, and a mark's
peak since its level's last edge, stay exact across the resets of cuts inside them. Where the
reset is refused, later peaks are not per stage: the event says so (`peak_exact: false`) and the
engine falls back to the sampled maximum. Optionally each cut first runs `gc.collect()`, as
the seeds' `record_stage` does. Standard library only: this runs in every session and behind
`memtop.stage`.
"""

from __future__ import annotations

import gc
import itertools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..probes.peak_mark import PROGRAM, PeakMark, Taken, peaks_dir_of_environment
from ..probes.procfs import ProcessGone, StatusMemory
from ..probes.ranks import rank_name
from .cut_extras import CutExtras
from .event_channel import EventChannel

__all__ = ["Block", "EventChannel", "StageRecorder"]


@dataclass
class Block:
    """An open `memtop.stage()` block, or (id None) the process's top level: what its own stage
    will say, and where the next mark inside it starts."""

    id: int | None
    name: str
    parent: int | None
    thread: int
    start: dict[str, Any]  # t_start, rss_start, swap_start, anon_start, ... ({} at the top)
    groups_start: dict[str, int] | None  # where its memory lived at its start (probes/smaps)
    peak: int = 0  # the highest peak read inside it
    exact: bool = True
    # Its last edge (its begin, a child block's end, a mark): where its next mark starts.
    edge: dict[str, Any] = field(default_factory=dict)
    edge_groups: dict[str, int] | None = None
    since: int = 0  # the highest peak read since that edge
    since_exact: bool = True


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

    @property
    def edge(self) -> dict[str, Any]:
        """A stage that starts at this cut starts from these figures."""
        return (self.starts or self.status).start_of_stage(self.t_end)


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
        # Its first mark runs from process start: no edge, so no start is known.
        self._top = Block(None, "", None, 0, {}, None)
        self._open: list[Block] = []
        # Ranks share the run's block ids: each numbers its own above its pid's range.
        first = (os.getpid() << 20) + 1 if rank_name(os.environ) is not None else 1
        self._ids = itertools.count(first)
        self._lock = threading.Lock()
        self._mark: PeakMark | None = None  # this process's mark, shared with the sampler
        self._mark_pid = 0

    def _take(self) -> Taken:
        """This process's mark read and reset (a forked child takes its own, not its
        parent's: the descriptors name the process that opened them)."""
        if self._mark is not None and self._mark_pid == os.getpid():
            try:
                return self._mark.take()
            except (ProcessGone, OSError):  # the program closed every descriptor it had
                pass
        self._mark = PeakMark("self", PROGRAM, peaks_dir_of_environment())
        self._mark_pid = os.getpid()
        return self._mark.take()

    def _cut(self, collect: bool | None, stage: bool = True) -> _Cut:
        """Reads and resets the high-water mark; the caller holds the lock."""
        if self.collect if collect is None else collect:
            # As the seeds' record_stage does; its cost belongs to the stage that ends.
            gc.collect()
        t = time.monotonic()
        taken = self._take()
        status, peak, exact = taken.status, taken.peak, self._last_reset_ok
        fields, starts = self.extras.before_reset(status, trim_now=stage)
        if starts is not status:  # trimmed: the next stage starts from what is left
            again = self._take()
            peak, taken = max(peak, again.peak), again
        self._last_reset_ok = taken.reset
        for level in (self._top, *self._open):
            level.peak, level.exact = max(level.peak, peak), level.exact and exact
            level.since, level.since_exact = max(level.since, peak), level.since_exact and exact
        extra = self.probe() if self.probe is not None else None
        # After the reset: what reading smaps costs is not in the next stage's peak.
        found, cost = self.extras.groups(t) if stage else (None, None)
        return _Cut(t, time.monotonic(), status, peak, exact, extra, found, cost, fields, starts)

    def _innermost(self) -> Block:
        return self._open[-1] if self._open else self._top

    @staticmethod
    def _new_edge(level: Block, cut: _Cut) -> None:
        """`cut` is the last edge inside `level` now: its next mark starts here."""
        level.edge, level.edge_groups = cut.edge, cut.groups
        level.since, level.since_exact = 0, True

    def boundary(self, name: str, collect: bool | None = None, **extra: Any) -> dict[str, Any]:
        """A mark: the stage `name` is the interval since its level's last edge."""
        with self._lock:
            cut = self._cut(collect)
            level = self._innermost()
            start, groups_start = level.edge, level.edge_groups
            peak, exact = level.since, level.since_exact
            self._new_edge(level, cut)
        # The program's extra values never replace what memtop measured.
        event = {**extra, "type": "stage", "name": name, "parent": level.id, **start,
                 "t": cut.t, "t_end": cut.t_end, "wall": time.time(), "rss": cut.status.rss,
                 "swap": cut.status.swap, "peak": peak, "peak_exact": exact,
                 **cut.status.kinds(), **_probed(cut, groups_start)}
        self.send(event)
        return event

    def iteration(self, index: int, collect: bool | None = None,
                  **extra: Any) -> dict[str, Any]:
        """One repetition of a workload (leak detection): a cut sent as an `iteration` event,
        so that it folds into open levels without becoming a stage or an edge of its own."""
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
            block = Block(next(self._ids), name, self._innermost().id, threading.get_ident(),
                          cut.edge, cut.groups, peak=start.rss, exact=self._last_reset_ok)
            self._new_edge(block, cut)
            self._open.append(block)
        self.send({"type": "begin", "id": block.id, "name": name, "parent": block.parent,
                   "t": cut.t, "t_end": cut.t_end})
        return block

    def end(self, block: Block, collect: bool | None = None,
            **extra: Any) -> dict[str, Any] | None:
        """Closes a block: the stage is the block, its peak exact even across inner blocks.
        Blocks this thread opened inside it and left open (an exception went through them)
        close with it, first, marked failed. None if it was closed already."""
        with self._lock:
            cut = self._cut(collect)  # folds this cut's peak into the block too
            if block not in self._open:
                return None
            at = self._open.index(block)
            inner = [b for b in self._open[at + 1:] if b.thread == block.thread]
            error = extra.get("error") or "did not end"
            events = [self._close(b, cut, {"error": error}) for b in reversed(inner)]
            events.append(self._close(block, cut, extra))
        for event in events:
            self.send(event)
        return events[-1]

    def close_all(self, error: str) -> None:
        """Closes every open block, innermost first, marked failed (the process is ending)."""
        with self._lock:
            if not self._open:
                return
            cut = self._cut(False)
            events = [self._close(b, cut, {"error": error}) for b in reversed(self._open)]
        for event in events:
            self.send(event)

    def _close(self, block: Block, cut: _Cut, extra: dict[str, Any]) -> dict[str, Any]:
        """The stage event of `block`, which ends at `cut`; its parent's last edge is now here.
        The caller holds the lock."""
        self._open.remove(block)
        # Its parent's next mark starts here (another thread's block keeps the parent it began
        # in, even if that one ended first: docs/metrics.md, threads).
        parent = next((b for b in self._open if b.id == block.parent), self._top)
        self._new_edge(parent, cut)
        return {**extra, "type": "stage", "name": block.name, "block": block.id,
                "parent": block.parent, **block.start, "t": cut.t, "t_end": cut.t_end,
                "wall": time.time(), "rss": cut.status.rss, "swap": cut.status.swap,
                "peak": block.peak, "peak_exact": block.exact, **cut.status.kinds(),
                **_probed(cut, block.groups_start)}

    def send(self, event: dict[str, Any]) -> None:
        if self.channel is not None:
            self.channel.send(event)


def _probed(cut: _Cut, groups_start: dict[str, int] | None) -> dict[str, Any]:
    """What a cut adds to the stage it ends; its mapping groups' change is from the stage's own
    start (`groups_start`), so it is known only where both were read."""
    found: dict[str, Any] = {"allocator": cut.probed} if cut.probed else {}
    found.update(cut.heap)
    if cut.groups is not None:
        found.update(groups=cut.groups, groups_us=cut.groups_us)
        if groups_start is not None:
            found["groups_start"] = groups_start
    return found
