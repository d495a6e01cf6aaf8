"""A run file's one schema: what its JSON texts may hold, checked once, when the file is read.

A run file may come from anywhere (docs/threat-model.md), so the rest of memtop is handed only
values that passed here:
- `loads`: every JSON text (metadata values, stages, events' data) as strict, bounded JSON: no
  NaN or Infinity, no number beyond 64 bits or a float's range, at most MAX_NESTING deep and
  MAX_ITEMS values (a text nested 100,000 deep is refused, not a RecursionError);
- `check_run_contents`: the metadata (META, each key's shape down to the values the views
  compute with), the stages (engine/events.py's rules for a stage event, their times in range and
  in order) and the events' data. What fails is `Damaged` with the field that failed
  ("summary.peak_mb"); the reader makes it "damaged run file (…)" for that file alone.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from ..events import MAX_NAME, BadEvent, check_event, is_place
from ..spec import spec_problem
from ..values import MAX_SIZE, is_size, is_whole

MAX_NESTING = 32  # a run file's deepest value is 4 deep (metadata > bench > specs > env)
MAX_ITEMS = 1_000_000  # values in one JSON text
READINGS_KINDS = ("interval maxima", "point samples")
WALL_MAX = 253_402_300_799.0  # 9999-12-31: the last second a datetime can show
TIME_MAX = 1e12  # monotonic seconds (31,000 years of uptime)
NUMBER_MAX = 1e18  # a figure in MiB, seconds or a ratio


class Damaged(ValueError):
    """A value no memtop writes; the message names the field."""


# ---- JSON ----------------------------------------------------------------------------------

def _refuse_constant(name: str) -> Any:
    raise Damaged("a number that is not finite")


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise Damaged(f"the number {text[:20]} is out of range")
    return value


def _int(text: str) -> int:
    if len(text) > 20:  # int() of a 10,000-digit text is slow, and none is in range
        raise Damaged(f"the number {text[:20]}… is out of range")
    value = int(text)
    if abs(value) > MAX_SIZE:
        raise Damaged(f"the number {text} is out of range")
    return value


def loads(text: Any) -> Any:
    """One JSON text of a run file; Damaged if it is not strict, bounded JSON."""
    if text is None:
        return None
    if not isinstance(text, str | bytes):
        raise Damaged("a value that is not JSON text")
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_float,
                           parse_int=_int)
    except RecursionError:
        raise Damaged(f"a value nested deeper than {MAX_NESTING}") from None
    except (ValueError, TypeError) as exc:
        if isinstance(exc, Damaged):
            raise
        raise Damaged(f"not JSON ({str(exc)[:80]})") from None
    _bounded(value)
    return value


def _bounded(value: Any) -> None:
    """At most MAX_NESTING deep and MAX_ITEMS values (without recursion: any depth is read)."""
    items = 0
    todo = [(value, 0)]
    while todo:
        item, depth = todo.pop()
        items += 1
        if depth > MAX_NESTING or items > MAX_ITEMS:
            raise Damaged(f"a value nested deeper than {MAX_NESTING}" if depth > MAX_NESTING
                          else f"more than {MAX_ITEMS:,} values in one field")
        if isinstance(item, dict):
            todo.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            todo.extend((v, depth + 1) for v in item)


# ---- shapes --------------------------------------------------------------------------------
# A rule returns None for a good value, else where in it the fault is ("" for the value itself).
Rule = Callable[[Any], str | None]


def leaf(test: Callable[[Any], bool]) -> Rule:
    return lambda value: None if test(value) else ""


def maybe(rule: Rule) -> Rule:
    return lambda value: None if value is None else rule(value)


def _at(key: Any, inner: str) -> str:
    return f"{key}.{inner}" if inner else str(key)


def fields(required: dict[str, Rule] | None = None, optional: dict[str, Rule] | None = None,
           others: Rule | None = None) -> Rule:
    """A map with `required` keys, `optional` ones, and any other key's value by `others`."""
    required, optional = required or {}, optional or {}

    def check(value: Any) -> str | None:
        if not isinstance(value, dict):
            return ""
        for key, rule in required.items():
            if key not in value:
                return key
            where = rule(value[key])
            if where is not None:
                return _at(key, where)
        for key, item in value.items():
            known = optional.get(key) or (None if key in required else others)
            where = known(item) if known is not None else None
            if where is not None:
                return _at(key, where)
        return None
    return check


def list_of(rule: Rule) -> Rule:
    def check(value: Any) -> str | None:
        if not isinstance(value, list):
            return ""
        for i, item in enumerate(value):
            where = rule(item)
            if where is not None:
                return _at(i, where)
        return None
    return check


def map_of(rule: Rule) -> Rule:
    return fields(others=rule)


def is_number(value: Any) -> bool:
    return type(value) in (int, float) and abs(value) <= NUMBER_MAX  # finite: loads saw to it


def is_time(value: Any) -> bool:
    return type(value) in (int, float) and abs(value) <= TIME_MAX


def is_wall(value: Any) -> bool:
    return type(value) in (int, float) and 0 <= value <= WALL_MAX


def is_text(value: Any) -> bool:
    return isinstance(value, str)


def is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | bool) or is_number(value)


NUMBER, SIZE, TIME, WALL = leaf(is_number), leaf(is_size), leaf(is_time), leaf(is_wall)
TEXT, NAME = leaf(is_text), leaf(lambda v: isinstance(v, str) and v != "")
WHOLE = leaf(is_whole)
FLAG, SCALAR = leaf(lambda v: isinstance(v, bool)), leaf(is_scalar)
TEXTS = list_of(TEXT)
SPEC = leaf(lambda v: spec_problem(v) is None)
# Figures the views compute with (analysis/summary.py, stats.py, leaks.py).
SUMMARY = fields(optional={"health": maybe(TEXT)}, others=maybe(NUMBER))
DESCRIBED = maybe(fields(optional={"samples": SIZE}, others=NUMBER))
STATS = fields(optional={"run": DESCRIBED, "stages": map_of(DESCRIBED)}, others=SCALAR)
LEAK = fields(optional={"iterations": SIZE, "verdict": TEXT,
                        "rss_mb": list_of(NUMBER), "deltas_mb": list_of(NUMBER),
                        "extrapolated_mb": leaf(lambda v: isinstance(v, dict) and all(
                            k.isdigit() and len(k) < 19 and is_number(x)
                            for k, x in v.items())),
                        "thresholds": map_of(NUMBER)},
              others=maybe(NUMBER))
META: dict[str, Rule] = {
    "run_id": NAME, "backend": maybe(TEXT), "model": maybe(TEXT), "kind": maybe(NAME),
    "status": maybe(NAME), "cause": maybe(TEXT), "weights": maybe(TEXT), "label": maybe(TEXT),
    "task": maybe(NAME), "t_start": maybe(TIME), "t_end": maybe(TIME),
    "started_wall": maybe(WALL), "ended_wall": maybe(WALL), "interval_ms": maybe(NUMBER),
    "pid": maybe(SIZE), "engine_pid": maybe(SIZE), "returncode": maybe(WHOLE),
    "schema": maybe(WHOLE), "spec": maybe(SPEC),
    "bench": maybe(fields(optional={"id": TEXT, "started_wall": WALL, "specs": list_of(SPEC)})),
    "command": maybe(TEXTS), "foreign_frameworks": maybe(TEXTS), "devices": maybe(TEXTS),
    "versions": maybe(map_of(SCALAR)), "summary": maybe(SUMMARY), "stats": maybe(STATS),
    "leak": maybe(LEAK), "fit": maybe(fields()), "memory_limit": maybe(fields()),
    "allocations": maybe(fields(optional={"capture": NAME, "tracker": TEXT, "native": FLAG})),
    "workers": maybe(list_of(fields(required={"peak": SIZE, "name": TEXT},
                                    optional={"pid": SIZE, "rss": SIZE}))),
    "cluster": maybe(map_of(TEXT)),
    "inputs": maybe(map_of(list_of(WHOLE))),
    # Whether each sample is its interval's maximum (schema 4), and where not, why.
    "readings": maybe(fields(required={"kind": leaf(lambda v: v in READINGS_KINDS)},
                             optional={"why": maybe(TEXT), "from_t": TIME})),
}
_STAGE = fields(optional={"sampled_peak": maybe(SIZE), "latency": maybe(NUMBER),
                          "tokens_generated": maybe(SIZE), "steps": maybe(SIZE),
                          "samples": maybe(SIZE), "wall": maybe(WALL),
                          "processes": list_of(fields(required={"peak": SIZE, "name": TEXT},
                                                      optional={"pid": SIZE}))})
_TIMES = ("t", "t_end", "t_start")


def meta_problem(meta: Any) -> str | None:
    """The first field of `meta` that is not what memtop writes, or None."""
    if not isinstance(meta, dict):
        return "metadata is not a map"
    for key, rule in META.items():
        if key in meta:
            where = rule(meta[key])
            if where is not None:
                return f"metadata '{_at(key, where)}' is not what memtop writes"
    return None


def check_run_contents(meta: Any, stages: Any) -> None:
    """Damaged if a run file's metadata or stages are not what memtop writes."""
    problem = meta_problem(meta)
    if problem is not None:
        raise Damaged(problem)
    if not isinstance(stages, list):
        raise Damaged("stages are not a list")
    for number, stage in enumerate(stages, 1):
        try:
            check_event({**stage, "type": "stage"} if isinstance(stage, dict) else stage)
        except BadEvent as exc:
            raise Damaged(f"stage {number}: {str(exc).removeprefix('stage ')}") from None
        where = _STAGE(stage)
        if where is None:
            where = next((key for key in _TIMES if key in stage and not is_time(stage[key])),
                         None)
        if where is not None:
            raise Damaged(f"stage {number}: a bad '{where}'")
        if ("path" in stage or "trail" in stage) and not (
                is_place(stage.get("path"), stage.get("trail"))
                and stage["path"][-1] == stage["name"][:MAX_NAME]):
            raise Damaged(f"stage {number}: a bad place in the tree ('path', 'trail')")


def is_iteration(data: Any) -> bool:
    """A stored leak-test iteration as the engine writes it (a stage event's rules)."""
    try:
        check_event({**data, "type": "iteration"} if isinstance(data, dict) else data)
    except BadEvent:
        return False
    return True

