"""`memtop bench --matrix AXIS=V1,V2`: more runs than backends and batch sizes. Each axis multiplies
the runs (`--matrix model=gpt2_tiny,gpt2_base_en --matrix dtype=float32,bfloat16`: four runs
per backend), locally or on a cluster."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from memtop.engine.errors import UserError

from .values import batch_sizes, length

DTYPES = ("float32", "bfloat16", "float16")


def _one_of(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in choices:
            raise ValueError(f"one of {', '.join(choices)}")
        return text
    return parse


def _length(text: str) -> int:
    try:
        return length(text)
    except Exception as exc:  # argparse.ArgumentTypeError: its text says why
        raise ValueError(str(exc)) from None


def _model(text: str) -> str:
    if not text.strip():
        raise ValueError("a model name")
    return text


AXES: dict[str, Callable[[str], Any]] = {
    "model": _model, "dtype": _one_of(DTYPES), "batch_size": lambda t: batch_sizes(t)[0],
    "max_length": _length, "sequence_length": _length,
    "weights": _one_of(("auto", "preset", "random")), "mode": _one_of(("inference", "training")),
}


def matrix_axes(items: list[str]) -> dict[str, list[Any]]:
    """The axes of --matrix, each value checked; a one-line error for anything else."""
    axes: dict[str, list[Any]] = {}
    for item in items:
        name, equals, values = item.partition("=")
        name = name.strip().replace("-", "_")
        if not equals or name not in AXES:
            raise UserError(f"--matrix {item!r}: give AXIS=V1,V2 with AXIS one of "
                            f"{', '.join(AXES)}")
        if name in axes:
            raise UserError(f"--matrix {name} is given twice")
        parsed = []
        for value in filter(None, (v.strip() for v in values.split(","))):
            try:
                parsed.append(AXES[name](value))
            except (ValueError, UserError) as exc:
                raise UserError(f"--matrix {name}={value}: {exc}") from None
        if not parsed:
            raise UserError(f"--matrix {name}= has no values")
        axes[name] = list(dict.fromkeys(parsed))
    return axes


def combinations(axes: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the axes' values, as RunSpec fields (one empty one: no axes)."""
    names = list(axes)
    return [dict(zip(names, values, strict=True))
            for values in itertools.product(*(axes[n] for n in names))]
