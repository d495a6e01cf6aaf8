"""The stages of a run as a tree of occurrences (docs/metrics.md, "Stages: a tree").

Every stage has a parent (the innermost block open when it began, none at the top), a `path`
(the names from the top down to its own) and a `trail` (the occurrence of each of those names
among its same-named siblings: `fit/epoch/evaluate` with trail 1, 2, 1 is the validation of
the second epoch). The engine places each stage as its events arrive (`StagePlaces`) and stores
both in the run file; readers take them from there (`placed`), and read files from before the
tree (schemas 1-3) as a flat list, each name's occurrences counted in order.

Runs are aligned by `key` (path and trail: the same occurrence in every run) and folded by
`group` (the path alone: every epoch's `evaluate` together).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..events import MAX_DEPTH, MAX_NAME, is_place


@dataclass(frozen=True)
class Place:
    path: tuple[str, ...]
    trail: tuple[int, ...]

    @property
    def depth(self) -> int:
        return len(self.path) - 1

    @property
    def occurrence(self) -> int:
        return self.trail[-1]

    @property
    def key(self) -> str:
        """The same stage in every run, and its name in messages: `fit/epoch#2/evaluate` (the
        evaluation in the second epoch; a first occurrence has no number)."""
        return "/".join(name if n == 1 else f"{name}#{n}"
                        for name, n in zip(self.path, self.trail, strict=True))

    @property
    def parent(self) -> Place | None:
        return Place(self.path[:-1], self.trail[:-1]) if self.depth else None

    @property
    def group(self) -> str:
        """Its occurrences and those of its ancestors together: `fit/epoch/evaluate`."""
        return "/".join(self.path)

    def label(self, repeated: bool) -> str:
        """Its name as a table row shows it (indented by depth elsewhere): `epoch #2` where
        the name repeats among its siblings."""
        return f"{self.path[-1]} #{self.occurrence}" if repeated else self.path[-1]

    def child_key(self, occurrence: int) -> str:
        """The key of its sibling of the same name with this occurrence."""
        return Place(self.path, (*self.trail[:-1], occurrence)).key

    def child(self, name: str, occurrence: int) -> Place:
        return Place((*self.path, name), (*self.trail, occurrence))


TOP = Place((), ())


class StagePlaces:
    """Places stages in the tree as the engine receives them: a block when it begins, a mark
    when it ends, each in the block its `parent` names if that block is open (else at the top).
    Each rank of a multi-process job has a tree of its own."""

    def __init__(self) -> None:
        # (rank, block id) -> its place, its children's names counted, its parent's id
        self._open: dict[tuple[Any, int], tuple[Place, dict[str, int], int | None]] = {}
        self._top_counts: dict[Any, dict[str, int]] = {}

    def _place(self, event: dict[str, Any]) -> Place:
        worker = event.get("worker")
        parent = self._open.get((worker, event.get("parent")))
        if parent is None:
            event["parent"] = None  # not an open block of this process: at the top
            where, counts = TOP, self._top_counts.setdefault(worker, {})
        else:
            where, counts, _ = parent
        name = str(event["name"])[:MAX_NAME]
        counts[name] = counts.get(name, 0) + 1
        place = where.child(name, counts[name])
        if place.depth >= MAX_DEPTH:
            place = Place(place.path[-MAX_DEPTH:], place.trail[-MAX_DEPTH:])
        return place

    def begin(self, event: dict[str, Any]) -> None:
        """A block opened: it is placed now, so the stages inside it know where they are."""
        place = self._place(event)
        self._open[(event.get("worker"), event["id"])] = (place, {}, event["parent"])
        _stamp(event, place)

    def stage(self, event: dict[str, Any]) -> None:
        """A stage ended: a block takes the place it got when it began, a mark its own."""
        opened = self._open.pop((event.get("worker"), event.get("block")), None)
        if opened is None:
            place = self._place(event)
        else:
            place, _, event["parent"] = opened
        _stamp(event, place)


def _stamp(event: dict[str, Any], place: Place) -> None:
    event["path"], event["trail"] = list(place.path), list(place.trail)


def placed(stages: list[dict[str, Any]]) -> list[Place]:
    """Each stage's place: as stored, or for files from before the tree (no `path`), at the
    top, each name's occurrences counted in the order they ended (per rank)."""
    counts: dict[tuple[Any, str], int] = {}
    out = []
    for stage in stages:
        path, trail = stage.get("path"), stage.get("trail")
        if is_place(path, trail):
            out.append(Place(tuple(path), tuple(trail)))
            continue
        name = str(stage.get("name"))
        number = counts[(stage.get("worker"), name)] = counts.get((stage.get("worker"), name),
                                                                   0) + 1
        out.append(TOP.child(name, number))
    return out


def repeated_siblings(places: list[Place], workers: list[Any]) -> set[tuple[Any, str]]:
    """(rank, key) of each stage whose name occurs more than once among its siblings: its rows
    are numbered (`epoch #2`)."""
    counts: dict[tuple[Any, str], int] = {}
    for place, worker in zip(places, workers, strict=True):
        first = (worker, place.child_key(1))
        counts[first] = max(counts.get(first, 0), place.occurrence)
    return {(worker, place.key) for place, worker in zip(places, workers, strict=True)
            if counts[(worker, place.child_key(1))] > 1}


def rank_prefixed(worker: str | None, text: str) -> str:
    """A rank's stage named as every table names it: "rank 1 · hold"; the program's own as is."""
    return text if worker is None else f"{worker} · {text}"


def stage_keys(stages: list[dict[str, Any]]) -> list[str]:
    """Each stage's key, a rank's prefixed with it ("rank 1 · hold"): one name per stage."""
    return [rank_prefixed(stage.get("worker"), place.key)
            for stage, place in zip(stages, placed(stages), strict=True)]


def has_repeats(stages: list[dict[str, Any]]) -> bool:
    """Whether a stage path occurs more than once (per rank): whether folding changes a table."""
    paths = {(stage.get("worker"), place.group)
             for stage, place in zip(stages, placed(stages), strict=True)}
    return len(paths) < len(stages)


def top_level(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The program's own stages at the top of the tree (the protocol's six are there): what
    the seeds' summary reads and the compare chart aligns."""
    return [stage for stage, place in zip(stages, placed(stages), strict=True)
            if place.depth == 0 and "worker" not in stage]


def start_of(stage: dict[str, Any], previous: dict[str, Any] | None) -> float | None:
    """When a stage began: its own start where it says (every stage of a tree except a
    process's first mark; blocks in older files), else (marks in older files) when the stage
    before it ended."""
    if "t_start" in stage:
        return stage["t_start"]
    return None if previous is None else previous["t"]


def tree_order(stages: list[dict[str, Any]]) -> list[int]:
    """Stage indices in reading order (one process's stages): each block before the stages
    inside it, siblings by when they began. Stages end in order, so a stage's start and its
    end place it: a block begins no later than what is inside it and ends after it."""
    keys = []
    previous = None
    for i, stage in enumerate(stages):
        start = start_of(stage, previous)
        keys.append((float("-inf") if start is None else start, -stage["t"], i))
        previous = stage
    return sorted(range(len(stages)), key=lambda i: keys[i])
