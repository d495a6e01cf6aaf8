"""What a client may ask of the engine, checked before anything is done about it.

A client is any process of the same user on the engine's socket, so its requests are data from
outside: each is checked here, whole, and a bad one gets a `refused` answer and changes nothing
(docs/threat-model.md). The engine's loop never sees a request that did not pass.
"""

from __future__ import annotations

from typing import Any

from ..messages import CLIENT_MESSAGES, PACE_MAX_S, STOP_REASONS, Message
from ..spec import spec_problem
from ..values import is_number, is_text

MAX_RUNS = 256  # specs in one submit
MAX_PARALLEL = 64
MAX_TEXT = 4096  # a mark's name, a run id


def problem_of(message: Message) -> str | None:
    """Why the engine will not do what `message` asks, or None if it is a valid request."""
    kind = message.get("type")
    if kind not in CLIENT_MESSAGES:
        return f"'{kind}' is not something a client asks" if isinstance(kind, str) \
            else "a message without a kind"
    if kind == "submit":
        return _submit_problem(message)
    if kind == "mark" and not (_short_text(message.get("run")) and
                               _short_text(message.get("name"), empty=True)):
        return "mark: 'run' and 'name' must be short texts"
    if kind == "stop" and message.get("why", "user") not in STOP_REASONS:
        return f"stop: 'why' must be one of {', '.join(STOP_REASONS)}"
    if kind == "pace":
        every = message.get("every_s")
        if not is_number(every) or not 0 <= every <= PACE_MAX_S:
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


def _short_text(value: Any, empty: bool = False) -> bool:
    return ((value == "" and empty) or is_text(value)) and len(value) <= MAX_TEXT
