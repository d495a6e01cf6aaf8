"""What memtop checks before it acts on data from outside: a session's events, and what a run
file holds. Both come from someone else: the event descriptor is inherited by the measured
program and every child it starts, and a run file may have been crafted.

- `check_event`: each JSON line of a session, against its kind's fields and types (finite
  numbers, sizes that are whole and not negative). The engine keeps one that fails as a
  `bad_event` and drops it; the run goes on.
- `check_run_contents`: a run file's metadata and stages, when it is read. One that fails is
  "damaged", with the reason; the other files of a folder are not affected.
"""

from __future__ import annotations

import math
from typing import Any


class BadEvent(ValueError):
    """A session event or a run file's record that memtop will not act on: the message says
    why."""


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and \
        math.isfinite(value)


def _size(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


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


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


# What a run file's metadata may hold, where present (other keys are kept, and shown as text).
META_RULES: dict[str, Any] = {
    "run_id": _text, "backend": _maybe(lambda v: isinstance(v, str)),
    "model": _maybe(lambda v: isinstance(v, str)), "kind": _maybe(_text),
    "status": _maybe(_text), "cause": _maybe(lambda v: isinstance(v, str)),
    "weights": _maybe(lambda v: isinstance(v, str)), "label": _maybe(lambda v: isinstance(v, str)),
    "t_start": _maybe(_number), "t_end": _maybe(_number), "started_wall": _maybe(_number),
    "ended_wall": _maybe(_number), "interval_ms": _maybe(_number), "pid": _maybe(_whole),
    "engine_pid": _maybe(_whole), "returncode": _maybe(_whole),
    "spec": _maybe(lambda v: isinstance(v, dict)), "bench": _maybe(lambda v: isinstance(v, dict)),
    "command": _maybe(_strings), "foreign_frameworks": _maybe(_strings),
    "devices": _maybe(_strings), "versions": _maybe(lambda v: isinstance(v, dict)),
    "summary": _maybe(lambda v: isinstance(v, dict) and all(
        _number(x) or x is None or isinstance(x, str) for x in v.values())),
    "stats": _maybe(lambda v: isinstance(v, dict)), "leak": _maybe(lambda v: isinstance(v, dict)),
    "task": _maybe(_text), "fit": _maybe(lambda v: isinstance(v, dict)),
    "memory_limit": _maybe(lambda v: isinstance(v, dict)),
    "workers": _maybe(lambda v: isinstance(v, list) and all(
        isinstance(w, dict) and _size(w.get("peak")) and isinstance(w.get("name"), str)
        for w in v)),
    "cluster": _maybe(lambda v: isinstance(v, dict) and all(
        isinstance(x, str) for x in v.values())),
    "inputs": _maybe(lambda v: isinstance(v, dict) and all(
        isinstance(s, list) and all(_whole(d) for d in s) for s in v.values())),
}
_STAGE_NUMBERS = {"sampled_peak": _maybe(_size), "latency": _maybe(_number),
                  "tokens_generated": _maybe(_size), "steps": _maybe(_size),
                  "samples": _maybe(_size)}


def is_marker(data: Any) -> bool:
    """Whether a stored `marker` event's data is what the engine writes: {name, t, rss, swap}."""
    return isinstance(data, dict) and _text(data.get("name")) and _number(data.get("t")) and \
        _size(data.get("rss")) and _size(data.get("swap"))


def check_run_contents(meta: Any, stages: Any) -> None:
    """BadEvent if a run file's metadata or stages are not what memtop writes."""
    if not isinstance(meta, dict):
        raise BadEvent("metadata is not a map")
    for field, valid in META_RULES.items():
        if field in meta and not valid(meta[field]):
            raise BadEvent(f"metadata '{field}' is not what memtop writes")
    if not isinstance(stages, list):
        raise BadEvent("stages are not a list")
    for number, stage in enumerate(stages, 1):
        try:
            check_event({**stage, "type": "stage"} if isinstance(stage, dict) else stage)
        except BadEvent as exc:
            raise BadEvent(f"stage {number}: {str(exc).removeprefix('stage ')}") from None
        for field, valid in _STAGE_NUMBERS.items():
            if field in stage and not valid(stage[field]):
                raise BadEvent(f"stage {number}: a bad '{field}'")
        if ("path" in stage or "trail" in stage) and not (
                is_place(stage.get("path"), stage.get("trail"))
                and stage["path"][-1] == stage["name"][:MAX_NAME]):
            raise BadEvent(f"stage {number}: a bad place in the tree ('path', 'trail')")
