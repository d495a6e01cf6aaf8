"""Where a stage's memory went, by mapping group (probes/smaps.py: each library and data file by
name, [heap], anonymous mappings by size class): the change of each group over the stage. A
block (memtop.stage) changes from its own start, a mark from the stage before it, as RSS does;
a stage whose reading was skipped (markers read smaps while that costs at most 2% of the
program's time) has none."""

from __future__ import annotations

from typing import Any

from ..probes.smaps import OTHERS
from ..units import MIB


def groups_change(stage: dict[str, Any], previous: dict[str, Any] | None
                  ) -> dict[str, float] | None:
    """MiB per group that changed over the stage, the largest change first; None where the
    stage or its start has no reading."""
    end = stage.get("groups")
    start = stage.get("groups_start") if "t_start" in stage else \
        None if previous is None else previous.get("groups")
    if not isinstance(end, dict) or not isinstance(start, dict):
        return None
    change = {name: (end.get(name, 0) - start.get(name, 0)) / MIB
              for name in dict.fromkeys([*end, *start])}
    changed = {name: mib for name, mib in change.items() if abs(mib) >= 0.05}
    return dict(sorted(changed.items(), key=lambda item: abs(item[1]), reverse=True))


def largest_changes(change: dict[str, float] | None, count: int = 3,
                    at_least_mib: float = 1.0) -> list[tuple[str, float]]:
    """The `count` groups that changed most, each by at least `at_least_mib` (not the sum of
    the small ones, which changes as groups move in and out of the largest kept)."""
    return [(name, mib) for name, mib in (change or {}).items()
            if abs(mib) >= at_least_mib and name != OTHERS][:count]
