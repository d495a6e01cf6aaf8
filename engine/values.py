"""What a value from outside must be before memtop computes with it: the few predicates every
boundary uses (session events, run files, the engine's requests, run specs), defined once.

`bool` is never a number here (JSON's `true` is not 1), numbers are finite, sizes are whole bytes
that SQLite and msgpack hold."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

MAX_SIZE = 2**63 - 1  # bytes: what SQLite and msgpack hold


def is_number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def is_whole(value: Any) -> bool:
    return type(value) is int


def is_size(value: Any) -> bool:
    return type(value) is int and 0 <= value <= MAX_SIZE


def is_flag(value: Any) -> bool:
    return isinstance(value, bool)


def is_text(value: Any) -> bool:
    """Text that names something: not empty (what it holds is shown through `text.shown`)."""
    return isinstance(value, str) and value != ""


def maybe(valid: Callable[[Any], bool]) -> Callable[[Any], bool]:
    """`valid`, or None."""
    return lambda value: value is None or valid(value)
