"""Sizes: memtop computes in bytes and shows MiB; this is the one place that says how.

Labels: every screen, table and document says MiB (1024**2 bytes), the unit memtop computes in;
the seeds' tables call the same unit "MB". JSON keeps its documented field names (`peak_mb`,
described as MiB in docs/schemas). `format_size` (check's budgets, fit's titles) says MiB too.

Parsing, as people write sizes on a command line: decimal units are powers of 1000 (kB, MB, GB,
TB); binary units are powers of 1024 (KiB, MiB, GiB, TiB). A bare letter (K, M, G, T) is binary,
as in `free -h`, Docker and Kubernetes. A bare number is refused (but 0): `--max-peak 3000` is
what a reader of MiB screens types, so it gets `did you mean 3000MiB?`; bytes are `100B`. Case
does not matter for the letter; `b`/`B` after it is optional.
"""

from __future__ import annotations

import math
import re

from .errors import UserError

MIB = 1024 * 1024
GIB = 1024 * MIB

_SIZE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([kmgtp]?)(i?)(b?)\s*$", re.IGNORECASE)
_POWERS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5}


def mib(value: float | None) -> float | None:
    """Bytes to MiB; None stays None."""
    return None if value is None else value / MIB


def fmt(value: float | None, spec: str = ",.1f", signed: bool = False) -> str:
    """A number for a table cell: `spec` as in format(), "-" for none."""
    if value is None:
        return "-"
    return format(value, ("+" if signed else "") + spec)


def fmt_mib(value: float | None, signed: bool = False) -> str:
    """Bytes as whole MiB, "-" for none."""
    return fmt(mib(value), ",.0f", signed=signed)


MAX_SIZE = 2**63 - 1  # what run files, messages (msgpack) and cgroups hold: 8 EiB


def parse_size(text: str) -> int:
    """'512MiB' -> 536870912, '4GB' -> 4000000000, '1.5G' -> 1610612736, '0' -> 0, '100B' ->
    100. A number without a unit is refused: every screen says MiB, so `3000` is what people
    type for 3000 MiB, and reading it as bytes would be a silent 1,000,000-fold mistake."""
    match = _SIZE.match(text)
    if not match:
        raise UserError(f"not a size: '{text}' (write e.g. 512MiB, 4GB, 1.5G or 0)")
    number, letter, binary, byte = match.groups()
    if not (letter or byte) and float(number) != 0:
        raise UserError(f"a size needs its unit: '{text.strip()}' "
                        f"(did you mean {text.strip()}MiB?)")
    power = _POWERS[letter.lower()]
    # '4GB' and '4kB' are decimal; '4GiB' and a bare '4G' are binary.
    base = 1000 if letter and byte and not binary else 1024
    value = float(number) * base ** power
    if not math.isfinite(value) or value > MAX_SIZE:
        raise UserError(f"not a size memtop can use: '{text}' (at most 8EiB)")
    return round(value)


def parse_rate(text: str) -> int:
    """A leak budget: '1MiB/iter' (or '1MiB/iteration', '1MiB') -> bytes per iteration."""
    size, _, per = text.partition("/")
    if per and per.strip().lower() not in ("iter", "iteration", "it"):
        raise UserError(f"not a leak rate: '{text}' (write e.g. 1MiB/iter)")
    return parse_size(size)


def parse_percent(text: str) -> float:
    """'5%' or '5' -> 0.05."""
    try:
        value = float(text.strip().removesuffix("%"))
    except ValueError:
        raise UserError(f"not a percentage: '{text}' (write e.g. 5%)") from None
    if not math.isfinite(value) or value < 0:
        raise UserError(f"not a percentage: '{text}'")
    return value / 100


def format_size(value: float) -> str:
    """A size as every screen says it, in MiB (`2,861.0 MiB`; three decimals below 1 MiB, so
    that a leak budget of 64KiB/iter reads `0.062 MiB`)."""
    spec = ",.1f" if abs(value) >= MIB else ",.3f"
    return f"{value / MIB:{spec}} MiB"


def fmt_duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:4.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"
