"""A session's stage events and the rules memtop checks them by before it acts on them (the
engine, as they arrive) or shows them (a run file's stages, which may have been crafted): the
event descriptor is inherited by the measured program and every child it starts.

- `check_event`: each JSON line of a session, against its kind's fields and types (finite
  numbers, sizes that are whole and not negative). The engine keeps one that fails as a
  `bad_event` and drops it; the run goes on.
- a run file's whole schema is store/run_schema.py's (its stages by `check_event`'s rules).
"""

from __future__ import annotations

from typing import Any, TypeGuard

from .values import is_flag, is_number, is_size, is_text, is_whole, maybe


class BadEvent(ValueError):
    """A session event or a run file's record that memtop will not act on: the message says
    why."""


def _groups(value: Any) -> bool:
    """Resident bytes by mapping group (probes/smaps.py): bounded, names short text."""
    return isinstance(value, dict) and len(value) <= 64 and all(
        isinstance(k, str) and 0 < len(k) <= 300 and is_size(v) for k, v in value.items())


MAX_DEPTH = 64  # blocks nested deeper than this are placed at this depth
MAX_NAME = 200  # a stage's name is cut here when it is placed (its path repeats it)


def is_place(path: Any, trail: Any) -> bool:
    """A stage's place in the tree (analysis/stage_tree.py): the names from the top down to
    its own, and each one's occurrence among its same-named siblings."""
    return isinstance(path, list) and isinstance(trail, list) and \
        0 < len(path) == len(trail) <= MAX_DEPTH and \
        all(isinstance(p, str) and 0 < len(p) <= MAX_NAME for p in path) and \
        all(is_whole(n) and n > 0 for n in trail)


# glibc's heap at a cut (probes/glibc_heap.py), and what --trim gave back.
HEAP_FIELDS = {key: is_size for key in ("heap_in_use", "heap_free", "rss_trimmed", "anon_trimmed")}
# A rank of a multi-process job ("rank 1") and its pid: its stages are its own.
_WORKER = {"worker": lambda v: is_text(v) and len(v) <= 40, "pid": is_size}
_CUT = {"t": is_number, "t_end": is_number, "rss": is_size, "swap": is_size, "peak": is_size}
# kind -> (required fields, optional fields); any other field is kept as the stage's extra data.
RULES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "begin": ({"id": is_whole, "name": is_text, "t": is_number, "t_end": is_number},
              {"parent": maybe(is_whole), **_WORKER}),
    "stage": ({"name": is_text, **_CUT},
              {"peak_exact": is_flag, "wall": is_number, "block": is_whole, "t_start": is_number,
               "parent": maybe(is_whole),
               "rss_start": is_size, "swap_start": is_size,
               **{f"{kind}{end}": is_size for kind in ("anon", "file", "shmem")
                  for end in ("", "_start")},
               "groups": _groups, "groups_start": _groups, "groups_us": is_size,
               **HEAP_FIELDS, **_WORKER}),
    "iteration": ({"i": is_whole, **_CUT}, {"peak_exact": is_flag, **HEAP_FIELDS, **_WORKER}),
    "meta": ({"meta": lambda v: isinstance(v, dict)}, {}),
    "error": ({"message": lambda v: isinstance(v, str)}, {"user": is_flag}),
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


def is_block(data: Any) -> TypeGuard[dict[str, Any]]:
    """Whether a stored `begin` event's data is what the engine writes: {id, name, t}."""
    return isinstance(data, dict) and is_whole(data.get("id")) and is_text(data.get("name")) and \
        is_number(data.get("t"))


def is_marker(data: Any) -> TypeGuard[dict[str, Any]]:
    """Whether a stored `marker` event's data is what the engine writes: {name, t, rss, swap}."""
    return isinstance(data, dict) and is_text(data.get("name")) and is_number(data.get("t")) and \
        is_size(data.get("rss")) and is_size(data.get("swap"))
