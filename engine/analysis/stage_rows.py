"""A row of figures per stage, in the tree's reading order: what every stage table, diff and
export shows (docs/metrics.md). Inputs are bytes and seconds, rows are MiB and seconds."""

from __future__ import annotations

from typing import Any

from ..probes.ranks import rank_key
from ..units import mib
from .groups import groups_change
from .stage_tree import (
    Place,
    placed,
    rank_prefixed,
    repeated_siblings,
    start_of,
    tree_order,
)

KINDS = ("anon", "file", "shmem")


def stage_peak(stage: dict[str, Any]) -> int | None:
    """The stage's peak: the kernel's where it is per stage, else the sampled maximum."""
    if stage.get("peak_exact", True):
        return stage.get("peak")
    return stage.get("sampled_peak")


def _change(stage: dict[str, Any], previous: dict[str, Any] | None, key: str) -> float | None:
    """A stage changes from its own start (every stage of a tree but a process's first mark);
    a mark of an older file from the stage before."""
    start = stage.get(f"{key}_start")
    if start is None and "t_start" not in stage and previous is not None \
            and previous.get(key) is not None:
        # A stage trimmed at its end (--trim) hands the next one what was left after the trim.
        start = previous[key] - (previous.get(f"{key}_trimmed") or 0)
    value = stage.get(key)  # RSS by kind: not in runs recorded before it was
    return None if start is None or value is None else mib(value - start)


def _at_end(stage: dict[str, Any], _previous: Any, key: str) -> float | None:
    return mib(stage.get(key))


def by_worker(stages: list[dict[str, Any]]) -> dict[str | None, list[int]]:
    """Stage indices by the rank that sent them (None: the program's own process), the
    program's first, then the ranks in name order."""
    groups: dict[str | None, list[int]] = {}
    for i, stage in enumerate(stages):
        groups.setdefault(stage.get("worker"), []).append(i)
    return dict(sorted(groups.items(), key=lambda item: (item[0] is not None,
                                                         rank_key(item[0]))))


def stage_rows(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per stage, in the order they ended: its place in the tree (`name` as tables show it,
    `depth`, `path`, `occurrence`, `key`, `parent`: the parent's key), RSS and swap at its end,
    change over the stage, peaks, duration. Each rank's stages (a multi-process job) are a tree
    of their own, named "rank 1 · NAME", so that every table and diff shows them by rank."""
    places = placed(stages)
    workers = [stage.get("worker") for stage in stages]
    repeated = repeated_siblings(places, workers)
    rows: list[dict[str, Any] | None] = [None] * len(stages)
    for worker, indices in by_worker(stages).items():
        previous: dict[str, Any] | None = None
        for i in indices:
            rows[i] = _row(stages[i], previous, places[i], worker,
                           (worker, places[i].key) in repeated)
            previous = stages[i]
    return [row for row in rows if row is not None]


def _row(stage: dict[str, Any], previous: dict[str, Any] | None, place: Place,
         worker: str | None, repeated: bool) -> dict[str, Any]:
    start = start_of(stage, previous)
    duration = None if start is None or stage["t"] < start else stage["t"] - start
    parent = place.parent
    return {
        "name": rank_prefixed(worker, place.label(repeated)),
        "depth": place.depth,
        "leaf": place.path[-1],  # its own name: a name may hold "/" or " · " (path can't say)
        "path": rank_prefixed(worker, place.group),
        "occurrence": place.occurrence,
        "key": rank_prefixed(worker, place.key),
        "parent": None if parent is None else rank_prefixed(worker, parent.key),
        "worker": worker,
        "rss_mb": mib(stage["rss"]),
        "swap_mb": mib(stage["swap"]),
        "rss_change_mb": _change(stage, previous, "rss"),
        "swap_change_mb": _change(stage, previous, "swap"),
        # RSS by kind (status: RssAnon, RssFile, RssShmem) at the end, and its change.
        **{f"{kind}_{what}": figure(stage, previous, kind)
           for kind in KINDS for what, figure in (("mb", _at_end), ("change_mb", _change))},
        "groups_change_mb": groups_change(stage, previous),
        # glibc's heap at the stage's end: in use, and held free (not live data); --trim:
        # the RSS malloc_trim(0) gave back after it.
        "heap_in_use_mb": mib(stage.get("heap_in_use")),
        "heap_free_mb": mib(stage.get("heap_free")),
        "trimmed_mb": mib(stage.get("rss_trimmed")),
        "peak_mb": mib(stage_peak(stage)),
        "peak_exact": bool(stage.get("peak_exact", True)),
        "kernel_peak_mb": mib(stage.get("peak")),
        "sampled_peak_mb": mib(stage.get("sampled_peak")),
        "duration_s": duration,
        "t_start": start,
        "error": stage.get("error") if isinstance(stage.get("error"), str) else None,
    }


def table_order(stages: list[dict[str, Any]]) -> list[int]:
    """Stage indices as tables show them: each block before the stages inside it; the
    program's own stages first, then each rank's."""
    out = []
    for indices in by_worker(stages).values():
        part = [stages[i] for i in indices]
        out.extend(indices[j] for j in tree_order(part))
    return out


def table_rows(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`stage_rows` in `table_order`."""
    rows = stage_rows(stages)
    return [rows[i] for i in table_order(stages)]
