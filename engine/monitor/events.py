"""Checking what a session says before the engine acts on it.

The event descriptor is inherited by the measured program and every child it starts, so any of
them can write to it: each JSON line is checked against the kind's fields and types (finite
numbers, sizes that are whole and not negative) before it touches the run. A line that fails is
kept in the run file as a `bad_event` and dropped; the run goes on.
"""

from __future__ import annotations

import math
from typing import Any


class BadEvent(ValueError):
    """A session event that memtop will not act on; the message says why."""


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


_CUT = {"t": _number, "t_end": _number, "rss": _size, "swap": _size, "peak": _size}
# kind -> (required fields, optional fields); any other field is kept as the stage's extra data.
RULES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "begin": ({"id": _whole, "name": _text, "t": _number, "t_end": _number}, {}),
    "stage": ({"name": _text, **_CUT},
              {"peak_exact": _flag, "wall": _number, "block": _whole, "t_start": _number,
               "rss_start": _size, "swap_start": _size}),
    "iteration": ({"i": _whole, **_CUT}, {"peak_exact": _flag}),
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
    return event
