"""What memtop marks from outside the measured program: a key in the TUI (`m`), or a line of its
output (`memtop run --stages-from-output`).

From outside memtop never cuts the program's own stages (nor the protocol's): a mark there is a
*marker*, an instant with the program's RSS, shown beside the stages and never one of them. Only
where memtop alone sets a program's boundaries (an attached process, or stages from output
until the program sends stages of its own) does a mark from outside end a stage: at the top of
the tree, from the previous such cut to this one, with the kernel's exact peak of that interval.
"""

from __future__ import annotations

import time
from typing import Any

from ..probes.procfs import ProcessGone, read_status, reset_hwm


def marker(pid: int, name: str) -> dict[str, Any] | None:
    """An instant on process `pid` now (None if it has gone): its name, time, RSS and swap."""
    try:
        status = read_status(pid)
    except ProcessGone:
        return None
    return {"name": name, "t": time.monotonic(), "wall": time.time(), "rss": status.rss,
            "swap": status.swap}


class OutsideStages:
    """Stages ended from outside on one process, each from the previous one's end."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._exact = True  # whether the previous reset worked
        self._edge: dict[str, Any] = {}  # where the next one starts (none before the first)

    def cut(self, name: str) -> dict[str, Any] | None:
        """The stage event that ends now (None if the process has gone). The program's
        high-water mark is reset here, so each stage's kernel peak is exact once the previous
        reset worked."""
        try:
            t = time.monotonic()
            status = read_status(self.pid)
        except ProcessGone:
            return None
        exact, self._exact = self._exact, reset_hwm(self.pid)
        t_end = time.monotonic()
        event = {"type": "stage", "name": name, "parent": None, **self._edge, "t": t,
                 "t_end": t_end, "wall": time.time(), "rss": status.rss, "swap": status.swap,
                 "peak": max(status.hwm, status.rss), "peak_exact": exact, "manual": True,
                 **status.kinds()}
        self._edge = {"t_start": t_end, "rss_start": status.rss, "swap_start": status.swap,
                      **status.kinds("_start")}
        return event
