"""The values command-line options take, checked: bounded numbers, batch sizes, KEY=VALUE
pairs. Bad values are argparse errors or UserErrors: one line, never a traceback."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

from memtop.engine.errors import UserError


def number(cast: type, low: float, high: float) -> Callable[[str], Any]:
    """An argparse type: a finite number of `cast` from `low` to `high` (both included)."""
    kind = "whole number" if cast is int else "number"

    def parse(text: str) -> Any:
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {kind}: '{text}'") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low:g} to {high:g}, not {text}")
        return value

    return parse


# Every number a command line takes is bounded: a sampling interval of 1e308 ms would kill the
# sampler, one of 1e-320 ms would burn a core; the bounds are what makes sense, with room.
interval_ms = number(float, 0.5, 60_000)
length = number(int, 1, 100_000)
steps = number(int, 1, 100_000)
iterations = number(int, 0, 1_000_000)
parallel = number(int, 1, 64)
speed = number(float, 1 / 16, 256)
megabytes = number(float, 0, 1e9)
percent = number(float, 0, 100)


def batch_sizes(text: str) -> list[int]:
    sizes = []
    for part in text.split(","):
        try:
            size = int(part)
        except ValueError:
            raise UserError(f"--batch-size takes whole numbers like 1,8,32, not '{text}'") \
                from None
        if size <= 0:
            raise UserError(f"--batch-size must be positive, not {size}")
        sizes.append(size)
    return list(dict.fromkeys(sizes))


def env_pairs(items: list[str]) -> dict[str, str]:
    env = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not key.replace("_", "").isalnum():
            raise UserError(f"--env takes KEY=VALUE, not '{item}'")
        env[key] = value
    return env
