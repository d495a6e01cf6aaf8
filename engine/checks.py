"""What memtop checks before it acts on data from outside: a session's events, and what a run
file holds of them. Both come from someone else: the event descriptor is inherited by the measured
program and every child it starts, and a run file may have been crafted.

- `check_event`: each JSON line of a session, against its kind's fields and types (finite
  numbers, sizes that are whole and not negative). The engine keeps one that fails as a
  `bad_event` and drops it; the run goes on.
- a run file's whole schema is store/run_schema.py's (its stages by `check_event`'s rules).
"""

from __future__ import annotations

import math
from typing import Any

MAX_SIZE = 2**63 - 1  # bytes: what SQLite and msgpack hold


class BadEvent(ValueError):
    """A session event or a run file's record that memtop will not act on: the message says
    why."""


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and \
        math.isfinite(value)


def _size(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SIZE


def _text(value: Any) -> bool:
    return isinstance(value, str) and value != ""


def _flag(value: Any) -> bool:
    return isinstance(value, bool)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _maybe(valid: Any) -> Any:
    return lambda value: value is None or valid(value)


def _groups(value: Any) -> bool:
    """Resident bytes by mapping group (probes/smaps.py): bounded, names short text."""
    return isinstance(value, dict) and len(value) <= 64 and all(
        isinstance(k, str) and 0 < len(k) <= 300 and _size(v) for k, v in value.items())


MAX_DEPTH = 64  # blocks nested deeper than this are placed at this depth
MAX_NAME = 200  # a stage's name is cut here when it is placed (its path repeats it)


def is_place(path: Any, trail: Any) -> bool:
    """A stage's place in the tree (analysis/stage_tree.py): the names from the top down to
    its own, and each one's occurrence among its same-named siblings."""
    return isinstance(path, list) and isinstance(trail, list) and \
        0 < len(path) == len(trail) <= MAX_DEPTH and \
        all(isinstance(p, str) and 0 < len(p) <= MAX_NAME for p in path) and \
        all(_whole(n) and n > 0 for n in trail)


# glibc's heap at a cut (probes/glibc_heap.py), and what --trim gave back.
HEAP_FIELDS = {key: _size for key in ("heap_in_use", "heap_free", "rss_trimmed", "anon_trimmed")}
# A rank of a multi-process job ("rank 1") and its pid: its stages are its own.
_WORKER = {"worker": lambda v: _text(v) and len(v) <= 40, "pid": _size}
_CUT = {"t": _number, "t_end": _number, "rss": _size, "swap": _size, "peak": _size}
# kind -> (required fields, optional fields); any other field is kept as the stage's extra data.
RULES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "begin": ({"id": _whole, "name": _text, "t": _number, "t_end": _number},
              {"parent": _maybe(_whole), **_WORKER}),
    "stage": ({"name": _text, **_CUT},
              {"peak_exact": _flag, "wall": _number, "block": _whole, "t_start": _number,
               "parent": _maybe(_whole),
               "rss_start": _size, "swap_start": _size,
               **{f"{kind}{end}": _size for kind in ("anon", "file", "shmem")
                  for end in ("", "_start")},
               "groups": _groups, "groups_start": _groups, "groups_us": _size,
               **HEAP_FIELDS, **_WORKER}),
    "iteration": ({"i": _whole, **_CUT}, {"peak_exact": _flag, **HEAP_FIELDS, **_WORKER}),
    "meta": ({"meta": lambda v: isinstance(v, dict)}, {}),
    "error": ({"message": lambda v: isinstance(v, str)}, {"user": _flag}),
    "done": ({}, {}),
}


def check_event(event: Any) -> dict[str, Any]:
    """The event if memtop can act on it; BadEvent (with the reason) if not."""
    if not isinstance(event, dict):
        raise BadEvent("not a JSON object")
    kind = event.get("type")
    if kind not in RULES:
        raise BadEvent(f"unknown type {str(kind)[:40]!r}")
    required, optional = RULES[kind]
    for field, valid in required.items():
        if field not in event:
            raise BadEvent(f"{kind} without '{field}'")
        if not valid(event[field]):
            raise BadEvent(f"{kind} with a bad '{field}'")
    for field, valid in optional.items():
        if field in event and not valid(event[field]):
            raise BadEvent(f"{kind} with a bad '{field}'")
    if kind in ("stage", "iteration", "begin") and event["t_end"] < event["t"]:
        raise BadEvent(f"{kind} ending before it began")
    if kind == "stage" and event.get("t_start", event["t"]) > event["t"]:
        raise BadEvent("stage ending before it began")
    return event


def is_block(data: Any) -> bool:
    """Whether a stored `begin` event's data is what the engine writes: {id, name, t}."""
    return isinstance(data, dict) and _whole(data.get("id")) and _text(data.get("name")) and \
        _number(data.get("t"))


def is_marker(data: Any) -> bool:
    """Whether a stored `marker` event's data is what the engine writes: {name, t, rss, swap}."""
    return isinstance(data, dict) and _text(data.get("name")) and _number(data.get("t")) and \
        _size(data.get("rss")) and _size(data.get("swap"))
