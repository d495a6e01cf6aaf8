"""What a client may ask of the engine, checked before anything is done about it.

A client is any process of the same user on the engine's socket, so its requests are data from
outside: each is checked here, whole, and a bad one gets a `refused` answer and changes nothing
(docs/threat-model.md). The engine's loop never sees a request that did not pass.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any

from ..messages import CLIENT_MESSAGES, PACE_MAX_S, Message
from ..spec import RunSpec

MAX_RUNS = 256  # specs in one submit
MAX_PARALLEL = 64
MAX_TEXT = 4096  # a mark's name, a run id
MAX_ENV = 256  # entries of a spec's env or alarms
# A spec's numbers, bounded as the command line bounds them (memtop/cli/values.py).
_RANGES = {"interval_ms": (0.5, 60_000.0), "max_length": (1, 1 << 20), "batch_size": (1, 1 << 20),
           "sequence_length": (1, 1 << 24), "memory_limit": (0, 1 << 62),
           "leak_iterations": (0, 1 << 20), "training_steps": (0, 1 << 24),
           "max_output": (0, 1 << 62), "attach_pid": (1, 1 << 22)}
_HINTS = typing.get_type_hints(RunSpec)


def problem_of(message: Message) -> str | None:
    """Why the engine will not do what `message` asks, or None if it is a valid request."""
    kind = message.get("type")
    if kind not in CLIENT_MESSAGES:
        return f"'{kind}' is not something a client asks" if isinstance(kind, str) \
            else "a message without a kind"
    if kind == "submit":
        return _submit_problem(message)
    if kind == "mark" and not (_text(message.get("run")) and
                               _text(message.get("name"), empty=True)):
        return "mark: 'run' and 'name' must be short texts"
    if kind == "pace":
        every = message.get("every_s")
        if not _number(every) or not 0 <= every <= PACE_MAX_S:
            return f"pace: 'every_s' must be a number of seconds from 0 to {PACE_MAX_S:g}"
    return None


def _submit_problem(message: Message) -> str | None:
    runs, parallel = message.get("runs"), message.get("parallel", 1)
    if not isinstance(runs, list) or not 1 <= len(runs) <= MAX_RUNS:
        return f"submit: 'runs' must be a list of 1 to {MAX_RUNS} specs"
    if type(parallel) is not int or not 1 <= parallel <= MAX_PARALLEL:
        return f"submit: 'parallel' must be a whole number from 1 to {MAX_PARALLEL}"
    if not isinstance(message.get("stdin", False), bool):
        return "submit: 'stdin' must be true or false"
    for i, spec in enumerate(runs, 1):
        problem = spec_problem(spec)
        if problem is not None:
            return f"submit: spec {i}: {problem}"
    return None


def spec_problem(data: Any) -> str | None:
    """Why `data` is not a RunSpec as a map, or None: every field of its type and in range."""
    if not isinstance(data, dict):
        return "not a map"
    if not isinstance(data.get("backend"), str):
        return "no backend"
    for field in dataclasses.fields(RunSpec):
        if field.name not in data:
            continue
        value = data[field.name]
        if not _is(value, _HINTS[field.name]):
            hint = _HINTS[field.name]
            return f"'{field.name}' is not a {getattr(hint, '__name__', None) or hint}"
        low, high = _RANGES.get(field.name, (None, None))
        if low is not None and value is not None and not low <= value <= high:
            return f"'{field.name}' is outside {low}..{high}"
    return None


def _is(value: Any, hint: Any) -> bool:
    """`value` is of the spec field type `hint` (the few types a RunSpec uses)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_is(value, arg) for arg in args)
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return type(value) is int
    if hint is float:
        return _number(value)
    if hint is str:  # as long as the message allows (a `python -c` program can be long)
        return isinstance(value, str) and "\0" not in value
    if origin is list:
        return isinstance(value, list) and all(_is(item, args[0]) for item in value)
    if origin is dict:
        return isinstance(value, dict) and len(value) <= MAX_ENV and all(
            _is(k, args[0]) and _is(v, args[1]) for k, v in value.items())
    return False


def _number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def _text(value: Any, empty: bool = False) -> bool:
    return isinstance(value, str) and (empty or bool(value)) and len(value) <= MAX_TEXT \
        and "\0" not in value
