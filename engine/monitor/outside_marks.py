"""Stage boundaries set from outside the measured program: a key in the TUI (`m`), or a line of
its output (`memtop run --stages-from-output`)."""

from __future__ import annotations

import time
from typing import Any

from ..probes.procfs import ProcessGone, read_status, reset_hwm


def outside_mark(pid: int, name: str, reset: bool,
                 exact_so_far: bool) -> tuple[dict[str, Any] | None, bool]:
    """(the stage event for a boundary set now on process `pid`, or None if it has gone; whether
    the next such stage's peak will be exact).

    With `reset` (memtop alone sets this program's boundaries: an attached process, or stages
    from output) the program's high-water mark is reset here, so each stage's kernel peak is
    exact once the previous reset worked. Otherwise the program's own markers reset it, and a
    reset here would spoil theirs: the stage then takes the sampled peak (`peak_exact` false)."""
    try:
        t = time.monotonic()
        status = read_status(pid)
    except ProcessGone:
        return None, exact_so_far
    reset_ok = reset and reset_hwm(pid)
    event = {"type": "stage", "name": name, "t": t, "t_end": time.monotonic(),
             "wall": time.time(), "rss": status.rss, "swap": status.swap,
             "peak": max(status.hwm, status.rss), "peak_exact": reset and exact_so_far,
             "manual": True, **status.kinds()}
    return event, reset_ok
