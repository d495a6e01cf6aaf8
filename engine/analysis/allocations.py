"""Which code allocated each stage's memory (`--allocations`): memray's capture file, aligned
with the run's stages. memray writes a snapshot of its tracked heap every 10 ms; a stage's
moment is its snapshot with the largest heap (between the stage's start and end, by wall
clock), and its sites are the Python functions whose allocations *made in the stage* were live
then, largest first (allocations whose stacks end in the same function, file and line are one
site): what the stage added to its peak, not what earlier stages left. memray sees
what goes through malloc and friends; what it cannot see (Python's small-object arenas, mapped
files, allocators that map memory themselves) is the gap to the kernel's peak, said beside it.

memray is an optional dependency (memtop[allocations]): imported only here, only when asked."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from ..errors import UserError
from ..units import MIB
from .stage_tree import stage_keys

TOP_SITES = 5
SMALLEST_MIB = 0.05
ALLOCATOR_FUNCTIONS = ("malloc", "calloc", "realloc", "free", "posix_memalign",
                       "aligned_alloc", "memalign", "valloc", "mmap", "operator new")
CPYTHON_SOURCES = ("Objects/", "Python/", "Include/", "Modules/", "Parser/")
WRAPPERS = ("/memray/", "runpy.py")  # frames that only run the program: skipped
_ENGINE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# memtop's own code, installed (site-packages/memtop/...) or from a checkout (engine/, memtop/).
OWN_DIRS = tuple({_ENGINE + os.sep, os.path.join(os.path.dirname(_ENGINE), "memtop") + os.sep,
                  *([os.path.dirname(_ENGINE) + os.sep]
                    if os.path.basename(os.path.dirname(_ENGINE)) == "memtop" else [])})
OWN_SITE = ("memtop's stage cuts", "", 0)  # what memtop itself allocated (smaps, events)


def _site(record: Any) -> tuple[str, str, int]:
    """The innermost Python frame of the record's stack that is not a wrapper's; memtop's own
    allocations (its stage cuts) are named as such, not given to the user's line."""
    for function, file, line in record.stack_trace(16):
        if file.startswith(OWN_DIRS):
            return OWN_SITE
        if not any(part in file for part in WRAPPERS):
            return function, file, line
    return "(no Python frame)", "", 0


def _native(record: Any) -> str | None:
    """The innermost native symbol that is neither the allocator nor the interpreter (a
    framework's: `c10::alloc_cpu`), where native stacks were kept; None for Python code."""
    try:
        frames = record.hybrid_stack_trace(12)
    except (NotImplementedError, ValueError):
        return None
    for function, file, _ in frames:
        if file.endswith(".py"):
            return None  # the Python code itself allocated, through the interpreter
        if function.startswith(ALLOCATOR_FUNCTIONS) or \
                file.lstrip("./").startswith(CPYTHON_SOURCES):
            continue
        return function
    return None


def _stage_windows(stages: Sequence[dict[str, Any]]) -> list[tuple[str, float, float]]:
    """(key, start, end) in wall-clock ms: a stage from its start, a mark of an older file from
    the end of the stage before it (the first from the capture's start). A stage event's `wall`
    was read at its `t_end`; its other times are monotonic, so each converts through that
    pair. Stages are named by their key (`fit/epoch#2/evaluate`): one name each."""
    windows, previous = [], None
    for stage, key in zip(stages, stage_keys(list(stages)), strict=True):
        wall = stage.get("wall")
        if not isinstance(wall, int | float):
            continue

        def at(moment: float, stage: dict[str, Any] = stage, wall: float = wall) -> float:
            return wall - (stage.get("t_end", stage["t"]) - moment)

        start = at(stage["t_start"]) if "t_start" in stage else previous
        windows.append((key, (start or 0.0) * 1000, at(stage["t"]) * 1000))
        previous = wall
    return windows


def stage_sites(capture: str, stages: Sequence[dict[str, Any]],
                top: int = TOP_SITES) -> list[dict[str, Any]]:
    """Per stage with snapshots: its moment's tracked heap and its `top` sites."""
    try:
        from memray import FileReader
    except ImportError:
        raise UserError("reading allocations needs memray: pip install "
                        "'memtop[allocations]'") from None
    if not os.path.exists(capture):
        raise UserError(f"no allocation capture at {capture} (was the run made with "
                        "--allocations, and the .memray file kept beside it?)")
    try:
        reader = FileReader(capture)
        snapshots = list(reader.get_memory_snapshots())
        records = list(reader.get_temporal_allocation_records(merge_threads=True))
    except (OSError, RuntimeError, ValueError) as exc:
        raise UserError(f"cannot read the allocation capture {capture}: {exc}") from None
    sites = [_site(record) for record in records]  # each stack read once
    out = []
    for name, start, end in _stage_windows(stages):
        # memray numbers an allocation by the first snapshot after it: the stage's allocations
        # are those numbered from its first snapshot to the first one after its end.
        inside = [k for k, snapshot in enumerate(snapshots) if start <= snapshot.time]
        if not inside:
            continue
        after = next((k for k in inside if snapshots[k].time >= end), None)
        first = inside[0]
        moment = max(range(first, (after or inside[-1]) + 1), key=lambda k: snapshots[k].heap)
        # No snapshot after the stage (the program ended with it): its last allocations are
        # numbered past the last snapshot; count what is live at the end instead.
        upto = moment if after is not None else len(snapshots)
        live: dict[tuple[str, str, int], int] = defaultdict(int)
        example: dict[tuple[str, str, int], Any] = {}  # a record of the site, for its symbol
        for record, site in zip(records, sites, strict=True):
            size = sum(i.n_bytes for i in record.intervals
                       if first <= i.allocated_before_snapshot <= upto and
                       (i.deallocated_before_snapshot is None
                        or i.deallocated_before_snapshot > upto))
            if size:
                live[site] += size
                example.setdefault(site, record)
        largest = [(site, size) for site, size in
                   sorted(live.items(), key=lambda item: item[1], reverse=True)[:top]
                   if size / MIB >= SMALLEST_MIB]
        out.append({"stage": name, "tracked_mb": snapshots[moment].heap / MIB,
                    "allocated_in_stage_mb": sum(live.values()) / MIB,
                    "sites": [{"function": f, "file": file, "line": line, "mib": size / MIB,
                               "native": _native(example[(f, file, line)])}
                              for (f, file, line), size in largest]})
    return out
