"""What a stage cut reads besides the peak (stagepoint.py): glibc's heap (in use, held free),
`--trim` (malloc_trim(0), and how much RSS came back), and where memory lives by mapping group
(smaps, within a share of the program's time). Standard library only: it runs in the measured
process."""

from __future__ import annotations

import os
import time
from typing import Any

from ..probes.glibc_heap import heap_state, trim
from ..probes.procfs import StatusMemory, read_status
from ..probes.smaps import mapping_groups
from ..spec import TRIM_ENV

GROUPS_SHARE = 0.02  # markers: smaps may cost up to 2% of the program's time
GROUPS_ALLOWANCE_S = 0.05  # and this much from the start (a short program's first stages)


class CutExtras:
    def __init__(self, trim: bool | None = None,
                 groups_share: float | None = GROUPS_SHARE) -> None:
        self.trim = os.environ.get(TRIM_ENV) == "1" if trim is None else trim
        # Mapping groups at a cut while reading them has cost at most this share of the time
        # since the recorder began (None: at every cut): a program marking stages in a tight
        # loop gets them on some stages, never a slowdown of more than that share.
        self.groups_share = groups_share
        self._began = time.monotonic()
        self._groups_cost = 0.0

    def before_reset(self, status: StatusMemory, trim_now: bool) -> tuple[dict[str, Any],
                                                                         StatusMemory]:
        """Event fields read before the high-water mark is reset (the heap as the stage left
        it; with trimming, what came back), and the status the next stage starts from."""
        fields: dict[str, Any] = dict(heap_state() or {})
        if not (self.trim and trim_now and trim()):
            return fields, status
        after = read_status("self")
        fields.update(rss_trimmed=max(0, status.rss - after.rss),
                      anon_trimmed=max(0, status.anon - after.anon))
        return fields, after

    def groups(self, t: float) -> tuple[dict[str, int] | None, int | None]:
        """Resident memory by mapping group, and what reading it cost in µs; (None, None) when
        over the share or unreadable."""
        allowed = None if self.groups_share is None else \
            GROUPS_ALLOWANCE_S + self.groups_share * (t - self._began)
        if allowed is not None and self._groups_cost > allowed:
            return None, None
        start = time.monotonic()
        found = mapping_groups()
        spent = time.monotonic() - start
        self._groups_cost += spent
        return found, None if found is None else round(spent * 1e6)
